import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { authorizeInBrowser, CookieJar, makeClient, makeUser, postForm } from './helpers.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const alice = { username: 'alice', password: 'alice-password-1' };

for (const backend of backendNames()) {
  describe(`authorization code + PKCE with openid-client on ${backend}`, () => {
    let t: TestServer;
    let config: client.Configuration;
    let clientKey: string;
    let secret: string;

    before(async () => {
      t = await startServer({ backend });
      await makeUser(t, alice.username, alice.password, ['user_manager']);
      const c = await makeClient(t, { name: 'Build dashboard', redirect_uris: [REDIRECT] });
      clientKey = c.key;
      secret = c.secret ?? '';
      config = await client.discovery(new URL(t.baseUrl), clientKey, { client_secret: secret }, client.ClientSecretBasic(secret), {
        execute: [client.allowInsecureRequests],
        algorithm: 'oauth2',
      });
    });
    after(() => t.close());

    async function codeFlow(jar: CookieJar, scope = 'profile') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope,
        state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const callback = await authorizeInBrowser(jar, t.baseUrl, url.href, alice);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      return { tokens, callback, verifier, state };
    }

    it('publishes RFC 8414 metadata at both well-known paths', async () => {
      const a = await (await fetch(`${t.baseUrl}/.well-known/oauth-authorization-server`)).json();
      const b = await (await fetch(`${t.baseUrl}/.well-known/oauth2.0-configuration`)).json();
      assert.deepEqual(a, b);
      const m = config.serverMetadata();
      assert.equal(m.issuer, t.baseUrl);
      assert.equal(m.authorization_endpoint, `${t.baseUrl}/oauth2/authorize`);
      assert.equal(m.token_endpoint, `${t.baseUrl}/api/oauth2/token`);
      assert.equal(m.device_authorization_endpoint, `${t.baseUrl}/api/oauth2/device_code`);
      assert.equal(m.introspection_endpoint, `${t.baseUrl}/api/oauth2/introspect`);
      assert.equal(m.revocation_endpoint, `${t.baseUrl}/api/oauth2/revoke`);
      assert.equal(m.jwks_uri, `${t.baseUrl}/jwks.json`);
      assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
      assert.equal(m.authorization_response_iss_parameter_supported, true);
    });

    it('signs in through /login, asks consent, and redeems the code for RFC 9068 tokens', async () => {
      const jar = new CookieJar();
      const { tokens, callback, state } = await codeFlow(jar);
      // RFC 9207 iss and the state come back with the code.
      assert.equal(callback.searchParams.get('iss'), t.baseUrl);
      assert.equal(callback.searchParams.get('state'), state);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.expires_in, 900);
      assert.equal(tokens.scope, 'profile');
      assert.ok(tokens.refresh_token);

      // The access token passes oauth4webapi's RFC 9068 validation against /jwks.json.
      const as = config.serverMetadata() as oauth.AuthorizationServer;
      const req = new Request(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      const claims = await oauth.validateJwtAccessToken(as, req, `${t.baseUrl}/api`, { [oauth.allowInsecureRequests]: true } as never);
      assert.equal(claims.client_id, clientKey);
      assert.equal(claims.iss, t.baseUrl);
      assert.equal(claims.scope, 'profile');
      const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0] ?? '', 'base64url').toString()) as { typ: string; alg: string };
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.alg, 'ES256');

      // Latchkey's own API on the user's behalf, with both header schemes.
      const me = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${t.baseUrl}/api/me`), 'GET');
      assert.equal(me.status, 200);
      const profile = (await me.json()) as { username: string; id: string };
      assert.equal(profile.username, 'alice');
      assert.equal(claims.sub, profile.id);
      const viaToken = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Token ${tokens.access_token}` } });
      assert.equal(viaToken.status, 200);
    });

    it('remembers consent: a second authorization skips the consent page', async () => {
      const jar = new CookieJar();
      await codeFlow(jar);
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const res = await jar.fetch(url.href);
      assert.equal(res.status, 302);
      assert.ok(new URL(res.headers.get('location') ?? '').searchParams.get('code'));
    });

    it('rotates refresh tokens and revokes the family when a rotated one is replayed', async () => {
      const jar = new CookieJar();
      const { tokens } = await codeFlow(jar);
      const first = tokens.refresh_token ?? '';
      const second = await client.refreshTokenGrant(config, first);
      assert.ok(second.refresh_token && second.refresh_token !== first);
      assert.equal((await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${second.access_token}` } })).status, 200);

      // Replay of the rotated token: refused, and everything of this authorization dies.
      await assert.rejects(client.refreshTokenGrant(config, first), (err: client.ResponseBodyError) => err.error === 'invalid_grant');
      const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${second.access_token}` } });
      assert.equal(me.status, 401);
      assert.match(me.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await assert.rejects(client.refreshTokenGrant(config, second.refresh_token ?? ''), (err: client.ResponseBodyError) => err.error === 'invalid_grant');
      const intro = await client.tokenIntrospection(config, second.access_token);
      assert.equal(intro.active, false);
    });

    it('refuses a replayed code and revokes what its first redemption issued', async () => {
      const jar = new CookieJar();
      const { tokens, callback, verifier } = await codeFlow(jar);
      const before = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(before.active, true);
      const code = callback.searchParams.get('code') ?? '';
      const replay = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
        { authorization: `Basic ${Buffer.from(`${clientKey}:${secret}`).toString('base64')}` },
      );
      assert.equal(replay.status, 400);
      assert.equal(replay.json.error, 'invalid_grant');
      assert.equal(replay.headers.get('cache-control'), 'no-store');
      assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
      // RFC 6749 §4.1.2: the refresh token of the first redemption is revoked with it.
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token ?? ''), (err: client.ResponseBodyError) => err.error === 'invalid_grant');
    });

    it('introspects and revokes (RFC 7662, RFC 7009)', async () => {
      const jar = new CookieJar();
      const { tokens } = await codeFlow(jar);
      const intro = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(intro.active, true);
      assert.equal(intro.client_id, clientKey);
      assert.equal(intro.username, 'alice');
      assert.equal(intro.token_type, 'Bearer');
      const rt = await client.tokenIntrospection(config, tokens.refresh_token ?? '', { token_type_hint: 'refresh_token' });
      assert.equal(rt.active, true);
      assert.equal(rt.token_type, 'refresh_token');
      await client.tokenRevocation(config, tokens.refresh_token ?? '');
      assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
      assert.equal((await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401);
      // Unknown tokens are answered 200 (RFC 7009 §2.2).
      await client.tokenRevocation(config, 'not-a-token');
    });
  });
}
