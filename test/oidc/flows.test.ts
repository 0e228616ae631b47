import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { approveDevice } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import {
  alice,
  CookieJar,
  discover,
  formPostRequest,
  halfHash,
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

/** The six response types of OIDC, each through the real /login form and consent page. */
for (const backend of backendNames()) {
  describe(`OpenID Connect flows on ${backend}`, () => {
    let t: TestServer;
    let aliceId: string;
    let rp: { key: string; secret: string | null };
    let config: client.Configuration;
    let jar: CookieJar;

    before(async () => {
      t = await startServer({ backend });
      aliceId = await makeUser(t, alice.username, alice.password);
      const user = await t.app.stores.users.get(aliceId);
      if (user) await t.app.stores.users.update({ ...user, displayName: 'Alice Liddell', email: 'alice@example.test' });
      rp = await makeOidcClient(t);
      config = await discover(t, rp);
      jar = new CookieJar();
    });
    after(() => t.close());

    it('code: openid-client validates the ID token; sub is the user id; userinfo per scope', async () => {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile email',
        nonce,
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const r = await walk(jar, t, url.href, alice);
      assert.ok(r.signedIn && r.consented);
      const callback = redirected(r);
      assert.equal(callback.hash, '', 'code responses use the query by default');
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
      const claims = tokens.claims();
      assert.ok(claims);
      assert.equal(claims.sub, aliceId);
      assert.notEqual(claims.sub, 'alice');
      assert.equal(claims.aud, rp.key);
      assert.equal(claims.iss, t.baseUrl);
      assert.equal(claims.nonce, nonce);
      assert.equal(claims.exp - claims.iat, 900);
      assert.equal(typeof claims.auth_time, 'number');
      assert.equal(typeof claims.sid, 'string');
      assert.equal(claims.at_hash, halfHash(tokens.access_token));
      assert.equal(claims.name, undefined, 'with an access token, profile claims come from UserInfo (OIDC Core §5.4)');
      assert.equal(header(tokens.id_token ?? '').alg, 'RS256');
      assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token (OIDC Core §11)');

      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.deepEqual(info, {
        sub: aliceId,
        name: 'Alice Liddell',
        preferred_username: 'alice',
        updated_at: info.updated_at,
        email: 'alice@example.test',
        email_verified: false,
      });
      assert.equal(typeof info.updated_at, 'number');
    });

    it('code id_token: c_hash in the front-channel ID token, checked by openid-client', async () => {
      const hybrid = await discover(t, rp);
      client.useCodeIdTokenResponseType(hybrid);
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(hybrid, { redirect_uri: REDIRECT, scope: 'openid', nonce, state });
      assert.equal(url.searchParams.get('response_type'), 'code id_token');
      const callback = redirected(await walk(jar, t, url.href, alice));
      assert.equal(callback.search, '', 'tokens never travel in the query');
      const front = responseParams(callback);
      const fc = await verifyIdToken(t, front.get('id_token') ?? '', rp.key);
      assert.equal(fc.c_hash, halfHash(front.get('code') ?? ''));
      assert.equal(fc.at_hash, undefined);
      const tokens = await client.authorizationCodeGrant(hybrid, callback, { expectedNonce: nonce, expectedState: state });
      assert.equal(tokens.claims()?.sub, fc.sub);
      assert.equal(tokens.claims()?.nonce, nonce);
    });

    it('code id_token token and code token: at_hash and c_hash, same sub at both endpoints', async () => {
      for (const responseType of ['code id_token token', 'code token']) {
        const nonce = client.randomNonce();
        const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile', nonce, response_type: responseType, state: 's1' });
        const front = responseParams(redirected(await walk(jar, t, url.href, alice)));
        assert.equal(front.get('state'), 's1');
        assert.equal(front.get('iss'), t.baseUrl);
        assert.ok(front.get('access_token'));
        const code = front.get('code') ?? '';
        if (responseType.includes('id_token')) {
          const fc = await verifyIdToken(t, front.get('id_token') ?? '', rp.key);
          assert.equal(fc.c_hash, halfHash(code));
          assert.equal(fc.at_hash, halfHash(front.get('access_token') ?? ''));
          assert.equal(fc.nonce, nonce);
        } else {
          assert.equal(front.get('id_token'), null);
        }
        const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
        const back = await verifyIdToken(t, tokens.id_token ?? '', rp.key);
        assert.equal(back.sub, aliceId);
        assert.equal(back.nonce, nonce);
        assert.equal(back.at_hash, halfHash(tokens.access_token));
        // The front-channel access token works at UserInfo too.
        const info = await client.fetchUserInfo(config, front.get('access_token') ?? '', aliceId);
        assert.equal(info.preferred_username, 'alice');
      }
    });

    it('id_token: implicitAuthentication; with no access token the profile claims ride in the ID token', async () => {
      const implicit = await discover(t, rp);
      client.useIdTokenResponseType(implicit);
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(implicit, { redirect_uri: REDIRECT, scope: 'openid profile', nonce, state });
      const callback = redirected(await walk(jar, t, url.href, alice));
      assert.equal(responseParams(callback).get('access_token'), null);
      const claims = await client.implicitAuthentication(implicit, callback, nonce, { expectedState: state });
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.preferred_username, 'alice');
      assert.equal(claims.name, 'Alice Liddell');
      assert.equal(claims.at_hash, undefined);
    });

    it('id_token token: at_hash binds the fragment access token', async () => {
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid email', nonce, response_type: 'id_token token' });
      const front = responseParams(redirected(await walk(jar, t, url.href, alice)));
      const claims = await verifyIdToken(t, front.get('id_token') ?? '', rp.key);
      assert.equal(claims.at_hash, halfHash(front.get('access_token') ?? ''));
      assert.equal(claims.email, undefined, 'an access token came along: email is for UserInfo');
      assert.equal(front.get('token_type'), 'Bearer');
      const info = await client.fetchUserInfo(config, front.get('access_token') ?? '', aliceId);
      assert.equal(info.email, 'alice@example.test');
    });

    it('form_post: an auto-submitting page (script file, no inline script) that openid-client accepts', async () => {
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce, state, response_mode: 'form_post' });
      // A signed-in user who consented before gets the page at once.
      const peek = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: client.randomNonce(), response_mode: 'form_post' });
      const page = await jar.fetch(peek.href);
      assert.equal(page.status, 200);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      const html = await page.text();
      assert.match(html, /<script src="\/assets\/form-post\.js" defer><\/script>/);
      assert.doesNotMatch(html, /<script>/, 'no inline script');
      assert.match(html, /<noscript>[\s\S]*<button type="submit"/);
      const script = await fetch(`${t.baseUrl}/assets/form-post.js`);
      assert.equal(script.status, 200);
      assert.match(await script.text(), /submit\(\)/);

      const r = await walk(jar, t, url.href, alice);
      assert.equal(r.kind, 'form_post');
      const tokens = await client.authorizationCodeGrant(config, formPostRequest(r), { expectedNonce: nonce, expectedState: state });
      assert.equal(tokens.claims()?.sub, aliceId);

      // form_post with implicit: openid-client reads the POSTed id_token.
      const implicit = await discover(t, rp);
      client.useIdTokenResponseType(implicit);
      const nonce2 = client.randomNonce();
      const url2 = client.buildAuthorizationUrl(implicit, { redirect_uri: REDIRECT, scope: 'openid', nonce: nonce2, state: 'x', response_mode: 'form_post' });
      const r2 = await walk(jar, t, url2.href, alice);
      const claims = await client.implicitAuthentication(implicit, formPostRequest(r2), nonce2, { expectedState: 'x' });
      assert.equal(claims.sub, aliceId);
    });

    it('refresh: offline_access only with prompt=consent; a fresh ID token with the same sub and auth_time, no nonce', async () => {
      // Without prompt=consent offline_access is dropped (OIDC Core §11).
      const plain = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid offline_access', nonce: client.randomNonce() });
      const first = await client.genericGrantRequest(config, 'authorization_code', {
        code: redirected(await walk(jar, t, plain.href, alice)).searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
      });
      assert.equal(first.refresh_token, undefined);
      assert.equal(first.scope, 'openid');

      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid offline_access', nonce, prompt: 'consent' });
      const r = await walk(jar, t, url.href, alice);
      assert.ok(r.consented, 'prompt=consent shows the consent page although consent was given before');
      const tokens = await client.authorizationCodeGrant(config, redirected(r), { expectedNonce: nonce, expectedState: client.skipStateCheck });
      assert.ok(tokens.refresh_token);
      const original = tokens.claims();
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
      const claims = refreshed.claims();
      assert.ok(claims && original);
      assert.equal(claims.sub, original.sub);
      assert.equal(claims.auth_time, original.auth_time);
      assert.equal(claims.sid, original.sid);
      assert.equal(claims.nonce, undefined, 'OIDC Core §12.2');
      assert.notEqual(refreshed.id_token, tokens.id_token);
    });

    it('password and device grants return an ID token when openid was granted', async () => {
      const password = await postForm(
        `${t.baseUrl}/api/oidc/token`,
        { grant_type: 'password', username: alice.username, password: alice.password, scope: 'openid profile' },
        { authorization: `Basic ${Buffer.from(`${rp.key}:${rp.secret}`).toString('base64')}` },
      );
      assert.equal(password.status, 200, JSON.stringify(password.json));
      const pc = await verifyIdToken(t, String(password.json.id_token), rp.key);
      assert.equal(pc.sub, aliceId);
      assert.equal(pc.at_hash, halfHash(String(password.json.access_token)));
      assert.equal(password.json.refresh_token, undefined);

      const withoutOpenid = await postForm(
        `${t.baseUrl}/api/oidc/token`,
        { grant_type: 'password', username: alice.username, password: alice.password, scope: 'profile' },
        { authorization: `Basic ${Buffer.from(`${rp.key}:${rp.secret}`).toString('base64')}` },
      );
      assert.equal(withoutOpenid.status, 200);
      assert.equal(withoutOpenid.json.id_token, undefined);

      const device = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' });
      assert.equal(new URL(device.verification_uri).pathname, '/device');
      await approveDevice(jar, t.baseUrl, device.verification_uri_complete ?? '', alice);
      const tokens = await client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0 });
      assert.equal(tokens.claims()?.sub, aliceId);
      assert.ok(tokens.refresh_token, 'offline_access granted on the device consent page');
    });
  });
}
