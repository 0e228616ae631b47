import { createHash } from 'node:crypto';
import type { Clock, Random, User } from '../ports.js';
import { type Permission, userPermissions } from '../users/permissions.js';

/**
 * Personal access tokens: long-lived secrets a user makes for scripts. A token reads
 * `lkpat_<32 random base62 digits><6 base62 digits of the CRC32 of what precedes>`, so a secret
 * scanner can tell one from noise without asking us, and a mistyped or made-up token is refused
 * before any lookup. Only the SHA-256 of the token is stored.
 */

export const PAT_PREFIX = 'lkpat_';
/** Random base62 digits: 32 of them carry 190 bits. */
export const PAT_RANDOM_LENGTH = 32;
export const PAT_CHECKSUM_LENGTH = 6;
export const PAT_LENGTH = PAT_PREFIX.length + PAT_RANDOM_LENGTH + PAT_CHECKSUM_LENGTH;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PAT_PATTERN = new RegExp(`^${PAT_PREFIX}[0-9A-Za-z]{${PAT_RANDOM_LENGTH + PAT_CHECKSUM_LENGTH}}$`);

/**
 * The scopes a token may carry: the two Latchkey's API checks. `profile` reads GET /api/me;
 * `latchkey:admin` uses the admin API within the owner's permissions.
 */
export const PAT_SCOPES = ['profile', 'latchkey:admin'] as const;
export type PatScope = (typeof PAT_SCOPES)[number];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as zlib and PNG compute it) of the UTF-8 bytes of `text`. */
export function crc32(text: string): number {
  let c = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** `value` in base62, left-padded with "0" to `width` digits. */
export function base62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/** The six checksum digits of a token body (`lkpat_` and the random digits). 62^6 > 2^32. */
export function patChecksum(body: string): string {
  return base62(crc32(body), PAT_CHECKSUM_LENGTH);
}

/** `length` uniformly random base62 digits (bytes of 248 and above are dropped, so none is favoured). */
export function randomBase62(random: Random, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random.bytes(length)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function mintPatValue(random: Random): string {
  const body = PAT_PREFIX + randomBase62(random, PAT_RANDOM_LENGTH);
  return body + patChecksum(body);
}

/** Whether the text has the shape of a personal access token and its checksum holds. No lookup. */
export function isWellFormedPat(token: string): boolean {
  if (!PAT_PATTERN.test(token)) return false;
  const body = token.slice(0, -PAT_CHECKSUM_LENGTH);
  return patChecksum(body) === token.slice(-PAT_CHECKSUM_LENGTH);
}

/** What is stored in place of the token: its SHA-256, hex. */
export function hashPat(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * What a token may do: with `latchkey:admin`, the owner's permissions as they are now (read at each
 * use, so a role removed is gone at once); without it none.
 */
export function patPermissions(owner: User, scopes: readonly string[]): Set<Permission> {
  return scopes.includes('latchkey:admin') ? userPermissions(owner) : new Set();
}

/** Who may create tokens and for how long. */
export interface PatPolicy {
  /** Lifetime when none is asked for (ms). */
  defaultLifetimeMs: number;
  /** Longest lifetime that may be asked for (ms). */
  maxLifetimeMs: number;
  /** Roles whose holders may create tokens (directly or through a group); `all`: every user; empty: nobody. */
  creators: 'all' | readonly string[];
}

export const DAY_MS = 86_400_000;

export function mayCreatePats(user: User, policy: PatPolicy): boolean {
  if (policy.creators === 'all') return true;
  const roles = [...user.roles, ...(user.groupRoles ?? [])];
  return policy.creators.some((r) => roles.includes(r));
}

/**
 * A lifetime as written on a command line or in a form: `90d`, `12h`, `30m` or whole seconds
 * (`3600`). Undefined when it is none of these.
 */
export function parseLifetime(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,8})([dhms]?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { d: DAY_MS, h: 3_600_000, m: 60_000, s: 1000, '': 1000 }[m[2] as 'd' | 'h' | 'm' | 's' | ''];
  return n * unit;
}

/** When a token made now expires: the default when none is asked, refused beyond the maximum. */
export function patExpiry(now: number, requestedMs: number | undefined, policy: PatPolicy): { ok: true; expiresAt: number } | { ok: false; reason: string } {
  const lifetime = requestedMs ?? policy.defaultLifetimeMs;
  if (!Number.isFinite(lifetime) || lifetime <= 0) return { ok: false, reason: 'the lifetime must be positive' };
  if (lifetime > policy.maxLifetimeMs) return { ok: false, reason: `the lifetime may be at most ${Math.floor(policy.maxLifetimeMs / DAY_MS)} days` };
  return { ok: true, expiresAt: now + lifetime };
}

/** A stored token: never its value. */
export interface PersonalAccessToken {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Who revoked it, or why it ended (`user_disabled`, `password_set`). */
  revokedBy: string | null;
}

export type PatStatus = 'active' | 'expired' | 'revoked';

export function patStatus(t: Pick<PersonalAccessToken, 'expiresAt' | 'revokedAt'>, now: number): PatStatus {
  if (t.revokedAt !== null) return 'revoked';
  return t.expiresAt > now ? 'active' : 'expired';
}

export interface PatListQuery {
  userId?: string;
  /** Leave out revoked and expired tokens. */
  activeAt?: number;
  limit: number;
  offset: number;
}

/** Storage of personal access tokens; each adapter passes src/storage/contract/pat-contract.test.ts. */
export interface PersonalAccessTokenStore {
  insert(token: PersonalAccessToken): Promise<void>;
  get(id: string): Promise<PersonalAccessToken | undefined>;
  findByHash(tokenHash: string): Promise<PersonalAccessToken | undefined>;
  /** Newest first. */
  list(query: PatListQuery): Promise<{ items: PersonalAccessToken[]; total: number }>;
  /** Marks the token revoked unless it already is; false when it was unknown or already revoked. */
  revoke(id: string, at: number, by: string): Promise<boolean>;
  /** Revokes every token of the user not yet revoked; returns how many. */
  revokeForUser(userId: string, at: number, by: string): Promise<number>;
  /** Sets each token's last use to the later of the stored one and `at`, in one write. */
  touchLastUsed(uses: ReadonlyArray<{ id: string; at: number }>): Promise<void>;
}

/**
 * Last uses kept in memory and written in one batch every `flushMs`, so a request never waits for a
 * write (as the rate counters do). Up to `flushMs` of last-use times are lost if the process dies.
 */
export class LastUseBatcher {
  private readonly pending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly write: (uses: ReadonlyArray<{ id: string; at: number }>) => Promise<void>,
    private readonly flushMs = 10_000,
  ) {}

  record(id: string, at: number): void {
    this.pending.set(id, Math.max(at, this.pending.get(id) ?? 0));
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref?.();
  }

  /** The last use not yet written (for listings on this instance). */
  pendingFor(id: string): number | undefined {
    return this.pending.get(id);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const uses = [...this.pending].map(([id, at]) => ({ id, at }));
    this.pending.clear();
    try {
      await this.write(uses);
    } catch {
      // The database is unreachable: keep them for the next flush.
      for (const u of uses) this.pending.set(u.id, Math.max(u.at, this.pending.get(u.id) ?? 0));
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

export class PatError extends Error {
  override name = 'PatError';
  constructor(
    readonly status: 400 | 403 | 404,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PatServiceDeps {
  store: PersonalAccessTokenStore;
  users: { get(id: string): Promise<User | undefined> };
  audit: {
    append(event: {
      at: number;
      actor: string;
      action: string;
      targetType: string;
      target: string | null;
      source: string;
      details: Record<string, unknown>;
    }): Promise<void>;
  };
  clock: Clock;
  random: Random;
  policy: PatPolicy;
  lastUse: LastUseBatcher;
}

export interface PatCreateInput {
  name: string;
  scopes: readonly string[];
  /** Absent: the policy's default lifetime. */
  expiresInMs?: number;
}

/** Who acts: a username (or "cli") and where from, for the audit log. */
export interface PatActor {
  name: string;
  source: string;
}

/** An authenticated token: its owner as stored now, and what the token may do. */
export interface PatUse {
  token: PersonalAccessToken;
  user: User;
  permissions: Set<Permission>;
}

/** Creating, using, listing and revoking personal access tokens. */
export class PersonalAccessTokens {
  constructor(private readonly deps: PatServiceDeps) {}

  get policy(): PatPolicy {
    return this.deps.policy;
  }

  /** Makes a token for `owner`; the value is returned here once and never again. */
  async create(owner: User, input: PatCreateInput, actor: PatActor): Promise<{ value: string; token: PersonalAccessToken }> {
    if (!owner.enabled) throw new PatError(400, 'invalid_request', 'the user is disabled');
    if (!mayCreatePats(owner, this.deps.policy)) throw new PatError(403, 'forbidden', 'the token policy does not let this user create personal access tokens');
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new PatError(400, 'invalid_request', 'the name must have 1 to 100 characters');
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw new PatError(400, 'invalid_request', `give at least one scope (${PAT_SCOPES.join(', ')})`);
    const unknown = scopes.filter((s) => !(PAT_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new PatError(400, 'invalid_scope', `unknown scope ${unknown.join(', ')}; known: ${PAT_SCOPES.join(', ')}`);
    const now = this.deps.clock.now();
    const expiry = patExpiry(now, input.expiresInMs, this.deps.policy);
    if (!expiry.ok) throw new PatError(400, 'invalid_request', expiry.reason);
    const value = mintPatValue(this.deps.random);
    const token: PersonalAccessToken = {
      id: `pat_${randomBase62(this.deps.random, 16)}`,
      userId: owner.id,
      name,
      scopes,
      tokenHash: hashPat(value),
      createdAt: now,
      expiresAt: expiry.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    };
    await this.deps.store.insert(token);
    await this.audit(actor, 'pat.create', token, { owner: owner.username, name, scopes, expires_at: new Date(token.expiresAt).toISOString() });
    return { value, token };
  }

  /**
   * The token's owner and permissions, or null for anything that is not a live token of an enabled
   * user (without saying which). A malformed token or a bad checksum costs no query.
   */
  async authenticate(value: string): Promise<PatUse | null> {
    if (!isWellFormedPat(value)) return null;
    const token = await this.deps.store.findByHash(hashPat(value));
    const now = this.deps.clock.now();
    if (!token || patStatus(token, now) !== 'active') return null;
    const user = await this.deps.users.get(token.userId);
    if (!user?.enabled) return null;
    this.deps.lastUse.record(token.id, now);
    return { token, user, permissions: patPermissions(user, token.scopes) };
  }

  async get(id: string): Promise<PersonalAccessToken | undefined> {
    return this.withPendingUse(await this.deps.store.get(id));
  }

  async list(query: PatListQuery): Promise<{ items: PersonalAccessToken[]; total: number }> {
    const r = await this.deps.store.list(query);
    return { items: r.items.map((t) => this.withPendingUse(t) as PersonalAccessToken), total: r.total };
  }

  /** Revokes one token; `ownerId` set: only if it is that user's (else 404, as for an unknown one). */
  async revoke(id: string, actor: PatActor, ownerId?: string): Promise<PersonalAccessToken> {
    const token = await this.deps.store.get(id);
    if (!token || (ownerId !== undefined && token.userId !== ownerId)) throw new PatError(404, 'not_found', 'no such token');
    if (token.revokedAt === null) {
      const at = this.deps.clock.now();
      if (await this.deps.store.revoke(id, at, actor.name)) {
        await this.audit(actor, 'pat.revoke', token, { owner_id: token.userId, name: token.name });
        return { ...token, revokedAt: at, revokedBy: actor.name };
      }
    }
    return (await this.deps.store.get(id)) ?? token;
  }

  /** Ends every token of a user (disabled, password set), audited once when there were any. */
  async revokeForUser(userId: string, reason: string): Promise<number> {
    const n = await this.deps.store.revokeForUser(userId, this.deps.clock.now(), reason);
    if (n > 0) {
      await this.deps.audit.append({
        at: this.deps.clock.now(),
        actor: 'system',
        action: 'pat.revoke_all',
        targetType: 'user',
        target: userId,
        source: 'system',
        details: { reason, count: n },
      });
    }
    return n;
  }

  flushLastUse(): Promise<void> {
    return this.deps.lastUse.flush();
  }

  close(): Promise<void> {
    return this.deps.lastUse.close();
  }

  private withPendingUse(t: PersonalAccessToken | undefined): PersonalAccessToken | undefined {
    if (!t) return t;
    const pending = this.deps.lastUse.pendingFor(t.id);
    return pending !== undefined && pending > (t.lastUsedAt ?? 0) ? { ...t, lastUsedAt: pending } : t;
  }

  private audit(actor: PatActor, action: string, token: PersonalAccessToken, details: Record<string, unknown>): Promise<void> {
    return this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: actor.name,
      action,
      targetType: 'personal_access_token',
      target: token.id,
      source: actor.source,
      details,
    });
  }
}
