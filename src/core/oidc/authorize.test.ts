import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { type AuthorizeOutcome, type AuthorizeSession, authorize, REAUTH_PARAM } from '../oauth2/endpoints/authorize.js';
import { aClient, aUser, T0 } from '../testing/builders.js';
import { type FakeOAuth2Deps, type FakeOidcAuthorizeDeps, fakeOAuth2Deps, fakeOidcAuthorizeDeps, TEST_ISSUER } from '../testing/fakes.js';
import { oidcAuthorizeOptions } from './authorize.js';
import { leftHalfHash } from './hashes.js';

const REDIRECT = 'https://rp.example/cb';

const rp = aClient()
  .key('rp')
  .oidc()
  .withGrant('authorization_code', 'refresh_token')
  .withResponseType('code', 'id_token', 'code id_token', 'id_token token')
  .withRedirect(REDIRECT)
  .build();
const other = aClient().key('other').oidc().withGrant('authorization_code').withResponseType('code').withRedirect('https://other.example/cb').build();
const plain = aClient().key('plain').withGrant('authorization_code').withResponseType('code').withRedirect(REDIRECT).build();
const alice = aUser().id('u1').named('alice', 'Alice').withEmail('alice@example.com').build();
const bob = aUser().id('u2').named('bob').build();

/** Signed in a minute before the clock's T0. */
const session: AuthorizeSession = { user: alice, authTime: T0 - 60_000, sid: 'sid-1' };

interface Setup {
  deps: FakeOAuth2Deps;
  oidc: FakeOidcAuthorizeDeps;
}

/** With alice's consent to openid and profile remembered for rp, unless told otherwise. */
async function setup(o: { consented?: boolean } = {}): Promise<Setup> {
  const deps = fakeOAuth2Deps({ clients: [rp, other, plain], users: [alice, bob] });
  const oidc = fakeOidcAuthorizeDeps(deps);
  if (o.consented !== false) await deps.consents.grant('u1', 'rp', ['openid', 'profile']);
  return { deps, oidc };
}

const run = (t: Setup, params: Record<string, string>, o: { session?: AuthorizeSession | null; decision?: 'allow' | 'deny' } = {}) =>
  authorize(t.deps, oidcAuthorizeOptions(t.oidc), {
    params,
    session: o.session === undefined ? session : o.session,
    ...(o.decision ? { decision: o.decision } : {}),
  });

const request = (extra: Record<string, string> = {}) => ({
  client_id: 'rp',
  redirect_uri: REDIRECT,
  response_type: 'code',
  scope: 'openid profile',
  state: 'st',
  nonce: 'n-1',
  ...extra,
});

function redirected(outcome: AuthorizeOutcome, where: 'query' | 'fragment' = 'query'): URLSearchParams {
  assert.equal(outcome.kind, 'redirect', JSON.stringify(outcome));
  const url = new URL(outcome.kind === 'redirect' ? outcome.location : '');
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT);
  return where === 'query' ? url.searchParams : new URLSearchParams(url.hash.slice(1));
}

/** An error of OIDC Core §3.1.2.6 or RFC 6749 §4.1.2.1, sent back to the redirect URI with state and iss. */
function redirectedError(outcome: AuthorizeOutcome, error: string, where: 'query' | 'fragment' = 'query'): string {
  const p = redirected(outcome, where);
  assert.equal(p.get('error'), error, p.toString());
  assert.equal(p.get('state'), 'st');
  assert.equal(p.get('iss'), TEST_ISSUER);
  assert.equal(p.get('code'), null);
  assert.equal(p.get('id_token'), null);
  return p.get('error_description') ?? '';
}

describe('OpenID Connect authorization endpoint (OIDC Core §3.1.2)', () => {
  it('issues a code with remembered consent, carrying the nonce into the grant', async () => {
    const t = await setup();
    const p = redirected(await run(t, request()));
    assert.notEqual(p.get('code') ?? '', '');
    assert.equal(p.get('state'), 'st');
    assert.equal(p.get('iss'), TEST_ISSUER);
    const [grant] = t.deps.grants.byId.values();
    assert.equal(grant?.extra.nonce, 'n-1');
    assert.deepEqual(grant?.scopes, ['openid', 'profile']);
    assert.equal(grant?.sid, 'sid-1');
  });

  it('returns an ID token in the fragment for id_token, bound to the nonce, with c_hash next to a code', async () => {
    const t = await setup();
    const implicit = redirected(await run(t, request({ response_type: 'id_token' })), 'fragment');
    const claims = decodeJwt(implicit.get('id_token') ?? '');
    assert.deepEqual(
      [claims.iss, claims.sub, claims.aud, claims.nonce, claims.auth_time, claims.sid],
      [TEST_ISSUER, 'u1', 'rp', 'n-1', Math.floor((T0 - 60_000) / 1000), 'sid-1'],
    );
    assert.equal(implicit.get('access_token'), null);
    assert.equal((await t.oidc.idTokens.readHint(implicit.get('id_token') ?? '')).status, 'valid', 'signed by the server’s key');

    const hybrid = redirected(await run(t, request({ response_type: 'code id_token', nonce: 'n-2' })), 'fragment');
    const code = hybrid.get('code') ?? '';
    assert.equal(decodeJwt(hybrid.get('id_token') ?? '').c_hash, leftHalfHash(code, 'RS256'));

    const withToken = redirected(await run(t, request({ response_type: 'id_token token', nonce: 'n-3' })), 'fragment');
    assert.equal(decodeJwt(withToken.get('id_token') ?? '').at_hash, leftHalfHash(withToken.get('access_token') ?? '', 'RS256'));
  });

  it('renders form_post as a page that posts the response to the redirect URI', async () => {
    const t = await setup();
    const outcome = await run(t, request({ response_mode: 'form_post' }));
    assert.equal(outcome.kind, 'page');
    const html = outcome.kind === 'page' ? outcome.html : '';
    assert.match(html, new RegExp(`<form method="post" action="${REDIRECT}"`));
    assert.match(html, /<input type="hidden" name="code" value="[A-Za-z0-9_-]+">/);
    assert.match(html, /<input type="hidden" name="state" value="st">/);
  });

  it('refuses a replayed nonce with invalid_request before storing anything, and reports it (OIDC Core §15.5.2)', async () => {
    const t = await setup();
    redirected(await run(t, request()));
    assert.match(redirectedError(await run(t, request()), 'invalid_request'), /nonce was already used/);
    assert.equal(t.deps.grants.byId.size, 1);
    assert.deepEqual(
      t.deps.recorded.map((e) => [e.kind, e.clientKey]),
      [['nonce_replayed', 'rp']],
    );
    // Another client may use the same value.
    await t.deps.consents.grant('u1', 'other', ['openid', 'profile']);
    redirected(await run(t, request({ client_id: 'other', redirect_uri: 'https://other.example/cb' })).then(asRp));
  });

  describe('prompt (OIDC Core §3.1.2.1) and its errors (§3.1.2.6)', () => {
    it('prompt=none: login_required without a session, consent_required without consent', async () => {
      const t = await setup({ consented: false });
      assert.match(redirectedError(await run(t, request({ prompt: 'none' }), { session: null }), 'login_required'), /must sign in/);
      assert.match(redirectedError(await run(t, request({ prompt: 'none' })), 'consent_required'), /not consented/);
      assert.equal(t.deps.grants.byId.size, 0);
    });

    it('prompt=none answers at once when nothing is needed', async () => {
      const t = await setup();
      assert.notEqual(redirected(await run(t, request({ prompt: 'none' }))).get('code'), null);
    });

    it('prompt=none cannot be combined, and unknown values are invalid_request', async () => {
      const t = await setup();
      assert.match(redirectedError(await run(t, request({ prompt: 'none login' })), 'invalid_request'), /cannot be combined/);
      assert.match(redirectedError(await run(t, request({ prompt: 'sometimes' })), 'invalid_request'), /not supported/);
      assert.match(redirectedError(await run(t, request({ max_age: '-1' })), 'invalid_request'), /max_age/);
    });

    it('prompt=login sends a signed-in user to sign in again, once: the fresh sign-in then counts', async () => {
      const t = await setup();
      const outcome = await run(t, request({ prompt: 'login' }));
      assert.equal(outcome.kind, 'login');
      const params = outcome.kind === 'login' ? outcome.params : {};
      const marker = params[REAUTH_PARAM] ?? '';
      assert.notEqual(marker, '', 'the request carries when it was sent away');
      // Back from /login with a session authenticated after the marker: no second sign-in.
      t.deps.clock.advance(5_000);
      const fresh: AuthorizeSession = { ...session, authTime: T0 + 5_000 };
      assert.notEqual(redirected(await run(t, params, { session: fresh })).get('code'), null);
      // The old session does not satisfy it.
      assert.equal((await run(t, params)).kind, 'login');
      // A forged marker does not count either.
      assert.equal((await run(t, { ...params, [REAUTH_PARAM]: `${T0 - 120_000}.${'A'.repeat(43)}` })).kind, 'login');
    });

    it('max_age: an authentication older than max_age asks for a new sign-in', async () => {
      const t = await setup();
      const tooOld = await run(t, request({ max_age: '30' }));
      assert.equal(tooOld.kind, 'login', 'signed in 60 s ago, max_age 30 s');
      assert.notEqual(redirected(await run(t, request({ max_age: '60' }))).get('code'), null, 'exactly max_age old is still fine');
    });

    it('prompt=consent asks again although consent is remembered, and keeps offline_access only then', async () => {
      const t = await setup();
      const outcome = await run(t, request({ prompt: 'consent', scope: 'openid offline_access' }));
      assert.equal(outcome.kind, 'consent');
      assert.deepEqual(outcome.kind === 'consent' ? outcome.scopes.map((s) => s.name) : [], ['openid', 'offline_access']);
      const without = await run(t, request({ scope: 'openid profile offline_access', nonce: 'n-off' }));
      redirected(without);
      assert.deepEqual([...t.deps.grants.byId.values()].at(-1)?.scopes, ['openid', 'profile'], 'offline_access dropped without prompt=consent (§11)');
    });
  });

  describe('errors returned to the verified redirect URI', () => {
    it('invalid_scope without openid', async () => {
      const t = await setup();
      assert.match(redirectedError(await run(t, request({ scope: 'profile' })), 'invalid_scope'), /openid/);
    });

    it('request_not_supported, request_uri_not_supported, registration_not_supported (OIDC Core §6, §7.2.1)', async () => {
      const t = await setup();
      redirectedError(await run(t, request({ request: 'eyJ.e30.' })), 'request_not_supported');
      redirectedError(await run(t, request({ request_uri: 'https://rp.example/req' })), 'request_uri_not_supported');
      redirectedError(await run(t, request({ registration: '{}' })), 'registration_not_supported');
    });

    it('invalid_request: a response carrying an ID token needs a nonce; tokens never in the query', async () => {
      const t = await setup();
      const { nonce: _, ...noNonce } = request({ response_type: 'id_token' });
      assert.match(redirectedError(await run(t, noNonce), 'invalid_request', 'fragment'), /nonce is required/);
      const { nonce: __, ...codeNoNonce } = request();
      assert.notEqual(redirected(await run(t, codeNoNonce)).get('code'), null, 'optional for code');
      assert.match(redirectedError(await run(t, request({ response_type: 'id_token', response_mode: 'query' })), 'invalid_request', 'fragment'), /query/);
    });

    it('access_denied for an essential acr that cannot be met, or when the user denies', async () => {
      const t = await setup();
      const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:mace:incommon:iap:gold'] } } });
      assert.match(redirectedError(await run(t, request({ claims })), 'access_denied'), /acr/);
      redirectedError(await run(t, request(), { decision: 'deny' }), 'access_denied');
    });

    it('unauthorized_client for a response type the client did not register', async () => {
      const t = await setup();
      redirectedError(
        await run(t, request({ client_id: 'other', redirect_uri: 'https://other.example/cb', response_type: 'id_token' })).then(asRp),
        'unauthorized_client',
        'fragment',
      );
    });

    it('invalid_request for an id_token_hint that is not ours or names another client; login for another user', async () => {
      const t = await setup();
      assert.match(redirectedError(await run(t, request({ id_token_hint: 'not.a.jwt' })), 'invalid_request'), /id_token_hint/);
      const forOther = await t.oidc.idTokens.mint({ client: other, user: alice, authTime: T0, userClaims: {} });
      assert.match(redirectedError(await run(t, request({ id_token_hint: forOther.token })), 'invalid_request'), /another client/);
      const ofBob = await t.oidc.idTokens.mint({ client: rp, user: bob, authTime: T0, userClaims: {} });
      assert.equal((await run(t, request({ id_token_hint: ofBob.token }))).kind, 'login');
      assert.match(redirectedError(await run(t, request({ id_token_hint: ofBob.token, prompt: 'none' })), 'login_required'), /sign in/);
      const ofAlice = await t.oidc.idTokens.mint({ client: rp, user: alice, authTime: T0, userClaims: {} });
      assert.equal((await run(t, request({ id_token_hint: ofAlice.token }))).kind, 'redirect');
    });
  });

  describe('errors shown to the user, never redirected', () => {
    it('a missing redirect_uri, even with one registered (OIDC Core §3.1.2.1)', async () => {
      const t = await setup();
      const { redirect_uri: _, ...noUri } = request();
      const outcome = await run(t, noUri);
      assert.equal(outcome.kind === 'error-page' && outcome.title, 'Missing redirect URI');
    });

    it('an unregistered redirect_uri, or an OAuth 2.0 client', async () => {
      const t = await setup();
      const evil = await run(t, request({ redirect_uri: 'https://evil.example/cb', prompt: 'none' }), { session: null });
      assert.equal(evil.kind === 'error-page' && evil.title, 'Redirect URI not registered');
      const wrong = await run(t, request({ client_id: 'plain' }));
      assert.equal(wrong.kind === 'error-page' && wrong.title, 'Wrong endpoint');
      assert.match(wrong.kind === 'error-page' ? wrong.message : '', /\/oauth2\/authorize/);
    });
  });
});

/** Redirects to another client's URI, checked as the same shape (the helpers compare with REDIRECT). */
function asRp(outcome: AuthorizeOutcome): AuthorizeOutcome {
  if (outcome.kind !== 'redirect') return outcome;
  return { kind: 'redirect', location: outcome.location.replace('https://other.example/cb', REDIRECT) };
}
