import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import type { InitialAccessToken } from '../../core/registration/ports.js';
import { countPendingRegistrations, KyselyInitialAccessTokenStore, KyselyRegistrationAccessTokenStore } from '../kysely/registration-stores.js';
import { type ContractDatabases, client, contractVariants, openDatabases } from './harness.js';

/**
 * The registration adapters (RFC 7591, RFC 7592): one registration access token per client, and
 * initial access tokens whose last use goes to one caller only when instances race.
 */
for (const variant of contractVariants()) {
  describe(`registration storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let f: Stores;
    let access: KyselyRegistrationAccessTokenStore;
    let access2: KyselyRegistrationAccessTokenStore;
    let initial: KyselyInitialAccessTokenStore;
    let initial2: KyselyInitialAccessTokenStore;

    const iat = (id: string, over: Partial<InitialAccessToken> = {}): InitialAccessToken => ({
      id,
      label: `Token ${id}`,
      createdAt: 1_000,
      createdBy: 'admin',
      expiresAt: null,
      maxUses: null,
      uses: 0,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      ...over,
    });

    before(async () => {
      opened = await openDatabases(variant);
      f = kyselyStores(opened.database);
      access = new KyselyRegistrationAccessTokenStore(opened.database.db);
      access2 = new KyselyRegistrationAccessTokenStore(opened.second.db);
      initial = new KyselyInitialAccessTokenStore(opened.database.db);
      initial2 = new KyselyInitialAccessTokenStore(opened.second.db);
      for (const key of ['r1', 'r2']) await f.clients.insert(client(key, { createdVia: 'registration' }));
    });
    after(() => opened.close());

    it('keeps one registration access token per client, by hash, replaced on rotation (RFC 7592 §3)', async () => {
      await access.put('r1', 'hash-1', 1_000);
      assert.equal(await access2.findClientKey('hash-1'), 'r1');
      assert.equal(await access.findClientKey('hash-none'), undefined);
      await access2.put('r1', 'hash-1b', 2_000);
      assert.equal(await access.findClientKey('hash-1'), undefined, 'the rotated token no longer works');
      assert.equal(await access.findClientKey('hash-1b'), 'r1');
      const [row] = await opened.database.db
        .withTables<{ registration_access_tokens: { client_key: string; issued_at: number } }>()
        .selectFrom('registration_access_tokens')
        .select(['client_key', 'issued_at'])
        .where('client_key', '=', 'r1')
        .execute();
      assert.equal(Number(row?.issued_at), 2_000);
      await assert.rejects(access.put('r2', 'hash-1b', 3_000), /UNIQUE constraint failed|duplicate key value/, 'a hash names one client');
      await access.put('r2', 'hash-2', 3_000);
      await access.remove('r1');
      assert.equal(await access2.findClientKey('hash-1b'), undefined);
      assert.equal(await access2.findClientKey('hash-2'), 'r2', 'another client’s stays');
      await access.remove('r1');
    });

    it('drops a client’s registration access token with the client', async () => {
      await f.clients.insert(client('r-gone', { createdVia: 'registration' }));
      await access.put('r-gone', 'hash-gone', 1_000);
      await opened.database.db.deleteFrom('clients').where('key', '=', 'r-gone').execute();
      assert.equal(await access.findClientKey('hash-gone'), undefined);
    });

    it('counts the pending clients that registered themselves, only those', async () => {
      const before = await countPendingRegistrations(opened.database.db);
      await f.clients.insert(client('r-pending', { createdVia: 'registration', status: 'pending' }));
      await f.clients.insert(client('r-approved', { createdVia: 'registration', status: 'approved' }));
      await f.clients.insert(client('admin-pending', { createdVia: 'admin', status: 'pending' }));
      assert.equal(await countPendingRegistrations(opened.second.db), before + 1);
    });

    it('stores initial access tokens with every field intact and lists the usable ones newest first', async () => {
      const full = iat('i-full', { expiresAt: 90_000, maxUses: 5, uses: 2, lastUsedAt: 1_500, createdAt: 1_200 });
      await initial.insert(full, 'ih-full');
      assert.deepEqual(await initial2.get('i-full'), full);
      assert.equal(await initial.get('i-none'), undefined);
      await initial.insert(iat('i-old', { createdAt: 500 }), 'ih-old');
      await initial.insert(iat('i-expired', { createdAt: 1_300, expiresAt: 10_000 }), 'ih-expired');
      await initial.insert(iat('i-spent', { createdAt: 1_400, maxUses: 1, uses: 1 }), 'ih-spent');
      await initial.insert(iat('i-revoked', { createdAt: 1_500, revokedAt: 1_600, revokedBy: 'admin' }), 'ih-revoked');
      await assert.rejects(initial2.insert(iat('i-dup'), 'ih-full'), /UNIQUE constraint failed|duplicate key value/);
      assert.deepEqual(
        (await initial2.list({ includeInactive: false, now: 10_000 })).map((t) => t.id),
        ['i-full', 'i-old'],
      );
      assert.deepEqual(
        (await initial.list({ includeInactive: false, now: 9_999 })).map((t) => t.id),
        ['i-expired', 'i-full', 'i-old'],
        'usable until its expiry time',
      );
      assert.deepEqual(
        (await initial.list({ includeInactive: true, now: 10_000 })).map((t) => t.id),
        ['i-revoked', 'i-spent', 'i-expired', 'i-full', 'i-old'],
      );
    });

    it('checks a token without using it, naming why one is refused', async () => {
      assert.deepEqual(await initial.check('ih-full', 10_000), { ok: true, token: await initial.get('i-full') });
      assert.equal((await initial.get('i-full'))?.uses, 2, 'a check counts no use');
      assert.deepEqual(await initial.check('ih-none', 10_000), { ok: false, reason: 'unknown' });
      assert.deepEqual(await initial2.check('ih-expired', 10_000), { ok: false, reason: 'expired' });
      assert.deepEqual(await initial2.check('ih-spent', 10_000), { ok: false, reason: 'used_up' });
      assert.deepEqual(await initial2.check('ih-revoked', 10_000), { ok: false, reason: 'revoked' });
    });

    it('counts each use, and gives the last use to exactly one of many racing instances', async () => {
      const used = await initial.use('ih-full', 20_000);
      assert.equal(used.ok && used.token.uses, 3);
      assert.equal(used.ok && used.token.lastUsedAt, 20_000);
      await initial.insert(iat('i-last', { maxUses: 4, uses: 3 }), 'ih-last');
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? initial2 : initial).use('ih-last', 30_000 + i)));
      assert.equal(answers.filter((a) => a.ok).length, 1);
      assert.deepEqual(
        answers.filter((a) => !a.ok).map((a) => !a.ok && a.reason),
        Array(9).fill('used_up'),
      );
      assert.equal((await initial.get('i-last'))?.uses, 4, 'never beyond max_uses');
      assert.deepEqual(await initial.use('ih-expired', 30_000), { ok: false, reason: 'expired' });
      assert.deepEqual(await initial.use('ih-revoked', 30_000), { ok: false, reason: 'revoked' });
      assert.deepEqual(await initial.use('ih-none', 30_000), { ok: false, reason: 'unknown' });
      await initial.insert(iat('i-free'), 'ih-free');
      const many = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? initial2 : initial).use('ih-free', 40_000)));
      assert.equal(many.filter((a) => a.ok).length, 6, 'unlimited tokens count every use');
      assert.equal((await initial2.get('i-free'))?.uses, 6);
    });

    it('revokes a token once, recording who and when', async () => {
      assert.equal(await initial.revoke('i-free', 50_000, 'root'), true);
      assert.equal(await initial2.revoke('i-free', 60_000, 'other'), false);
      const t = await initial.get('i-free');
      assert.deepEqual([t?.revokedAt, t?.revokedBy], [50_000, 'root']);
      assert.deepEqual(await initial2.use('ih-free', 50_001), { ok: false, reason: 'revoked' });
      assert.equal(await initial.revoke('i-none', 50_000, 'root'), false);
    });
  });
}
