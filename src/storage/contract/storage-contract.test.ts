import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import { DuplicateKeyError, type User, type UserProfile } from '../../core/ports.js';
import { type Database, migrate } from '../database.js';
import { KyselyConsentStore } from '../kysely/session-store.js';
import { type ContractDatabases, client, contractVariants, openDatabases, transactionRival, user } from './harness.js';

/**
 * One contract for every storage adapter: each backend (and SQLite with its read cache on and off)
 * must pass the same assertions, including atomic single use when several instances (separate
 * connection pools) race on one row. The other stores' contracts sit beside this file.
 */
for (const variant of contractVariants()) {
  describe(`storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let database: Database;
    let second: Database;
    let s: Stores;
    let s2: Stores;

    before(async () => {
      opened = await openDatabases(variant, { migrated: false });
      ({ database, second } = opened);
      assert.deepEqual(await migrate(database), ['0001-foundation', '0002-sessions', ...(await pendingIds(database))]);
      assert.deepEqual(await migrate(second), [], 'a second migrate applies nothing');
      s = kyselyStores(database);
      s2 = kyselyStores(second);
    });
    after(() => opened.close());

    it('stores and reads a client with every field intact', async () => {
      const c = client('k1', { rsaPublicKey: 'PEM', callbackUrl: null, lastUsedAt: 5 });
      await s.clients.insert(c);
      assert.deepEqual(await s.clients.get('k1'), c);
      assert.equal(await s.clients.get('nope'), undefined);
    });

    it('refuses a duplicate key and never reuses a removed key', async () => {
      await assert.rejects(s.clients.insert(client('k1')), DuplicateKeyError);
      await s.clients.insert(client('gone'));
      assert.equal(await s.clients.remove('gone', 2000), true);
      assert.equal(await s.clients.remove('gone', 2000), false);
      await assert.rejects(s.clients.insert(client('gone')), DuplicateKeyError);
    });

    it('updates, lists, filters, searches, sorts, pages and counts pending', async () => {
      await s.clients.update({ ...client('k1'), status: 'approved', name: 'Alpha dashboard' });
      await s.clients.insert(client('k2', { type: 'oidc', name: 'beta_tool 100%', createdAt: 2000 }));
      await s.clients.insert(client('k3', { type: 'oauth1', name: 'Gamma', createdAt: 3000 }));
      assert.equal((await s.clients.get('k1'))?.status, 'approved');
      const all = await s.clients.list({ limit: 10, offset: 0 });
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.items.map((c) => c.key),
        ['k3', 'k2', 'k1'],
      );
      assert.deepEqual((await s.clients.list({ status: 'pending', limit: 10, offset: 0 })).total, 2);
      assert.deepEqual((await s.clients.list({ type: 'oidc', limit: 10, offset: 0 })).items[0]?.key, 'k2');
      assert.deepEqual((await s.clients.list({ search: 'ALPHA', limit: 10, offset: 0 })).items[0]?.key, 'k1');
      assert.equal((await s.clients.list({ search: '100%', limit: 10, offset: 0 })).total, 1, 'LIKE wildcards are escaped');
      assert.equal((await s.clients.list({ search: '_', limit: 10, offset: 0 })).total, 1, 'underscore is literal');
      assert.equal((await s.clients.list({ search: 'k3', limit: 10, offset: 0 })).items[0]?.key, 'k3', 'exact key');
      const page = await s.clients.list({ sort: 'name', order: 'asc', limit: 1, offset: 1 });
      assert.equal(page.total, 3);
      assert.equal(page.items[0]?.key, 'k2');
      assert.deepEqual(await s.clients.countPending(), { oauth1: 1, oauth2: 0, oidc: 1 });
      // Without a sort, keys waiting for approval come first (newest first within each group).
      await s.clients.insert(client('k4', { status: 'approved', createdAt: 4000 }));
      assert.deepEqual(
        (await s.clients.list({ limit: 10, offset: 0 })).items.map((c) => c.key),
        ['k3', 'k2', 'k4', 'k1'],
      );
      assert.deepEqual(
        (await s.clients.list({ sort: 'status', limit: 10, offset: 0 })).items.map((c) => c.status),
        ['pending', 'pending', 'approved', 'approved'],
      );
      await s.clients.remove('k4', 5000);
    });

    it('touches last use at most once a minute', async () => {
      await s.clients.touchLastUsed('k2', 100_000);
      await s.clients.touchLastUsed('k2', 120_000);
      assert.equal((await s.clients.get('k2'))?.lastUsedAt, 100_000);
      await s.clients.touchLastUsed('k2', 200_000);
      assert.equal((await s.clients.get('k2'))?.lastUsedAt, 200_000);
    });

    it('stores users with roles, case-insensitive unique usernames', async () => {
      await s.users.insert(user('u1', 'Alice'));
      assert.equal((await s.users.findByUsername('ALICE'))?.id, 'u1');
      assert.deepEqual((await s.users.get('u1'))?.roles, ['user_manager']);
      await assert.rejects(s.users.insert(user('u2', 'alice')), DuplicateKeyError);
      await s.users.update({ ...user('u1', 'Alice'), enabled: false, roles: ['server_administrator', 'user_manager'] });
      const u = await s.users.get('u1');
      assert.equal(u?.enabled, false);
      assert.deepEqual(u?.roles, ['server_administrator', 'user_manager']);
      assert.equal(await s.users.count(), 1);
      assert.equal((await s.users.list({ search: 'lic', limit: 5, offset: 0 })).items[0]?.username, 'Alice');
    });

    it('stores every profile field of a user (OIDC Core §5.1), clears them, and reads an unreadable address as none', async () => {
      const profile: UserProfile = {
        givenName: 'Zoë',
        familyName: 'Ng',
        middleName: 'Ann',
        nickname: 'Z',
        profileUrl: 'https://people.example/z',
        pictureUrl: 'https://people.example/z.png',
        websiteUrl: 'https://z.example/',
        gender: 'female',
        birthdate: '0000-02-29',
        zoneinfo: 'Europe/Paris',
        locale: 'fr-FR',
        phoneNumber: '+33123456789;ext=12',
        address: { formatted: '1 rue X\n75001 Paris', streetAddress: '1 rue X', locality: 'Paris', region: 'IDF', postalCode: '75001', country: 'FR' },
      };
      const full: User = { ...user('up', 'zoe'), profile, profileUpdatedAt: 42 };
      await s.users.insert(full);
      assert.deepEqual(await s2.users.get('up'), full);
      assert.deepEqual((await s.users.findByUsername('ZOE'))?.profile, profile);
      assert.deepEqual((await s.users.list({ search: 'zoe', limit: 5, offset: 0 })).items[0], full);
      const cleared: User = { ...full, profile: { givenName: 'Zoë' }, profileUpdatedAt: 43 };
      await s.users.update(cleared);
      assert.deepEqual(await s2.users.get('up'), cleared);
      // A user written without profile fields reads with none, updated_at falling back to updatedAt.
      await s.users.insert(user('np', 'noprofile'));
      assert.deepEqual(await s.users.get('np'), { ...user('np', 'noprofile'), profile: {}, profileUpdatedAt: 1 });
      for (const stored of ['not json', '[1]', '{"locality":7}', 'null']) {
        await database.db.updateTable('users').set({ address: stored }).where('id', '=', 'up').execute();
        assert.deepEqual((await s.users.get('up'))?.profile, { givenName: 'Zoë' }, stored);
      }
    });

    it('appends and lists audit events newest first, filtered', async () => {
      await s.audit.append({ at: 1, actor: 'admin', action: 'client.approve', targetType: 'client', target: 'k1', source: '127.0.0.1', details: { a: 1 } });
      await s.audit.append({ at: 2, actor: 'cli', action: 'client.remove', targetType: 'client', target: 'k9', source: 'cli', details: {} });
      const all = await s.audit.list({ limit: 10, offset: 0 });
      assert.deepEqual(
        all.items.map((e) => e.action),
        ['client.remove', 'client.approve'],
      );
      assert.deepEqual(all.items[1]?.details, { a: 1 });
      assert.equal((await s.audit.list({ target: 'k1', limit: 10, offset: 0 })).total, 1);
      assert.equal((await s.audit.list({ actor: 'cli', limit: 10, offset: 0 })).total, 1);
    });

    it('consumes a one-time artifact exactly once, even when two instances race 50 times', async () => {
      for (let round = 0; round < 50; round++) {
        const id = `code-${round}`;
        assert.equal(await s.oneTime.put('code', id, { round }, 10_000), true);
        const results = await Promise.all([s.oneTime.consume('code', id, 5000), s2.oneTime.consume('code', id, 5000), s.oneTime.consume('code', id, 5000)]);
        const winners = results.filter((r) => r.outcome === 'consumed');
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
        assert.deepEqual(winners[0], { outcome: 'consumed', payload: { round } });
        assert.equal(results.filter((r) => r.outcome === 'replayed').length, 2);
      }
    });

    it('refuses duplicate one-time ids, reports expiry and unknown ids, and purges in batches', async () => {
      assert.equal(await s.oneTime.put('nonce', 'n1', {}, 10_000), true);
      assert.equal(await s2.oneTime.put('nonce', 'n1', {}, 10_000), false);
      assert.deepEqual(await s.oneTime.consume('nonce', 'n1', 20_000), { outcome: 'expired' });
      assert.deepEqual(await s.oneTime.consume('nonce', 'missing', 0), { outcome: 'unknown' });
      for (let i = 0; i < 5; i++) await s.oneTime.put('old', `o${i}`, {}, 100);
      assert.equal(await s.oneTime.purgeExpired(200, 3), 3);
      assert.equal(await s.oneTime.purgeExpired(200, 3), 2);
      assert.equal(await s.oneTime.peek('old', 'o1'), undefined);
    });

    it('counts throttle hits across instances within a window', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? s : s2).throttle.hit('login:x', 1000, 60_000)));
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal(await s2.throttle.count('login:x', 1000, 60_000), 10);
      assert.equal(await s.throttle.count('login:x', 70_000, 60_000), 0, 'window over');
      assert.equal(await s.throttle.hit('login:x', 70_000, 60_000), 1, 'new window starts at 1');
      await s.throttle.reset('login:x');
      assert.equal(await s.throttle.count('login:x', 70_000, 60_000), 0);
    });

    it('keeps sessions by hash, expires them and deletes them per user', async () => {
      await s.users.insert(user('u3', 'bob'));
      const session = { idHash: 'h1', sid: 'sid1', userId: 'u3', csrfToken: 'c', authTime: 1, createdAt: 1, expiresAt: 5000, persistent: true };
      await s.sessions.create(session);
      assert.deepEqual(await s2.sessions.get('h1', 100), session);
      assert.equal((await s.sessions.getBySid('sid1', 100))?.idHash, 'h1');
      assert.equal(await s.sessions.get('h1', 6000), undefined, 'expired');
      await s.sessions.create({ ...session, idHash: 'h2', sid: 'sid2' });
      assert.deepEqual(await s.sessions.deleteForUser('u3', 'sid2'), ['sid1'], 'all but the one kept');
      assert.equal((await s.sessions.get('h2', 100))?.sid, 'sid2');
      assert.deepEqual(await s.sessions.deleteForUser('u3'), ['sid2']);
      assert.equal(await s.sessions.get('h1', 100), undefined);
    });

    it('refuses a user update that would leave no enabled holder of the roles to keep, even when two instances race', async () => {
      const keep = { enabledHolderOf: ['server_administrator'] };
      const a = { ...user('ua', 'ann'), roles: ['server_administrator'] };
      const b = { ...user('ub', 'ben'), roles: ['server_administrator', 'user_manager'] };
      await s.users.insert(a);
      await s.users.insert(b);
      assert.equal(await s.users.countEnabledHolders(['server_administrator']), 2);
      assert.equal(await s.users.countEnabledHolders(['server_administrator'], 'ua'), 1);
      assert.equal(await s.users.countEnabledHolders([]), 0);
      // Two pools on PostgreSQL; one connection's queue on SQLite (see transactionRival).
      const other = transactionRival(variant, s, s2);
      for (let round = 0; round < 10; round++) {
        const results = await Promise.allSettled([s.users.update({ ...a, enabled: false }, keep), other.users.update({ ...b, roles: ['user_manager'] }, keep)]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], `round ${round}`);
        const failed = results.find((r) => r.status === 'rejected');
        assert.equal((failed as PromiseRejectedResult).reason.name, 'LastHolderError');
        assert.equal(await s.users.countEnabledHolders(['server_administrator']), 1);
        await s.users.update(a);
        await s.users.update(b);
      }
      await s.users.update({ ...b, enabled: false }, keep);
      await assert.rejects(s.users.update({ ...a, roles: [] }, keep), { name: 'LastHolderError' });
      assert.deepEqual((await s.users.get('ua'))?.roles, ['server_administrator'], 'nothing was written');
    });

    it('writes a user only if unchanged since read, and sets a password without touching roles or status', async () => {
      const c = { ...user('uc', 'cat'), updatedAt: 10 };
      await s.users.insert(c);
      await s.users.update({ ...c, enabled: false, updatedAt: 11 }, { ifUpdatedAt: 10 });
      // A decision made on the old row is not written.
      await assert.rejects(s2.users.update({ ...c, roles: [], updatedAt: 12 }, { ifUpdatedAt: 10 }), { name: 'StaleWriteError' });
      await assert.rejects(s2.users.setPasswordHash('uc', 'h2', 12, { ifUpdatedAt: 10 }), { name: 'StaleWriteError' });
      await assert.rejects(s.users.update(user('nobody', 'nobody')), { name: 'StaleWriteError' }, 'an unknown user');
      const stored = await s.users.get('uc');
      assert.deepEqual([stored?.enabled, stored?.roles, stored?.passwordHash, stored?.updatedAt], [false, ['user_manager'], 'h', 11]);
      await s2.users.setPasswordHash('uc', 'h3', 12, { ifUpdatedAt: 11 });
      // Read through the writing connection: SQLite's read cache sees another connection's commit
      // within a millisecond, not at once (sqlite-read-cache.ts), and this read would race it.
      const after = await s2.users.get('uc');
      assert.deepEqual([after?.enabled, after?.roles, after?.passwordHash, after?.updatedAt], [false, ['user_manager'], 'h3', 12]);
    });

    it('remembers consent per user and client, merging scopes', async () => {
      const consents = new KyselyConsentStore(database.db);
      await consents.grant('u3', 'k1', ['profile'], 10);
      await consents.grant('u3', 'k1', ['email', 'profile'], 20);
      assert.deepEqual((await consents.get('u3', 'k1'))?.scopes, ['email', 'profile']);
      assert.equal((await consents.listForUser('u3')).length, 1);
      assert.equal(await consents.revoke('u3', 'k1'), true);
      assert.equal(await consents.get('u3', 'k1'), undefined);
    });
  });
}

/** Migrations added after the foundation ones (other modules' tables), so the check stays exact. */
async function pendingIds(_database: Database): Promise<string[]> {
  const { MIGRATIONS } = await import('../migrations/index.js');
  return MIGRATIONS.map((m) => m.id).filter((id) => id !== '0001-foundation' && id !== '0002-sessions');
}

for (const variant of contractVariants()) {
  describe(`hostile values on ${variant.name}`, () => {
    it('looks up keys, usernames and one-time ids holding NUL without failing, and finds nothing', async () => {
      const opened = await openDatabases(variant);
      try {
        const s = kyselyStores(opened.database);
        assert.equal(await s.clients.get('abc\u0000def'), undefined);
        assert.equal(await s.users.findByUsername('admin\u0000'), undefined);
        assert.deepEqual(await s.oneTime.consume('code', 'x\u0000', 1), { outcome: 'unknown' });
        assert.equal((await s.clients.list({ search: '\u0000', limit: 5, offset: 0 })).total, 0);
      } finally {
        await opened.close();
      }
    });
  });
}
