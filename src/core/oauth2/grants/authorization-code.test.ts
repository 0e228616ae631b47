import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, aGrant, aUser } from '../../testing/builders.js';
import { fakeOAuth2Deps } from '../../testing/fakes.js';
import { CODE_KIND } from '../deps.js';
import { tokenEndpoint } from '../endpoints/token.js';
import { Params } from '../params.js';
import { s256 } from '../pkce.js';
import { authorizationCodeGrant, type CodePayload } from './authorization-code.js';

const REDIRECT = 'https://app.example/cb';
const VERIFIER = 'dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk';
const INVALID_GRANT = { name: 'OAuth2Error(invalid_grant)', code: 'invalid_grant' };

const app = aClient().key('app').confidential().withGrant('authorization_code', 'refresh_token').withRedirect(REDIRECT).build();
const other = aClient().key('other').confidential().withGrant('authorization_code').withRedirect(REDIRECT).build();
const alice = aUser().id('u1').build();

async function setup(payload: Partial<CodePayload> = {}, ttlMs = 60_000) {
  const deps = fakeOAuth2Deps({ clients: [app, other], users: [alice] });
  deps.grants.put(aGrant().id('g1').forClient(app).ofUser(alice).withScopes('profile').build());
  const full: CodePayload = { grantId: 'g1', clientKey: 'app', redirectUri: REDIRECT, redirectUriSent: true, pkce: null, ...payload };
  await deps.codes.put(CODE_KIND, sha256Hex('the-code'), { ...full }, deps.clock.now() + ttlMs);
  return deps;
}

const redeem = (deps: Awaited<ReturnType<typeof setup>>, params: Record<string, string>, client = app) =>
  authorizationCodeGrant.handle({ client, params: new Params({ code: 'the-code', redirect_uri: REDIRECT, ...params }), remoteAddress: '192.0.2.1' }, deps);

describe('authorization_code grant (RFC 6749 §4.1.3)', () => {
  it('exchanges a code for its grant, with a refresh token for a client registered for one', async () => {
    const deps = await setup();
    const r = await redeem(deps, {});
    assert.equal(r.grant.id, 'g1');
    assert.equal(r.user?.id, 'u1');
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(r.refreshToken, true);
  });

  it('lets a public client redeem its code at the token endpoint with PKCE (RFC 9700 §2.1.1)', async () => {
    const spa = aClient().key('spa').public().withGrant('authorization_code').withRedirect(REDIRECT).build();
    const deps = fakeOAuth2Deps({ clients: [spa], users: [alice] });
    deps.grants.put(aGrant().id('g-spa').forClient(spa).ofUser(alice).withScopes('profile').build());
    const payload: CodePayload = {
      grantId: 'g-spa',
      clientKey: 'spa',
      redirectUri: REDIRECT,
      redirectUriSent: true,
      pkce: { challenge: s256(VERIFIER), method: 'S256' },
    };
    await deps.codes.put(CODE_KIND, sha256Hex('spa-code'), { ...payload }, deps.clock.now() + 60_000);
    const endpoint = tokenEndpoint(deps, { family: 'oauth2', handlers: { authorization_code: authorizationCodeGrant }, extensions: [] });
    const r = await endpoint({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      query: {},
      body: { grant_type: 'authorization_code', client_id: 'spa', code: 'spa-code', redirect_uri: REDIRECT, code_verifier: VERIFIER },
      remoteAddress: '192.0.2.1',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.scope, 'profile');
  });

  it('accepts the S256 verifier of the code challenge (RFC 7636 §4.6)', async () => {
    const deps = await setup({ pkce: { challenge: s256(VERIFIER), method: 'S256' } });
    const r = await redeem(deps, { code_verifier: VERIFIER });
    assert.equal(r.grant.id, 'g1');
  });

  it('refuses a wrong, missing or unexpected verifier without burning the code', async () => {
    const deps = await setup({ pkce: { challenge: s256(VERIFIER), method: 'S256' } });
    await assert.rejects(redeem(deps, { code_verifier: `${VERIFIER.slice(0, -1)}x` }), { ...INVALID_GRANT, message: /does not match the code_challenge/ });
    await assert.rejects(redeem(deps, {}), { ...INVALID_GRANT, message: /code_verifier is required/ });
    await assert.rejects(redeem(deps, { code_verifier: 'short' }), { ...INVALID_GRANT, message: /43 to 128 characters/ });
    // The right verifier still works: the failed attempts did not consume the code.
    assert.equal((await redeem(deps, { code_verifier: VERIFIER })).grant.id, 'g1');

    const plain = await setup();
    await assert.rejects(redeem(plain, { code_verifier: VERIFIER }), { ...INVALID_GRANT, message: /had no code_challenge/ });
  });

  it('redeems a code once; a replay fails, revokes the grant and is reported', async () => {
    const deps = await setup();
    await redeem(deps, {});
    await assert.rejects(redeem(deps, {}), { ...INVALID_GRANT, message: /already used/ });
    assert.equal(deps.grants.byId.get('g1')?.revokedAt, deps.clock.now());
    assert.deepEqual(
      deps.recorded.map((e) => [e.kind, e.clientKey, e.details]),
      [['code_replayed', 'app', { grant: 'g1' }]],
    );
  });

  it('refuses a redirect_uri other than the one of the authorization request', async () => {
    const deps = await setup();
    await assert.rejects(redeem(deps, { redirect_uri: 'https://app.example/other' }), { ...INVALID_GRANT, message: /redirect_uri does not match/ });
    await assert.rejects(redeem(deps, { redirect_uri: '' }), { ...INVALID_GRANT, message: /redirect_uri does not match/ });
    // Not burnt by the mismatch.
    assert.equal((await redeem(deps, {})).grant.id, 'g1');
  });

  it('lets redirect_uri be omitted only when the authorization request omitted it', async () => {
    const deps = await setup({ redirectUriSent: false });
    assert.equal((await redeem(deps, { redirect_uri: '' })).grant.id, 'g1');
    const again = await setup({ redirectUriSent: false });
    await assert.rejects(redeem(again, { redirect_uri: 'https://app.example/other' }), { ...INVALID_GRANT, message: /the code was sent to/ });
  });

  it('refuses a code issued to another client, and leaves it to its client', async () => {
    const deps = await setup();
    await assert.rejects(redeem(deps, {}, other), { ...INVALID_GRANT, message: /issued to another client/ });
    assert.equal(deps.grants.byId.get('g1')?.revokedAt, null);
    assert.equal((await redeem(deps, {})).grant.id, 'g1');
  });

  it('refuses an expired or unknown code', async () => {
    const deps = await setup({}, 60_000);
    deps.clock.advance(60_000);
    await assert.rejects(redeem(deps, {}), { ...INVALID_GRANT, message: /has expired/ });
    await assert.rejects(redeem(deps, { code: 'not-a-code' }), { ...INVALID_GRANT, message: /is invalid/ });
  });

  it('refuses a code whose grant was revoked or whose user was disabled', async () => {
    const deps = await setup();
    await deps.grants.revoke('g1', deps.clock.now() - 1);
    await assert.rejects(redeem(deps, {}), { ...INVALID_GRANT, message: /revoked/ });
    const disabled = await setup();
    disabled.users.put(aUser().id('u1').disabled().build());
    await assert.rejects(redeem(disabled, {}), { ...INVALID_GRANT, message: /cannot sign in/ });
  });
});
