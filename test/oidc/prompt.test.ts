// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errors as joseErrors } from 'jose';
import * as client from 'openid-client';
import { makeClient } from '../oauth2/helpers.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import {
  alice,
  bob,
  CookieJar,
  discover,
  header,
  makeOidcClient,
  makeUser,
  postForm,
  REDIRECT,
  redirected,
  responseParams,
  verifyIdToken,
  walk,
} from './helpers.js';

/** prompt, max_age, hints, acr and claims requests, and the refusals of OIDC Core §3.1.2. */
describe('OpenID Connect request parameters and refusals', () => {
  let t: TestServer;
  let clock: ManualClock;
  let aliceId: string;
  let bobId: string;
  let rp: { key: string; secret: string | null };
  let config: client.Configuration;

  before(async () => {
    clock = new ManualClock(Date.now());
    t = await startServer({ clock });
    aliceId = await makeUser(t, alice.username, alice.password);
    bobId = await makeUser(t, bob.username, bob.password);
    rp = await makeOidcClient(t);
    config = await discover(t, rp);
  });
  after(() => t.close());

  const codeUrl = (params: Record<string, string> = {}) =>
    client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: client.randomNonce(), state: 'st', ...params }).href;

  async function exchange(callback: URL) {
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback.href}`);
    const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
    return verifyIdToken(t, tokens.id_token ?? '', rp.key);
  }

  /** Signs alice in and consents once; returns her jar and first ID token. */
  async function signedIn() {
    const jar = new CookieJar();
    const first = await exchange(redirected(await walk(jar, t, codeUrl(), alice)));
    return { jar, first };
  }

  it('prompt=none without a session: login_required back at the redirect URI, with state and iss', async () => {
    const url = redirected(await walk(new CookieJar(), t, codeUrl({ prompt: 'none' })));
    assert.equal(url.origin + url.pathname, REDIRECT);
    assert.equal(url.searchParams.get('error'), 'login_required');
    assert.equal(url.searchParams.get('state'), 'st');
    assert.equal(url.searchParams.get('iss'), t.baseUrl);
    assert.equal(url.searchParams.get('code'), null);
    // Implicit: the error travels in the fragment.
    const implicit = redirected(await walk(new CookieJar(), t, codeUrl({ prompt: 'none', response_type: 'id_token' })));
    assert.equal(responseParams(implicit).get('error'), 'login_required');
    assert.equal(implicit.search, '');
  });

  it('prompt=none with a session: no interaction, same sub and auth_time; consent_required for an application not yet allowed', async () => {
    const { jar, first } = await signedIn();
    clock.advance(2_000);
    const r = await walk(jar, t, codeUrl({ prompt: 'none' }));
    assert.ok(!r.signedIn && !r.consented);
    const again = await exchange(redirected(r));
    assert.equal(again.sub, first.sub);
    assert.equal(again.auth_time, first.auth_time);
    assert.equal(again.sid, first.sid);

    const other = await makeOidcClient(t, { name: 'Other app' });
    const otherConfig = await discover(t, other);
    const url = client.buildAuthorizationUrl(otherConfig, { redirect_uri: REDIRECT, scope: 'openid', prompt: 'none' });
    assert.equal(redirected(await walk(jar, t, url.href)).searchParams.get('error'), 'consent_required');
    // prompt=none cannot be combined with another value.
    assert.equal(redirected(await walk(jar, t, codeUrl({ prompt: 'none login' }))).searchParams.get('error'), 'invalid_request');
  });

  it('prompt=login asks for the password again although signed in; auth_time moves', async () => {
    const { jar, first } = await signedIn();
    clock.advance(3_000);
    const r = await walk(jar, t, codeUrl({ prompt: 'login' }), alice);
    assert.ok(r.signedIn, 'the user was sent to /login');
    assert.ok(!r.consented, 'consent is remembered');
    const second = await exchange(redirected(r));
    assert.equal(second.sub, first.sub);
    assert.equal(Number(second.auth_time) - Number(first.auth_time), 3);
    assert.equal(second.sid, first.sid, 're-authentication continues the same session');
  });

  it('max_age: an older authentication means signing in again; prompt=none then answers login_required', async () => {
    const { jar, first } = await signedIn();
    clock.advance(5_000);
    // Recent enough: no sign-in.
    const fresh = await walk(jar, t, codeUrl({ max_age: '3600' }), alice);
    assert.ok(!fresh.signedIn);
    assert.equal((await exchange(redirected(fresh))).auth_time, first.auth_time);
    // Too old: without interaction allowed it is an error.
    assert.equal(redirected(await walk(jar, t, codeUrl({ max_age: '3', prompt: 'none' }))).searchParams.get('error'), 'login_required');
    // Too old: sign in again; openid-client checks auth_time against max_age.
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce, max_age: '3' });
    const r = await walk(jar, t, url.href, alice);
    assert.ok(r.signedIn);
    const tokens = await client.authorizationCodeGrant(config, redirected(r), { expectedNonce: nonce, maxAge: 3, expectedState: client.skipStateCheck });
    assert.equal(Number(tokens.claims()?.auth_time) - Number(first.auth_time), 5);
  });

  it('id_token_hint: accepted for the signed-in user, login_required for someone else, invalid_request when forged', async () => {
    const { jar } = await signedIn();
    const hintTokens = await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
    const hint = hintTokens.id_token ?? '';
    const ok = await walk(jar, t, codeUrl({ prompt: 'none', id_token_hint: hint }));
    assert.equal((await exchange(redirected(ok))).sub, aliceId);
    // An expired hint is still a hint (OIDC Core §3.1.2.1).
    clock.advance(20 * 60_000);
    const late = await walk(jar, t, codeUrl({ prompt: 'none', id_token_hint: hint }));
    assert.ok(redirected(late).searchParams.get('code'));
    clock.advance(-20 * 60_000);

    const bobHint = (await client.genericGrantRequest(config, 'password', { username: bob.username, password: bob.password, scope: 'openid' })).id_token ?? '';
    assert.equal(redirected(await walk(jar, t, codeUrl({ prompt: 'none', id_token_hint: bobHint }))).searchParams.get('error'), 'login_required');
    // With interaction allowed, the user is asked to sign in as the hinted user.
    clock.advance(1_000);
    const asBob = await walk(jar, t, codeUrl({ id_token_hint: bobHint }), bob);
    assert.ok(asBob.signedIn);
    assert.equal((await exchange(redirected(asBob))).sub, bobId);

    const [h, p, sig] = hint.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()), sub: bobId })).toString('base64url')}.${sig}`;
    const forged = redirected(await walk(jar, t, codeUrl({ id_token_hint: tampered })));
    assert.equal(forged.searchParams.get('error'), 'invalid_request');
    assert.match(forged.searchParams.get('error_description') ?? '', /id_token_hint/);
    // An access token is not an ID token, though signed by the same keys.
    const accessAsHint = redirected(await walk(jar, t, codeUrl({ id_token_hint: hintTokens.access_token })));
    assert.equal(accessAsHint.searchParams.get('error'), 'invalid_request');
  });

  it('login_hint pre-fills the username on /login; ui_locales, claims_locales and display are accepted', async () => {
    const jar = new CookieJar();
    const res = await jar.fetch(codeUrl({ login_hint: 'alice', ui_locales: 'en fr', claims_locales: 'en', display: 'popup' }));
    assert.equal(res.status, 303);
    const login = await jar.fetch(new URL(res.headers.get('location') ?? '', t.baseUrl).href);
    assert.match(await login.text(), /name="username"[^>]*value="alice"/);
    const r = await walk(jar, t, codeUrl({ login_hint: 'alice', ui_locales: 'en fr', display: 'popup' }), alice);
    assert.ok(redirected(r).searchParams.get('code'));
  });

  it('acr_values and the claims parameter: acr reported, requested claims in the ID token and consented as their scope', async () => {
    const jar = new CookieJar();
    const claims = JSON.stringify({ id_token: { email: null, name: { essential: true } }, userinfo: { preferred_username: null } });
    const r = await walk(jar, t, codeUrl({ acr_values: '1 2', claims }), alice);
    assert.ok(r.consented);
    const code = redirected(r).searchParams.get('code') ?? '';
    const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
    assert.deepEqual(tokens.scope?.split(' ').sort(), ['email', 'openid', 'profile']);
    const idt = await verifyIdToken(t, tokens.id_token ?? '', rp.key);
    assert.equal(typeof idt.acr, 'string');
    const discovery = (await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] };
    assert.ok(discovery.acr_values_supported.includes(String(idt.acr)));
    assert.equal(idt.name, 'alice');
    assert.equal(idt.preferred_username, undefined, 'asked for at UserInfo only');
    assert.equal(idt.email, undefined, 'alice has no email address');
    const info = await client.fetchUserInfo(config, tokens.access_token, aliceId);
    assert.equal(info.preferred_username, 'alice');
    // An essential acr Latchkey cannot meet fails the request (§5.5.1.1).
    const strict = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:mfa'] } } });
    assert.equal(redirected(await walk(jar, t, codeUrl({ claims: strict }))).searchParams.get('error'), 'access_denied');
    assert.equal(redirected(await walk(jar, t, codeUrl({ claims: '{not json' }))).searchParams.get('error'), 'invalid_request');
  });

  it('nonce: required when the authorization response carries an ID token, optional for code and code token, echoed, and refused when replayed', async () => {
    const jar = new CookieJar();
    await walk(jar, t, codeUrl(), alice);
    // OIDC Core §3.2.2.1, §3.3.2.11; code token without a nonce is proven in defects.test.ts.
    for (const response_type of ['id_token', 'id_token token', 'code id_token', 'code id_token token']) {
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', response_type, state: 'n' });
      const back = redirected(await walk(jar, t, url.href));
      const p = responseParams(back);
      assert.equal(p.get('error'), 'invalid_request', response_type);
      assert.match(p.get('error_description') ?? '', /nonce/);
      assert.equal(back.search, '', 'errors of token-carrying requests go to the fragment');
    }
    const withoutNonce = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid' });
    const plain = await exchange(redirected(await walk(jar, t, withoutNonce.href)));
    assert.equal(plain.nonce, undefined);

    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', response_type: 'id_token', nonce });
    const first = responseParams(redirected(await walk(jar, t, url.href)));
    assert.equal((await verifyIdToken(t, first.get('id_token') ?? '', rp.key)).nonce, nonce);
    const replay = responseParams(redirected(await walk(jar, t, url.href)));
    assert.equal(replay.get('error'), 'invalid_request');
    assert.equal(replay.get('id_token'), null);
    // The relying party's check: an ID token for another nonce is refused by openid-client.
    const implicit = await discover(t, rp);
    client.useIdTokenResponseType(implicit);
    const fresh = client.buildAuthorizationUrl(implicit, { redirect_uri: REDIRECT, scope: 'openid', nonce: client.randomNonce(), state: 'q' });
    const callback = redirected(await walk(jar, t, fresh.href));
    await assert.rejects(client.implicitAuthentication(implicit, callback, 'another-nonce', { expectedState: 'q' }), (err: Error) =>
      /"nonce"/.test(String(err.cause)),
    );
  });

  it('refuses what it does not support, each with its registered error', async () => {
    const jar = new CookieJar();
    await walk(jar, t, codeUrl(), alice);
    const err = async (params: Record<string, string>) => redirected(await walk(jar, t, codeUrl(params))).searchParams.get('error');
    assert.equal(await err({ request: 'eyJhbGciOiJub25lIn0.e30.' }), 'request_not_supported');
    assert.equal(await err({ request_uri: 'https://rp.example/req.jwt' }), 'request_uri_not_supported');
    assert.equal(await err({ scope: 'profile' }), 'invalid_scope');
    assert.equal(await err({ prompt: 'create' }), 'invalid_request');
    assert.equal(await err({ max_age: 'soon' }), 'invalid_request');
    assert.equal(await err({ response_mode: 'jwt' }), 'invalid_request');
    const inQuery = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      response_type: 'id_token',
      nonce: 'x',
      response_mode: 'query',
    });
    assert.equal(responseParams(redirected(await walk(jar, t, inQuery.href))).get('error'), 'invalid_request');
    // Unknown scope values are ignored (OIDC Core §3.1.2.1).
    const unknown = await exchange(redirected(await walk(jar, t, codeUrl({ scope: 'openid address phone' }))));
    assert.equal(unknown.sub, aliceId);
    // redirect_uri is required for OIDC even with one registered URI: an error page, no redirect.
    const noRedirect = new URL(codeUrl());
    noRedirect.searchParams.delete('redirect_uri');
    const page = await jar.fetch(noRedirect.href);
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null);
    assert.match(await page.text(), /redirect_uri/);
  });

  it('an OAuth 2.0 client never gets an ID token', async () => {
    const o = await makeClient(t, { name: 'Plain OAuth', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'password'] });
    const jar = new CookieJar();
    await walk(jar, t, codeUrl(), alice);
    const at = (path: string, params: Record<string, string>) =>
      `${t.baseUrl}${path}?${new URLSearchParams({ client_id: o.key, redirect_uri: REDIRECT, ...params })}`;
    const scoped = redirected(
      await walk(jar, t, at('/oauth2/authorize', { response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })),
    );
    assert.equal(scoped.searchParams.get('error'), 'invalid_scope');
    assert.match(scoped.searchParams.get('error_description') ?? '', /openid/);
    const rt = responseParams(redirected(await walk(jar, t, at('/oauth2/authorize', { response_type: 'id_token', scope: 'profile', nonce: 'n' }))));
    assert.equal(rt.get('error'), 'unsupported_response_type');
    const wrongEndpoint = await jar.fetch(at('/oidc/authorize', { response_type: 'code', scope: 'openid' }));
    assert.equal(wrongEndpoint.status, 400);
    assert.match(await wrongEndpoint.text(), /OAuth 2\.0 client/);
    const auth = { authorization: `Basic ${Buffer.from(`${o.key}:${o.secret}`).toString('base64')}` };
    const grant = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'password', username: 'alice', password: alice.password, scope: 'openid' },
      auth,
    );
    assert.equal(grant.json.error, 'invalid_scope');
    const oidcPath = await postForm(`${t.baseUrl}/api/oidc/token`, { grant_type: 'password', username: 'alice', password: alice.password }, auth);
    assert.equal(oidcPath.json.error, 'unauthorized_client');
    assert.equal(oidcPath.json.id_token, undefined);
  });

  it('ID tokens: wrong audience and tampering are rejected; per-client ES256 with RS256 as the default', async () => {
    const tokens = await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
    const idToken = tokens.id_token ?? '';
    assert.equal(header(idToken).alg, 'RS256');
    await assert.rejects(verifyIdToken(t, idToken, 'some-other-client'), joseErrors.JWTClaimValidationFailed);
    const [h, p, s] = idToken.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: bobId })).toString('base64url')}.${s}`;
    await assert.rejects(verifyIdToken(t, altered, rp.key), joseErrors.JWSSignatureVerificationFailed);

    // openid-client configured as another client refuses the token too.
    const other = await makeOidcClient(t, { name: 'Second RP' });
    const otherConfig = await discover(t, other);
    const response = await client.genericGrantRequest(otherConfig, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
    assert.equal((await verifyIdToken(t, response.id_token ?? '', other.key)).aud, other.key);
    await assert.rejects(verifyIdToken(t, response.id_token ?? '', rp.key), /aud/);

    const es = await makeOidcClient(t, { name: 'EC RP', metadata: { id_token_signed_response_alg: 'ES256' } });
    const esConfig = await discover(t, es, { id_token_signed_response_alg: 'ES256' });
    const esTokens = await client.genericGrantRequest(esConfig, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
    assert.equal(header(esTokens.id_token ?? '').alg, 'ES256');
    assert.equal(esTokens.claims()?.sub, aliceId);
  });

  it('UserInfo: GET and POST with the header, POST with a form body; RFC 6750 errors', async () => {
    const tokens = await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid profile' });
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const get = await fetch(`${t.baseUrl}/userinfo`, { headers: bearer });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('cache-control'), 'no-store');
    const body = (await get.json()) as Record<string, unknown>;
    assert.equal(body.sub, aliceId);
    assert.equal(body.preferred_username, 'alice');
    const post = await fetch(`${t.baseUrl}/userinfo`, { method: 'POST', headers: bearer });
    assert.deepEqual(await post.json(), body);
    const form = await postForm(`${t.baseUrl}/userinfo`, { access_token: tokens.access_token });
    assert.deepEqual(form.json, body);

    const none = await fetch(`${t.baseUrl}/userinfo`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    const bad = await fetch(`${t.baseUrl}/userinfo`, { headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const inUrl = await fetch(`${t.baseUrl}/userinfo?access_token=${tokens.access_token}`);
    assert.equal(inUrl.status, 400);
    const both = await fetch(`${t.baseUrl}/userinfo`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }),
    });
    assert.equal(both.status, 400);
    // A token without openid (here: an OAuth 2.0 client's) is not for UserInfo.
    const o = await makeClient(t, { name: 'API client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'password'] });
    const oauth2Token = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'password', username: 'alice', password: alice.password, scope: 'profile' },
      { authorization: `Basic ${Buffer.from(`${o.key}:${o.secret}`).toString('base64')}` },
    );
    const scoped = await fetch(`${t.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${oauth2Token.json.access_token}` } });
    assert.equal(scoped.status, 403);
    assert.match(scoped.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="openid"/);
  });
});
