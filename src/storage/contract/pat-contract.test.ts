import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import type { PersonalAccessToken } from '../../core/tokens/personal-access-tokens.js';
import { KyselyPatStore } from '../kysely/pat-store.js';
import { type ContractDatabases, contractVariants, openDatabases, pastExternalCheck, user } from './harness.js';

/** Epoch milliseconds of today's order of magnitude: BIGINT columns must read back as numbers. */
const NOW = 1_780_000_000_000;

/**
 * The personal access token adapter: found by hash, listed newest first per user or all, revoked
 * once (alone or all of a user's), with last uses written in one batch that never moves one back.
 * A revocation through one connection is seen through the other (another instance).
 */
for (const variant of contractVariants()) {
  describe(`personal access token storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let f: Stores;
    let pats: KyselyPatStore;
    let pats2: KyselyPatStore;

    const token = (id: string, over: Partial<PersonalAccessToken> = {}): PersonalAccessToken => ({
      id,
      userId: 'u1',
      name: `token ${id}`,
      scopes: ['profile', 'latchkey:admin'],
      tokenHash: `hash-${id}`,
      createdAt: NOW,
      expiresAt: NOW + 86_400_000,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      ...over,
    });

    before(async () => {
      opened = await openDatabases(variant);
      f = kyselyStores(opened.database);
      pats = new KyselyPatStore(opened.database.db);
      pats2 = new KyselyPatStore(opened.second.db);
      await f.users.insert(user('u1', 'alice'));
      await f.users.insert(user('u2', 'bob'));
    });
    after(() => opened.close());

    it('stores a token with every field intact, found by id and by hash', async () => {
      const t = token('t-full', { lastUsedAt: NOW + 5, revokedAt: NOW + 6, revokedBy: 'admin' });
      await pats.insert(t);
      assert.deepEqual(await pats2.get('t-full'), t);
      assert.deepEqual(await pats2.findByHash('hash-t-full'), t);
      assert.equal(await pats.get('t-none'), undefined);
      assert.equal(await pats.findByHash('hash-none'), undefined);
      await assert.rejects(pats.insert(token('t-other', { tokenHash: 'hash-t-full' })), 'a hash is unique');
    });

    it('lists newest first, per user or all, leaving out revoked and expired ones when asked', async () => {
      await pats.insert(token('t-a1', { createdAt: NOW + 10 }));
      await pats.insert(token('t-a2', { createdAt: NOW + 20, expiresAt: NOW + 100 }));
      await pats.insert(token('t-b1', { userId: 'u2', createdAt: NOW + 30 }));
      const alice = await pats.list({ userId: 'u1', limit: 10, offset: 0 });
      assert.deepEqual(
        alice.items.map((t) => t.id),
        ['t-a2', 't-a1', 't-full'],
      );
      assert.equal(alice.total, 3);
      const active = await pats.list({ userId: 'u1', activeAt: NOW + 100, limit: 10, offset: 0 });
      assert.deepEqual(
        active.items.map((t) => t.id),
        ['t-a1'],
        'expired at its expiry time; revoked left out',
      );
      const all = await pats.list({ limit: 2, offset: 0 });
      assert.deepEqual(
        all.items.map((t) => t.id),
        ['t-b1', 't-a2'],
      );
      assert.equal(all.total, 4);
    });

    it('revokes once, and the other connection sees it', async () => {
      await pats.insert(token('t-rev'));
      assert.equal((await pats2.findByHash('hash-t-rev'))?.revokedAt, null);
      assert.equal(await pats.revoke('t-rev', NOW + 1, 'alice'), true);
      assert.equal(await pats.revoke('t-rev', NOW + 2, 'bob'), false, 'already revoked');
      assert.equal(await pats.revoke('t-unknown', NOW + 2, 'bob'), false);
      await pastExternalCheck();
      const seen = await pats2.findByHash('hash-t-rev');
      assert.equal(seen?.revokedAt, NOW + 1);
      assert.equal(seen?.revokedBy, 'alice');
    });

    it("revokes every live token of one user, and no one else's", async () => {
      await pats.insert(token('t-c1', { userId: 'u2' }));
      const before = (await pats.list({ userId: 'u2', limit: 10, offset: 0 })).items.filter((t) => t.revokedAt === null).length;
      assert.equal(before, 2);
      assert.equal(await pats.revokeForUser('u2', NOW + 3, 'user_disabled'), 2);
      assert.equal(await pats.revokeForUser('u2', NOW + 4, 'user_disabled'), 0);
      await pastExternalCheck();
      for (const t of (await pats2.list({ userId: 'u2', limit: 10, offset: 0 })).items) {
        assert.equal(t.revokedAt, NOW + 3);
        assert.equal(t.revokedBy, 'user_disabled');
      }
      assert.equal((await pats2.get('t-a1'))?.revokedAt, null);
    });

    it('writes last uses in one batch, never moving one back', async () => {
      await pats.insert(token('t-u1'));
      await pats.insert(token('t-u2', { lastUsedAt: NOW + 500 }));
      await pats.touchLastUsed([
        { id: 't-u1', at: NOW + 100 },
        { id: 't-u2', at: NOW + 200 },
        { id: 't-unknown', at: NOW + 300 },
      ]);
      await pastExternalCheck();
      assert.equal((await pats2.get('t-u1'))?.lastUsedAt, NOW + 100);
      assert.equal((await pats2.get('t-u2'))?.lastUsedAt, NOW + 500, 'an older use does not replace a newer one');
      await pats.touchLastUsed([{ id: 't-u1', at: NOW + 150 }]);
      assert.equal((await pats.get('t-u1'))?.lastUsedAt, NOW + 150);
      await pats.touchLastUsed([]);
      const many = Array.from({ length: 150 }, (_, i) => ({ id: i === 149 ? 't-u1' : `t-x${i}`, at: NOW + 1000 }));
      await pats.touchLastUsed(many);
      assert.equal((await pats.get('t-u1'))?.lastUsedAt, NOW + 1000, 'beyond one chunk');
    });
  });
}
