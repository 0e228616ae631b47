/**
 * Small in-memory fakes of the core's ports for unit tests, keeping the adapters' semantics where
 * a test depends on them (single use, expiry, rotation, polling interval). Test code only:
 * excluded from the production build (tsconfig.json).
 */
import { createHmac } from 'node:crypto';
import { type Client, secretContext } from '../clients/client.js';
import { constantTimeEqual, sha256Hex } from '../crypto/constant-time.js';
import { makeDummies, type Sealer, temporaryContext, tokenContext } from '../oauth1/check.js';
import type { OAuth1Deps } from '../oauth1/deps.js';
import type { NonceStore, TemporaryCredential, TemporaryCredentialStore, TokenCredential, TokenCredentialStore } from '../oauth1/storage.js';
import type { ConsentPort, OAuth2Deps, OAuth2Settings } from '../oauth2/deps.js';
import { ScopeCatalog } from '../oauth2/scopes.js';
import type {
  DeviceCodeRecord,
  DeviceCodeStore,
  GrantLiveness,
  GrantRecord,
  GrantStore,
  PollOutcome,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotateOutcome,
  SigningKeyStore,
  StoredSigningKey,
} from '../oauth2/storage.js';
import type { OidcAuthorizeDeps } from '../oidc/authorize.js';
import { IdTokens } from '../oidc/id-token.js';
import type { ClientStore, Clock, ConsumeResult, OneTimeStore, Random, ThrottleStore, User, UserStore } from '../ports.js';
import type { SecurityEvent, SecurityEventSink } from '../security-events.js';
import type { PasswordAttempt, PasswordCheck, PasswordOutcome } from '../sign-in/password.js';
import { AccessTokens } from '../tokens/access-token.js';
import { KeyRing } from '../tokens/signing-keys.js';
import { T0 } from './builders.js';

/** A clock that moves only when told. */
export class FakeClock implements Clock {
  constructor(private at = T0) {}
  now(): number {
    return this.at;
  }
  set(at: number): void {
    this.at = at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

/** Deterministic "random" bytes: every call returns bytes no earlier call returned. */
export class CountingRandom implements Random {
  private n = 0;
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    let v = ++this.n;
    for (let i = length - 1; i >= 0 && v > 0; i--) {
      out[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return out;
  }
}

/**
 * A reversible sealer (`context|plaintext`) whose `open` fails on the wrong context, and MACs
 * keyed by a fixed secret (HMAC-SHA-256, base64url, as SecretBox's).
 */
export class FakeSecrets implements Sealer {
  seal(plaintext: string, context: string): string {
    return `${context}|${plaintext}`;
  }
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(`${context}|`)) throw new Error('sealed under another context');
    return sealed.slice(context.length + 1);
  }
  mac(value: string, context: string): string {
    return createHmac('sha256', 'test-mac-key').update(`${context}\u0000${value}`).digest('base64url');
  }
  verifyMac(value: string, context: string, mac: string): boolean {
    return constantTimeEqual(this.mac(value, context), mac);
  }
}

/** The sealed form of a client's secret under FakeSecrets, for `aClient().confidential(…)`. */
export function sealedClientSecret(key: string, secret: string): string {
  return new FakeSecrets().seal(secret, secretContext(key));
}

export class MemoryClients implements Pick<ClientStore, 'get' | 'touchLastUsed'> {
  readonly byKey = new Map<string, Client>();
  readonly touched: Array<{ key: string; at: number }> = [];
  constructor(...clients: Client[]) {
    for (const c of clients) this.put(c);
  }
  put(client: Client): void {
    this.byKey.set(client.key, client);
  }
  async get(key: string): Promise<Client | undefined> {
    const c = this.byKey.get(key);
    return c ? structuredClone(c) : undefined;
  }
  async touchLastUsed(key: string, at: number): Promise<void> {
    this.touched.push({ key, at });
  }
}

export class MemoryUsers implements Pick<UserStore, 'get' | 'findByUsername'> {
  readonly byId = new Map<string, User>();
  constructor(...users: User[]) {
    for (const u of users) this.put(u);
  }
  put(user: User): void {
    this.byId.set(user.id, user);
  }
  async get(id: string): Promise<User | undefined> {
    const u = this.byId.get(id);
    return u ? structuredClone(u) : undefined;
  }
  async findByUsername(username: string): Promise<User | undefined> {
    const u = [...this.byId.values()].find((x) => x.username.toLowerCase() === username.toLowerCase());
    return u ? structuredClone(u) : undefined;
  }
}

/** Single-use records, consumed once, before their expiry (as the `UPDATE … WHERE used_at IS NULL` of the adapters). */
export class MemoryOneTime implements OneTimeStore {
  readonly rows = new Map<string, { payload: Record<string, unknown>; expiresAt: number; usedAt: number | null }>();
  async put(kind: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean> {
    const k = `${kind}\n${id}`;
    if (this.rows.has(k)) return false;
    this.rows.set(k, { payload: structuredClone(payload), expiresAt, usedAt: null });
    return true;
  }
  async consume(kind: string, id: string, now: number): Promise<ConsumeResult> {
    const row = this.rows.get(`${kind}\n${id}`);
    if (!row) return { outcome: 'unknown' };
    if (row.usedAt !== null) return { outcome: 'replayed', payload: structuredClone(row.payload) };
    if (row.expiresAt <= now) return { outcome: 'expired' };
    row.usedAt = now;
    return { outcome: 'consumed', payload: structuredClone(row.payload) };
  }
  async peek(kind: string, id: string) {
    const row = this.rows.get(`${kind}\n${id}`);
    return row ? structuredClone(row) : undefined;
  }
  async purgeExpired(before: number, batch: number): Promise<number> {
    let n = 0;
    for (const [k, row] of this.rows) {
      if (n >= batch) break;
      if (row.expiresAt < before) {
        this.rows.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** Grants whose liveness reads the client's status and the user's state from the given stores. */
export class MemoryGrants implements GrantStore {
  readonly byId = new Map<string, GrantRecord>();
  constructor(
    private readonly clients: Pick<MemoryClients, 'byKey'>,
    private readonly users: Pick<MemoryUsers, 'byId'>,
  ) {}
  put(grant: GrantRecord): void {
    this.byId.set(grant.id, structuredClone(grant));
  }
  async create(grant: GrantRecord): Promise<void> {
    if (this.byId.has(grant.id)) throw new Error(`grant ${grant.id} exists`);
    this.put(grant);
  }
  async liveness(id: string): Promise<GrantLiveness | undefined> {
    const grant = this.byId.get(id);
    if (!grant) return undefined;
    return {
      grant: structuredClone(grant),
      clientApproved: this.clients.byKey.get(grant.clientKey)?.status === 'approved',
      userEnabled: grant.userId === null ? true : this.users.byId.get(grant.userId)?.enabled === true,
    };
  }
  async revoke(id: string, at: number): Promise<boolean> {
    const g = this.byId.get(id);
    if (!g || g.revokedAt !== null) return false;
    g.revokedAt = at;
    return true;
  }
  private revokeWhere(match: (g: GrantRecord) => boolean, at: number): number {
    let n = 0;
    for (const g of this.byId.values()) {
      if (g.revokedAt === null && match(g)) {
        g.revokedAt = at;
        n++;
      }
    }
    return n;
  }
  async revokeForClient(clientKey: string, at: number): Promise<number> {
    return this.revokeWhere((g) => g.clientKey === clientKey, at);
  }
  async revokeForUser(userId: string, at: number): Promise<number> {
    return this.revokeWhere((g) => g.userId === userId, at);
  }
  async revokeForUserAndClient(userId: string, clientKey: string, at: number): Promise<number> {
    return this.revokeWhere((g) => g.userId === userId && g.clientKey === clientKey, at);
  }
  async clientsOfSession(sid: string): Promise<Array<{ clientKey: string; userId: string }>> {
    return [...this.byId.values()].filter((g) => g.sid === sid && g.userId !== null).map((g) => ({ clientKey: g.clientKey, userId: g.userId as string }));
  }
}

export class MemoryRefreshTokens implements RefreshTokenStore {
  readonly byHash = new Map<string, RefreshTokenRecord>();
  async insert(token: RefreshTokenRecord): Promise<void> {
    this.byHash.set(token.hash, { ...token });
  }
  async find(hash: string): Promise<RefreshTokenRecord | undefined> {
    const t = this.byHash.get(hash);
    return t ? { ...t } : undefined;
  }
  async rotate(hash: string, now: number): Promise<RotateOutcome> {
    const t = this.byHash.get(hash);
    if (!t) return { outcome: 'unknown' };
    if (t.rotatedAt !== null) return { outcome: 'reused', token: { ...t } };
    if (t.expiresAt <= now) return { outcome: 'expired', token: { ...t } };
    t.rotatedAt = now;
    return { outcome: 'rotated', token: { ...t } };
  }
}

export class MemoryDeviceCodes implements DeviceCodeStore {
  readonly byHash = new Map<string, DeviceCodeRecord>();
  async insert(record: DeviceCodeRecord): Promise<boolean> {
    if ([...this.byHash.values()].some((r) => r.userCode === record.userCode && r.expiresAt > record.createdAt)) return false;
    this.byHash.set(record.hash, structuredClone(record));
    return true;
  }
  async findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | undefined> {
    const r = [...this.byHash.values()].find((x) => x.userCode === userCode && x.expiresAt > now);
    return r ? structuredClone(r) : undefined;
  }
  async poll(hash: string, now: number, slowDownBy: number, toleranceMs: number): Promise<PollOutcome> {
    const r = this.byHash.get(hash);
    if (!r) return { outcome: 'unknown' };
    const onTime = r.lastPolledAt === null || r.lastPolledAt + r.interval * 1000 - toleranceMs <= now;
    r.lastPolledAt = now;
    if (!onTime) r.interval += slowDownBy;
    return { outcome: onTime ? 'ok' : 'too_fast', record: structuredClone(r) };
  }
  async decide(userCode: string, decision: { status: 'approved' | 'denied'; userId: string; grantId: string | null }, now: number): Promise<boolean> {
    const r = [...this.byHash.values()].find((x) => x.userCode === userCode);
    if (r?.status !== 'pending' || r.expiresAt <= now) return false;
    r.status = decision.status;
    r.userId = decision.userId;
    r.grantId = decision.grantId;
    return true;
  }
  async redeem(hash: string): Promise<boolean> {
    const r = this.byHash.get(hash);
    if (r?.status !== 'approved') return false;
    r.status = 'redeemed';
    return true;
  }
  async denyForClient(clientKey: string): Promise<number> {
    let n = 0;
    for (const r of this.byHash.values()) {
      if (r.clientKey === clientKey && (r.status === 'pending' || r.status === 'approved')) {
        r.status = 'denied';
        n++;
      }
    }
    return n;
  }
}

/** Fixed-window counters, as the adapters keep them. */
export class MemoryThrottle implements ThrottleStore {
  readonly windows = new Map<string, { start: number; hits: number }>();
  async hit(key: string, now: number, windowMs: number, by = 1): Promise<number> {
    const w = this.windows.get(key);
    if (!w || w.start < now - windowMs) {
      this.windows.set(key, { start: now, hits: by });
      return by;
    }
    w.hits += by;
    return w.hits;
  }
  async count(key: string, now: number, windowMs: number): Promise<number> {
    const w = this.windows.get(key);
    return !w || w.start < now - windowMs ? 0 : w.hits;
  }
  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }
}

export class MemoryConsents implements ConsentPort {
  readonly granted = new Map<string, string[]>();
  async get(userId: string, clientKey: string): Promise<string[] | undefined> {
    return this.granted.get(`${userId}\n${clientKey}`);
  }
  async grant(userId: string, clientKey: string, scopes: string[]): Promise<void> {
    const k = `${userId}\n${clientKey}`;
    this.granted.set(k, [...new Set([...(this.granted.get(k) ?? []), ...scopes])]);
  }
}

export class MemorySigningKeys implements SigningKeyStore {
  rows: StoredSigningKey[] = [];
  async list(): Promise<StoredSigningKey[]> {
    return this.rows.map((r) => ({ ...r }));
  }
  async insert(key: StoredSigningKey): Promise<void> {
    this.rows.push({ ...key });
  }
  async retireOthers(alg: string, keepKid: string, at: number): Promise<number> {
    let n = 0;
    for (const r of this.rows) {
      if (r.alg === alg && r.kid !== keepKid && r.retiredAt === null) {
        r.retiredAt = at;
        n++;
      }
    }
    return n;
  }
  async purgeRetired(before: number): Promise<number> {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => r.retiredAt === null || r.retiredAt >= before);
    return n - this.rows.length;
  }
}

/** A key ring over in-memory keys, sealed by FakeSecrets. */
export function memoryKeyRing(clock: Clock): KeyRing {
  return new KeyRing({ store: new MemorySigningKeys(), secrets: new FakeSecrets(), clock, retainRetiredMs: 3_600_000 });
}

/** A security event sink that keeps what it is told. */
export function recordingEvents(): { sink: SecurityEventSink; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return {
    events,
    sink: async (e) => {
      events.push(e);
    },
  };
}

/** The password check, answering each attempt with the next scripted outcome (the last one repeats). */
export class ScriptedPasswords implements PasswordCheck {
  readonly attempts: PasswordAttempt[] = [];
  private readonly outcomes: PasswordOutcome[];
  constructor(...outcomes: PasswordOutcome[]) {
    this.outcomes = outcomes;
  }
  async check(attempt: PasswordAttempt): Promise<PasswordOutcome> {
    this.attempts.push(attempt);
    const next = this.outcomes.length > 1 ? this.outcomes.shift() : this.outcomes[0];
    if (!next) throw new Error('no scripted password outcome');
    return next;
  }
}

export const TEST_ISSUER = 'https://as.example';

export const TEST_SETTINGS: OAuth2Settings = {
  issuer: TEST_ISSUER,
  accessTokenTtl: 3600,
  codeTtl: 60,
  refreshTokenTtl: 86_400,
  refreshReuseGrace: 10,
  deviceCodeTtl: 600,
  deviceInterval: 5,
  userCodeThrottleLimit: 5,
  signingAlg: 'ES256',
};

/** The full OAuth 2.0 dependencies over the fakes above, typed by their fake classes so tests can read them. */
export interface FakeOAuth2Deps extends OAuth2Deps {
  clock: FakeClock;
  random: CountingRandom;
  clients: MemoryClients;
  users: MemoryUsers;
  secrets: FakeSecrets;
  grants: MemoryGrants;
  refreshTokens: MemoryRefreshTokens;
  deviceCodes: MemoryDeviceCodes;
  codes: MemoryOneTime;
  throttle: MemoryThrottle;
  consents: MemoryConsents;
  passwords: ScriptedPasswords;
  /** What `events` was told. */
  recorded: SecurityEvent[];
}

export function fakeOAuth2Deps(
  o: { clients?: Client[]; users?: User[]; settings?: Partial<OAuth2Settings>; passwords?: ScriptedPasswords } = {},
): FakeOAuth2Deps {
  const clock = new FakeClock();
  const random = new CountingRandom();
  const clients = new MemoryClients(...(o.clients ?? []));
  const users = new MemoryUsers(...(o.users ?? []));
  const { sink, events } = recordingEvents();
  const revoked = new Map<string, number>();
  return {
    settings: { ...TEST_SETTINGS, ...o.settings },
    clock,
    random,
    clients,
    users,
    secrets: new FakeSecrets(),
    grants: new MemoryGrants(clients, users),
    refreshTokens: new MemoryRefreshTokens(),
    deviceCodes: new MemoryDeviceCodes(),
    codes: new MemoryOneTime(),
    throttle: new MemoryThrottle(),
    events: sink,
    recorded: events,
    revokedTokens: {
      add: async (jti, at) => {
        revoked.set(jti, at);
      },
      revokedAt: async (jti) => revoked.get(jti) ?? null,
    },
    consents: new MemoryConsents(),
    accessTokens: new AccessTokens({ keys: memoryKeyRing(clock), clock, random, issuer: TEST_ISSUER, audience: `${TEST_ISSUER}/api` }),
    scopes: new ScopeCatalog(),
    passwords: o.passwords ?? new ScriptedPasswords({ kind: 'wrong' }),
  };
}

export class MemoryTemporaries implements TemporaryCredentialStore {
  readonly byHash = new Map<string, TemporaryCredential>();
  async insert(t: TemporaryCredential): Promise<void> {
    this.byHash.set(t.tokenHash, { ...t });
  }
  async get(tokenHash: string): Promise<TemporaryCredential | undefined> {
    const t = this.byHash.get(tokenHash);
    return t ? { ...t } : undefined;
  }
  async authorize(tokenHash: string, userId: string, verifierHash: string, now: number): Promise<boolean> {
    const t = this.byHash.get(tokenHash);
    if (!t || t.userId !== null || t.usedAt !== null || t.expiresAt <= now) return false;
    Object.assign(t, { userId, verifierHash, authorizedAt: now });
    return true;
  }
  async consume(tokenHash: string, now: number): Promise<boolean> {
    const t = this.byHash.get(tokenHash);
    if (!t || t.usedAt !== null || t.authorizedAt === null || t.expiresAt <= now) return false;
    t.usedAt = now;
    return true;
  }
  async remove(tokenHash: string): Promise<void> {
    this.byHash.delete(tokenHash);
  }
  private removeWhere(match: (t: TemporaryCredential) => boolean): number {
    let n = 0;
    for (const [k, t] of this.byHash) {
      if (match(t)) {
        this.byHash.delete(k);
        n++;
      }
    }
    return n;
  }
  async removeForClient(clientKey: string): Promise<number> {
    return this.removeWhere((t) => t.clientKey === clientKey);
  }
  async removeForUser(userId: string): Promise<number> {
    return this.removeWhere((t) => t.userId === userId);
  }
  async removeForUserAndClient(userId: string, clientKey: string): Promise<number> {
    return this.removeWhere((t) => t.userId === userId && t.clientKey === clientKey);
  }
  async purgeExpired(before: number, batch: number): Promise<number> {
    const victims = [...this.byHash.values()].filter((t) => t.expiresAt < before).slice(0, batch);
    for (const t of victims) this.byHash.delete(t.tokenHash);
    return victims.length;
  }
}

export class MemoryTokenCredentials implements TokenCredentialStore {
  readonly byHash = new Map<string, TokenCredential>();
  async insert(t: TokenCredential): Promise<void> {
    this.byHash.set(t.tokenHash, { ...t });
  }
  async get(tokenHash: string): Promise<TokenCredential | undefined> {
    const t = this.byHash.get(tokenHash);
    return t ? { ...t } : undefined;
  }
  private removeWhere(match: (t: TokenCredential) => boolean): number {
    let n = 0;
    for (const [k, t] of this.byHash) {
      if (match(t)) {
        this.byHash.delete(k);
        n++;
      }
    }
    return n;
  }
  async removeForClient(clientKey: string): Promise<number> {
    return this.removeWhere((t) => t.clientKey === clientKey);
  }
  async removeForUser(userId: string): Promise<number> {
    return this.removeWhere((t) => t.userId === userId);
  }
  async removeForUserAndClient(userId: string, clientKey: string): Promise<number> {
    return this.removeWhere((t) => t.userId === userId && t.clientKey === clientKey);
  }
}

/** Nonces remembered until they expire, once each. */
export class MemoryNonces implements NonceStore {
  readonly seen = new Map<string, number>();
  constructor(private readonly clock: Clock) {}
  async remember(key: string, expiresAt: number): Promise<boolean> {
    const until = this.seen.get(key);
    if (until !== undefined && until > this.clock.now()) return false;
    this.seen.set(key, expiresAt);
    return true;
  }
}

export interface FakeOAuth1Deps extends OAuth1Deps {
  clock: FakeClock;
  random: CountingRandom;
  clients: MemoryClients;
  users: MemoryUsers;
  temporaries: MemoryTemporaries;
  tokens: MemoryTokenCredentials;
  nonces: MemoryNonces;
  sealer: FakeSecrets;
  /** Consumers `touchClient` was called for. */
  touchedClients: string[];
  recorded: SecurityEvent[];
}

export function fakeOAuth1Deps(o: { clients?: Client[]; users?: User[] } = {}): FakeOAuth1Deps {
  const clock = new FakeClock();
  const sealer = new FakeSecrets();
  const touchedClients: string[] = [];
  const { sink, events } = recordingEvents();
  return {
    clock,
    random: new CountingRandom(),
    clients: new MemoryClients(...(o.clients ?? [])),
    users: new MemoryUsers(...(o.users ?? [])),
    temporaries: new MemoryTemporaries(),
    tokens: new MemoryTokenCredentials(),
    nonces: new MemoryNonces(clock),
    sealer,
    timestampWindow: 300,
    dummies: makeDummies(sealer, () => 'dummy'),
    events: sink,
    recorded: events,
    temporaryTtl: 600,
    realm: TEST_ISSUER,
    touchClient: (key) => {
      touchedClients.push(key);
    },
    touchedClients,
  };
}

/**
 * Stores temporary credentials (RFC 5849 §2.1) as request_token leaves them: under the hash of
 * `token`, the secret sealed, `app`'s, for a callback, unanswered and lasting the deps' TTL. An
 * `authorizedBy` user and `verifier` make them authorized (§2.2).
 */
export async function putTemporary(
  deps: FakeOAuth1Deps,
  o: { token: string; secret: string } & Partial<Omit<TemporaryCredential, 'tokenHash' | 'secretSealed' | 'verifierHash'>> & { verifier?: string },
): Promise<TemporaryCredential> {
  const tokenHash = sha256Hex(o.token);
  const now = deps.clock.now();
  const t: TemporaryCredential = {
    tokenHash,
    clientKey: o.clientKey ?? 'app',
    secretSealed: deps.sealer.seal(o.secret, temporaryContext(tokenHash)),
    callback: o.callback ?? 'https://app.example/cb',
    createdAt: o.createdAt ?? now,
    expiresAt: o.expiresAt ?? now + deps.temporaryTtl * 1000,
    userId: o.userId ?? null,
    verifierHash: o.verifier === undefined ? null : sha256Hex(o.verifier),
    authorizedAt: o.authorizedAt ?? (o.userId ? now : null),
    usedAt: o.usedAt ?? null,
  };
  await deps.temporaries.insert(t);
  return t;
}

/** Stores token credentials (RFC 5849 §2.3) of `app` for a user, under the hash of `token`, the secret sealed. */
export async function putTokenCredential(
  deps: FakeOAuth1Deps,
  o: { token: string; secret: string; clientKey?: string; userId?: string },
): Promise<TokenCredential> {
  const tokenHash = sha256Hex(o.token);
  const t: TokenCredential = {
    tokenHash,
    clientKey: o.clientKey ?? 'app',
    userId: o.userId ?? 'u1',
    secretSealed: deps.sealer.seal(o.secret, tokenContext(tokenHash)),
    createdAt: deps.clock.now(),
  };
  await deps.tokens.insert(t);
  return t;
}

/** The scopes OpenID Connect adds to the catalog (OIDC Core §5.4, §11), for OIDC clients only. */
export const OIDC_TEST_SCOPES = ['openid', 'email', 'phone', 'address', 'offline_access'] as const;

/** What the OIDC authorization rules need, over the OAuth 2.0 fakes (their clock, keys and events); adds the OIDC scopes. */
export interface FakeOidcAuthorizeDeps extends OidcAuthorizeDeps {
  oneTime: MemoryOneTime;
}

export function fakeOidcAuthorizeDeps(oauth2: FakeOAuth2Deps, o: { idTokenTtl?: number } = {}): FakeOidcAuthorizeDeps {
  for (const name of OIDC_TEST_SCOPES) oauth2.scopes.add({ name, description: `The ${name} scope.`, clientTypes: ['oidc'] });
  const ttlSeconds = o.idTokenTtl ?? 300;
  return {
    clock: oauth2.clock,
    secrets: oauth2.secrets,
    idTokens: new IdTokens({ keys: memoryKeyRing(oauth2.clock), clock: oauth2.clock, random: oauth2.random, issuer: TEST_ISSUER, ttlSeconds }),
    oneTime: new MemoryOneTime(),
    settings: { idTokenTtl: ttlSeconds },
    events: oauth2.events,
  };
}
