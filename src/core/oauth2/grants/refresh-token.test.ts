import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, aGrant, aUser, T0 } from '../../testing/builders.js';
import { fakeOAuth2Deps } from '../../testing/fakes.js';
import { Params } from '../params.js';
import { refreshTokenGrant } from './refresh-token.js';

const INVALID_GRANT = { name: 'OAuth2Error(invalid_grant)', code: 'invalid_grant' };
const INVALID_SCOPE = { name: 'OAuth2Error(invalid_scope)', code: 'invalid_scope' };
const HASH = sha256Hex('rt');
/** Seconds a rotated token may come back (a client retrying the same request). */
const GRACE = 10;

const app = aClient().key('app').withGrant('refresh_token').build();
const thief = aClient().key('thief').withGrant('refresh_token').build();
const alice = aUser().id('u1').build();

async function setup() {
  const deps = fakeOAuth2Deps({ clients: [app, thief], users: [alice], settings: { refreshReuseGrace: GRACE } });
  deps.grants.put(aGrant().id('g1').forClient(app).ofUser(alice).withScopes('profile', 'latchkey:admin').byGrantType('password').build());
  await deps.refreshTokens.insert({ hash: HASH, grantId: 'g1', createdAt: T0, expiresAt: T0 + 86_400_000, rotatedAt: null });
  return deps;
}

type Deps = Awaited<ReturnType<typeof setup>>;

const refresh = (deps: Deps, params: Record<string, string> = {}, client: Client = app) =>
  refreshTokenGrant.handle({ client, params: new Params({ refresh_token: 'rt', ...params }), remoteAddress: '192.0.2.1' }, deps);

describe('refresh_token grant (RFC 6749 §6, rotation per RFC 9700 §4.14.2)', () => {
  it('rotates the stored token and may narrow the scope', async () => {
    const deps = await setup();
    deps.clock.advance(5_000);
    const r = await refresh(deps, { scope: 'profile' });
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(r.refreshToken, true);
    assert.equal(r.grant.id, 'g1');
    assert.deepEqual(r.grant.scopes, ['profile', 'latchkey:admin'], 'the grant keeps its scope; only this access token is narrower');
    assert.equal(r.user?.id, 'u1');
    assert.equal(deps.refreshTokens.byHash.get(HASH)?.rotatedAt, T0 + 5_000, 'the presented token is marked rotated now');
  });

  it('keeps the whole scope when none is asked for', async () => {
    const deps = await setup();
    assert.deepEqual((await refresh(deps)).scopes, ['profile', 'latchkey:admin']);
  });

  it('refuses to widen the scope with invalid_scope, without burning the token', async () => {
    const deps = await setup();
    await assert.rejects(refresh(deps, { scope: 'root' }), { ...INVALID_SCOPE, message: /"root" was not part of the original grant/ });
    await assert.rejects(refresh(deps, { scope: 'profile openid' }), { ...INVALID_SCOPE, message: /"openid" was not part of the original grant/ });
    assert.equal(deps.refreshTokens.byHash.get(HASH)?.rotatedAt, null, 'a refused request leaves the token usable');
    assert.deepEqual((await refresh(deps, { scope: 'latchkey:admin' })).scopes, ['latchkey:admin']);
  });

  it('revokes the family when a rotated token comes back after the grace window, and reports it', async () => {
    const deps = await setup();
    await refresh(deps);
    deps.clock.advance(GRACE * 1000 + 1);
    await assert.rejects(refresh(deps), { ...INVALID_GRANT, message: /already used/ });
    assert.equal(deps.grants.byId.get('g1')?.revokedAt, T0 + GRACE * 1000 + 1);
    assert.deepEqual(
      deps.recorded.map((e) => [e.kind, e.clientKey, e.source]),
      [['refresh_token_reused', 'app', '192.0.2.1']],
    );
    // The grant is revoked: even a narrower request now fails.
    await assert.rejects(refresh(deps, { scope: 'profile' }), { ...INVALID_GRANT, message: /revoked/ });
  });

  it('tolerates a retry up to the end of the grace window', async () => {
    const deps = await setup();
    await refresh(deps);
    deps.clock.advance(GRACE * 1000);
    const r = await refresh(deps);
    assert.equal(r.grant.id, 'g1');
    assert.equal(deps.grants.byId.get('g1')?.revokedAt, null);
    assert.deepEqual(deps.recorded, []);
  });

  it('refuses unknown and expired tokens with invalid_grant', async () => {
    const deps = await setup();
    await assert.rejects(refresh(deps, { refresh_token: 'nope' }), { ...INVALID_GRANT, message: /invalid/ });
    deps.clock.advance(86_400_000);
    await assert.rejects(refresh(deps), { ...INVALID_GRANT, message: /expired/ });
    await assert.rejects(refreshTokenGrant.handle({ client: app, params: new Params({}), remoteAddress: '' }, deps), {
      name: 'OAuth2Error(invalid_request)',
      code: 'invalid_request',
    });
  });

  it('does not burn a token presented by another client', async () => {
    const deps = await setup();
    await assert.rejects(refresh(deps, {}, thief), { ...INVALID_GRANT, message: /another client/ });
    assert.equal(deps.refreshTokens.byHash.get(HASH)?.rotatedAt, null);
    assert.equal((await refresh(deps)).grant.id, 'g1', 'its owner can still use it');
  });

  it('refuses once the client is no longer approved or the user is disabled', async () => {
    const deps = await setup();
    deps.clients.put({ ...app, status: 'disapproved' });
    await assert.rejects(refresh(deps), { ...INVALID_GRANT, message: /no longer approved/ });
    deps.clients.put(app);
    deps.users.put({ ...alice, enabled: false });
    await assert.rejects(refresh(deps), { ...INVALID_GRANT, message: /cannot sign in/ });
    assert.equal(deps.refreshTokens.byHash.get(HASH)?.rotatedAt, null);
  });
});
