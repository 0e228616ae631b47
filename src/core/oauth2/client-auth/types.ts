/** What one client authentication method found in a request (RFC 6749 §2.3). */
export interface PresentedCredentials {
  method: ClientAuthMethodName;
  clientId: string;
  /** null for `none`. */
  secret: string | null;
}

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type ClientAuthMethodName = (typeof CLIENT_AUTH_METHODS)[number];

/** The parts of a request that client authentication reads. */
export interface ClientAuthInput {
  authorization: string | undefined;
  /** Single-valued body parameters (repeats were refused before). */
  body: Record<string, string | undefined>;
}

/** One method: recognises its credentials in a request, or returns null. */
export interface ClientAuthMethod {
  name: ClientAuthMethodName;
  extract(input: ClientAuthInput): PresentedCredentials | null;
}
