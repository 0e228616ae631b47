/**
 * Narrow storage ports of the OAuth 2.0 core. Every stateful thing lives in the database so that
 * several instances share it; single-use things are consumed atomically by the adapters.
 */

/**
 * One authorization: what a user (or, for client_credentials, the client itself) granted a client.
 * Access tokens carry its id; refresh tokens form a family under it. Revoking it cuts off every
 * token, code and device code issued under it.
 */
export interface GrantRecord {
  id: string;
  clientKey: string;
  /** null for client_credentials. */
  userId: string | null;
  scopes: string[];
  /** The grant_type (or "implicit") that created it. */
  grantType: string;
  createdAt: number;
  /** When the user authenticated (ms), for OIDC auth_time. */
  authTime: number | null;
  revokedAt: number | null;
  /** Extension data (OIDC: nonce, acr, claims request). */
  extra: Record<string, unknown>;
  /** The sign-in session it was granted in (OIDC sid), when it came through the browser. */
  sid?: string | null;
}

/** Whether tokens of a grant may still be honoured, judged in one read across instances. */
export interface GrantLiveness {
  grant: GrantRecord;
  /** The client exists and is approved. */
  clientApproved: boolean;
  /** The user exists and is enabled (true for client-only grants). */
  userEnabled: boolean;
}

export interface GrantStore {
  create(grant: GrantRecord): Promise<void>;
  liveness(id: string): Promise<GrantLiveness | undefined>;
  /** Returns false when it was already revoked or does not exist. */
  revoke(id: string, at: number): Promise<boolean>;
  revokeForClient(clientKey: string, at: number): Promise<number>;
  revokeForUser(userId: string, at: number): Promise<number>;
  revokeForUserAndClient(userId: string, clientKey: string, at: number): Promise<number>;
  /** The clients (and users) granted something in one sign-in session (for back-channel logout). */
  clientsOfSession(sid: string): Promise<Array<{ clientKey: string; userId: string }>>;
}

export interface RefreshTokenRecord {
  /** SHA-256 of the token; the token itself is never stored. */
  hash: string;
  grantId: string;
  createdAt: number;
  expiresAt: number;
  /** Set when it was exchanged for a successor. */
  rotatedAt: number | null;
}

export type RotateOutcome =
  | { outcome: 'rotated'; token: RefreshTokenRecord }
  /** Presented again after rotation: a replay unless inside the grace window. */
  | { outcome: 'reused'; token: RefreshTokenRecord }
  | { outcome: 'expired'; token: RefreshTokenRecord }
  | { outcome: 'unknown' };

export interface RefreshTokenStore {
  insert(token: RefreshTokenRecord): Promise<void>;
  find(hash: string): Promise<RefreshTokenRecord | undefined>;
  /** Atomically marks the token rotated; of concurrent callers exactly one sees "rotated". */
  rotate(hash: string, now: number): Promise<RotateOutcome>;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'redeemed';

export interface DeviceCodeRecord {
  /** SHA-256 of the device_code. */
  hash: string;
  /** Normalised user code (upper case, no dash). */
  userCode: string;
  clientKey: string;
  scopes: string[];
  status: DeviceCodeStatus;
  userId: string | null;
  /** Set on approval: the grant the tokens will belong to. */
  grantId: string | null;
  /** Current polling interval in seconds (raised by slow_down). */
  interval: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
  /** Extension data carried to the grant (OIDC). */
  extra: Record<string, unknown>;
}

export type PollOutcome =
  | { outcome: 'ok'; record: DeviceCodeRecord }
  /** Polled sooner than the interval allows: the interval was raised by 5 s (RFC 8628 §3.5). */
  | { outcome: 'too_fast'; record: DeviceCodeRecord }
  | { outcome: 'unknown' };

export interface DeviceCodeStore {
  /** Returns false when the user code is taken (the caller draws another). */
  insert(record: DeviceCodeRecord): Promise<boolean>;
  findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | undefined>;
  /**
   * Records one poll atomically. A poll less than `interval` seconds (minus `toleranceMs`) after
   * the previous one raises the interval by `slowDownBy` seconds and reports "too_fast".
   */
  poll(hash: string, now: number, slowDownBy: number, toleranceMs: number): Promise<PollOutcome>;
  /** pending → approved/denied; false when it was no longer pending or has expired. */
  decide(userCode: string, decision: { status: 'approved' | 'denied'; userId: string; grantId: string | null }, now: number): Promise<boolean>;
  /** approved → redeemed, atomically; false when another poll won. */
  redeem(hash: string): Promise<boolean>;
  /** Denies every undecided code of a client (cut-off). */
  denyForClient(clientKey: string): Promise<number>;
}

export interface StoredSigningKey {
  kid: string;
  alg: string;
  /** Public JWK (JSON). */
  publicJwk: Record<string, unknown>;
  /** Private key, sealed under the master key. */
  privateSealed: string;
  createdAt: number;
  /** When a newer key replaced it for signing; it keeps validating for the longest token lifetime. */
  retiredAt: number | null;
}

export interface SigningKeyStore {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  /** Retires every current key of `alg` except `keepKid`. */
  retireOthers(alg: string, keepKid: string, at: number): Promise<number>;
  /** Deletes keys retired before `before`. */
  purgeRetired(before: number): Promise<number>;
}
