/**
 * The narrow storage the OAuth 1.0a provider needs. Credentials are stored by the SHA-256 of the
 * token, never raw; their shared secrets are sealed (RFC 5849 §4.5: HMAC needs them in plaintext).
 */

/** Temporary credentials (RFC 5849 §2.1), authorized once (§2.2) and exchanged once (§2.3). */
export interface TemporaryCredential {
  tokenHash: string;
  clientKey: string;
  secretSealed: string;
  /** The oauth_callback given at the request: an absolute URL or "oob". */
  callback: string;
  createdAt: number;
  expiresAt: number;
  /** Set when the user allowed the request. */
  userId: string | null;
  verifierHash: string | null;
  authorizedAt: number | null;
  /** Set when exchanged for token credentials. */
  usedAt: number | null;
}

export interface TemporaryCredentialStore {
  insert(t: TemporaryCredential): Promise<void>;
  get(tokenHash: string): Promise<TemporaryCredential | undefined>;
  /** Atomically records the user's approval: only once, only before expiry and use. */
  authorize(tokenHash: string, userId: string, verifierHash: string, now: number): Promise<boolean>;
  /** Atomically marks authorized, unexpired, unused credentials as used; false for every other caller. */
  consume(tokenHash: string, now: number): Promise<boolean>;
  remove(tokenHash: string): Promise<void>;
  removeForClient(clientKey: string): Promise<number>;
  removeForUser(userId: string): Promise<number>;
  removeForUserAndClient(userId: string, clientKey: string): Promise<number>;
  purgeExpired(before: number, batch: number): Promise<number>;
}

/** Token credentials (RFC 5849 §2.3): valid until revoked, acting as the user who authorized them. */
export interface TokenCredential {
  tokenHash: string;
  clientKey: string;
  userId: string;
  secretSealed: string;
  createdAt: number;
}

export interface TokenCredentialStore {
  insert(t: TokenCredential): Promise<void>;
  get(tokenHash: string): Promise<TokenCredential | undefined>;
  removeForClient(clientKey: string): Promise<number>;
  removeForUser(userId: string): Promise<number>;
  removeForUserAndClient(userId: string, clientKey: string): Promise<number>;
}

/**
 * Nonces seen (RFC 5849 §3.3), shared by every instance. `remember` is atomic and returns false
 * when the same key was remembered before and has not expired.
 */
export interface NonceStore {
  remember(key: string, expiresAt: number): Promise<boolean>;
}

export interface OAuth1Stores {
  temporaries: TemporaryCredentialStore;
  tokens: TokenCredentialStore;
}
