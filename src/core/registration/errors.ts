/**
 * Errors of the registration endpoints (RFC 7591 §3.2.2, RFC 7592 §2, RFC 6750 §3.1), each with a
 * safe description meant for the registering developer. One serializer turns them into responses.
 */
export type RegistrationErrorCode =
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_software_statement'
  | 'invalid_token'
  | 'invalid_request'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error';

/** A framework-free response of the registration endpoints. */
export interface RegistrationResponse {
  status: number;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
  constructor(
    readonly code: RegistrationErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  static metadata(description: string): RegistrationError {
    return new RegistrationError('invalid_client_metadata', description);
  }

  /** RFC 6750 §3.1: a missing token gets a bare challenge, a bad one names the error. */
  static token(description: string, presented: boolean): RegistrationError {
    const challenge = presented ? `Bearer realm="latchkey", error="invalid_token", error_description="${quoteSafe(description)}"` : 'Bearer realm="latchkey"';
    return new RegistrationError('invalid_token', description, 401, { 'www-authenticate': challenge });
  }
}

/** Header parameter values may not carry quotes or backslashes (RFC 6750 §3). */
function quoteSafe(value: string): string {
  return value.replace(/["\\]/g, "'");
}

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function errorResponse(err: RegistrationError): RegistrationResponse {
  return {
    status: err.status,
    headers: { ...NO_STORE, ...err.headers },
    body: { error: err.code, error_description: err.description },
  };
}
