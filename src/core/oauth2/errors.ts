/**
 * The OAuth 2.0 error family: one class per registered error code (RFC 6749 §4.1.2.1, §5.2;
 * RFC 6750 §3.1; RFC 8628 §3.5; RFC 7009 §2.2.1; OIDC Core §3.1.2.6), each with a safe
 * description for the client and an optional private cause for the log. One serializer turns
 * anything else into a plain `server_error`.
 */
export abstract class OAuth2Error extends Error {
  abstract readonly code: string;
  /** HTTP status when the error is answered directly (token-style endpoints). */
  readonly status: number = 400;
  /** Extra response headers, e.g. WWW-Authenticate for invalid_client over Basic. */
  readonly headers: Record<string, string> = {};

  constructor(
    /** Safe to show to the client: never a secret, never a stack. */
    readonly description: string,
    /** Private detail for the log only. */
    readonly debug?: unknown,
  ) {
    super(description);
  }

  override get name(): string {
    return `OAuth2Error(${this.code})`;
  }
}

export class InvalidRequest extends OAuth2Error {
  readonly code = 'invalid_request';
}

/** RFC 6749 §5.2: 401, with WWW-Authenticate when the client tried HTTP authentication. */
export class InvalidClient extends OAuth2Error {
  readonly code = 'invalid_client';
  override readonly status = 401;
  override readonly headers: Record<string, string>;
  constructor(description: string, options: { basic?: boolean; debug?: unknown } = {}) {
    super(description, options.debug);
    this.headers = options.basic ? { 'www-authenticate': 'Basic realm="latchkey", charset="UTF-8"' } : {};
  }
}

export class InvalidGrant extends OAuth2Error {
  readonly code = 'invalid_grant';
}

export class UnauthorizedClient extends OAuth2Error {
  readonly code = 'unauthorized_client';
}

export class UnsupportedGrantType extends OAuth2Error {
  readonly code = 'unsupported_grant_type';
}

export class InvalidScope extends OAuth2Error {
  readonly code = 'invalid_scope';
}
/** RFC 8707 §2: the requested resource is invalid, unknown or malformed (registered in §3). */
export class InvalidTarget extends OAuth2Error {
  readonly code = 'invalid_target';
}

export class AccessDenied extends OAuth2Error {
  readonly code = 'access_denied';
}

export class UnsupportedResponseType extends OAuth2Error {
  readonly code = 'unsupported_response_type';
}

export class ServerError extends OAuth2Error {
  readonly code = 'server_error';
  override readonly status = 500;
}

export class TemporarilyUnavailable extends OAuth2Error {
  readonly code = 'temporarily_unavailable';
  override readonly status = 503;
}

/** RFC 8628 §3.5 */
export class AuthorizationPending extends OAuth2Error {
  readonly code = 'authorization_pending';
}

export class SlowDown extends OAuth2Error {
  readonly code = 'slow_down';
}

export class ExpiredToken extends OAuth2Error {
  readonly code = 'expired_token';
}

/** RFC 7009 §2.2.1 */
export class UnsupportedTokenType extends OAuth2Error {
  readonly code = 'unsupported_token_type';
}

/** RFC 6750 §3.1 (protected resources). */
export class InvalidToken extends OAuth2Error {
  readonly code = 'invalid_token';
  override readonly status = 401;
}

export class InsufficientScope extends OAuth2Error {
  readonly code = 'insufficient_scope';
  override readonly status = 403;
}

/** OIDC Core §3.1.2.6 — raised by the OpenID Connect layer through the same pipeline. */
export class LoginRequired extends OAuth2Error {
  readonly code = 'login_required';
}

export class ConsentRequired extends OAuth2Error {
  readonly code = 'consent_required';
}

export class InteractionRequired extends OAuth2Error {
  readonly code = 'interaction_required';
}

/** The wire form of an error (RFC 6749 §5.2). */
export interface OAuth2ErrorBody {
  error: string;
  error_description: string;
}

export interface SerializedError {
  status: number;
  headers: Record<string, string>;
  body: OAuth2ErrorBody;
  /** The original error, when it was not an OAuth2Error (to be logged, never echoed). */
  unexpected?: unknown;
}

/**
 * The one serializer: OAuth2Error keeps its code and safe description; anything else is a bug
 * and becomes a generic server_error (RFC 6749 §5.2 JSON, never cached).
 */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof OAuth2Error) {
    return {
      status: err.status,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...err.headers },
      body: { error: err.code, error_description: safeDescription(err.description) },
    };
  }
  return {
    status: 500,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    body: { error: 'server_error', error_description: 'the server met an unexpected condition' },
    unexpected: err,
  };
}

/** Characters allowed in error_description (RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E). */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?').slice(0, 500);
}

/**
 * RFC 6750 §3: the WWW-Authenticate challenge of a protected resource. Without an error code
 * (no credentials were sent) the challenge carries the realm only.
 */
export function bearerChallenge(err?: OAuth2Error, extra: { scope?: string } = {}): string {
  const parts = ['realm="latchkey"'];
  if (err) {
    parts.push(`error="${err.code}"`, `error_description="${safeDescription(err.description)}"`);
    if (extra.scope) parts.push(`scope="${extra.scope}"`);
  }
  return `Bearer ${parts.join(', ')}`;
}
