import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Stores } from '../../src/core/oauth2/install.js';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';

/** The OAuth 2.0 adapters on each dialect: atomic single use, polling state, purging. */
for (const backend of backendNames()) {
  describe(`OAuth 2.0 storage on ${backend}`, () => {
    let t: TestServer;
    let s: OAuth2Stores;
    const grant = (id: string, over: Record<string, unknown> = {}) => ({
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

    before(async () => {
      t = await startServer({ backend });
      s = t.app.oauth2.stores;
    });
    after(() => t.close());

    it('rotates a refresh token exactly once among racing callers', async () => {
      await s.grants.create(grant('g-race'));
      await s.refreshTokens.insert({ hash: 'h-race', grantId: 'g-race', createdAt: 1, expiresAt: 10_000, rotatedAt: null });
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => s.refreshTokens.rotate('h-race', 5_000)));
      assert.equal(outcomes.filter((o) => o.outcome === 'rotated').length, 1);
      assert.equal(outcomes.filter((o) => o.outcome === 'reused').length, 7);
      assert.equal((await s.refreshTokens.rotate('h-none', 5_000)).outcome, 'unknown');
      await s.refreshTokens.insert({ hash: 'h-old', grantId: 'g-race', createdAt: 1, expiresAt: 10, rotatedAt: null });
      assert.equal((await s.refreshTokens.rotate('h-old', 5_000)).outcome, 'expired');
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
      assert.equal(await s.grants.liveness('nope'), undefined);
    });

    it('keeps device polling state and decides and redeems a code once', async () => {
      const base = {
        userCode: 'BCDFGHJK',
        clientKey: 'c',
        scopes: ['profile'],
        status: 'pending' as const,
        userId: null,
        grantId: null,
        interval: 5,
        lastPolledAt: null,
        createdAt: 0,
        expiresAt: 100_000,
        extra: {},
      };
      assert.equal(await s.deviceCodes.insert({ ...base, hash: 'd1' }), true);
      assert.equal(await s.deviceCodes.insert({ ...base, hash: 'd2' }), false, 'user codes are unique');
      assert.equal((await s.deviceCodes.poll('d1', 1_000, 5, 0)).outcome, 'ok');
      const fast = await s.deviceCodes.poll('d1', 2_000, 5, 0);
      assert.equal(fast.outcome, 'too_fast');
      assert.equal(fast.outcome === 'too_fast' && fast.record.interval, 10);
      assert.equal((await s.deviceCodes.poll('d1', 12_000, 5, 0)).outcome, 'ok');
      const [approved, denied] = await Promise.all([
        s.deviceCodes.decide('BCDFGHJK', { status: 'approved', userId: 'u', grantId: 'g' }, 13_000),
        s.deviceCodes.decide('BCDFGHJK', { status: 'denied', userId: 'u', grantId: null }, 13_000),
      ]);
      assert.notEqual(approved, denied, 'exactly one decision wins');
      const redemptions = await Promise.all([s.deviceCodes.redeem('d1'), s.deviceCodes.redeem('d1'), s.deviceCodes.redeem('d1')]);
      assert.equal(redemptions.filter(Boolean).length, approved ? 1 : 0);
      assert.equal((await s.deviceCodes.poll('nope', 0, 5, 0)).outcome, 'unknown');
    });

    it('purges expired refresh tokens and device codes, and grants nothing keeps alive', async () => {
      await s.grants.create(grant('g-keep', { createdAt: 0 }));
      await s.refreshTokens.insert({ hash: 'h-keep', grantId: 'g-keep', createdAt: 0, expiresAt: 1_000_000, rotatedAt: null });
      await s.grants.create(grant('g-drop', { createdAt: 0 }));
      await s.refreshTokens.insert({ hash: 'h-drop', grantId: 'g-drop', createdAt: 0, expiresAt: 50, rotatedAt: null });
      const tasks = s.purgeTasks(0);
      const byName = Object.fromEntries(tasks.map((task) => [task.name, task]));
      assert.ok(((await byName.oauth2_refresh_tokens?.run(100, 500)) ?? 0) >= 1);
      assert.equal(await s.refreshTokens.find('h-drop'), undefined);
      assert.ok(await s.refreshTokens.find('h-keep'));
      await byName.oauth2_grants?.run(100, 500);
      assert.equal(await s.grants.liveness('g-drop'), undefined);
      assert.ok(await s.grants.liveness('g-keep'));
      assert.ok(((await byName.oauth2_device_codes?.run(200_000, 500)) ?? 0) >= 1);
    });
  });
}
