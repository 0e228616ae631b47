import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { approveDevice, CookieJar, makeClient, makeUser } from './helpers.js';

const bob = { username: 'bob', password: 'bob-password-123' };

async function configFor(t: TestServer, key: string, secret: string | null): Promise<client.Configuration> {
  const auth = secret === null ? client.None() : client.ClientSecretBasic(secret);
  return client.discovery(new URL(t.baseUrl), key, secret === null ? {} : { client_secret: secret }, auth, {
    execute: [client.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

for (const backend of backendNames()) {
  describe(`device, password and client_credentials grants with openid-client on ${backend}`, () => {
    let t: TestServer;

    before(async () => {
      t = await startServer({ backend, env: { LATCHKEY_DEVICE_INTERVAL: '1' } });
      await makeUser(t, bob.username, bob.password);
    });
    after(() => t.close());

    it('completes the device flow for a public client approved through /device (RFC 8628)', async () => {
      const c = await makeClient(t, { name: 'TV app', public: true, redirect_uris: [], response_types: [], grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] });
      const config = await configFor(t, c.key, null);
      const auth = await client.initiateDeviceAuthorization(config, { scope: 'profile' });
      assert.match(auth.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(auth.verification_uri, `${t.baseUrl}/device`);
      assert.equal(auth.interval, 1);
      assert.equal(auth.expires_in, 600);
      const polling = client.pollDeviceAuthorizationGrant(config, auth);
      const page = await approveDevice(new CookieJar(), t.baseUrl, auth.verification_uri_complete ?? '', bob);
      assert.match(page, /Device connected/);
      const tokens = await polling;
      assert.equal(tokens.scope, 'profile');
      assert.ok(tokens.refresh_token);
      const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.deepEqual(((await me.json()) as { username: string }).username, 'bob');
      // The device_code is single-use.
      await assert.rejects(client.pollDeviceAuthorizationGrant(config, auth), (e: client.ResponseBodyError) => e.error === 'invalid_grant');
    });

    it('answers access_denied when the user denies at /device', async () => {
      const c = await makeClient(t, { name: 'Kiosk', public: true, redirect_uris: [], response_types: [], grant_types: [DEVICE_CODE_GRANT] });
      const config = await configFor(t, c.key, null);
      const auth = await client.initiateDeviceAuthorization(config, {});
      const page = await approveDevice(new CookieJar(), t.baseUrl, auth.verification_uri_complete ?? '', bob, 'deny');
      assert.match(page, /Request denied/);
      await assert.rejects(client.pollDeviceAuthorizationGrant(config, auth), (e: client.ResponseBodyError) => e.error === 'access_denied');
    });

    it('issues tokens with the password grant (argon2 checked, consent listed)', async () => {
      const c = await makeClient(t, { name: 'Legacy CLI', redirect_uris: [], response_types: [], grant_types: ['password', 'refresh_token'] });
      const config = await configFor(t, c.key, c.secret);
      const tokens = await client.genericGrantRequest(config, 'password', { username: 'BOB', password: bob.password, scope: 'profile' });
      assert.ok(tokens.refresh_token);
      const intro = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(intro.active, true);
      assert.equal(intro.username, 'bob');
      const consents = await t.app.consents.listForUser((await t.app.stores.users.findByUsername('bob'))?.id ?? '');
      assert.ok(consents.some((x) => x.clientKey === c.key));
    });

    it('issues user-less tokens with client_credentials', async () => {
      const c = await makeClient(t, { name: 'Batch job', redirect_uris: [], response_types: [], grant_types: ['client_credentials'] });
      const config = await configFor(t, c.key, c.secret);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'profile' });
      assert.equal(tokens.refresh_token, undefined);
      const intro = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(intro.active, true);
      assert.equal(intro.sub, c.key);
      assert.equal(intro.username, undefined);
      // Latchkey's API acts for users: a client-only token is refused there.
      const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 401);
      assert.match(me.headers.get('www-authenticate') ?? '', /^Bearer realm="latchkey", error="invalid_token"/);
    });
  });
}
