import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { Random } from '../ports.js';
import { aUser } from '../testing/builders.js';
import { FakeClock, MemoryUsers } from '../testing/fakes.js';
import {
  base62,
  crc32,
  DAY_MS,
  hashPat,
  isWellFormedPat,
  LastUseBatcher,
  mayCreatePats,
  mintPatValue,
  PAT_LENGTH,
  PatError,
  type PatListQuery,
  type PatPolicy,
  type PersonalAccessToken,
  type PersonalAccessTokenStore,
  PersonalAccessTokens,
  parseLifetime,
  patChecksum,
  patExpiry,
  patPermissions,
  randomBase62,
} from './personal-access-tokens.js';

const realRandom: Random = { bytes: (n) => randomBytes(n) };
const POLICY: PatPolicy = { defaultLifetimeMs: 90 * DAY_MS, maxLifetimeMs: 365 * DAY_MS, creators: 'all' };

class MemoryPats implements PersonalAccessTokenStore {
  rows = new Map<string, PersonalAccessToken>();
  hashLookups = 0;
  writes: Array<ReadonlyArray<{ id: string; at: number }>> = [];
  async insert(t: PersonalAccessToken) {
    this.rows.set(t.id, { ...t });
  }
  async get(id: string) {
    const t = this.rows.get(id);
    return t ? { ...t } : undefined;
  }
  async findByHash(h: string) {
    this.hashLookups++;
    const t = [...this.rows.values()].find((x) => x.tokenHash === h);
    return t ? { ...t } : undefined;
  }
  async list(q: PatListQuery) {
    const items = [...this.rows.values()].filter((t) => q.userId === undefined || t.userId === q.userId);
    return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
  }
  async revoke(id: string, at: number, by: string) {
    const t = this.rows.get(id);
    if (!t || t.revokedAt !== null) return false;
    t.revokedAt = at;
    t.revokedBy = by;
    return true;
  }
  async revokeForUser(userId: string, at: number, by: string) {
    let n = 0;
    for (const t of this.rows.values()) if (t.userId === userId && t.revokedAt === null && (await this.revoke(t.id, at, by))) n++;
    return n;
  }
  async touchLastUsed(uses: ReadonlyArray<{ id: string; at: number }>) {
    this.writes.push(uses);
    for (const u of uses) {
      const t = this.rows.get(u.id);
      if (t) t.lastUsedAt = Math.max(t.lastUsedAt ?? 0, u.at);
    }
  }
}

function service(policy: PatPolicy = POLICY) {
  const clock = new FakeClock();
  const store = new MemoryPats();
  const alice = aUser().with({ id: 'u-alice', username: 'alice' }).withRoles('server_administrator').build();
  const users = new MemoryUsers(alice);
  const audit: Array<{ action: string; details: Record<string, unknown> }> = [];
  const lastUse = new LastUseBatcher((uses) => store.touchLastUsed(uses), 60_000);
  const pats = new PersonalAccessTokens({ store, users, audit: { append: async (e) => void audit.push(e) }, clock, random: realRandom, policy, lastUse });
  return { clock, store, users, alice, audit, pats, lastUse };
}

const actor = { name: 'alice', source: '127.0.0.1' };

describe('personal access token format', () => {
  it('computes the CRC-32 zlib computes', () => {
    for (const text of ['', 'a', 'lkpat_abc', 'The quick brown fox jumps over the lazy dog']) assert.equal(crc32(text), zlibCrc32(text), text);
    assert.equal(crc32('123456789'), 0xcbf43926, 'the CRC-32 check value');
  });

  it('writes base62 with padding, and six digits hold every CRC-32', () => {
    assert.equal(base62(0, 6), '000000');
    assert.equal(base62(61, 2), '0z');
    assert.equal(base62(62, 2), '10');
    assert.equal(base62(0xffffffff, 6), '4gfFC3');
    assert.ok(62 ** 6 > 2 ** 32);
  });

  it('mints lkpat_ + 32 random base62 digits + a 6-digit checksum of what precedes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = mintPatValue(realRandom);
      assert.match(t, /^lkpat_[0-9A-Za-z]{38}$/);
      assert.equal(t.length, PAT_LENGTH);
      assert.equal(t.slice(-6), patChecksum(t.slice(0, -6)));
      assert.equal(t.slice(-6), base62(zlibCrc32(t.slice(0, -6)), 6));
      assert.ok(isWellFormedPat(t));
      seen.add(t);
    }
    assert.equal(seen.size, 200);
  });

  it('refuses a changed digit, a wrong prefix, a wrong length or foreign characters', () => {
    const t = mintPatValue(realRandom);
    const i = 10;
    const flipped = t.slice(0, i) + (t[i] === 'a' ? 'b' : 'a') + t.slice(i + 1);
    assert.equal(isWellFormedPat(flipped), false, 'one random digit changed');
    const badSum = t.slice(0, -1) + (t.endsWith('0') ? '1' : '0');
    assert.equal(isWellFormedPat(badSum), false, 'one checksum digit changed');
    assert.equal(isWellFormedPat(`lkpax_${t.slice(6)}`), false);
    assert.equal(isWellFormedPat(t.slice(0, -1)), false);
    assert.equal(isWellFormedPat(`${t}0`), false);
    assert.equal(isWellFormedPat(`${t.slice(0, 20)}-${t.slice(21)}`), false);
    assert.equal(isWellFormedPat(''), false);
  });

  it('draws base62 digits evenly from the random bytes, skipping bytes of 248 and above', () => {
    let calls = 0;
    const skewed: Random = {
      bytes: (n) => {
        calls++;
        return Buffer.alloc(n, calls === 1 ? 250 : 63);
      },
    };
    assert.equal(randomBase62(skewed, 4), '1111', 'the 250s are dropped, 63 % 62 = 1');
    assert.equal(calls, 2);
  });

  it('hashes with SHA-256, hex', () => {
    assert.equal(hashPat('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('personal access token policy', () => {
  it('parses lifetimes in days, hours, minutes and seconds', () => {
    assert.equal(parseLifetime('90d'), 90 * DAY_MS);
    assert.equal(parseLifetime('12h'), 12 * 3_600_000);
    assert.equal(parseLifetime('30m'), 1_800_000);
    assert.equal(parseLifetime('3600'), 3_600_000);
    for (const bad of ['', '0d', '-1d', '1w', '1.5d', 'd']) assert.equal(parseLifetime(bad), undefined, bad);
  });

  it('defaults to 90 days and refuses more than the maximum', () => {
    assert.deepEqual(patExpiry(1000, undefined, POLICY), { ok: true, expiresAt: 1000 + 90 * DAY_MS });
    assert.deepEqual(patExpiry(1000, 365 * DAY_MS, POLICY), { ok: true, expiresAt: 1000 + 365 * DAY_MS });
    const over = patExpiry(1000, 365 * DAY_MS + 1, POLICY);
    assert.equal(over.ok, false);
  });

  it('lets every user create tokens by default, or only holders of the listed roles (groups count)', () => {
    const plain = aUser().withRoles().build();
    const manager = aUser().withRoles('user_manager').build();
    const viaGroup = aUser()
      .withRoles()
      .with({ groupRoles: ['user_manager'] })
      .build();
    assert.equal(mayCreatePats(plain, POLICY), true);
    const only = { ...POLICY, creators: ['user_manager'] };
    assert.equal(mayCreatePats(plain, only), false);
    assert.equal(mayCreatePats(manager, only), true);
    assert.equal(mayCreatePats(viaGroup, only), true);
    assert.equal(mayCreatePats(manager, { ...POLICY, creators: [] }), false);
  });

  it('gives permissions only with latchkey:admin, and only the owner’s current ones', () => {
    const admin = aUser().withRoles('server_administrator', 'user_manager').build();
    assert.deepEqual([...patPermissions(admin, ['profile'])], []);
    assert.deepEqual([...patPermissions(admin, ['latchkey:admin'])].sort(), ['configure_server', 'manage_users']);
    assert.deepEqual([...patPermissions({ ...admin, roles: ['user_manager'] }, ['latchkey:admin'])], ['manage_users']);
  });
});

describe('personal access token service', () => {
  it('creates a token shown once, stores only its hash, and audits without the value', async () => {
    const { pats, store, alice, audit, clock } = service();
    const { value, token } = await pats.create(alice, { name: ' laptop ', scopes: ['profile', 'profile'] }, actor);
    assert.ok(isWellFormedPat(value));
    assert.equal(token.name, 'laptop');
    assert.deepEqual(token.scopes, ['profile']);
    assert.equal(token.expiresAt, clock.now() + 90 * DAY_MS);
    const stored = [...store.rows.values()];
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.tokenHash, hashPat(value));
    assert.ok(!JSON.stringify(stored).includes(value));
    assert.equal(audit[0]?.action, 'pat.create');
    assert.ok(!JSON.stringify(audit).includes(value.slice(6, 38)));
  });

  it('refuses unknown scopes, no scope, an empty name, too long a lifetime and the policy', async () => {
    const { pats, alice } = service();
    const refused = async (p: Promise<unknown>, code: string) => await assert.rejects(p, (e) => e instanceof PatError && e.code === code);
    await refused(pats.create(alice, { name: 'x', scopes: ['openid'] }, actor), 'invalid_scope');
    await refused(pats.create(alice, { name: 'x', scopes: [] }, actor), 'invalid_request');
    await refused(pats.create(alice, { name: '  ', scopes: ['profile'] }, actor), 'invalid_request');
    await refused(pats.create(alice, { name: 'x', scopes: ['profile'], expiresInMs: 366 * DAY_MS }, actor), 'invalid_request');
    await refused(service({ ...POLICY, creators: ['user_manager'] }).pats.create(alice, { name: 'x', scopes: ['profile'] }, actor), 'forbidden');
  });

  it('authenticates a live token; a bad checksum costs no lookup', async () => {
    const { pats, store, alice } = service();
    const { value, token } = await pats.create(alice, { name: 'ci', scopes: ['latchkey:admin'] }, actor);
    const use = await pats.authenticate(value);
    assert.equal(use?.user.id, alice.id);
    assert.equal(use?.token.id, token.id);
    assert.deepEqual([...(use?.permissions ?? [])], ['configure_server']);
    const lookups = store.hashLookups;
    assert.equal(await pats.authenticate(`${value.slice(0, -1)}${value.endsWith('0') ? '1' : '0'}`), null);
    assert.equal(await pats.authenticate('lkpat_nonsense'), null);
    assert.equal(store.hashLookups, lookups, 'no query for a malformed token');
    // A well-formed token that was never issued is looked up and refused.
    assert.equal(await pats.authenticate(mintPatValue(realRandom)), null);
    assert.equal(store.hashLookups, lookups + 1);
  });

  it('refuses an expired or revoked token, and one of a disabled user', async () => {
    const { pats, alice, clock, users } = service();
    const a = await pats.create(alice, { name: 'a', scopes: ['profile'], expiresInMs: 3_600_000 }, actor);
    clock.advance(3_600_000 - 1);
    assert.ok(await pats.authenticate(a.value));
    clock.advance(1);
    assert.equal(await pats.authenticate(a.value), null, 'expired at its expiry time');
    const b = await pats.create(alice, { name: 'b', scopes: ['profile'] }, actor);
    users.put({ ...alice, enabled: false });
    assert.equal(await pats.authenticate(b.value), null);
    users.put(alice);
    assert.ok(await pats.authenticate(b.value));
    await pats.revoke(b.token.id, actor);
    assert.equal(await pats.authenticate(b.value), null);
  });

  it('reads the owner’s permissions at each use', async () => {
    const { pats, alice, users } = service();
    const { value } = await pats.create(alice, { name: 'a', scopes: ['latchkey:admin'] }, actor);
    assert.ok((await pats.authenticate(value))?.permissions.has('configure_server'));
    users.put({ ...alice, roles: [] });
    assert.equal((await pats.authenticate(value))?.permissions.size, 0);
  });

  it('revokes only the owner’s token when an owner is named, and audits it once', async () => {
    const { pats, alice, audit } = service();
    const { token } = await pats.create(alice, { name: 'a', scopes: ['profile'] }, actor);
    await assert.rejects(pats.revoke(token.id, actor, 'someone-else'), (e) => e instanceof PatError && e.status === 404);
    const revoked = await pats.revoke(token.id, actor, alice.id);
    assert.equal(revoked.revokedBy, 'alice');
    await pats.revoke(token.id, actor);
    assert.equal(audit.filter((e) => e.action === 'pat.revoke').length, 1);
  });

  it('revokes every token of a user', async () => {
    const { pats, alice } = service();
    const a = await pats.create(alice, { name: 'a', scopes: ['profile'] }, actor);
    const b = await pats.create(alice, { name: 'b', scopes: ['profile'] }, actor);
    assert.equal(await pats.revokeForUser(alice.id, 'user_disabled'), 2);
    assert.equal(await pats.authenticate(a.value), null);
    assert.equal(await pats.authenticate(b.value), null);
    assert.equal((await pats.get(a.token.id))?.revokedBy, 'user_disabled');
  });

  it('records last use in memory and writes it in one batch', async () => {
    const { pats, alice, store, clock } = service();
    const { value, token } = await pats.create(alice, { name: 'a', scopes: ['profile'] }, actor);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await pats.authenticate(value);
    }
    assert.equal(store.writes.length, 0, 'no write per request');
    assert.equal((await pats.get(token.id))?.lastUsedAt, clock.now(), 'listings see the pending use');
    await pats.flushLastUse();
    assert.deepEqual(store.writes, [[{ id: token.id, at: clock.now() }]]);
    assert.equal(store.rows.get(token.id)?.lastUsedAt, clock.now());
    await pats.close();
    assert.equal(store.writes.length, 1, 'nothing left to write');
  });

  it('keeps last uses for the next flush when the write fails', async () => {
    let fail = true;
    const written: Array<{ id: string; at: number }> = [];
    const b = new LastUseBatcher(async (uses) => {
      if (fail) throw new Error('down');
      written.push(...uses);
    }, 60_000);
    b.record('t1', 5);
    await b.flush();
    fail = false;
    b.record('t1', 3);
    await b.close();
    assert.deepEqual(written, [{ id: 't1', at: 5 }]);
  });
});
