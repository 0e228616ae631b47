import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { call, latchkey } from './helpers.js';

const BODY = { client_name: 'Partner app', redirect_uris: ['https://partner.example/cb'] };

for (const backend of backendNames()) {
  describe(`registration with initial access tokens (${backend})`, () => {
    let server: TestServer;
    const clock = new ManualClock(Date.now());
    let url: string;
    before(async () => {
      server = await startServer({ backend, clock, env: { LATCHKEY_REGISTRATION_MODE: 'token' } });
      url = `${server.baseUrl}/api/oauth2/register`;
    });
    after(() => server.close());

    it('refuses a registration without a token, or with a wrong one', async () => {
      const missing = await call('POST', url, { body: BODY });
      assert.equal(missing.status, 401);
      assert.equal(missing.json.error, 'invalid_token');
      assert.match(String(missing.json.error_description), /initial access token/);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="latchkey"');
      const wrong = await call('POST', url, { body: BODY, token: 'lkiat_not-a-real-token' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.match(String(wrong.json.error_description), /not valid/);
      // Authentication comes before the metadata is even looked at.
      const badAndMissing = await call('POST', url, { body: { client_name: 5 } });
      assert.equal(badAndMissing.status, 401);
      assert.equal((await server.app.stores.clients.list({ limit: 1, offset: 0 })).total, 0);
    });

    it('admits registrations with a token from the CLI, as often as it allows, and records which token', async () => {
      const created = await latchkey(server, 'registration-token', 'create', '--label', 'Partner X', '--uses', '2', '--json');
      assert.equal(created.code, 0, created.stderr);
      const view = JSON.parse(created.stdout) as { id: string; token: string; max_uses: number; state: string };
      assert.equal(view.max_uses, 2);
      assert.equal(view.state, 'active');
      assert.match(view.token, /^lkiat_/);

      // Bad metadata does not spend a use.
      const bad = await call('POST', url, { body: { ...BODY, redirect_uris: ['javascript:x'] }, token: view.token });
      assert.equal(bad.status, 400);
      const first = await call('POST', url, { body: BODY, token: view.token });
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assert.equal(first.json.status, 'pending');
      const stored = await server.app.stores.clients.get(String(first.json.client_id));
      assert.equal((stored?.metadata.registration as Record<string, unknown> | undefined)?.initial_access_token, view.id);
      assert.equal((await call('POST', url, { body: BODY, token: view.token })).status, 201);
      const third = await call('POST', url, { body: BODY, token: view.token });
      assert.equal(third.status, 401);
      assert.match(String(third.json.error_description), /used as often as allowed/);

      const listed = await latchkey(server, 'registration-token', 'list', '--all', '--json');
      const items = (JSON.parse(listed.stdout) as { items: Array<{ id: string; uses: number; state: string; token?: string }> }).items;
      const mine = items.find((t) => t.id === view.id);
      assert.equal(mine?.uses, 2);
      assert.equal(mine?.state, 'used_up');
      assert.equal(mine?.token, undefined, 'the token itself is never shown again');
      assert.ok(!listed.stdout.includes(view.token));
    });

    it('refuses a revoked or expired token', async () => {
      const { tokens } = server.app.registration;
      const admin = { name: 'admin', source: '127.0.0.1' };
      const revokable = await tokens.create({ label: 'to revoke' }, admin);
      const revoked = await latchkey(server, 'registration-token', 'revoke', revokable.token.id);
      assert.equal(revoked.code, 0, revoked.stderr);
      const afterRevoke = await call('POST', url, { body: BODY, token: revokable.secret });
      assert.equal(afterRevoke.status, 401);
      assert.match(String(afterRevoke.json.error_description), /revoked/);

      const expiring = await tokens.create({ label: 'short', expiresIn: 60 }, admin);
      clock.advance(61_000);
      const afterExpiry = await call('POST', url, { body: BODY, token: expiring.secret });
      assert.equal(afterExpiry.status, 401);
      assert.match(String(afterExpiry.json.error_description), /expired/);

      const { items } = await server.app.stores.audit.list({ action: 'registration_token.revoke', limit: 10, offset: 0 });
      assert.equal(items[0]?.target, revokable.token.id);
      assert.equal(items[0]?.actor, 'cli');
    });

    it('lets exactly one of many concurrent registrations spend a single-use token', async () => {
      const { tokens } = server.app.registration;
      const once = await tokens.create({ label: 'race', maxUses: 1 }, { name: 'admin', source: '127.0.0.1' });
      const results = await Promise.all(Array.from({ length: 6 }, () => call('POST', url, { body: BODY, token: once.secret })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 401, 401, 401, 401, 401]);
      assert.equal((await tokens.list(true)).find((t) => t.id === once.token.id)?.uses, 1);
    });
  });
}
