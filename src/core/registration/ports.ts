import type { Client } from '../clients/client.js';

/** Who acted, for the audit log: "registration" and the caller's source address. */
export interface RegistrationActor {
  name: string;
  source: string;
}

/** The part of the client registry that registration uses (ClientAdmin satisfies it). */
export interface RegistryPort {
  get(key: string): Promise<Client | undefined>;
  create(input: unknown, actor: RegistrationActor, via: string): Promise<{ client: Client; secret: string | null }>;
  /**
   * Applies the patch to the client at `version` only (StaleWriteError otherwise, nothing written);
   * with `backToPending`, an approved client becomes pending in the same write, for that reason.
   */
  update(
    key: string,
    patch: unknown,
    actor: RegistrationActor,
    options: { version: number; backToPending?: string },
  ): Promise<{ client: Client; secret: string | null }>;
  remove(key: string, actor: RegistrationActor): Promise<void>;
  /** Pending clients that registered themselves, for the cap on waiting registrations. */
  countPendingRegistrations(): Promise<number>;
  /** The client's plaintext secret, to check an update that repeats it (RFC 7592 §2.2). */
  openSecret(client: Client): string | null;
}

/** RFC 7592 registration access tokens, stored by SHA-256 hash only, one per client. */
export interface RegistrationAccessTokenStore {
  /** Stores or replaces the token hash of a client. */
  put(clientKey: string, tokenHash: string, issuedAt: number): Promise<void>;
  findClientKey(tokenHash: string): Promise<string | undefined>;
  remove(clientKey: string): Promise<void>;
}

/** RFC 7591 §3 initial access tokens, created by an administrator; stored by hash. */
export interface InitialAccessToken {
  /** Public identifier, shown in lists and used to revoke. */
  id: string;
  label: string;
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  /** null: unlimited. */
  maxUses: number | null;
  uses: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export type InitialTokenRefusal = 'unknown' | 'revoked' | 'expired' | 'used_up';
export type InitialTokenCheck = { ok: true; token: InitialAccessToken } | { ok: false; reason: InitialTokenRefusal };

export interface InitialAccessTokenStore {
  insert(token: InitialAccessToken, tokenHash: string): Promise<void>;
  get(id: string): Promise<InitialAccessToken | undefined>;
  /** Newest first; without includeInactive only tokens that can still be used. */
  list(options: { includeInactive: boolean; now: number }): Promise<InitialAccessToken[]>;
  /** Returns false when no such token exists or it was already revoked. */
  revoke(id: string, at: number, by: string): Promise<boolean>;
  /** Reads a token's state without using it. */
  check(tokenHash: string, now: number): Promise<InitialTokenCheck>;
  /** Counts one use, atomically: of concurrent callers holding the last use, exactly one succeeds. */
  use(tokenHash: string, now: number): Promise<InitialTokenCheck>;
}

/** Why an initial access token was refused, in words for the registering developer. */
export function refusalText(reason: InitialTokenRefusal): string {
  switch (reason) {
    case 'unknown':
      return 'the initial access token is not valid';
    case 'revoked':
      return 'the initial access token was revoked by an administrator';
    case 'expired':
      return 'the initial access token has expired';
    case 'used_up':
      return 'the initial access token has been used as often as allowed';
  }
}

/** The state of a token at a given time. */
export function initialTokenState(t: InitialAccessToken, now: number): 'active' | InitialTokenRefusal {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  if (t.maxUses !== null && t.uses >= t.maxUses) return 'used_up';
  return 'active';
}
