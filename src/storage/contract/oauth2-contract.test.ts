import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import type { OAuth2Stores } from '../../core/oauth2/install.js';
import type { DeviceCodeRecord, GrantRecord, StoredSigningKey } from '../../core/oauth2/storage.js';
import { kyselyOAuth2Stores } from '../kysely/oauth2-stores.js';
import { type ContractDatabases, client, contractVariants, openDatabases, user } from './harness.js';

/** The OAuth 2.0 adapters: atomic single use across instances, polling state, cut-offs, purging. */
for (const variant of contractVariants()) {
  describe(`OAuth 2.0 storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let s: OAuth2Stores;
    let s2: OAuth2Stores;
    let f: Stores;

    const grant = (id: string, over: Partial<GrantRecord> = {}): GrantRecord => ({
      id,
      clientKey: 'c',
      userId: null,
      scopes: ['profile'],
      grantType: 'password',
      createdAt: 1_000,
      authTime: 1_000,
      revokedAt: null,
      extra: { nonce: 'n' },
      ...over,
    });
    const device = (hash: string, userCode: string, over: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord => ({
      hash,
      userCode,
      clientKey: 'c',
      scopes: ['profile'],
      status: 'pending',
      userId: null,
      grantId: null,
      interval: 5,
      lastPolledAt: null,
      createdAt: 0,
      expiresAt: 100_000,
      extra: {},
      ...over,
    });

    before(async () => {
      opened = await openDatabases(variant);
      s = kyselyOAuth2Stores(opened.database.db);
      s2 = kyselyOAuth2Stores(opened.second.db);
      f = kyselyStores(opened.database);
    });
    after(() => opened.close());

    it('stores a grant with every field intact', async () => {
      const g = grant('g-full', { userId: null, scopes: ['openid', 'email'], authTime: null, extra: { nonce: 'n', claims: { a: [1] } }, sid: 'sid-x' });
      await s.grants.create(g);
      assert.deepEqual((await s.grants.liveness('g-full'))?.grant, g);
      assert.deepEqual((await s2.grants.liveness('g-full'))?.grant, g);
      // A grant created without a session reads with sid null.
      await s.grants.create(grant('g-nosid'));
      assert.equal((await s.grants.liveness('g-nosid'))?.grant.sid, null);
    });

    it('rotates a refresh token exactly once among racing callers of two instances', async () => {
      await s.grants.create(grant('g-race'));
      await s.refreshTokens.insert({ hash: 'h-race', grantId: 'g-race', createdAt: 1, expiresAt: 10_000, rotatedAt: null });
      assert.deepEqual(await s.refreshTokens.find('h-race'), { hash: 'h-race', grantId: 'g-race', createdAt: 1, expiresAt: 10_000, rotatedAt: null });
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? s2 : s).refreshTokens.rotate('h-race', 5_000)));
      assert.equal(outcomes.filter((o) => o.outcome === 'rotated').length, 1);
      assert.equal(outcomes.filter((o) => o.outcome === 'reused').length, 7);
      for (const o of outcomes) assert.equal(o.outcome !== 'unknown' && o.token.rotatedAt, 5_000, 'the winner and the losers see when it was rotated');
      assert.equal((await s.refreshTokens.find('h-race'))?.rotatedAt, 5_000);
      assert.equal((await s.refreshTokens.rotate('h-race', 6_000)).outcome, 'reused', 'presented again later');
      assert.equal((await s.refreshTokens.find('h-race'))?.rotatedAt, 5_000, 'a reuse does not move the rotation time');
      assert.equal((await s.refreshTokens.rotate('h-race', 20_000)).outcome, 'reused', 'a rotated token stays a reuse after its expiry');
      assert.equal((await s.refreshTokens.rotate('h-none', 5_000)).outcome, 'unknown');
      await s.refreshTokens.insert({ hash: 'h-old', grantId: 'g-race', createdAt: 1, expiresAt: 10, rotatedAt: null });
      assert.equal((await s.refreshTokens.rotate('h-old', 5_000)).outcome, 'expired');
      assert.equal((await s.refreshTokens.rotate('h-old', 10)).outcome, 'expired', 'expired at its expiry time');
      assert.equal((await s.refreshTokens.find('h-old'))?.rotatedAt, null, 'an expired token is not marked rotated');
    });

    it('refuses a second refresh token with the same hash, and one whose grant does not exist', async () => {
      await s.grants.create(grant('g-dup'));
      await s.refreshTokens.insert({ hash: 'h-dup', grantId: 'g-dup', createdAt: 1, expiresAt: 10_000, rotatedAt: null });
      await assert.rejects(
        s2.refreshTokens.insert({ hash: 'h-dup', grantId: 'g-dup', createdAt: 2, expiresAt: 20_000, rotatedAt: null }),
        /UNIQUE constraint failed|duplicate key value/,
      );
      await assert.rejects(
        s.refreshTokens.insert({ hash: 'h-orphan', grantId: 'no-grant', createdAt: 1, expiresAt: 10_000, rotatedAt: null }),
        /FOREIGN KEY constraint failed|violates foreign key constraint/,
      );
      assert.equal((await s.refreshTokens.find('h-dup'))?.createdAt, 1);
      assert.equal(await s.refreshTokens.find('h-orphan'), undefined);
    });

    it('reads a grant with its client and user state in one go, and revokes by client and user', async () => {
      await s.grants.create(grant('g-live'));
      const l = await s.grants.liveness('g-live');
      assert.equal(l?.clientApproved, false, 'client "c" does not exist');
      assert.equal(l?.userEnabled, true);
      assert.deepEqual(l?.grant.extra, { nonce: 'n' });
      assert.ok((await s.grants.revokeForClient('c', 2_000)) >= 1);
      assert.equal((await s.grants.liveness('g-live'))?.grant.revokedAt, 2_000);
      assert.equal(await s.grants.revoke('g-live', 3_000), false, 'already revoked');
      assert.equal((await s.grants.liveness('g-live'))?.grant.revokedAt, 2_000, 'the first revocation time stays');
      assert.equal(await s.grants.liveness('nope'), undefined);
      assert.equal(await s.grants.revoke('nope', 3_000), false, 'unknown');
    });

    it('sees every change of the client and the user in the liveness read at once', async () => {
      await f.clients.insert(client('live-c'));
      await f.users.insert(user('live-u', 'livia'));
      await s.grants.create(grant('g-cut', { clientKey: 'live-c', userId: 'live-u' }));
      assert.deepEqual(await livenessFlags('g-cut'), [false, true], 'pending client');
      await f.clients.update({ ...client('live-c'), status: 'approved' });
      assert.deepEqual(await livenessFlags('g-cut'), [true, true]);
      await f.users.update({ ...user('live-u', 'livia'), enabled: false });
      assert.deepEqual(await livenessFlags('g-cut'), [true, false], 'disabled user');
      await f.users.update(user('live-u', 'livia'));
      assert.deepEqual(await livenessFlags('g-cut'), [true, true]);
      await f.clients.update({ ...client('live-c'), status: 'disapproved' });
      assert.deepEqual(await livenessFlags('g-cut'), [false, true], 'disapproved client');
      await f.clients.update({ ...client('live-c'), status: 'approved' });
      assert.equal(await f.clients.remove('live-c', 5_000), true);
      assert.deepEqual(await livenessFlags('g-cut'), [false, true], 'removed client');
      await opened.database.db.deleteFrom('users').where('id', '=', 'live-u').execute();
      assert.deepEqual(await livenessFlags('g-cut'), [false, false], 'a grant of a user who is gone is dead');
    });

    /** Runs one of the purge tasks the stores hand to the purger. */
    async function purge(stores: OAuth2Stores, name: string, before: number, batch: number): Promise<number> {
      const task = stores.purgeTasks(0).find((t) => t.name === name);
      assert.ok(task, name);
      return task.run(before, batch);
    }

    async function livenessFlags(id: string): Promise<[boolean, boolean] | undefined> {
      const l = await s.grants.liveness(id);
      return l && [l.clientApproved, l.userEnabled];
    }

    it('revokes the live grants of a user, and of a user at one client, once each', async () => {
      await s.grants.create(grant('gu-1', { clientKey: 'ca', userId: 'ru' }));
      await s.grants.create(grant('gu-2', { clientKey: 'cb', userId: 'ru' }));
      await s.grants.create(grant('gu-3', { clientKey: 'ca', userId: 'ru' }));
      await s.grants.create(grant('gu-4', { clientKey: 'ca', userId: 'other' }));
      await s.grants.create(grant('gu-5', { clientKey: 'ca', userId: 'ru', revokedAt: 10 }));
      assert.equal(await s.grants.revokeForUserAndClient('ru', 'ca', 100), 2);
      assert.equal(await s2.grants.revokeForUserAndClient('ru', 'ca', 200), 0, 'already revoked');
      assert.equal((await s.grants.liveness('gu-2'))?.grant.revokedAt, null, 'another client of the user');
      assert.equal(await s.grants.revokeForUser('ru', 300), 1);
      assert.equal(await s.grants.revokeForUser('ru', 400), 0);
      assert.deepEqual(await Promise.all(['gu-1', 'gu-2', 'gu-3', 'gu-4', 'gu-5'].map(async (id) => (await s.grants.liveness(id))?.grant.revokedAt)), [
        100,
        300,
        100,
        null,
        10,
      ]);
      // Of racing revocations of one grant, one reports it.
      await s.grants.create(grant('gu-race', { userId: 'ru' }));
      const results = await Promise.all([s.grants.revoke('gu-race', 500), s2.grants.revoke('gu-race', 600), s.grants.revoke('gu-race', 700)]);
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('lists the clients and users granted something in one sign-in session, once each', async () => {
      await s.grants.create(grant('gs-1', { clientKey: 'sa', userId: 'su', sid: 'sid-1' }));
      await s.grants.create(grant('gs-2', { clientKey: 'sa', userId: 'su', sid: 'sid-1' }));
      await s.grants.create(grant('gs-3', { clientKey: 'sb', userId: 'su', sid: 'sid-1' }));
      await s.grants.create(grant('gs-4', { clientKey: 'sc', userId: null, sid: 'sid-1' }));
      await s.grants.create(grant('gs-5', { clientKey: 'sd', userId: 'su', sid: 'sid-2' }));
      const found = await s.grants.clientsOfSession('sid-1');
      assert.deepEqual(
        found.sort((a, b) => a.clientKey.localeCompare(b.clientKey)),
        [
          { clientKey: 'sa', userId: 'su' },
          { clientKey: 'sb', userId: 'su' },
        ],
      );
      assert.deepEqual(await s.grants.clientsOfSession('sid-none'), []);
    });

    it('keeps device polling state and decides and redeems a code once', async () => {
      assert.equal(await s.deviceCodes.insert(device('d1', 'BCDFGHJK')), true);
      assert.equal(await s.deviceCodes.insert(device('d2', 'BCDFGHJK')), false, 'user codes are unique');
      assert.equal((await s.deviceCodes.poll('d1', 1_000, 5, 0)).outcome, 'ok');
      const fast = await s.deviceCodes.poll('d1', 2_000, 5, 0);
      assert.equal(fast.outcome, 'too_fast');
      assert.equal(fast.outcome === 'too_fast' && fast.record.interval, 10);
      assert.equal((await s.deviceCodes.poll('d1', 12_000, 5, 0)).outcome, 'ok');
      const [approved, denied] = await Promise.all([
        s.deviceCodes.decide('BCDFGHJK', { status: 'approved', userId: 'u', grantId: 'g' }, 13_000),
        s2.deviceCodes.decide('BCDFGHJK', { status: 'denied', userId: 'u', grantId: null }, 13_000),
      ]);
      assert.notEqual(approved, denied, 'exactly one decision wins');
      const redemptions = await Promise.all([s.deviceCodes.redeem('d1'), s2.deviceCodes.redeem('d1'), s.deviceCodes.redeem('d1')]);
      assert.equal(redemptions.filter(Boolean).length, approved ? 1 : 0);
      assert.equal((await s.deviceCodes.findByUserCode('BCDFGHJK', 14_000))?.status, approved ? 'redeemed' : 'denied');
      assert.equal((await s.deviceCodes.poll('nope', 0, 5, 0)).outcome, 'unknown');
    });

    it('answers a poll on time within the tolerance, and records the decision with the user and grant', async () => {
      const d = device('dt', 'TOLERANT', { extra: { nonce: 'x' }, scopes: ['openid', 'email'] });
      assert.equal(await s.deviceCodes.insert(d), true);
      assert.deepEqual(await s.deviceCodes.findByUserCode('TOLERANT', 0), d);
      assert.equal((await s.deviceCodes.poll('dt', 10_000, 5, 0)).outcome, 'ok');
      assert.equal((await s.deviceCodes.poll('dt', 14_800, 5, 200)).outcome, 'ok', '5 s minus 200 ms of tolerance');
      const early = await s.deviceCodes.poll('dt', 19_000, 5, 200);
      assert.equal(early.outcome, 'too_fast');
      assert.equal(early.outcome === 'too_fast' && early.record.lastPolledAt, 19_000, 'an early poll counts as the last poll');
      assert.equal((await s.deviceCodes.poll('dt', 28_800, 5, 200)).outcome, 'ok', 'the raised interval: 10 s');
      assert.equal(await s.deviceCodes.redeem('dt'), false, 'a pending code is not redeemed');
      assert.equal(await s.deviceCodes.decide('TOLERANT', { status: 'approved', userId: 'du', grantId: 'dg' }, 30_000), true);
      assert.equal(await s.deviceCodes.decide('TOLERANT', { status: 'denied', userId: 'du', grantId: null }, 30_000), false, 'decided once');
      const ok = await s.deviceCodes.poll('dt', 40_000, 5, 0);
      assert.equal(ok.outcome, 'ok');
      assert.deepEqual(ok.outcome === 'ok' && [ok.record.status, ok.record.userId, ok.record.grantId, ok.record.interval], ['approved', 'du', 'dg', 10]);
      assert.equal(await s.deviceCodes.redeem('dt'), true);
      assert.equal(await s.deviceCodes.redeem('dt'), false);
    });

    it('refuses decisions on expired codes, hides them from lookups, and frees their user codes', async () => {
      assert.equal(await s.deviceCodes.insert(device('de', 'EXPIRING', { expiresAt: 1_000 })), true);
      assert.ok(await s.deviceCodes.findByUserCode('EXPIRING', 999));
      assert.equal(await s.deviceCodes.findByUserCode('EXPIRING', 1_000), undefined, 'expired at its expiry time');
      assert.equal(await s.deviceCodes.decide('EXPIRING', { status: 'approved', userId: 'u', grantId: 'g' }, 1_000), false);
      // The insert of a new code finds the user code taken by an expired one: it frees it, and the retry succeeds.
      assert.equal(await s.deviceCodes.insert(device('de2', 'EXPIRING', { createdAt: 2_000, expiresAt: 5_000 })), false);
      assert.equal(await s.deviceCodes.insert(device('de2', 'EXPIRING', { createdAt: 2_000, expiresAt: 5_000 })), true);
      assert.equal((await s.deviceCodes.poll('de', 3_000, 5, 0)).outcome, 'unknown', 'the expired code is gone');
      assert.equal((await s.deviceCodes.findByUserCode('EXPIRING', 3_000))?.hash, 'de2');
      // A live code keeps its user code.
      assert.equal(await s.deviceCodes.insert(device('de3', 'EXPIRING', { createdAt: 3_000 })), false);
      assert.equal(await s.deviceCodes.insert(device('de3', 'EXPIRING', { createdAt: 3_000 })), false);
      assert.equal((await s.deviceCodes.findByUserCode('EXPIRING', 3_000))?.hash, 'de2');
    });

    it('denies the undecided and approved codes of a cut-off client, not its finished ones', async () => {
      await s.deviceCodes.insert(device('dc-pending', 'CUTPEND', { clientKey: 'cut' }));
      await s.deviceCodes.insert(device('dc-approved', 'CUTAPPR', { clientKey: 'cut', status: 'approved' }));
      await s.deviceCodes.insert(device('dc-redeemed', 'CUTREDE', { clientKey: 'cut', status: 'redeemed' }));
      await s.deviceCodes.insert(device('dc-denied', 'CUTDENY', { clientKey: 'cut', status: 'denied' }));
      await s.deviceCodes.insert(device('dc-other', 'CUTOTHR', { clientKey: 'uncut' }));
      assert.equal(await s.deviceCodes.denyForClient('cut'), 2);
      assert.equal(await s.deviceCodes.redeem('dc-approved'), false, 'an approved code of a cut-off client is not redeemed');
      const status = async (code: string) => (await s.deviceCodes.findByUserCode(code, 0))?.status;
      assert.deepEqual(await Promise.all(['CUTPEND', 'CUTAPPR', 'CUTREDE', 'CUTDENY', 'CUTOTHR'].map(status)), [
        'denied',
        'denied',
        'redeemed',
        'denied',
        'pending',
      ]);
      assert.equal(await s.deviceCodes.decide('CUTPEND', { status: 'approved', userId: 'u', grantId: 'g' }, 0), false);
    });

    it('keeps signing keys newest first and retires and purges them by algorithm', async () => {
      const key = (kid: string, alg: string, createdAt: number, retiredAt: number | null = null): StoredSigningKey => ({
        kid,
        alg,
        publicJwk: { kty: alg === 'ES256' ? 'EC' : 'RSA', kid },
        privateSealed: `v1.${kid}`,
        createdAt,
        retiredAt,
      });
      await s.signingKeys.insert(key('es-1', 'ES256', 10));
      await s.signingKeys.insert(key('rs-1', 'RS256', 20));
      await s.signingKeys.insert(key('es-2', 'ES256', 30));
      await s.signingKeys.insert(key('es-0', 'ES256', 5, 7));
      await assert.rejects(s2.signingKeys.insert(key('es-1', 'ES256', 40)), 'kids are unique');
      assert.deepEqual(await s.signingKeys.list(), [key('es-2', 'ES256', 30), key('rs-1', 'RS256', 20), key('es-1', 'ES256', 10), key('es-0', 'ES256', 5, 7)]);
      assert.equal(await s.signingKeys.retireOthers('ES256', 'es-2', 100), 1, 'es-0 was retired already');
      assert.equal(await s.signingKeys.retireOthers('ES256', 'es-2', 200), 0);
      assert.deepEqual(
        (await s.signingKeys.list()).map((k) => [k.kid, k.retiredAt]),
        [
          ['es-2', null],
          ['rs-1', null],
          ['es-1', 100],
          ['es-0', 7],
        ],
      );
      assert.equal(await s.signingKeys.purgeRetired(100), 1, 'retired before 100: es-0 only');
      assert.equal(await s.signingKeys.purgeRetired(101), 1);
      assert.deepEqual(
        (await s2.signingKeys.list()).map((k) => k.kid),
        ['es-2', 'rs-1'],
      );
    });

    it('purges expired refresh tokens and device codes, and grants nothing keeps alive', async () => {
      await s.grants.create(grant('g-keep', { createdAt: 0 }));
      await s.refreshTokens.insert({ hash: 'h-keep', grantId: 'g-keep', createdAt: 0, expiresAt: 1_000_000, rotatedAt: null });
      await s.grants.create(grant('g-drop', { createdAt: 0 }));
      await s.refreshTokens.insert({ hash: 'h-drop', grantId: 'g-drop', createdAt: 0, expiresAt: 50, rotatedAt: null });
      await s.grants.create(grant('g-young', { createdAt: 500 }));
      await s.grants.create(grant('g-revoked', { createdAt: 0, revokedAt: 10 }));
      await s.refreshTokens.insert({ hash: 'h-revoked', grantId: 'g-revoked', createdAt: 0, expiresAt: 1_000_000, rotatedAt: null });
      assert.ok(await s.refreshTokens.find('h-revoked'));
      const tasks = s.purgeTasks(0);
      const byName = Object.fromEntries(tasks.map((task) => [task.name, task]));
      assert.deepEqual(
        tasks.map((t) => t.name),
        ['oauth2_refresh_tokens', 'oauth2_device_codes', 'oauth2_grants'],
        'refresh tokens first, so the grants they kept alive go in the same run',
      );
      assert.equal(s.purgeTasks(1234).find((t) => t.name === 'oauth2_grants')?.keepFor, 1234);
      assert.ok(((await byName.oauth2_refresh_tokens?.run(100, 500)) ?? 0) >= 1);
      assert.equal(await s.refreshTokens.find('h-drop'), undefined);
      assert.ok(await s.refreshTokens.find('h-keep'));
      await byName.oauth2_grants?.run(100, 500);
      assert.equal(await s.grants.liveness('g-drop'), undefined);
      assert.ok(await s.grants.liveness('g-keep'));
      assert.ok(await s.grants.liveness('g-young'), 'created after the cut-off');
      assert.equal(await s.grants.liveness('g-revoked'), undefined, 'a revoked grant is purged although its refresh token is live');
      assert.equal(await s.refreshTokens.find('h-revoked'), undefined, 'and its refresh tokens with it (ON DELETE CASCADE)');
      assert.equal((await s.refreshTokens.rotate('h-revoked', 200)).outcome, 'unknown');
      assert.ok(((await byName.oauth2_device_codes?.run(200_000, 500)) ?? 0) >= 1);
    });

    it('purges in batches of the size asked for', async () => {
      // What earlier cases left behind expires before 10_000_000.
      await purge(s, 'oauth2_refresh_tokens', 10_000_000, 1_000);
      await purge(s, 'oauth2_device_codes', 10_000_000, 1_000);
      await s.grants.create(grant('g-batch', { createdAt: 10_000_000 }));
      for (let i = 0; i < 5; i++)
        await s.refreshTokens.insert({ hash: `hb-${i}`, grantId: 'g-batch', createdAt: 0, expiresAt: 10_000_000 + i, rotatedAt: null });
      for (let i = 0; i < 5; i++) await s.deviceCodes.insert(device(`db-${i}`, `BATCH${i}`, { expiresAt: 10_000_000 + i }));
      assert.equal(await purge(s, 'oauth2_refresh_tokens', 10_000_005, 3), 3);
      assert.equal(await purge(s2, 'oauth2_refresh_tokens', 10_000_005, 3), 2);
      assert.equal(await purge(s, 'oauth2_refresh_tokens', 10_000_005, 3), 0);
      assert.equal(await s.refreshTokens.find('hb-4'), undefined);
      assert.equal(await purge(s, 'oauth2_device_codes', 10_000_005, 3), 3);
      assert.equal(await purge(s, 'oauth2_device_codes', 10_000_005, 3), 2);
      assert.equal(await s.deviceCodes.findByUserCode('BATCH4', 0), undefined);
    });
  });
}
