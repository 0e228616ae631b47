import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { authorizeInBrowser, CookieJar } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { call, latchkey } from './helpers.js';

for (const backend of backendNames()) {
  describe(`self-service registration (${backend})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ backend });
    });
    after(() => server.close());

    it('registers a pending client with oauth4webapi, waits for the CLI approval, returns to pending on new redirect URIs, and deletes', async () => {
      const { baseUrl, app } = server;
      const as: oauth.AuthorizationServer = { issuer: baseUrl, registration_endpoint: `${baseUrl}/api/oidc/register` };
      const redirect = `${baseUrl}/cb`;
      const registered = await oauth
        .dynamicClientRegistrationRequest(
          as,
          {
            client_name: 'Build dashboard',
            redirect_uris: [redirect],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            contacts: ['ops@dashboard.example'],
            logo_uri: 'https://dashboard.example/logo.png',
            scope: 'profile latchkey:admin',
          },
          { [oauth.allowInsecureRequests]: true },
        )
        .then(oauth.processDynamicClientRegistrationResponse);

      const clientId = registered.client_id;
      const secret = registered.client_secret as string;
      const token = registered.registration_access_token as string;
      const manageUri = registered.registration_client_uri as string;
      assert.equal(registered.status, 'pending');
      assert.ok(secret.length >= 43, 'a generated secret of 256 bits');
      assert.equal(registered.client_secret_expires_at, 0);
      assert.equal(typeof registered.client_id_issued_at, 'number');
      assert.equal(registered.token_endpoint_auth_method, 'client_secret_basic');
      assert.deepEqual(registered.redirect_uris, [redirect]);
      assert.deepEqual(registered.contacts, ['ops@dashboard.example']);
      assert.equal(manageUri, `${baseUrl}/api/oidc/register/${clientId}`);

      // The registry holds it pending, with who registered it, for the administrator to review.
      const stored = await app.stores.clients.get(clientId);
      assert.ok(stored);
      assert.equal(stored.status, 'pending');
      assert.equal(stored.type, 'oidc');
      assert.equal(stored.createdVia, 'registration');
      assert.equal(stored.isPublic, false);
      assert.deepEqual(stored.metadata.contacts, ['ops@dashboard.example']);
      assert.equal(stored.metadata.scope, 'profile latchkey:admin');
      const source = stored.metadata.registration as Record<string, unknown>;
      assert.equal(source.source_address, '127.0.0.1');
      assert.equal(source.initial_access_token, null);
      // The admin API shows the same (the console reads it there).
      const adminView = await fetch(`${baseUrl}/admin/api/clients/${clientId}`, { headers: { authorization: server.adminAuth } }).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
      assert.equal(adminView.created_via, 'registration');
      assert.equal((adminView.metadata as Record<string, unknown>).logo_uri, 'https://dashboard.example/logo.png');

      // RFC 7592 read: the client polls its status; the secret is never shown again.
      const polled = await call('GET', manageUri, { token });
      assert.equal(polled.status, 200);
      assert.equal(polled.headers.get('cache-control'), 'no-store');
      assert.equal(polled.json.status, 'pending');
      assert.equal(polled.json.client_secret, undefined);
      assert.equal(polled.json.registration_access_token, token);

      // An administrator approves it with the real CLI, on the server's database.
      const approved = await latchkey(server, 'client', 'approve', clientId);
      assert.equal(approved.code, 0, approved.stderr);
      assert.match(approved.stdout, /is now approved/);
      assert.equal((await call('GET', manageUri, { token })).json.status, 'approved');

      // An update of what no reviewer judges (the software's version) keeps the approval.
      const base = {
        client_id: clientId,
        client_name: 'Build dashboard',
        redirect_uris: [redirect],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        contacts: ['ops@dashboard.example'],
        scope: 'profile latchkey:admin',
      };
      const cosmetic = await call('PUT', manageUri, { token, body: { ...base, logo_uri: 'https://dashboard.example/logo.png', software_version: '2.0' } });
      assert.equal(cosmetic.status, 200, JSON.stringify(cosmetic.json));
      assert.equal(cosmetic.json.status, 'approved');
      assert.equal(cosmetic.json.software_version, '2.0');
      // A new logo is shown to users and to the reviewer: pending again, until approved again.
      const logo = await call('PUT', manageUri, { token, body: { ...base, logo_uri: 'https://dashboard.example/logo-2.png' } });
      assert.equal(logo.status, 200, JSON.stringify(logo.json));
      assert.equal(logo.json.status, 'pending');
      assert.equal(logo.json.logo_uri, 'https://dashboard.example/logo-2.png');
      await app.clientAdmin.setStatus(clientId, 'approved', { name: 'admin', source: 'test' });

      // New redirect URIs go back to the administrator.
      const moved = await call('PUT', manageUri, { token, body: { ...base, redirect_uris: [redirect, `${baseUrl}/cb2`] } });
      assert.equal(moved.status, 200, JSON.stringify(moved.json));
      assert.equal(moved.json.status, 'pending');
      assert.deepEqual(moved.json.redirect_uris, [redirect, `${baseUrl}/cb2`]);
      assert.equal(moved.json.logo_uri, undefined, 'an update replaces the whole metadata (RFC 7592 §2.2)');
      assert.equal((await app.stores.clients.get(clientId))?.status, 'pending');

      // Approve again, then widen the grants: pending again.
      await app.clientAdmin.setStatus(clientId, 'approved', { name: 'admin', source: 'test' });
      const widened = await call('PUT', manageUri, {
        token,
        body: { ...base, grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'] },
      });
      assert.equal(widened.json.status, 'pending');

      // The secret may be repeated in an update, but never chosen.
      const chosen = await call('PUT', manageUri, { token, body: { ...base, client_secret: 'my-own-secret-0000000000' } });
      assert.equal(chosen.status, 400);
      assert.equal(chosen.json.error, 'invalid_client_metadata');
      assert.match(String(chosen.json.error_description), /client_secret/);
      const repeated = await call('PUT', manageUri, { token, body: { ...base, client_secret: secret } });
      assert.equal(repeated.status, 200);

      // RFC 7592 delete: the key is gone and the registration token with it.
      const deleted = await call('DELETE', manageUri, { token });
      assert.equal(deleted.status, 204);
      assert.equal(await app.stores.clients.get(clientId), undefined);
      const gone = await call('GET', manageUri, { token });
      assert.equal(gone.status, 401);
      assert.equal(gone.json.error, 'invalid_token');

      // Every registration, update and deletion is in the audit log, by "registration" from its address.
      const { items } = await app.stores.audit.list({ target: clientId, limit: 100, offset: 0 });
      const byRegistration = items.filter((e) => e.actor === 'registration');
      for (const action of ['client.create', 'client.update', 'client.pending', 'client.remove']) {
        assert.ok(
          byRegistration.some((e) => e.action === action && e.source === '127.0.0.1'),
          `audit has ${action}`,
        );
      }
      assert.ok(items.some((e) => e.action === 'client.approve' && e.actor === 'cli'));
    });

    it('finds the endpoint by discovery; the pending client runs no flow; approved by the CLI it completes an authorization-code flow', async () => {
      const { baseUrl, app } = server;
      const discovered = await call('GET', `${baseUrl}/.well-known/oauth-authorization-server`);
      assert.equal(discovered.json.registration_endpoint, `${baseUrl}/api/oauth2/register`);

      const redirect = 'http://127.0.0.1:9/callback';
      // openid-client sends its secret with client_secret_post by default; the registration says so.
      const config = await client.dynamicClientRegistration(
        new URL(baseUrl),
        { client_name: 'Reporting tool', redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_post', scope: 'profile' },
        undefined,
        { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
      );
      const meta = config.clientMetadata();
      assert.equal(meta.status, 'pending');
      const clientId = meta.client_id;
      const secret = String(meta.client_secret);

      // Pending: the token endpoint refuses it as a client, saying why.
      const token = await fetch(`${baseUrl}/api/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: redirect, client_id: clientId, client_secret: secret }),
      });
      const refusal = (await token.json()) as Record<string, unknown>;
      assert.equal(token.status, 401);
      assert.equal(refusal.error, 'invalid_client');
      assert.match(String(refusal.error_description), /waiting for an administrator to approve/);
      // The authorization endpoint shows an error page and never redirects to the client.
      const verifier = client.randomPKCECodeVerifier();
      const challenge = await client.calculatePKCECodeChallenge(verifier);
      const state = client.randomState();
      const authorizeUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: redirect,
        scope: 'profile',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
      });
      const page = await fetch(authorizeUrl, { redirect: 'manual' });
      assert.ok(page.status >= 400 && page.status < 500, `status ${page.status}`);
      assert.equal(page.headers.get('location'), null);
      assert.match(await page.text(), /approve/);

      const approved = await latchkey(server, 'client', 'approve', clientId);
      assert.equal(approved.code, 0, approved.stderr);

      await app.userAdmin.create({ username: 'reporter', password: 'reporter-password-1' }, { name: 'test', source: 'test', authority: OPERATOR });
      const jar = new CookieJar();
      const callback = await authorizeInBrowser(jar, baseUrl, authorizeUrl.href, { username: 'reporter', password: 'reporter-password-1' });
      assert.equal(`${callback.origin}${callback.pathname}`, redirect);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      const me = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as Record<string, unknown>).username, 'reporter');
    });

    it('registers an oauth2 public client from the comma-separated form, and refuses management with the wrong token or path', async () => {
      const { baseUrl, app } = server;
      const res = await call('POST', `${baseUrl}/api/oauth2/register`, {
        body: { client_name: 'CLI tool', redirect_uris: 'http://127.0.0.1:8765/cb, com.example.tool:/cb', token_endpoint_auth_method: 'none' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.json.client_secret, undefined);
      assert.equal(res.json.client_secret_expires_at, undefined);
      assert.deepEqual(res.json.redirect_uris, ['http://127.0.0.1:8765/cb', 'com.example.tool:/cb']);
      assert.deepEqual(res.json.grant_types, ['authorization_code']);
      assert.deepEqual(res.json.response_types, ['code']);
      assert.equal(res.json.post_logout_redirect_uris, undefined);
      const clientId = String(res.json.client_id);
      const stored = await app.stores.clients.get(clientId);
      assert.equal(stored?.type, 'oauth2');
      assert.equal(stored?.isPublic, true);
      assert.equal(stored?.requirePkce, true);

      const uri = String(res.json.registration_client_uri);
      const token = String(res.json.registration_access_token);
      const missing = await call('GET', uri);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="latchkey"');
      const wrong = await call('GET', uri, { token: `${token}x` });
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      // The token of one client does not open another's registration, nor the other type's path.
      const other = await call('POST', `${baseUrl}/api/oauth2/register`, { body: { client_name: 'Other', redirect_uris: ['https://other.example/cb'] } });
      assert.equal((await call('GET', String(other.json.registration_client_uri), { token })).status, 401);
      assert.equal((await call('GET', `${baseUrl}/api/oidc/register/${clientId}`, { token })).status, 401);
      // Switching between public and confidential is refused.
      const flip = await call('PUT', uri, {
        token,
        body: { client_id: clientId, client_name: 'CLI tool', redirect_uris: ['http://127.0.0.1:8765/cb'], token_endpoint_auth_method: 'client_secret_basic' },
      });
      assert.equal(flip.status, 400);
      assert.match(String(flip.json.error_description), /token_endpoint_auth_method/);
      // An administrator's removal also ends the registration token.
      await app.clientAdmin.remove(clientId, { name: 'admin', source: 'test' });
      assert.equal((await call('GET', uri, { token })).status, 401);
    });
  });
}
