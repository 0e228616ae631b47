/** A sign-in session as stored: the cookie value itself is never stored, only its hash. */
export interface StoredSession {
  idHash: string;
  /** Public session identifier (OIDC `sid`). */
  sid: string;
  userId: string;
  csrfToken: string;
  /** When the user last entered their password (OIDC `auth_time`), epoch ms. */
  authTime: number;
  createdAt: number;
  expiresAt: number;
  persistent: boolean;
}

export interface SessionStore {
  create(session: StoredSession): Promise<void>;
  get(idHash: string, now: number): Promise<StoredSession | undefined>;
  getBySid(sid: string, now: number): Promise<StoredSession | undefined>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session of the user but the one with `exceptSid`; returns the sids it ended. */
  deleteForUser(userId: string, exceptSid?: string): Promise<string[]>;
  purgeExpired(before: number, batch: number): Promise<number>;
}

export interface Consent {
  userId: string;
  clientKey: string;
  scopes: string[];
  grantedAt: number;
}

/** Consent remembered per user, client and scopes. */
export interface ConsentStore {
  get(userId: string, clientKey: string): Promise<Consent | undefined>;
  /** Adds scopes to what the user already granted the client. */
  grant(userId: string, clientKey: string, scopes: string[], at: number): Promise<void>;
  revoke(userId: string, clientKey: string): Promise<boolean>;
  listForUser(userId: string): Promise<Consent[]>;
}
