import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Backend, postgresBackend } from '../support/backends.js';
import { CookieJar, clusterKey, type Instance, signIn, startInstances } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/** Two Latchkey processes sharing one PostgreSQL database, as behind a load balancer. */
describe('two instances on one PostgreSQL', { skip: !process.env.LATCHKEY_TEST_PG_URL }, () => {
  let backend: Backend;
  let a: Instance;
  let b: Instance;

  before(async () => {
    backend = await postgresBackend();
    const shared = { databaseUrl: backend.url, dataDir: backend.dataDir, masterKey: clusterKey(), env: { LATCHKEY_LOGIN_THROTTLE_LIMIT: '4' } };
    // Started together: the migration lock lets exactly one of them migrate.
    [a, b] = (await startInstances(['A', 'B'], shared)) as [Instance, Instance];
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await backend?.cleanup();
  });

  it('both are ready and created exactly one administrator', async () => {
    for (const i of [a, b]) assert.equal((await fetch(`${i.baseUrl}/readyz`)).status, 200);
    const users = (await (await fetch(`${a.baseUrl}/admin/api/users`, { headers: { authorization: adminAuth } })).json()) as { total: number };
    assert.equal(users.total, 1);
  });

  it('recognises at B a session created at A (no sticky sessions)', async () => {
    const jar = new CookieJar();
    const res = await signIn(jar, a.baseUrl, 'admin', ADMIN_PASSWORD, '/account/applications');
    assert.equal(res.status, 303);
    const atB = await jar.fetch(`${b.baseUrl}/account/applications`);
    assert.equal(atB.status, 200);
    assert.match(await atB.text(), /Authorized applications/);
    // Signing out at B ends it at A too.
    const home = await (await jar.fetch(`${b.baseUrl}/logout`)).text();
    const csrf = home.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    await jar.fetch(`${b.baseUrl}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf_token=${csrf}` });
    assert.equal((await jar.fetch(`${a.baseUrl}/account/applications`)).status, 303);
  });

  it('counts password guessing across A and B together', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const jar = new CookieJar();
      const res = await signIn(jar, i % 2 ? b.baseUrl : a.baseUrl, 'victim', `guess-${i}`);
      statuses.push(res.status);
    }
    // Limit 4 per username: the 5th and 6th attempts are refused whichever instance takes them.
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
  });

  it('sees at B, at once, a client approved or disapproved at A', async () => {
    const created = await fetch(`${a.baseUrl}/admin/api/clients`, {
      method: 'POST',
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'oauth2', name: 'Shared', grant_types: ['client_credentials'], response_types: [] }),
    });
    const { client_key: key } = (await created.json()) as { client_key: string };
    await fetch(`${a.baseUrl}/admin/api/clients/${key}/approve`, { method: 'POST', headers: { authorization: adminAuth } });
    const atB = (await (await fetch(`${b.baseUrl}/admin/api/clients/${key}`, { headers: { authorization: adminAuth } })).json()) as { status: string };
    assert.equal(atB.status, 'approved');
  });
  // Last: it stops B.
  it('refuses at B, at once, a personal access token revoked at A; B writes its last uses when it stops', async () => {
    const json = { authorization: adminAuth, 'content-type': 'application/json' };
    const made = await fetch(`${a.baseUrl}/admin/api/me/tokens`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'shared', scopes: ['profile'] }),
    });
    assert.equal(made.status, 201);
    const { id, token } = (await made.json()) as { id: string; token: string };
    assert.equal((await fetch(`${b.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const other = await fetch(`${a.baseUrl}/admin/api/me/tokens`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'used at B', scopes: ['profile'] }),
    });
    const used = (await other.json()) as { id: string; token: string };
    assert.equal((await fetch(`${b.baseUrl}/api/me`, { headers: { authorization: `Token ${used.token}` } })).status, 200);
    assert.equal((await fetch(`${a.baseUrl}/admin/api/me/tokens/${id}`, { method: 'DELETE', headers: { authorization: adminAuth } })).status, 200);
    const atB = await fetch(`${b.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(atB.status, 401);
    assert.match(atB.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await b.stop();
    const list = (await (await fetch(`${a.baseUrl}/admin/api/tokens`, { headers: { authorization: adminAuth } })).json()) as {
      items: Array<{ id: string; last_used_at: string | null }>;
    };
    assert.notEqual(list.items.find((t) => t.id === used.id)?.last_used_at ?? null, null, 'written by B on its way out');
  });
});
