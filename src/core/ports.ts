/** Time source, injected so expiry and timestamp windows can be tested exactly. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Randomness source, injected for deterministic tests. */
export interface Random {
  bytes(length: number): Buffer;
}

/** Seconds since the epoch, as used in JWT and OAuth 1.0a timestamps. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

import type { Client, ClientStatus, ClientType } from './clients/client.js';

/** Narrow storage ports. Each adapter (SQLite, PostgreSQL) passes the contract suite in src/storage/contract. */

export interface ClientListQuery {
  type?: ClientType;
  status?: ClientStatus;
  /** Case-insensitive substring of the name, or exact key. */
  search?: string;
  sort?: 'name' | 'created_at' | 'last_used_at' | 'status';
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export interface ClientStore {
  get(key: string): Promise<Client | undefined>;
  /** Fails with DuplicateKeyError when the key exists or was ever used (keys are never reused). */
  insert(client: Client): Promise<void>;
  /**
   * Writes the client and increases its stored version by one (whatever `client.version` says).
   * `ifVersion`: StaleWriteError, writing nothing, unless the stored version is still this one.
   */
  update(client: Client, guard?: { ifVersion?: number }): Promise<void>;
  /** Deletes the client and retires its key forever. Returns false when it did not exist. */
  remove(key: string, at: number): Promise<boolean>;
  list(query: ClientListQuery): Promise<{ items: Client[]; total: number }>;
  countPending(): Promise<Record<ClientType, number>>;
  touchLastUsed(key: string, at: number): Promise<void>;
}

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
}

/** A write would have left no enabled holder of the roles it was told to keep; nothing was written. */
export class LastHolderError extends Error {
  override name = 'LastHolderError';
}

/** The row changed since it was read; nothing was written. */
export class StaleWriteError extends Error {
  override name = 'StaleWriteError';
}

export interface UserWriteGuard {
  ifUpdatedAt?: number;
  enabledHolderOf?: readonly string[];
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  passwordHash: string | null;
  enabled: boolean;
  roles: string[];
  createdAt: number;
  updatedAt: number;
  lastSignInAt: number | null;
  /** Standard claims the user or a User Manager filled in (OIDC Core §5.1); absent: none set. */
  profile?: UserProfile;
  /** When the name, email or profile last changed (ms): OIDC `updated_at`; absent: `updatedAt`. */
  profileUpdatedAt?: number;
  /** The directory that provides this user; absent: an internal user. */
  source?: UserSource;
  /** Whether `email` was vouched for (OIDC Core §5.1 `email_verified`); absent: false. */
  emailVerified?: boolean;
  /** When the user's attributes and groups were last read from the directory (ms). */
  lastSyncAt?: number;
  /**
   * Read only: the roles the user's groups give (distinct, sorted), filled by the store's reads;
   * absent when none. Writes ignore it: groups are changed through the GroupStore.
   */
  readonly groupRoles?: string[];
}

/** Where an external user comes from. `externalId` is the directory's unique id (entryUUID, objectGUID). */
export interface UserSource {
  kind: 'directory';
  directoryId: string;
  /** The directory's domain when the user was imported (kept when the directory is removed). */
  domain: string;
  externalId: string;
  dn: string;
}

export interface UserListQuery {
  /** Case-insensitive substring of the username. */
  search?: string;
  source?: 'internal' | 'external';
  directoryId?: string;
  limit: number;
  offset: number;
}

/** OIDC Core §5.1 standard claims of a user beyond name and email; a field that is absent is not set. */
export interface UserProfile {
  givenName?: string;
  familyName?: string;
  middleName?: string;
  nickname?: string;
  /** Profile page URL (http or https). */
  profileUrl?: string;
  /** Picture URL (http or https). */
  pictureUrl?: string;
  /** Web page or blog URL (http or https). */
  websiteUrl?: string;
  gender?: string;
  /** YYYY-MM-DD (year 0000: omitted) or YYYY. */
  birthdate?: string;
  /** IANA time zone name, e.g. Europe/Paris. */
  zoneinfo?: string;
  /** BCP 47 language tag, canonical form. */
  locale?: string;
  /** E.164, e.g. +14255551212, with an optional ;ext= extension (RFC 3966). */
  phoneNumber?: string;
  address?: UserAddress;
}

/** OIDC Core §5.1.1: every member optional; formatted and streetAddress may span lines. */
export interface UserAddress {
  formatted?: string;
  streetAddress?: string;
  locality?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

/** Why a user's sessions and tokens end: each of these changes ends what the old state opened. */
export interface UserCutOff {
  reason: 'disabled' | 'password_set' | 'roles_removed';
  /** The sid of the one session to keep: the user changed their own account from it. */
  keepSid?: string;
}

export interface UserStore {
  get(id: string): Promise<User | undefined>;
  /** Case-insensitive. */
  findByUsername(username: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  /**
   * Guards, each checked in the write's own transaction (nothing is written when one fails):
   * `ifUpdatedAt`: StaleWriteError unless the stored row still has this updatedAt (the decision
   * was made on what is stored); `enabledHolderOf`: LastHolderError when afterwards no enabled user
   * holds one of those roles (directly or through a group), so two concurrent changes cannot both remove the last holder.
   */
  update(user: User, guard?: UserWriteGuard): Promise<void>;
  /** Sets only the password hash (and updatedAt), so a concurrent change of roles or status is kept. */
  setPasswordHash(id: string, hash: string, at: number, guard?: Pick<UserWriteGuard, 'ifUpdatedAt'>): Promise<void>;
  /** The user a directory provides under this unique id. */
  findExternal(directoryId: string, externalId: string): Promise<User | undefined>;
  list(query: UserListQuery): Promise<{ items: User[]; total: number }>;
  count(): Promise<number>;
  /** Enabled users holding at least one of these roles, directly or through a group; `exceptId` left out. */
  countEnabledHolders(roles: readonly string[], exceptId?: string): Promise<number>;
  touchSignIn(id: string, at: number): Promise<void>;
}

export interface AuditEvent {
  id?: number;
  at: number;
  /** Username, or a label such as "cli" / "registration" for non-user actors. */
  actor: string;
  action: string;
  targetType: string;
  target: string | null;
  /** Source address, or "cli". */
  source: string;
  details: Record<string, unknown>;
}

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  list(query: { action?: string; target?: string; actor?: string; limit: number; offset: number }): Promise<{ items: AuditEvent[]; total: number }>;
}

/**
 * Single-use artifacts (codes, nonces, …). `consume` is atomic: of any number of concurrent
 * callers, across instances, exactly one gets the payload.
 */
export interface OneTimeStore {
  /** Returns false when (kind, id) already exists. */
  put(kind: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean>;
  consume(kind: string, id: string, now: number): Promise<ConsumeResult>;
  peek(kind: string, id: string): Promise<{ payload: Record<string, unknown>; expiresAt: number; usedAt: number | null } | undefined>;
  purgeExpired(before: number, batch: number): Promise<number>;
}

export type ConsumeResult =
  | { outcome: 'consumed'; payload: Record<string, unknown> }
  | { outcome: 'replayed'; payload: Record<string, unknown> }
  | { outcome: 'expired' }
  | { outcome: 'unknown' };

/** Failure counters shared by every instance (password guessing, rate limits). */
/**
 * What a module ends when a client stops being usable (disapproved or removed), a user is cut off
 * (disabled, a password set, a role fewer), or a user revokes an application. Each protocol module
 * returns one; the composition calls them all.
 */
export interface CutOffHandlers {
  client(clientKey: string, reason: 'disapproved' | 'removed'): Promise<void>;
  user(userId: string, cut: UserCutOff): Promise<void>;
  userRevokedClient(userId: string, clientKey: string): Promise<void>;
}

export interface ThrottleStore {
  /** Adds `by` hits (default 1) within a window and returns the count in the current window. */
  hit(key: string, now: number, windowMs: number, by?: number): Promise<number>;
  count(key: string, now: number, windowMs: number): Promise<number>;
  reset(key: string): Promise<void>;
}
