import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { call } from './helpers.js';

const BODY = { client_name: 'Policy app', redirect_uris: ['https://policy.example/cb'] };

for (const backend of backendNames()) {
  describe(`registration policy (${backend})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());
    let url: string;
    before(async () => {
      server = await startServer({
        backend,
        clock,
        env: { LATCHKEY_REGISTRATION_RATE_LIMIT: '4', LATCHKEY_REGISTRATION_RATE_WINDOW: '60', LATCHKEY_REGISTRATION_MAX_PENDING: '2' },
      });
      url = `${server.baseUrl}/api/oauth2/register`;
    });
    after(() => server.close());

    it('rate-limits registration calls per source address with 429 and Retry-After, refused ones included', async () => {
      for (let i = 0; i < 4; i++) assert.equal((await call('POST', url, { body: { client_name: 5 } })).status, 400);
      const limited = await call('POST', url, { body: BODY });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '60');
      assert.equal(limited.json.error, 'temporarily_unavailable');
      assert.match(String(limited.json.error_description), /too many registration requests/);
      clock.advance(61_000);
      assert.equal((await call('POST', url, { body: BODY })).status, 201);
    });

    it('refuses registrations while the maximum of pending ones wait, until an administrator decides', async () => {
      clock.advance(61_000);
      // An administrator's own pending clients do not count against self-registration.
      await server.app.clientAdmin.create(
        { type: 'oauth2', name: 'Admin-made', redirect_uris: ['https://admin.example/cb'] },
        { name: 'admin', source: 'test' },
      );
      const second = await call('POST', url, { body: BODY });
      assert.equal(second.status, 201);
      const full = await call('POST', url, { body: BODY });
      assert.equal(full.status, 503);
      assert.equal(full.json.error, 'temporarily_unavailable');
      assert.match(String(full.json.error_description), /2 registrations are already waiting .* limit is 2/);
      await server.app.clientAdmin.setStatus(String(second.json.client_id), 'disapproved', { name: 'admin', source: 'test' });
      assert.equal((await call('POST', url, { body: BODY })).status, 201);
    });

    it('opens only the configured grant and response types to self-registered clients', async () => {
      clock.advance(61_000);
      const password = await call('POST', url, { body: { ...BODY, grant_types: ['authorization_code', 'password'] } });
      assert.equal(password.status, 400);
      assert.match(String(password.json.error_description), /"password" is not open to self-registered clients .*allowed: authorization_code, refresh_token/);
      const implicit = await call('POST', url, { body: { ...BODY, grant_types: ['authorization_code', 'implicit'], response_types: ['code', 'token'] } });
      assert.equal(implicit.status, 400);
      assert.match(String(implicit.json.error_description), /implicit flow is not open/);
      assert.match(String(implicit.json.error_description), /"token" is not open to self-registered clients/);
    });
  });
}

describe('registration turned off', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { LATCHKEY_REGISTRATION_MODE: 'off' } });
  });
  after(() => server.close());

  it('answers 403 at both endpoints and creates nothing', async () => {
    for (const type of ['oauth2', 'oidc']) {
      const res = await call('POST', `${server.baseUrl}/api/${type}/register`, { body: BODY });
      assert.equal(res.status, 403);
      assert.equal(res.json.error, 'access_denied');
      assert.match(String(res.json.error_description), /registration is turned off/);
    }
    assert.equal((await server.app.stores.clients.list({ limit: 1, offset: 0 })).total, 0);
  });

  it('leaves registration_endpoint out of the discovery document', async () => {
    const doc = await call('GET', `${server.baseUrl}/.well-known/oauth-authorization-server`);
    assert.equal(doc.status, 200);
    assert.equal(typeof doc.json.token_endpoint, 'string');
    assert.equal(doc.json.registration_endpoint, undefined);
  });
});
