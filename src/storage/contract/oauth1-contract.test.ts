import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import { buildOAuth1, type OAuth1Service } from '../../core/oauth1/install.js';
import type { OAuth1Stores, TemporaryCredential, TokenCredential } from '../../core/oauth1/storage.js';
import { CountingRandom, FakeClock, FakeSecrets } from '../../core/testing/fakes.js';
import { kyselyOAuth1Stores } from '../kysely/oauth1-stores.js';
import { type ContractDatabases, client, contractVariants, openDatabases, user } from './harness.js';

/**
 * The OAuth 1.0a adapters (RFC 5849): temporary credentials authorized once and exchanged once
 * even when two instances race, token credentials, nonces remembered once, cut-offs and purging.
 */
for (const variant of contractVariants()) {
  describe(`OAuth 1.0a storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let s: OAuth1Stores;
    let s2: OAuth1Stores;
    let f: Stores;

    const temporary = (tokenHash: string, over: Partial<TemporaryCredential> = {}): TemporaryCredential => ({
      tokenHash,
      clientKey: 'c1',
      secretSealed: 'v1.sealed-temporary',
      callback: 'https://app.example/cb?x=1',
      createdAt: 1_000,
      expiresAt: 100_000,
      userId: null,
      verifierHash: null,
      authorizedAt: null,
      usedAt: null,
      ...over,
    });
    const token = (tokenHash: string, over: Partial<TokenCredential> = {}): TokenCredential => ({
      tokenHash,
      clientKey: 'c1',
      userId: 'u1',
      secretSealed: 'v1.sealed-token',
      createdAt: 2_000,
      ...over,
    });

    /** The OAuth 1.0a provider over one instance's stores, as composition builds it. */
    function provider(stores: OAuth1Stores, foundation: Stores): OAuth1Service {
      return buildOAuth1(
        {
          config: { issuer: 'https://as.example', oauth1TimestampWindow: 300, oauth1TemporaryTtl: 600 },
          clock: new FakeClock(),
          random: new CountingRandom(),
          secrets: new FakeSecrets(),
          stores: foundation,
          securityEvents: async () => {},
        },
        stores,
      );
    }

    before(async () => {
      opened = await openDatabases(variant);
      s = kyselyOAuth1Stores(opened.database.db);
      s2 = kyselyOAuth1Stores(opened.second.db);
      f = kyselyStores(opened.database);
      for (const key of ['c1', 'c2']) await f.clients.insert(client(key, { type: 'oauth1', status: 'approved' }));
      await f.users.insert(user('u1', 'alice'));
      await f.users.insert(user('u2', 'bob'));
    });
    after(() => opened.close());

    it('stores temporary credentials with every field intact, seen by the other instance', async () => {
      const t = temporary('t-full', { callback: 'oob' });
      await s.temporaries.insert(t);
      assert.deepEqual(await s.temporaries.get('t-full'), t);
      assert.deepEqual(await s2.temporaries.get('t-full'), t);
      assert.equal(await s.temporaries.get('t-none'), undefined);
      const answered = temporary('t-answered', { userId: 'u1', verifierHash: 'vh', authorizedAt: 1_500, usedAt: 1_600 });
      await s.temporaries.insert(answered);
      assert.deepEqual(await s2.temporaries.get('t-answered'), answered);
      await assert.rejects(s2.temporaries.insert(temporary('t-full')), /UNIQUE constraint failed|duplicate key value/);
    });

    it('records the user’s approval once, before expiry and use, even when two instances race (§2.2)', async () => {
      await s.temporaries.insert(temporary('t-auth'));
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? s2 : s).temporaries.authorize('t-auth', i % 2 ? 'u2' : 'u1', `vh-${i}`, 5_000)),
      );
      assert.equal(answers.filter(Boolean).length, 1);
      const winner = answers.indexOf(true);
      const stored = await s.temporaries.get('t-auth');
      assert.deepEqual([stored?.userId, stored?.verifierHash, stored?.authorizedAt], [winner % 2 ? 'u2' : 'u1', `vh-${winner}`, 5_000]);
      assert.equal(await s.temporaries.authorize('t-auth', 'u1', 'vh-late', 6_000), false, 'a later answer does not replace it');
      await s.temporaries.remove('t-auth'); // its user depends on the winner: out of the later counts
      assert.equal(await s.temporaries.authorize('t-unknown', 'u1', 'vh', 5_000), false);
      await s.temporaries.insert(temporary('t-expiring', { expiresAt: 5_000 }));
      assert.equal(await s.temporaries.authorize('t-expiring', 'u1', 'vh', 5_000), false, 'not at its expiry time');
      assert.equal((await s.temporaries.get('t-expiring'))?.userId, null);
      await s.temporaries.insert(temporary('t-used', { usedAt: 1_100 }));
      assert.equal(await s.temporaries.authorize('t-used', 'u1', 'vh', 2_000), false, 'not once used');
    });

    it('exchanges authorized credentials once, even when two instances race (§2.3)', async () => {
      await s.temporaries.insert(temporary('t-x', { userId: 'u1', verifierHash: 'vh', authorizedAt: 1_500 }));
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? s2 : s).temporaries.consume('t-x', 7_000)));
      assert.equal(answers.filter(Boolean).length, 1);
      assert.equal((await s2.temporaries.get('t-x'))?.usedAt, 7_000);
      assert.equal(await s.temporaries.consume('t-x', 8_000), false);
      assert.equal((await s.temporaries.get('t-x'))?.usedAt, 7_000, 'a second exchange does not move the time of use');

      await s.temporaries.insert(temporary('t-unanswered'));
      assert.equal(await s.temporaries.consume('t-unanswered', 7_000), false, 'not before the user answered');
      await s.temporaries.insert(temporary('t-late', { userId: 'u1', verifierHash: 'vh', authorizedAt: 1_500, expiresAt: 7_000 }));
      assert.equal(await s.temporaries.consume('t-late', 7_000), false, 'not at its expiry time');
      assert.equal((await s.temporaries.get('t-late'))?.usedAt, null);
      assert.equal(await s.temporaries.consume('t-unknown', 7_000), false);
    });

    it('removes temporary credentials one by one, per consumer, per user, per user and consumer', async () => {
      await s.temporaries.insert(temporary('r-1'));
      await s.temporaries.remove('r-1');
      assert.equal(await s2.temporaries.get('r-1'), undefined);
      await s.temporaries.remove('r-1');

      await s.temporaries.insert(temporary('r-a', { clientKey: 'c2', userId: 'u1', authorizedAt: 1 }));
      await s.temporaries.insert(temporary('r-b', { clientKey: 'c2', userId: 'u2', authorizedAt: 1 }));
      await s.temporaries.insert(temporary('r-c', { clientKey: 'c2' }));
      await s.temporaries.insert(temporary('r-d', { clientKey: 'c1', userId: 'u2', authorizedAt: 1 }));
      assert.equal(await s.temporaries.removeForUserAndClient('u2', 'c2'), 1);
      assert.equal(await s.temporaries.get('r-b'), undefined);
      assert.equal((await s.temporaries.get('r-d'))?.userId, 'u2', 'another consumer’s stays');
      assert.equal(await s.temporaries.removeForClient('c2'), 2, 'answered or not');
      assert.deepEqual([await s.temporaries.get('r-a'), await s.temporaries.get('r-c')], [undefined, undefined]);
      assert.equal(await s.temporaries.removeForUser('u2'), 1);
      assert.equal(await s.temporaries.get('r-d'), undefined);
      assert.equal(await s.temporaries.removeForUser('nobody'), 0);
    });

    it('purges expired temporary credentials in batches, and only those', async () => {
      await s.temporaries.purgeExpired(500_000, 1_000); // what the earlier cases left
      await s.temporaries.insert(temporary('p-keep', { expiresAt: 1_000_000 }));
      for (let i = 0; i < 3; i++) await s.temporaries.insert(temporary(`p-old-${i}`, { expiresAt: 500_000 + i }));
      await s.temporaries.insert(temporary('p-edge', { expiresAt: 600_000 }));
      const [task] = provider(s, f).purgeTasks;
      assert.equal(task?.name, 'oauth1_temporary');
      assert.equal(await task?.run(600_000, 2), 2);
      assert.equal(await s.temporaries.purgeExpired(600_000, 10), 1);
      assert.equal(await s.temporaries.purgeExpired(600_000, 10), 0);
      assert.equal((await s.temporaries.get('p-edge'))?.expiresAt, 600_000, 'expiring at the cut-off time is kept');
      assert.equal((await s.temporaries.get('p-keep'))?.expiresAt, 1_000_000);
    });

    it('stores token credentials, refuses a duplicate, and removes them per consumer, user, user and consumer', async () => {
      const t = token('k-full');
      await s.tokens.insert(t);
      assert.deepEqual(await s2.tokens.get('k-full'), t);
      assert.equal(await s.tokens.get('k-none'), undefined);
      await assert.rejects(s2.tokens.insert(token('k-full')), /UNIQUE constraint failed|duplicate key value/);
      await assert.rejects(s.tokens.insert(token('k-orphan', { userId: 'nobody' })), /FOREIGN KEY constraint failed|violates foreign key constraint/);

      await s.tokens.insert(token('k-a', { clientKey: 'c2', userId: 'u1' }));
      await s.tokens.insert(token('k-b', { clientKey: 'c2', userId: 'u2' }));
      await s.tokens.insert(token('k-c', { clientKey: 'c1', userId: 'u2' }));
      assert.equal(await s.tokens.removeForUserAndClient('u2', 'c2'), 1);
      assert.equal(await s2.tokens.get('k-b'), undefined, 'gone for the other instance at once');
      assert.equal((await s.tokens.get('k-c'))?.userId, 'u2');
      assert.equal(await s.tokens.removeForClient('c2'), 1);
      assert.equal(await s.tokens.get('k-a'), undefined);
      assert.equal(await s.tokens.removeForUser('u2'), 1);
      assert.equal(await s.tokens.removeForUser('u2'), 0);
      assert.deepEqual(await s.tokens.get('k-full'), t, 'the rest stays');
    });

    it('cuts a consumer, a user or a user’s consent off: credentials of both kinds end at once', async () => {
      const service = provider(s, f);
      await s.tokens.insert(token('cut-1', { clientKey: 'c2', userId: 'u1' }));
      await s.tokens.insert(token('cut-2', { clientKey: 'c1', userId: 'u2' }));
      await s.temporaries.insert(temporary('cut-t1', { clientKey: 'c2', userId: 'u1', authorizedAt: 1 }));
      await s.temporaries.insert(temporary('cut-t2', { clientKey: 'c1', userId: 'u2', authorizedAt: 1 }));
      await service.cutOff.userRevokedClient('u1', 'c2');
      assert.deepEqual([await s2.tokens.get('cut-1'), await s2.temporaries.get('cut-t1')], [undefined, undefined]);
      await service.cutOff.user('u2', { reason: 'disabled' });
      assert.deepEqual([await s2.tokens.get('cut-2'), await s2.temporaries.get('cut-t2')], [undefined, undefined]);
      await s.tokens.insert(token('cut-3', { clientKey: 'c2' }));
      await s.temporaries.insert(temporary('cut-t3', { clientKey: 'c2' }));
      await service.cutOff.client('c2', 'disapproved');
      assert.deepEqual([await s2.tokens.get('cut-3'), await s2.temporaries.get('cut-t3')], [undefined, undefined]);
    });

    it('remembers a nonce once, even when two instances race, and keeps it until it expires (§3.3)', async () => {
      const a = provider(s, f).deps.nonces;
      const b = provider(s2, kyselyStores(opened.second)).deps.nonces;
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).remember('nonce-key', 900_000)));
      assert.equal(answers.filter(Boolean).length, 1);
      assert.equal(await a.remember('nonce-key', 900_000), false);
      assert.equal(await b.remember('nonce-other', 900_000), true, 'another key is another nonce');
      assert.equal((await f.oneTime.peek('oauth1-nonce', 'nonce-key'))?.expiresAt, 900_000, 'kept until the timestamp leaves the window');
    });

    it('deletes a consumer’s or user’s credentials with the consumer or user', async () => {
      await f.clients.insert(client('c3', { type: 'oauth1', status: 'approved' }));
      await f.users.insert(user('u3', 'carol'));
      await s.tokens.insert(token('fk-1', { clientKey: 'c3', userId: 'u1' }));
      await s.temporaries.insert(temporary('fk-t1', { clientKey: 'c3' }));
      await s.tokens.insert(token('fk-2', { clientKey: 'c1', userId: 'u3' }));
      await s.temporaries.insert(temporary('fk-t2', { clientKey: 'c1', userId: 'u3', authorizedAt: 1 }));
      await opened.database.db.deleteFrom('clients').where('key', '=', 'c3').execute();
      await opened.database.db.deleteFrom('users').where('id', '=', 'u3').execute();
      for (const [name, got] of [
        ['token of the consumer', await s.tokens.get('fk-1')],
        ['temporary of the consumer', await s.temporaries.get('fk-t1')],
        ['token of the user', await s.tokens.get('fk-2')],
        ['temporary of the user', await s.temporaries.get('fk-t2')],
      ] as const) {
        assert.equal(got, undefined, name);
      }
    });
  });
}
