// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V4 API and Web Service: JSON bodies are bounded at the edge before any handler runs,
// stored JSON is bounded before it is written, and a list never fails because one stored row is odd.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { launchBrowser } from '../console/browser.js';
import { makeUser } from '../oauth2/helpers.js';
import { CookieJar, signIn } from '../support/instances.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const REDIRECT = 'https://app.example/cb';
const ACTOR = { name: 'test', source: 'test' };

/** `levels` arrays nested in one another: `[[[…]]]`. */
const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** `levels` objects nested in one another: `{"a":{"a":…1}}`. */
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

interface Answer {
  status: number;
  contentType: string;
  json: Record<string, unknown>;
  text: string;
}

async function send(url: string, method: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method, headers: { ...JSON_TYPE, ...headers }, body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the assertions below say so.
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json, text };
}

/** Which serializer answers a route: RFC 7591's, the admin API's, or the OAuth one (RFC 6749 §5.2). */
type Family = 'registration' | 'admin' | 'oauth';
function familyOf(path: string): Family {
  if (/^\/api\/(oauth2|oidc)\/register(\/|$)/.test(path)) return 'registration';
  if (path.startsWith('/admin/api/') || path === '/oslc/consumer-key') return 'admin';
  return 'oauth';
}

/** Asserts the route family's registered error for a refused body, saying what was wrong. */
function assertRefused(a: Answer, family: Family, says: RegExp, what: string): void {
  assert.equal(a.status, 400, `${what}: ${a.status} ${a.text.slice(0, 300)}`);
  assert.match(a.contentType, /^application\/json/, what);
  if (family === 'registration') {
    // RFC 7591 §3.2.2
    assert.equal(a.json.error, 'invalid_client_metadata', what);
    assert.match(String(a.json.error_description), says, what);
  } else if (family === 'admin') {
    assert.equal(a.json.error, 'invalid_request', what);
    assert.match(String(a.json.message), says, what);
    assert.ok(Array.isArray(a.json.fields), `${what}: the admin API error lists fields`);
  } else {
    assert.equal(a.json.error, 'invalid_request', what);
    assert.match(String(a.json.error_description), says, what);
  }
}

/** Every route that takes a body (POST, PUT, PATCH, DELETE), read from Fastify's route tree. */
function bodyRoutes(t: TestServer): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const stack: Array<{ depth: number; path: string }> = [];
    for (const line of t.server.printRoutes({ method, commonPrefix: false }).split('\n')) {
      const m = /^([│ ]*)[└├]── (\S+) \(([^)]+)\)/.exec(line);
      if (!m) continue;
      const depth = (m[1] ?? '').length / 4;
      while (stack.length > 0 && (stack[stack.length - 1]?.depth ?? 0) >= depth) stack.pop();
      const path = `${stack[stack.length - 1]?.path ?? ''}${m[2] ?? ''}`;
      stack.push({ depth, path });
      if ((m[3] ?? '').split(', ').includes(method)) out.push({ method, path });
    }
  }
  return out;
}

describe('V4 JSON bodies at the edge', () => {
  let t: TestServer;
  let registered: { id: string; token: string };
  let clientKey: string;
  const routes: Array<{ method: string; path: string; url: string; family: Family }> = [];

  before(async () => {
    t = await startServer({ env: { LATCHKEY_REGISTRATION_RATE_LIMIT: '10000', LATCHKEY_REGISTRATION_MAX_PENDING: '10000' } });
    const reg = await send(`${t.baseUrl}/api/oauth2/register`, 'POST', JSON.stringify({ redirect_uris: [REDIRECT] }));
    assert.equal(reg.status, 201, reg.text);
    registered = { id: String(reg.json.client_id), token: String(reg.json.registration_access_token) };
    const { client } = await t.app.clientAdmin.create({ type: 'oauth2', name: 'Edge app', redirect_uris: [REDIRECT] }, ACTOR);
    clientKey = client.key;
    for (const r of bodyRoutes(t)) {
      const path = r.path.replace(':clientId', registered.id).replace(':key', clientKey).replace(':username', 'admin');
      routes.push({ ...r, url: `${t.baseUrl}${path}`, family: familyOf(r.path) });
    }
  });
  after(() => t.close());

  test('V4.3.1 every route that takes a body refuses JSON nested 33 levels deep with its own registered error, before authentication', async () => {
    assert.ok(routes.length >= 40, `found ${routes.length} routes`);
    for (const family of ['registration', 'admin', 'oauth'] as const)
      assert.ok(
        routes.some((r) => r.family === family),
        family,
      );
    for (const r of routes) {
      for (const [shape, body] of [
        ['arrays', `{"x":${deepArray(32)}}`],
        ['objects', `{"x":${deepObject(32)}}`],
        ['top-level array', deepArray(33)],
      ] as const) {
        // No credentials at all: the body is refused before any handler or authentication runs.
        assertRefused(await send(r.url, r.method, body), r.family, /nested more than 32 levels/, `${r.method} ${r.path} (${shape})`);
      }
    }
  });

  test('V4.3.1 JSON nested exactly 32 levels deep passes the edge and reaches the handler', async () => {
    const reg = await send(`${t.baseUrl}/api/oauth2/register`, 'POST', `{"redirect_uris":["${REDIRECT}"],"x":${deepArray(31)}}`);
    assert.equal(reg.status, 201, reg.text);
    const stored = (await t.app.stores.clients.get(String(reg.json.client_id)))?.metadata.registration as { ignored_fields?: unknown };
    assert.deepEqual(stored.ignored_fields, ['x'], 'the handler saw the member, and ignored it (RFC 7591 §2)');
    const update = await send(
      `${t.baseUrl}/api/oauth2/register/${registered.id}`,
      'PUT',
      `{"client_id":"${registered.id}","redirect_uris":["${REDIRECT}"],"x":${deepObject(31)}}`,
      { authorization: `Bearer ${registered.token}` },
    );
    assert.equal(update.status, 200, update.text);
    // The admin API is strict: the handler names the field the edge let through.
    const admin = await send(`${t.baseUrl}/admin/api/users`, 'POST', `{"username":"deep","password":"a-long-password-1","x":${deepArray(31)}}`, {
      authorization: t.adminAuth,
    });
    assert.equal(admin.status, 400, admin.text);
    assert.deepEqual(
      (admin.json.fields as Array<{ field: string }>).map((f) => f.field),
      ['x'],
    );
  });

  test('V4.3.1 at most 1,000 keys and array elements in one JSON body; one more is refused by every JSON API', async () => {
    // 2 keys + 1 redirect URI + n elements.
    const body = (n: number) => JSON.stringify({ redirect_uris: [REDIRECT], x: new Array(n).fill(0) });
    assert.equal((await send(`${t.baseUrl}/api/oauth2/register`, 'POST', body(997))).status, 201);
    for (const r of routes) {
      assertRefused(await send(r.url, r.method, body(998)), r.family, /more than 1000 keys and array elements/, `${r.method} ${r.path}`);
    }
    // Keys count like elements.
    const keys = (n: number) => JSON.stringify({ redirect_uris: [REDIRECT], ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) });
    assert.equal((await send(`${t.baseUrl}/api/oidc/register`, 'POST', keys(998))).status, 201);
    assertRefused(await send(`${t.baseUrl}/api/oidc/register`, 'POST', keys(999)), 'registration', /more than 1000/, 'oidc register, keys');
  });

  test('V4.3.1 nesting 100,000 levels deep, unauthenticated, is answered 400 or 413 by every route, never 5xx', async () => {
    const bodies = [
      ['100,000 arrays, closed (200 KB)', deepArray(100_000)],
      ['100,000 arrays, unclosed (100 KB)', '['.repeat(100_000)],
      ['60,000 arrays, unclosed (60 KB)', `{"jwks":{"keys":[{"kty":"EC","x":${'['.repeat(60_000)}`],
      ['12,000 objects, unclosed (60 KB)', `{"redirect_uris":["${REDIRECT}"],"jwks":${'{"a":'.repeat(12_000)}`],
      ['4,100 objects inside a JWK (the reported registration)', `{"redirect_uris":["${REDIRECT}"],"jwks":{"keys":[{"kty":"RSA","x":${deepObject(4100)}}]}}`],
    ] as const;
    for (const r of routes) {
      for (const [what, body] of bodies) {
        const a = await send(r.url, r.method, body);
        assert.ok(a.status === 400 || a.status === 413, `${r.method} ${r.path}, ${what}: ${a.status} ${a.text.slice(0, 200)}`);
        assert.match(a.contentType, /^application\/json/);
        if (a.status === 400) assertRefused(a, r.family, /nested more than 32 levels/, `${r.method} ${r.path}, ${what}`);
      }
    }
    // Nothing was stored: the client list still answers.
    const list = await fetch(`${t.baseUrl}/admin/api/clients?type=oauth2`, { headers: { authorization: t.adminAuth } });
    assert.equal(list.status, 200);
  });
});

describe('V4 stored client metadata is bounded', () => {
  let t: TestServer;
  const KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
  before(async () => {
    t = await startServer({ env: { LATCHKEY_REGISTRATION_RATE_LIMIT: '10000', LATCHKEY_REGISTRATION_MAX_PENDING: '10000' } });
  });
  after(() => t.close());

  const nest = (levels: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };

  test('V4.3.1 a self-registered jwks is refused past 16 levels of metadata depth, 500 members or 32 KiB (RFC 7591 §3.2.2)', async () => {
    const register = (jwks: unknown) => send(`${t.baseUrl}/api/oidc/register`, 'POST', JSON.stringify({ redirect_uris: [REDIRECT], jwks }));
    // Stored as metadata.jwks.keys[0].ext[…]: metadata 1, jwks 2, keys 3, the key 4, then the arrays.
    assert.equal((await register({ keys: [{ ...KEY, ext: nest(12) }] })).status, 201);
    const deep = await register({ keys: [{ ...KEY, ext: nest(13) }] });
    assertRefused(deep, 'registration', /jwks: .*nested more than 16 levels/, 'deep jwks');
    const wide = await register({ keys: [{ ...KEY, ext: new Array(500).fill(0) }] });
    assertRefused(wide, 'registration', /jwks: .*more than 500 keys and array elements/, 'wide jwks');
    const large = await register({ keys: [{ ...KEY, ext: 'x'.repeat(33 * 1024) }] });
    assertRefused(large, 'registration', /jwks: .*larger than 32 KiB/, 'large jwks');
  });

  test('V4.3.1 the admin API metadata field is refused past 16 levels, 500 members or 48 KiB, on create and on update', async () => {
    const create = (metadata: unknown) =>
      send(`${t.baseUrl}/admin/api/clients`, 'POST', JSON.stringify({ type: 'oauth2', name: 'Meta app', redirect_uris: [REDIRECT], metadata }), {
        authorization: t.adminAuth,
      });
    const ok = await create({ x: nest(15) });
    assert.equal(ok.status, 201, ok.text);
    const key = String(ok.json.client_key);
    const patch = (metadata: unknown) => send(`${t.baseUrl}/admin/api/clients/${key}`, 'PATCH', JSON.stringify({ metadata }), { authorization: t.adminAuth });
    assert.equal((await create({ x: new Array(499).fill(0) })).status, 201);
    assert.equal((await create({ x: 'y'.repeat(47 * 1024) })).status, 201);
    for (const [what, metadata, says] of [
      ['17 levels', { x: nest(16) }, /nested more than 16 levels/],
      ['501 members', { x: new Array(500).fill(0) }, /more than 500 keys and array elements/],
      ['49 KiB', { x: 'y'.repeat(49 * 1024) }, /larger than 48 KiB/],
    ] as const) {
      for (const [verb, answer] of [
        ['create', await create(metadata)],
        ['update', await patch(metadata)],
      ] as const) {
        assertRefused(answer, 'admin', /metadata/, `${verb}, ${what}`);
        const fields = answer.json.fields as Array<{ field: string; message: string }>;
        assert.equal(fields[0]?.field, 'metadata', `${verb}, ${what}`);
        assert.match(fields[0]?.message ?? '', says, `${verb}, ${what}`);
      }
    }
    assert.deepEqual((await t.app.stores.clients.get(key))?.metadata, { x: nest(15) }, 'a refused update changed nothing');
  });
});

describe('V4 a list never fails because one stored row is odd', () => {
  let t: TestServer;
  const log: string[] = [];
  before(async () => {
    t = await startServer({ log });
  });
  after(() => t.close());

  const admin = async (path: string) => {
    const res = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: t.adminAuth } });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  test('V4.3.1 clients whose stored JSON cannot be read are listed and shown with the field marked, and their keys logged', async () => {
    const db = t.app.database.db;
    const make = async (name: string) => (await t.app.clientAdmin.create({ type: 'oauth2', name, redirect_uris: [REDIRECT] }, ACTOR)).client.key;
    const healthy = await make('Healthy app');
    // Written straight into the database, as an old version, a restore or a hand edit could leave them.
    const odd: Array<[string, Record<string, string>, string[]]> = [
      ['Deep metadata', { metadata: `{"jwks":${deepArray(100_000)}}` }, ['metadata']],
      ['Broken metadata', { metadata: '{"jwks": [' }, ['metadata']],
      ['Array metadata', { metadata: '[1,2]' }, ['metadata']],
      ['Odd lists', { redirect_uris: '[1,{"a":2}]', grant_types: 'null', response_types: deepArray(40) }, ['redirect_uris', 'grant_types', 'response_types']],
    ];
    const keys: string[] = [];
    for (const [name, columns, _fields] of odd) {
      const key = await make(name);
      keys.push(key);
      await db.updateTable('clients').set(columns).where('key', '=', key).execute();
    }

    const list = await admin('/admin/api/clients?type=oauth2&limit=50');
    const items = list.items as Array<Record<string, unknown>>;
    assert.equal(items.length, odd.length + 1);
    assert.deepEqual(items.find((c) => c.client_key === healthy)?.unreadable_fields, []);
    for (const [i, [name, , fields]] of odd.entries()) {
      const item = items.find((c) => c.client_key === keys[i]);
      assert.ok(item, name);
      assert.deepEqual(item.unreadable_fields, fields, name);
      assert.equal(item.name, name);
      // The marked field reads as its empty value; the rest of the row is intact.
      assert.deepEqual(item.metadata, {}, name);
      for (const f of ['redirect_uris', 'grant_types', 'response_types']) {
        if (fields.includes(f)) assert.deepEqual(item[f], [], `${name}: ${f}`);
        else assert.ok(Array.isArray(item[f]), `${name}: ${f}`);
      }
      const detail = await admin(`/admin/api/clients/${keys[i]}`);
      assert.deepEqual(detail.unreadable_fields, fields, `${name} (detail)`);
      // The row is named in the log (its key and field), never its content.
      assert.ok(
        log.some((line) => line.includes(String(keys[i])) && fields.every((f) => line.includes(f))),
        `${name}: the log names the key and fields`,
      );
    }
    assert.ok(
      log.every((line) => !line.includes('[[[[')),
      'the odd value itself is not logged',
    );
    // Sorting and searching work around the odd rows too.
    assert.equal((await admin('/admin/api/clients?type=oauth2&sort=name')).total, odd.length + 1);
    assert.equal((await admin(`/admin/api/clients?search=${keys[0]}`)).total, 1);
  });

  test('V4.3.1 an odd row does not break the registration read (RFC 7592), the audit log or the console', async () => {
    const reg = await send(`${t.baseUrl}/api/oauth2/register`, 'POST', JSON.stringify({ redirect_uris: [REDIRECT] }));
    assert.equal(reg.status, 201);
    const id = String(reg.json.client_id);
    await t.app.database.db
      .updateTable('clients')
      .set({ metadata: deepObject(50_000) })
      .where('key', '=', id)
      .execute();
    const read = await fetch(`${t.baseUrl}/api/oauth2/register/${id}`, { headers: { authorization: `Bearer ${reg.json.registration_access_token}` } });
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as Record<string, unknown>).client_id, id);

    await t.app.database.db
      .insertInto('audit_events')
      .values({ at: Date.now(), actor: 'test', action: 'test.odd', target_type: 'client', target: id, source: 'test', details: deepArray(100_000) })
      .execute();
    const audit = await admin('/admin/api/audit?action=test.odd');
    assert.deepEqual((audit.items as Array<Record<string, unknown>>)[0]?.details, {});
    await admin(`/admin/api/clients/${id}/activity`);

    // The console's client list and detail view render the odd client, marked.
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.goto(`${t.baseUrl}/admin/clients?type=oauth2`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const row = page.locator(`tr[data-key="${id}"]`);
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /unreadable/i);
      await page.goto(`${t.baseUrl}/admin/clients/${id}`);
      await page
        .getByText(/could not be read/i)
        .first()
        .waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /metadata/);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  test('V4.3.1 odd stored scopes do not break the "Authorized applications" page', async () => {
    const userId = await makeUser(t, 'olivia', 'olivia-long-password-1');
    const { client } = await t.app.clientAdmin.create({ type: 'oauth2', name: 'Consented app', redirect_uris: [REDIRECT] }, ACTOR);
    await t.app.clientAdmin.setStatus(client.key, 'approved', ACTOR);
    await t.app.consents.grant(userId, client.key, ['profile'], Date.now());
    await sql`UPDATE consents SET scopes = ${deepArray(100_000)} WHERE user_id = ${userId}`.execute(t.app.database.db);
    const jar = new CookieJar();
    await signIn(jar, t.baseUrl, 'olivia', 'olivia-long-password-1');
    const page = await jar.fetch(`${t.baseUrl}/account/applications`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Consented app/);
  });
});
