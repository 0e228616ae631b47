import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import type { StoredSession } from '../../core/sessions/ports.js';
import { KyselyConsentStore, KyselySessionStore } from '../kysely/session-store.js';
import { type ContractDatabases, client, contractVariants, openDatabases, pastExternalCheck, transactionRival, user } from './harness.js';

/**
 * The sign-in session and consent adapters: sessions by the hash of their cookie, expiring, ended
 * per user with each ended sid reported once (back-channel logout tells each client once), and
 * consent merged per user and client.
 */
for (const variant of contractVariants()) {
  describe(`session storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let f: Stores;
    let sessions: KyselySessionStore;
    let sessions2: KyselySessionStore;
    let consents: KyselyConsentStore;
    let consents2: KyselyConsentStore;

    const session = (idHash: string, over: Partial<StoredSession> = {}): StoredSession => ({
      idHash,
      sid: `sid-${idHash}`,
      userId: 'u1',
      csrfToken: `csrf-${idHash}`,
      authTime: 1_000,
      createdAt: 1_000,
      expiresAt: 100_000,
      persistent: false,
      ...over,
    });

    before(async () => {
      opened = await openDatabases(variant);
      f = kyselyStores(opened.database);
      sessions = new KyselySessionStore(opened.database.db);
      sessions2 = new KyselySessionStore(opened.second.db);
      consents = new KyselyConsentStore(opened.database.db);
      consents2 = new KyselyConsentStore(opened.second.db);
      for (const [id, name] of [
        ['u1', 'alice'],
        ['u2', 'bob'],
        ['u3', 'carol'],
      ] as const)
        await f.users.insert(user(id, name));
      for (const key of ['c1', 'c2']) await f.clients.insert(client(key, { status: 'approved' }));
    });
    after(() => opened.close());

    it('stores a session with every field intact, found by hash and by sid until it expires', async () => {
      const s = session('h-full', { persistent: true, authTime: 900 });
      await sessions.create(s);
      assert.deepEqual(await sessions2.get('h-full', 99_999), s);
      assert.deepEqual(await sessions2.getBySid('sid-h-full', 99_999), s);
      assert.equal(await sessions.get('h-full', 100_000), undefined, 'not at its expiry time');
      assert.equal(await sessions.getBySid('sid-h-full', 100_000), undefined);
      assert.equal(await sessions.get('h-none', 1), undefined);
      assert.equal(await sessions.getBySid('sid-none', 1), undefined);
      await sessions.create(session('h-brief'));
      assert.equal((await sessions.get('h-brief', 2_000))?.persistent, false);
    });

    it('refuses a second session with the same hash or sid', async () => {
      await assert.rejects(sessions2.create(session('h-full', { sid: 'sid-other' })), /UNIQUE constraint failed|duplicate key value/);
      await assert.rejects(sessions2.create(session('h-other', { sid: 'sid-h-full' })), /UNIQUE constraint failed|duplicate key value/);
      await assert.rejects(sessions.create(session('h-orphan', { userId: 'nobody' })), /FOREIGN KEY constraint failed|violates foreign key constraint/);
    });

    it('deletes one session, at once for the other instance', async () => {
      await sessions.create(session('h-del'));
      assert.equal((await sessions2.get('h-del', 2_000))?.sid, 'sid-h-del');
      await sessions.delete('h-del');
      await pastExternalCheck();
      assert.equal(await sessions2.get('h-del', 2_000), undefined);
      assert.equal(await sessions2.getBySid('sid-h-del', 2_000), undefined);
      await sessions.delete('h-del');
    });

    it('ends every session of a user but the one kept, and returns the sids it ended', async () => {
      for (const h of ['a', 'b', 'c']) await sessions.create(session(`u2-${h}`, { userId: 'u2' }));
      await sessions.create(session('u3-a', { userId: 'u3' }));
      assert.deepEqual((await sessions.deleteForUser('u2', 'sid-u2-b')).sort(), ['sid-u2-a', 'sid-u2-c']);
      assert.equal((await sessions2.get('u2-b', 2_000))?.sid, 'sid-u2-b', 'the one kept');
      assert.equal(await sessions2.get('u2-a', 2_000), undefined);
      assert.deepEqual(await sessions.deleteForUser('u2'), ['sid-u2-b']);
      assert.deepEqual(await sessions.deleteForUser('u2'), []);
      assert.equal((await sessions.get('u3-a', 2_000))?.userId, 'u3', 'another user’s stay');
    });

    it('reports each ended session once when two instances end a user’s sessions together', async () => {
      const sids = Array.from({ length: 12 }, (_, i) => `sid-race-${i}`);
      for (const [i, sid] of sids.entries()) await sessions.create(session(`race-${i}`, { sid, userId: 'u3' }));
      const ended = await Promise.all([sessions.deleteForUser('u3'), sessions2.deleteForUser('u3'), sessions.deleteForUser('u3', 'sid-race-0')]);
      const all = ended.flat();
      assert.deepEqual([...all].sort(), [...sids, 'sid-u3-a'].sort(), 'every session ended, none reported twice');
    });

    it('purges expired sessions in batches, and only those', async () => {
      await sessions.purgeExpired(500_000, 1_000); // what the earlier cases left
      for (let i = 0; i < 3; i++) await sessions.create(session(`old-${i}`, { expiresAt: 500_000 + i }));
      await sessions.create(session('edge', { expiresAt: 600_000 }));
      await sessions.create(session('keep', { expiresAt: 900_000 }));
      assert.equal(await sessions.purgeExpired(600_000, 2), 2);
      assert.equal(await sessions2.purgeExpired(600_000, 10), 1);
      assert.equal(await sessions.purgeExpired(600_000, 10), 0);
      assert.equal((await sessions.get('edge', 1))?.expiresAt, 600_000);
      assert.equal((await sessions.get('keep', 1))?.expiresAt, 900_000);
    });

    it('ends a user’s sessions with the user', async () => {
      await f.users.insert(user('u-gone', 'dave'));
      await sessions.create(session('gone', { userId: 'u-gone' }));
      await opened.database.db.deleteFrom('users').where('id', '=', 'u-gone').execute();
      assert.equal(await sessions.get('gone', 2_000), undefined);
    });

    it('remembers consent per user and client, merging scopes, newest first', async () => {
      await consents.grant('u1', 'c1', ['profile'], 10);
      await consents2.grant('u1', 'c1', ['openid', 'profile'], 20);
      assert.deepEqual(await consents.get('u1', 'c1'), { userId: 'u1', clientKey: 'c1', scopes: ['openid', 'profile'], grantedAt: 20 });
      assert.equal(await consents.get('u1', 'c2'), undefined);
      assert.equal(await consents.get('u2', 'c1'), undefined);
      await consents.grant('u1', 'c2', ['email'], 30);
      await consents.grant('u2', 'c1', ['profile'], 40);
      assert.deepEqual(
        (await consents2.listForUser('u1')).map((c) => [c.clientKey, c.scopes, c.grantedAt]),
        [
          ['c2', ['email'], 30],
          ['c1', ['openid', 'profile'], 20],
        ],
      );
      assert.deepEqual(await consents.listForUser('nobody'), []);
    });

    // On PostgreSQL the adapter reads and then upserts under READ COMMITTED, so of two grants made
    // together one may overwrite the other's scopes: kept as a known defect until the adapter
    // merges in one statement.
    it('keeps both scopes of two grants made together', async () => {
      const rival = transactionRival(variant, consents, consents2);
      for (let i = 0; i < 10; i++) {
        await consents.revoke('u3', 'c1');
        await Promise.all([consents.grant('u3', 'c1', ['profile'], 50), rival.grant('u3', 'c1', ['email'], 50)]);
        assert.deepEqual((await consents.get('u3', 'c1'))?.scopes, ['email', 'profile'], `round ${i}`);
      }
    });

    it('revokes consent once, leaving the user’s other clients', async () => {
      assert.equal(await consents.revoke('u1', 'c1'), true);
      assert.equal(await consents2.revoke('u1', 'c1'), false);
      assert.equal(await consents2.get('u1', 'c1'), undefined);
      assert.deepEqual(
        (await consents.listForUser('u1')).map((c) => c.clientKey),
        ['c2'],
      );
    });
  });
}
