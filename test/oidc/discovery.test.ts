// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { approveDevice } from '../oauth2/helpers.js';
import { LOOPBACK_RECEIVERS, startServer, type TestServer } from '../support/server.js';
import {
  alice,
  CookieJar,
  discover,
  formPostRequest,
  halfHash,
  header,
  type LogoutReceiver,
  makeOidcClient,
  makeUser,
  POST_LOGOUT,
  postForm,
  REDIRECT,
  redirected,
  responseParams,
  startLogoutReceiver,
  verifyIdToken,
  walk,
} from './helpers.js';

type Doc = Record<string, unknown>;

/**
 * Walks /.well-known/openid-configuration member by member and proves each advertised value with
 * a request that uses it. A member without a proof here fails the test, so nothing is advertised
 * untested.
 */
describe('the discovery document, proven member by member', () => {
  let t: TestServer;
  let doc: Doc;
  let aliceId: string;
  let receiver: LogoutReceiver;
  let rp: { key: string; secret: string | null };
  let config: client.Configuration;
  const jar = new CookieJar();
  /** Every claim seen in an ID token or a UserInfo answer during the walk. */
  const seenClaims = new Set<string>();
  /** A public client and its access token (token_endpoint_auth_methods_supported), revoked with method none later. */
  let publicToken: { clientId: string; accessToken: string; config: client.Configuration } | null = null;

  before(async () => {
    t = await startServer({ env: { ...LOOPBACK_RECEIVERS } });
    receiver = await startLogoutReceiver();
    aliceId = await makeUser(t, alice.username, alice.password);
    const user = await t.app.stores.users.get(aliceId);
    // Every standard claim has a value, so claims_supported can be proven claim by claim.
    if (user) {
      await t.app.stores.users.update({
        ...user,
        email: 'alice@example.test',
        profile: {
          givenName: 'Alice',
          familyName: 'Liddell',
          middleName: 'Pleasance',
          nickname: 'Al',
          profileUrl: 'https://people.example/alice',
          pictureUrl: 'https://people.example/alice.png',
          websiteUrl: 'https://alice.example/',
          gender: 'female',
          birthdate: '1852-05-04',
          zoneinfo: 'Europe/London',
          locale: 'en-GB',
          phoneNumber: '+441865276000',
          address: { locality: 'Oxford', country: 'GB' },
        },
      });
    }
    rp = await makeOidcClient(t, {
      grant_types: ['authorization_code', 'refresh_token', 'password', DEVICE_CODE_GRANT, 'client_credentials'],
      metadata: { backchannel_logout_uri: receiver.uri },
    });
    config = await discover(t, rp);
    doc = (await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json()) as Doc;
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  const list = (name: string) => doc[name] as string[];
  const see = (claims: Record<string, unknown>) => {
    for (const k of Object.keys(claims)) seenClaims.add(k);
  };
  const basicAuth = (c: { key: string; secret: string | null }) => ({ authorization: `Basic ${Buffer.from(`${c.key}:${c.secret}`).toString('base64')}` });

  /** One authorization with the given response type and mode, through to verified tokens. */
  async function flow(responseType: string, extra: Record<string, string> = {}) {
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const usesCode = responseType.split(' ').includes('code');
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      response_type: responseType,
      scope: 'openid profile email',
      nonce,
      state: 'walk',
      ...(usesCode ? { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
      ...extra,
    });
    const r = await walk(jar, t, url.href, alice);
    const front = r.kind === 'form_post' ? new URLSearchParams(r.fields) : responseParams(redirected(r));
    assert.equal(front.get('error'), null, `${responseType}: ${front.get('error_description')}`);
    assert.equal(front.get('state'), 'walk');
    assert.equal(front.get('iss'), t.baseUrl);
    const out: { front: URLSearchParams; idTokens: Record<string, unknown>[]; accessToken: string | null; kind: string } = {
      front,
      idTokens: [],
      accessToken: front.get('access_token'),
      kind: r.kind === 'form_post' ? 'form_post' : redirected(r).hash ? 'fragment' : 'query',
    };
    const frontId = front.get('id_token');
    if (frontId) {
      const claims = await verifyIdToken(t, frontId, rp.key);
      assert.equal(claims.nonce, nonce);
      if (front.get('code')) assert.equal(claims.c_hash, halfHash(front.get('code') ?? ''));
      if (front.get('access_token')) assert.equal(claims.at_hash, halfHash(front.get('access_token') ?? ''));
      out.idTokens.push(claims);
    }
    if (usesCode) {
      const tokens = await client.genericGrantRequest(config, 'authorization_code', {
        code: front.get('code') ?? '',
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      });
      const claims = await verifyIdToken(t, tokens.id_token ?? '', rp.key);
      assert.equal(claims.sub, aliceId);
      out.idTokens.push(claims);
      out.accessToken = tokens.access_token;
    }
    for (const c of out.idTokens) see(c);
    return out;
  }

  const proofs: Record<string, (value: unknown) => Promise<void>> = {
    issuer: async (v) => {
      assert.equal(v, t.baseUrl);
      assert.equal(config.serverMetadata().issuer, t.baseUrl, 'openid-client checked it against the document location');
    },
    authorization_endpoint: async (v) => assert.equal(v, `${t.baseUrl}/oidc/authorize`),
    token_endpoint: async (v) => assert.equal(v, `${t.baseUrl}/api/oidc/token`),
    device_authorization_endpoint: async (v) => {
      assert.equal(v, `${t.baseUrl}/api/oidc/device_code`);
      const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
      await approveDevice(jar, t.baseUrl, device.verification_uri_complete ?? '', alice);
      const tokens = await client.pollDeviceAuthorizationGrant(config, { ...device, interval: 0 });
      assert.equal(tokens.claims()?.sub, aliceId);
    },
    userinfo_endpoint: async (v) => {
      assert.equal(v, `${t.baseUrl}/userinfo`);
      const { accessToken } = await flow('code', { scope: 'openid profile email phone address' });
      const info = await client.fetchUserInfo(config, accessToken ?? '', aliceId);
      see(info);
      assert.equal(info.email, 'alice@example.test');
      assert.equal(info.phone_number, '+441865276000');
      assert.deepEqual(info.address, { locality: 'Oxford', country: 'GB' });
    },
    jwks_uri: async (v) => {
      const jwks = (await (await fetch(String(v))).json()) as { keys: Array<Record<string, unknown>> };
      for (const alg of list('id_token_signing_alg_values_supported')) {
        assert.ok(
          jwks.keys.some((k) => k.alg === alg && k.use === 'sig' && typeof k.kid === 'string'),
          `a ${alg} key`,
        );
      }
      assert.ok(jwks.keys.every((k) => k.d === undefined && k.p === undefined));
    },
    end_session_endpoint: async (v) => {
      const logoutJar = new CookieJar();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: 'n-end' });
      const code = redirected(await walk(logoutJar, t, url.href, alice)).searchParams.get('code') ?? '';
      const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
      const res = await logoutJar.fetch(
        `${v}?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: POST_LOGOUT, state: 'z' })}`,
      );
      assert.equal(res.headers.get('location'), `${POST_LOGOUT}?state=z`);
    },
    introspection_endpoint: async (v) => {
      assert.equal(v, `${t.baseUrl}/api/oauth2/introspect`);
      const { accessToken } = await flow('code');
      const info = await client.tokenIntrospection(config, accessToken ?? '');
      assert.equal(info.active, true);
      assert.equal(info.client_id, rp.key);
    },
    revocation_endpoint: async (v) => {
      assert.equal(v, `${t.baseUrl}/api/oauth2/revoke`);
      const { accessToken } = await flow('code');
      await client.tokenRevocation(config, accessToken ?? '');
      assert.equal((await client.tokenIntrospection(config, accessToken ?? '')).active, false);
    },
    scopes_supported: async (v) => {
      for (const scope of v as string[]) {
        const extra: Record<string, string> = scope === 'offline_access' ? { prompt: 'consent' } : {};
        const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: `openid ${scope}`, nonce: client.randomNonce(), ...extra });
        const code = redirected(await walk(jar, t, url.href, alice)).searchParams.get('code') ?? '';
        const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
        assert.ok(tokens.scope?.split(' ').includes(scope), `${scope} granted`);
        if (scope === 'offline_access') assert.ok(tokens.refresh_token);
      }
    },
    response_types_supported: async (v) => {
      for (const rt of v as string[]) {
        const { idTokens, accessToken } = await flow(rt);
        assert.ok(idTokens.length > 0, rt);
        if (rt !== 'id_token') assert.ok(accessToken, rt);
      }
    },
    response_modes_supported: async (v) => {
      for (const mode of v as string[]) {
        const { kind } = await flow(mode === 'query' ? 'code' : 'code id_token', { response_mode: mode });
        assert.equal(kind, mode);
      }
      // form_post through openid-client, as an RP would receive it.
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce, response_mode: 'form_post' });
      const tokens = await client.authorizationCodeGrant(config, formPostRequest(await walk(jar, t, url.href, alice)), {
        expectedNonce: nonce,
        expectedState: client.skipStateCheck,
      });
      assert.equal(tokens.claims()?.sub, aliceId);
    },
    grant_types_supported: async (v) => {
      const grants = v as string[];
      assert.ok(grants.includes('authorization_code') && grants.includes('implicit'));
      assert.ok((await flow('id_token')).idTokens.length === 1, 'implicit');
      const password = await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
      assert.equal(password.claims()?.sub, aliceId);
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid offline_access',
        prompt: 'consent',
        nonce: client.randomNonce(),
      });
      const code = redirected(await walk(jar, t, url.href, alice)).searchParams.get('code') ?? '';
      const offline = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
      const refreshed = await client.refreshTokenGrant(config, offline.refresh_token ?? '');
      assert.equal(refreshed.claims()?.sub, aliceId);
      const cc = await client.clientCredentialsGrant(config, { scope: 'profile' });
      assert.equal(cc.id_token, undefined, 'no user, no ID token');
      assert.ok(grants.includes(DEVICE_CODE_GRANT), 'device_code: proven under device_authorization_endpoint');
    },
    subject_types_supported: async (v) => {
      assert.deepEqual(v, ['public']);
      const other = await makeOidcClient(t, { name: 'Second RP' });
      const otherConfig = await discover(t, other);
      const a = await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
      const b = await client.genericGrantRequest(otherConfig, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
      assert.equal(a.claims()?.sub, b.claims()?.sub, 'public: the same sub for every client');
    },
    id_token_signing_alg_values_supported: async (v) => {
      for (const alg of v as string[]) {
        const c = await makeOidcClient(t, { name: `${alg} RP`, metadata: { id_token_signed_response_alg: alg } });
        const cfg = await discover(t, c, { id_token_signed_response_alg: alg });
        const tokens = await client.genericGrantRequest(cfg, 'password', { username: alice.username, password: alice.password, scope: 'openid' });
        assert.equal(header(tokens.id_token ?? '').alg, alg);
      }
    },
    token_endpoint_auth_methods_supported: async (v) => {
      const methods = v as string[];
      assert.deepEqual([...methods].sort(), ['client_secret_basic', 'client_secret_post', 'none']);
      const post = await postForm(`${t.baseUrl}/api/oidc/token`, {
        grant_type: 'password',
        username: alice.username,
        password: alice.password,
        scope: 'openid',
        client_id: rp.key,
        client_secret: rp.secret ?? '',
      });
      assert.ok(post.json.id_token, 'client_secret_post');
      assert.ok((await client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' })).id_token);
      const pub = await makeOidcClient(t, { name: 'SPA', public: true, grant_types: ['authorization_code'], response_types: ['code'] });
      const pubConfig = await client.discovery(new URL(t.baseUrl), pub.key, {}, client.None(), { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(pubConfig, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const tokens = await client.authorizationCodeGrant(pubConfig, redirected(await walk(jar, t, url.href, alice)), {
        pkceCodeVerifier: verifier,
        expectedState: client.skipStateCheck,
      });
      assert.equal(tokens.claims()?.aud, pub.key, 'none (public client with PKCE)');
      publicToken = { clientId: pub.key, accessToken: tokens.access_token, config: pubConfig };
    },
    introspection_endpoint_auth_methods_supported: async (v) => {
      const { accessToken } = await flow('code');
      for (const method of v as string[]) {
        const res =
          method === 'client_secret_basic'
            ? await postForm(String(doc.introspection_endpoint), { token: accessToken ?? '' }, basicAuth(rp))
            : await postForm(String(doc.introspection_endpoint), { token: accessToken ?? '', client_id: rp.key, client_secret: rp.secret ?? '' });
        assert.equal(res.json.active, true, method);
      }
    },
    revocation_endpoint_auth_methods_supported: async (v) => {
      for (const method of v as string[]) {
        const { accessToken } = await flow('code');
        const form = { token: accessToken ?? '' };
        const res =
          method === 'client_secret_basic'
            ? await postForm(String(doc.revocation_endpoint), form, basicAuth(rp))
            : method === 'client_secret_post'
              ? await postForm(String(doc.revocation_endpoint), { ...form, client_id: rp.key, client_secret: rp.secret ?? '' })
              : null;
        if (res) {
          assert.equal(res.status, 200, method);
          assert.equal((await client.tokenIntrospection(config, accessToken ?? '')).active, false, method);
        } else {
          // none: a public client revokes its own token.
          assert.ok(publicToken, 'proven after token_endpoint_auth_methods_supported');
          const before = await fetch(String(doc.userinfo_endpoint), { headers: { authorization: `Bearer ${publicToken.accessToken}` } });
          assert.equal(before.status, 200);
          const res2 = await postForm(String(doc.revocation_endpoint), { token: publicToken.accessToken, client_id: publicToken.clientId });
          assert.equal(res2.status, 200, 'none');
          const after = await fetch(String(doc.userinfo_endpoint), { headers: { authorization: `Bearer ${publicToken.accessToken}` } });
          assert.equal(after.status, 401);
        }
      }
    },
    code_challenge_methods_supported: async (v) => {
      assert.deepEqual(v, ['S256']);
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'plain',
      });
      assert.equal(redirected(await walk(jar, t, url.href, alice)).searchParams.get('error'), 'invalid_request', 'plain is refused');
      await flow('code'); // S256, checked at the token endpoint
    },
    claims_supported: async (v) => {
      // Everything else in the walk has run by now (this member is proven last).
      const hybrid = await flow('code id_token token', { acr_values: list('acr_values_supported')[0] ?? '' });
      assert.ok(hybrid.idTokens.length === 2);
      const missing = (v as string[]).filter((c) => !seenClaims.has(c));
      assert.deepEqual(missing, [], 'every advertised claim was seen in an ID token or a UserInfo answer');
    },
    claim_types_supported: async (v) => {
      assert.deepEqual(v, ['normal']);
      const { accessToken } = await flow('code');
      const info = await client.fetchUserInfo(config, accessToken ?? '', aliceId);
      assert.equal(info._claim_names, undefined, 'no aggregated or distributed claims');
    },
    claims_parameter_supported: async (v) => {
      assert.equal(v, true);
      const { idTokens } = await flow('code', { scope: 'openid', claims: JSON.stringify({ id_token: { email: { essential: true } } }) });
      assert.equal(idTokens.at(-1)?.email, 'alice@example.test');
    },
    request_parameter_supported: async (v) => {
      assert.equal(v, false);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', request: 'eyJhbGciOiJub25lIn0.e30.' });
      assert.equal(redirected(await walk(jar, t, url.href, alice)).searchParams.get('error'), 'request_not_supported');
    },
    request_uri_parameter_supported: async (v) => {
      assert.equal(v, false);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', request_uri: 'https://rp.example/r' });
      assert.equal(redirected(await walk(jar, t, url.href, alice)).searchParams.get('error'), 'request_uri_not_supported');
    },
    acr_values_supported: async (v) => {
      for (const acr of v as string[]) {
        const { idTokens } = await flow('code', { acr_values: acr });
        assert.equal(idTokens.at(-1)?.acr, acr);
      }
    },
    prompt_values_supported: async (v) => {
      for (const prompt of v as string[]) {
        const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', prompt });
        if (prompt === 'none') {
          assert.equal(redirected(await walk(new CookieJar(), t, url.href)).searchParams.get('error'), 'login_required');
          assert.ok(redirected(await walk(jar, t, url.href)).searchParams.get('code'), 'signed in and consented: no interaction');
        } else {
          const r = await walk(jar, t, url.href, alice);
          if (prompt === 'consent') assert.ok(r.consented && !r.signedIn, prompt);
          else assert.ok(r.signedIn, prompt);
          assert.ok(redirected(r).searchParams.get('code'));
        }
      }
    },
    display_values_supported: async (v) => {
      for (const display of v as string[]) await flow('code', { display });
    },
    ui_locales_supported: async (v) => {
      for (const locale of v as string[]) await flow('code', { ui_locales: locale });
    },
    backchannel_logout_supported: async (v) => {
      assert.equal(v, true);
      const logoutJar = new CookieJar();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce: client.randomNonce() });
      const code = redirected(await walk(logoutJar, t, url.href, alice)).searchParams.get('code') ?? '';
      const tokens = await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
      receiver.received.length = 0;
      await logoutJar.fetch(`${doc.end_session_endpoint}?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '' })}`);
      await receiver.waitFor(1);
      const jwks = createRemoteJWKSet(new URL(String(doc.jwks_uri)));
      const { payload } = await jwtVerify(receiver.received[0]?.body.get('logout_token') ?? '', jwks, { issuer: t.baseUrl, audience: rp.key });
      assert.equal(payload.sid, tokens.claims()?.sid);
    },
    backchannel_logout_session_supported: async (v) => {
      assert.equal(v, true);
      await t.app.oidc.backChannel.settle();
      const last = receiver.received.at(-1)?.body.get('logout_token') ?? '';
      assert.equal(typeof decodeJwt(last).sid, 'string', 'logout tokens carry sid');
    },
    frontchannel_logout_supported: async (v) => {
      assert.equal(v, false);
      const res = await fetch(String(doc.registration_endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Front', redirect_uris: [REDIRECT], frontchannel_logout_uri: 'https://rp.example/fc' }),
      });
      assert.equal(res.status, 400, 'front-channel logout cannot be registered');
    },
    authorization_response_iss_parameter_supported: async (v) => {
      assert.equal(v, true);
      await flow('code'); // flow() checks iss on every response
    },
    registration_endpoint: async (v) => {
      assert.equal(v, `${t.baseUrl}/api/oidc/register`);
      const res = await fetch(String(v), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Self-registered RP', redirect_uris: [REDIRECT], id_token_signed_response_alg: 'ES256' }),
      });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { client_id: string };
      assert.equal((await t.app.stores.clients.get(body.client_id))?.status, 'pending', 'it waits for an administrator');
    },
  };

  it('is the same document at both well-known names, served to any origin', async () => {
    const other = await fetch(`${t.baseUrl}/.well-known/oidc-configuration`);
    assert.deepEqual(await other.json(), doc);
    assert.equal(other.headers.get('access-control-allow-origin'), '*');
  });

  it('every advertised member works as advertised', async (ctx) => {
    const keys = Object.keys(doc);
    assert.deepEqual(
      keys.filter((k) => !(k in proofs)),
      [],
      'every member has a proof',
    );
    // claims_supported last: it checks the claims seen by all the other proofs.
    for (const key of [...keys.filter((k) => k !== 'claims_supported'), 'claims_supported']) {
      await ctx.test(key, () => proofs[key]?.(doc[key]));
    }
  });
});
