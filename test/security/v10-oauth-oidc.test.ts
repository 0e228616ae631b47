// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V10 OAuth and OIDC: what the token endpoints tell a client about tokens that are not its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from '../console/browser.js';
import { basic, makeClient, makeUser, postForm, type TestClient } from '../oauth2/helpers.js';
import { call, latchkey } from '../registration/helpers.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

const ACTOR = { name: 'test', source: 'test' };
const REDIRECT = 'https://app.example/cb';
const TOKEN_GRANTS = ['password', 'refresh_token', 'client_credentials'];

type Kind = 'owner' | 'other' | 'resource server';
type TokenType = 'user access token' | 'refresh token' | 'client_credentials access token';
const TOKEN_TYPES: TokenType[] = ['user access token', 'refresh token', 'client_credentials access token'];

interface Tokens {
  access: string;
  refresh: string;
  clientAccess: string;
}

describe('V10 token endpoints and tokens of other clients', () => {
  let t: TestServer;
  const clients = {} as Record<Kind, TestClient>;
  const tokens = {} as Record<Kind, Tokens>;
  let publicClient: TestClient;

  const auth = (c: TestClient) => ({ authorization: basic(c.key, c.secret ?? '') });
  const tokenOf = (owner: Kind, type: TokenType) =>
    type === 'user access token' ? tokens[owner].access : type === 'refresh token' ? tokens[owner].refresh : tokens[owner].clientAccess;
  const introspect = (caller: TestClient, token: string) => postForm(`${t.baseUrl}/api/oauth2/introspect`, { token }, auth(caller));
  const activeForOwner = async (owner: Kind, type: TokenType) => (await introspect(clients[owner], tokenOf(owner, type))).json.active;

  async function issue(c: TestClient, username: string): Promise<Tokens> {
    const user = await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'password', username, password: `${username}-password-1` }, auth(c));
    assert.equal(user.status, 200, JSON.stringify(user.json));
    const cc = await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, auth(c));
    assert.equal(cc.status, 200, JSON.stringify(cc.json));
    return { access: String(user.json.access_token), refresh: String(user.json.refresh_token), clientAccess: String(cc.json.access_token) };
  }

  before(async () => {
    t = await startServer({ env: { LATCHKEY_REGISTRATION_RATE_LIMIT: '1000' } });
    const settings = { redirect_uris: [], response_types: [], grant_types: TOKEN_GRANTS };
    clients.owner = await makeClient(t, { name: 'Token owner', ...settings });
    clients.other = await makeClient(t, { name: 'Another client', ...settings });
    clients['resource server'] = await makeClient(t, { name: 'Orders API', ...settings, resource_server: true });
    publicClient = await makeClient(t, { name: 'Public app', public: true, redirect_uris: [REDIRECT] });
    for (const [kind, user] of [
      ['owner', 'olga'],
      ['other', 'otto'],
      ['resource server', 'rita'],
    ] as const) {
      await makeUser(t, user, `${user}-password-1`);
      tokens[kind] = await issue(clients[kind], user);
    }
  });
  after(() => t.close());

  test('V10.1.1 introspection answers a token only to its own client, and access tokens also to resource servers (RFC 7662 §4); every other answer is {"active": false}', async () => {
    const callers: Kind[] = ['owner', 'other', 'resource server'];
    for (const caller of callers) {
      for (const owner of callers) {
        for (const type of TOKEN_TYPES) {
          const expected = caller === owner || (caller === 'resource server' && type !== 'refresh token');
          const res = await introspect(clients[caller], tokenOf(owner, type));
          const cell = `${caller} introspects a ${type} of ${owner === caller ? 'its own' : `the ${owner}`}`;
          assert.equal(res.status, 200, cell);
          if (expected) {
            assert.equal(res.json.active, true, cell);
            assert.equal(res.json.client_id, clients[owner].key, cell);
          } else {
            // Nothing else: not the client, not the user, not whether the token exists.
            assert.deepEqual(res.json, { active: false }, cell);
          }
        }
      }
    }
    // A public client cannot introspect at all (RFC 7662 §2.1).
    const pub = await postForm(`${t.baseUrl}/api/oauth2/introspect`, { token: tokens.owner.access, client_id: publicClient.key });
    assert.equal(pub.status, 401);
    assert.equal(pub.json.error, 'invalid_client');
  });

  test('V10.1.1 another client’s token reads exactly like an unknown token to a client that is not a resource server', async () => {
    const unknown = await introspect(clients.other, 'not-a-token');
    const foreign = await introspect(clients.other, tokens.owner.access);
    assert.deepEqual(foreign.json, unknown.json);
    assert.equal(foreign.status, unknown.status);
  });

  test('V10.4.10 revoking another client’s access or refresh token answers 200 like an unknown token (RFC 7009 §2.2) and revokes nothing', async () => {
    const callers: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['another confidential client', auth(clients.other), {}],
      ['a resource server', auth(clients['resource server']), {}],
      ['a public client', {}, { client_id: publicClient.key }],
    ];
    for (const [who, headers, extra] of callers) {
      for (const type of TOKEN_TYPES) {
        for (const hint of [undefined, 'access_token', 'refresh_token']) {
          const res = await postForm(
            `${t.baseUrl}/api/oauth2/revoke`,
            { token: tokenOf('owner', type), ...(hint ? { token_type_hint: hint } : {}), ...extra },
            headers,
          );
          const unknown = await postForm(
            `${t.baseUrl}/api/oauth2/revoke`,
            { token: 'not-a-token', ...(hint ? { token_type_hint: hint } : {}), ...extra },
            headers,
          );
          const cell = `${who} revokes the owner's ${type} (hint ${hint ?? 'none'})`;
          assert.equal(res.status, 200, `${cell}: ${JSON.stringify(res.json)}`);
          assert.deepEqual(res.json, unknown.json, cell);
          assert.equal(await activeForOwner('owner', type), true, `${cell}: the token still works`);
        }
      }
    }
    // The tokens still work where they are used.
    const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.owner.access}` } });
    assert.equal(me.status, 200);
    const refreshed = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.owner.refresh },
      auth(clients.owner),
    );
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
    tokens.owner = { ...tokens.owner, access: String(refreshed.json.access_token), refresh: String(refreshed.json.refresh_token) };
    // The owner itself still revokes them.
    for (const type of ['client_credentials access token', 'refresh token'] as const) {
      const own = await postForm(`${t.baseUrl}/api/oauth2/revoke`, { token: tokenOf('owner', type) }, auth(clients.owner));
      assert.equal(own.status, 200);
      assert.equal(await activeForOwner('owner', type), false, `the owner revoked its ${type}`);
    }
  });

  test('V10.4.7 self-registration cannot make a client a resource server, not at registration and not by an update (RFC 7591 §2)', async () => {
    const body = {
      client_name: 'Eager API',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code'],
      resource_server: true,
      introspection_allowed: true,
    };
    const reg = await call('POST', `${t.baseUrl}/api/oauth2/register`, { body });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const key = String(reg.json.client_id);
    assert.equal(reg.json.resource_server, undefined);
    const update = await call('PUT', String(reg.json.registration_client_uri), {
      token: String(reg.json.registration_access_token),
      body: { ...body, client_id: key },
    });
    assert.equal(update.status, 200, JSON.stringify(update.json));
    await t.app.clientAdmin.setStatus(key, 'approved', ACTOR);
    const stored = await t.app.stores.clients.get(key);
    assert.equal(stored?.resourceServer, false);
    assert.deepEqual(((stored?.metadata.registration ?? {}) as { ignored_fields?: string[] }).ignored_fields, ['resource_server', 'introspection_allowed']);
    const view = await fetch(`${t.baseUrl}/admin/api/clients/${key}`, { headers: { authorization: t.adminAuth } });
    assert.equal(((await view.json()) as Record<string, unknown>).resource_server, false);
    const answer = await introspect({ key, secret: String(reg.json.client_secret) }, tokens.other.access);
    assert.deepEqual(answer.json, { active: false });

    // An administrator's choice survives the registrant's next update.
    await t.app.clientAdmin.update(key, { resource_server: true }, ACTOR);
    const again = await call('PUT', String(reg.json.registration_client_uri), {
      token: String(reg.json.registration_access_token),
      body: { ...body, client_id: key, resource_server: false },
    });
    assert.equal(again.status, 200);
    assert.equal((await t.app.stores.clients.get(key))?.resourceServer, true);
  });

  test('V10.1.1 only an administrator sets the resource server flag: admin API (off by default), CLI, and never on a public client or an OAuth 1.0a consumer', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${t.baseUrl}/admin/api${path}`, {
        method,
        headers: { authorization: t.adminAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
    const created = await admin('POST', '/clients', { type: 'oidc', name: 'Billing API', redirect_uris: [REDIRECT] });
    assert.equal(created.status, 201);
    assert.equal(created.json.resource_server, false, 'off by default');
    const key = String(created.json.client_key);
    const on = await admin('PATCH', `/clients/${key}`, { resource_server: true });
    assert.equal(on.status, 200);
    assert.equal(on.json.resource_server, true);
    assert.equal((await admin('GET', `/clients/${key}`)).json.resource_server, true);
    assert.equal((await admin('PATCH', `/clients/${key}`, { resource_server: false })).json.resource_server, false);
    for (const [what, body] of [
      ['a public client', { type: 'oauth2', name: 'SPA', public: true, redirect_uris: [REDIRECT], resource_server: true }],
      ['an OAuth 1.0a consumer', { type: 'oauth1', name: 'Consumer', resource_server: true }],
    ] as const) {
      const refused = await admin('POST', '/clients', body);
      assert.equal(refused.status, 400, what);
      assert.deepEqual(
        (refused.json.fields as Array<{ field: string }>).map((f) => f.field),
        ['resource_server'],
        what,
      );
    }
    const fromCli = await latchkey(
      t,
      'client',
      'create',
      '--type',
      'oauth2',
      '--name',
      'CLI API',
      '--grant-type',
      'client_credentials',
      '--resource-server',
      '--json',
    );
    assert.equal(fromCli.code, 0, fromCli.stderr);
    const cliKey = String((JSON.parse(fromCli.stdout) as Record<string, unknown>).client_key);
    assert.equal((await t.app.stores.clients.get(cliKey))?.resourceServer, true);
    const off = await latchkey(t, 'client', 'update', cliKey, '--no-resource-server', '--json');
    assert.equal(off.code, 0, off.stderr);
    assert.equal((await t.app.stores.clients.get(cliKey))?.resourceServer, false);
  });

  test('V10.1.1 the console shows the resource server flag with what it allows, and sets it after a confirmation', async () => {
    const api = await makeClient(t, { name: 'Inventory API', redirect_uris: [], response_types: [], grant_types: ['client_credentials'] });
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.goto(`${t.baseUrl}/admin/clients/${api.key}`);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const settings = page.locator('section:has(#settings-title)');
      await settings.waitFor();
      assert.match((await settings.textContent()) ?? '', /Resource server\s*No: introspects only its own tokens/);
      await page.getByRole('button', { name: 'Edit' }).click();
      const dialog = page.locator('dialog[open]');
      const box = dialog.getByLabel('Resource server');
      assert.equal(await box.isChecked(), false, 'off by default');
      assert.match((await dialog.textContent()) ?? '', /may introspect access tokens issued to other clients/);
      await box.check();
      await dialog.getByRole('button', { name: 'Save' }).click();
      assert.match((await dialog.locator('.confirm-changes').textContent()) ?? '', /Resource server: it may now introspect tokens issued to other clients/);
      await dialog.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForFunction(() => /Resource server\s*Yes/.test(document.querySelector('section:has(#settings-title)')?.textContent ?? ''));
      assert.equal((await t.app.stores.clients.get(api.key))?.resourceServer, true);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
    const answer = await introspect(api, tokens.other.access);
    assert.equal(answer.json.active, true, 'the flag set in the console takes effect');
  });

  test('V10.1.1 OAuth 1.0a verification for other resource servers needs a client marked as a resource server', async () => {
    const verify = (c: TestClient) =>
      fetch(`${t.baseUrl}/api/oauth1/verify`, {
        method: 'POST',
        headers: { ...auth(c), 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'GET', url: 'https://rs.example.test/things' }),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
    const refused = await verify(clients.other);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'unauthorized_client');
    assert.equal(refused.json.valid, undefined, 'nothing about the request is answered');
    const allowed = await verify(clients['resource server']);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.json.valid, false);
  });
});
