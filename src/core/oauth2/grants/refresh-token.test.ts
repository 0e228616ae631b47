import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import type { OAuth2Settings } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import { Params } from '../params.js';
import type { GrantLiveness, RefreshTokenRecord, RotateOutcome } from '../storage.js';
import { refreshTokenGrant } from './refresh-token.js';

const client = { key: 'app', type: 'oauth2', metadata: {}, grantTypes: ['refresh_token'] } as unknown as Client;
const grant = {
  id: 'g1',
  clientKey: 'app',
  userId: null,
  scopes: ['profile', 'latchkey:admin'],
  grantType: 'password',
  createdAt: 0,
  authTime: 0,
  revokedAt: null,
  extra: {},
};

function setup(rotation: RotateOutcome, now: number, grace: number) {
  const revoked: string[] = [];
  const record: RefreshTokenRecord = { hash: sha256Hex('rt'), grantId: 'g1', createdAt: 0, expiresAt: 10_000_000, rotatedAt: null };
  const deps = {
    refreshTokens: { find: async () => record, rotate: async () => rotation, insert: async () => {} },
    grants: {
      liveness: async (): Promise<GrantLiveness> => ({ grant, clientApproved: true, userEnabled: true }),
      revoke: async (id: string) => {
        revoked.push(id);
        return true;
      },
    } as never,
    users: { get: async () => undefined, findByUsername: async () => undefined },
    clock: { now: () => now },
    settings: { refreshReuseGrace: grace } as OAuth2Settings,
    events: async () => {},
  };
  return { deps, revoked, record };
}

describe('refresh_token grant', () => {
  it('rotates and may narrow the scope', async () => {
    const { deps, record } = setup({ outcome: 'rotated', token: { hash: '', grantId: 'g1', createdAt: 0, expiresAt: 1, rotatedAt: 5 } }, 5, 0);
    const r = await refreshTokenGrant.handle({ client, params: new Params({ refresh_token: 'rt', scope: 'profile' }), remoteAddress: '' }, deps);
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(r.refreshToken, true);
    assert.equal(record.grantId, 'g1');
    await assert.rejects(refreshTokenGrant.handle({ client, params: new Params({ refresh_token: 'rt', scope: 'root' }), remoteAddress: '' }, deps));
  });

  it('revokes the family when a rotated token comes back after the grace window', async () => {
    const { deps, revoked } = setup({ outcome: 'reused', token: { hash: '', grantId: 'g1', createdAt: 0, expiresAt: 1, rotatedAt: 1_000 } }, 12_000, 10);
    await assert.rejects(refreshTokenGrant.handle({ client, params: new Params({ refresh_token: 'rt' }), remoteAddress: '' }, deps), InvalidGrant);
    assert.deepEqual(revoked, ['g1']);
  });

  it('tolerates a retry inside the grace window', async () => {
    const { deps, revoked } = setup({ outcome: 'reused', token: { hash: '', grantId: 'g1', createdAt: 0, expiresAt: 1, rotatedAt: 1_000 } }, 10_999, 10);
    const r = await refreshTokenGrant.handle({ client, params: new Params({ refresh_token: 'rt' }), remoteAddress: '' }, deps);
    assert.equal(r.grant.id, 'g1');
    assert.deepEqual(revoked, []);
  });

  it('does not burn a token presented by another client', async () => {
    const { deps } = setup({ outcome: 'unknown' }, 0, 0);
    let rotated = false;
    deps.refreshTokens.rotate = async () => {
      rotated = true;
      return { outcome: 'unknown' };
    };
    const other = { ...client, key: 'thief' } as Client;
    await assert.rejects(refreshTokenGrant.handle({ client: other, params: new Params({ refresh_token: 'rt' }), remoteAddress: '' }, deps), InvalidGrant);
    assert.equal(rotated, false);
  });
});
