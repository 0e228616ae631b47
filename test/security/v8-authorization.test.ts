// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V8 Authorization: who may do what to which user account, over every channel of the
// admin API, with the expectations stated apart from the server's code (v8-user-admin-matrix.ts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hashPassword } from '../../src/adapters/argon2.js';
import type { User } from '../../src/core/ports.js';
import { authHeader, createConsumer, threeLegged } from '../oauth1/helpers.js';
import { authorizeInBrowser, basic, CookieJar, makeClient, postForm, signIn } from '../oauth2/helpers.js';
import { startServer, type TestServer } from '../support/server.js';
import { assertAllEnded, makeApps, obtain, provenBefore, REDIRECT } from './credentials.js';
import {
  ACTIONS,
  ACTORS,
  type Action,
  expected,
  printedMatrix,
  ROLE_SETS,
  type RoleName,
  renderMatrix,
  rolesAfter,
  TARGETS,
  targetRoles,
} from './v8-user-admin-matrix.js';

const PASSWORD = 'matrix-password-1';
const NEW_PASSWORD = 'matrix-password-2';
const run = promisify(execFile);

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

async function call(t: TestServer, method: string, path: string, auth: string | Record<string, string>, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = typeof auth === 'string' ? { authorization: auth } : { ...auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

const basicOf = (username: string, password = PASSWORD) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** What an action may change, compared before and after. */
const stateOf = (u: User | undefined) =>
  u && { roles: [...u.roles].sort(), enabled: u.enabled, passwordHash: u.passwordHash, displayName: u.displayName, email: u.email };

/** Users straight into the store (one argon2 hash for all), so the matrix needs no admin API call to set up. */
function seeder(t: TestServer, passwordHash: string) {
  let n = 0;
  return async (prefix: string, roles: readonly string[], enabled = true): Promise<User> => {
    n += 1;
    const now = Date.now();
    const user: User = {
      id: `${prefix}-${n}-${randomBytes(6).toString('hex')}`,
      username: `${prefix}-${n}`,
      displayName: `${prefix} ${n}`,
      email: null,
      passwordHash,
      enabled,
      roles: [...roles],
      createdAt: now,
      updatedAt: now,
      lastSignInAt: null,
    };
    await t.app.stores.users.insert(user);
    return user;
  };
}

/** The request an action is over the admin API. */
function requestFor(action: Action, target: string, roles: readonly RoleName[]): { method: string; path: string; body?: unknown } {
  const path = `/admin/api/users/${encodeURIComponent(target)}`;
  switch (action) {
    case 'create':
      return { method: 'POST', path: '/admin/api/users', body: { username: target, password: PASSWORD, roles } };
    case 'disable':
      return { method: 'PATCH', path, body: { enabled: false } };
    case 'enable':
      return { method: 'PATCH', path, body: { enabled: true } };
    case 'set password':
      return { method: 'POST', path: `${path}/password`, body: { password: NEW_PASSWORD } };
    case 'read':
      return { method: 'GET', path };
    default:
      return { method: 'PATCH', path, body: { roles: rolesAfter(roles, action) } };
  }
}

describe('V8 user administration', () => {
  let t: TestServer;
  let seed: ReturnType<typeof seeder>;

  before(async () => {
    t = await startServer();
    seed = seeder(t, await hashPassword(PASSWORD));
  });
  after(() => t?.close());

  test('V8.2.2 every actor × target × action of the user admin API answers as the rule says, and changes the database only when allowed', async () => {
    const wrong: string[] = [];
    let cells = 0;
    // One actor's cells after another, the actors side by side: each cell has its own target.
    const runActor = async (actor: (typeof ACTORS)[number], index: number) => {
      const mine = await seed('actor', ROLE_SETS[actor]);
      for (const target of TARGETS) {
        for (const action of ACTIONS) {
          const want = expected(actor, target, action);
          if (want === null) continue;
          cells += 1;
          // Acting on oneself changes the actor: a fresh one for each such cell.
          const me = target === 'self' ? await seed('self', ROLE_SETS[actor]) : mine;
          const roles = targetRoles(actor, target);
          let username: string;
          if (action === 'create') username = `created-${index}-${cells}`;
          else if (target === 'self') username = me.username;
          else username = (await seed('target', roles, action !== 'enable')).username;
          const before = stateOf(await t.app.stores.users.findByUsername(username));
          const req = requestFor(action, username, roles);
          const got = await call(t, req.method, req.path, basicOf(me.username), req.body);
          const afterwards = await t.app.stores.users.findByUsername(username);
          const changed = action === 'create' ? afterwards !== undefined : JSON.stringify(stateOf(afterwards)) !== JSON.stringify(before);
          const cell = `${actor} → ${target}: ${action}`;
          if (got.status !== want.status || changed !== want.changes) {
            wrong.push(`${cell}: answered ${got.status}${changed ? ', changed' : ''}; the rule says ${want.status}${want.changes ? ', changed' : ''}`);
          } else if (want.status === 403 && got.json.error !== 'forbidden') {
            wrong.push(`${cell}: refused with ${String(got.json.error)}, not forbidden`);
          } else if (action === 'create' && changed && JSON.stringify(afterwards?.roles.sort()) !== JSON.stringify([...roles].sort())) {
            wrong.push(`${cell}: created with ${afterwards?.roles.join(',')}`);
          }
        }
      }
    };
    await Promise.all(ACTORS.map(runActor));
    assert.equal(cells, ACTORS.length * (ACTORS.length + TARGETS.length * (ACTIONS.length - 1)));
    assert.deepEqual(wrong, []);
  });

  test('V8.1.1 SECURITY.md prints the user administration matrix this suite checks, cell for cell', () => {
    assert.equal(printedMatrix(), renderMatrix(), 'run `npx tsx test/security/v8-user-admin-matrix.ts --write`');
  });

  test('V8.3.1 a console session, a bearer token and OAuth 1.0a signatures reach the decision Basic reaches', async () => {
    const manager = await seed('channel', ['user_manager', 'security_manager']);
    const managerUser = { username: manager.username, password: PASSWORD };
    // The console: the session cookie with its CSRF token in X-CSRF-Token.
    const jar = new CookieJar();
    assert.equal((await signIn(jar, t.baseUrl, manager.username, PASSWORD)).status, 303);
    const account = await (await jar.fetch(`${t.baseUrl}/admin/account`)).text();
    const csrf = account.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    // A bearer token with the admin scope, through the authorization-code flow.
    const client = await makeClient(t, { name: 'Admin script', redirect_uris: [REDIRECT] });
    const q = new URLSearchParams({ client_id: client.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile latchkey:admin' });
    const cb = await authorizeInBrowser(new CookieJar(), t.baseUrl, `${t.baseUrl}/oauth2/authorize?${q}`, managerUser);
    const token = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', redirect_uri: REDIRECT },
      { authorization: basic(client.key, client.secret ?? '') },
    );
    assert.equal(token.status, 200);
    const consumer = await createConsumer(t.app, { name: 'Admin tool' });
    const oauth1 = await threeLegged(t.baseUrl, consumer, managerUser);

    const channels: Record<string, (method: string, path: string) => string | Record<string, string>> = {
      basic: () => basicOf(manager.username),
      session: () => ({ cookie: jar.header(), 'x-csrf-token': csrf }),
      bearer: () => `Bearer ${String(token.json.access_token)}`,
      oauth1: (method, path) => authHeader(oauth1.oauth, { url: `${t.baseUrl}${path}`, method }, oauth1.token),
    };
    for (const [name, auth] of Object.entries(channels)) {
      const self = `/admin/api/users/${manager.username}`;
      const up = await call(t, 'PATCH', self, auth('PATCH', self), { roles: ['user_manager', 'security_manager', 'server_administrator'] });
      assert.equal(up.status, 403, `${name}: a User and Security Manager cannot make themself Server Administrator`);
      assert.equal(up.json.message, 'you cannot grant permissions you do not hold: configure_server', name);
      const takeover = '/admin/api/users/admin/password';
      assert.equal(
        (await call(t, 'POST', takeover, auth('POST', takeover), { password: NEW_PASSWORD })).status,
        403,
        `${name}: nor set the administrator's password`,
      );
      const create = await call(t, 'POST', '/admin/api/users', auth('POST', '/admin/api/users'), {
        username: `made-by-${name}`,
        password: PASSWORD,
        roles: ['server_administrator'],
      });
      assert.equal(create.status, 403, `${name}: nor create an administrator`);
      const adminPath = '/admin/api/users/admin';
      const email = await call(t, 'PATCH', adminPath, auth('PATCH', adminPath), { email: 'admin@attacker.example' });
      assert.equal(email.status, 403, `${name}: nor change the administrator's email`);
      const peer = await seed('peer', []);
      const path = `/admin/api/users/${peer.username}`;
      const granted = await call(t, 'PATCH', path, auth('PATCH', path), { roles: ['user_manager'] });
      assert.equal(granted.status, 200, `${name}: the channel itself works: ${JSON.stringify(granted.json)}`);
    }
    // Without manage_roles a User Manager grants no role at all, and the refusal is audited by its name.
    const plainManager = await seed('channel', ['user_manager']);
    const grantee = await seed('peer', []);
    const refused = await call(t, 'PATCH', `/admin/api/users/${grantee.username}`, basicOf(plainManager.username), { roles: ['user_manager'] });
    assert.deepEqual([refused.status, refused.json.error, refused.json.message], [403, 'forbidden', 'this needs the manage_roles permission']);
    assert.deepEqual((await t.app.stores.users.findByUsername(grantee.username))?.roles, []);
    const { items: refusals } = await t.app.stores.audit.list({ actor: plainManager.username, limit: 5, offset: 0 });
    assert.deepEqual(
      refusals.map((e) => [e.action, e.details.refusal]),
      [['user.change_refused', 'needs_manage_roles']],
    );
    const after = await t.app.stores.users.findByUsername(manager.username);
    assert.deepEqual([...(after?.roles ?? [])].sort(), ['security_manager', 'user_manager']);
    assert.equal(await t.app.stores.users.findByUsername('made-by-basic'), undefined);
    const admin = await call(t, 'GET', '/admin/api/users/admin', t.adminAuth);
    assert.equal(admin.status, 200, 'the administrator keeps their password');
    assert.equal(admin.json.email, null, 'and their email');
  });

  test('V8.3.2 removing a role ends the user’s sessions, refresh and access tokens and OAuth 1.0a tokens', async () => {
    const apps = await makeApps(t);
    const user = await seed('demoted', ['user_manager']);
    const held = await provenBefore(t, apps, await obtain(t, apps, { username: user.username, password: PASSWORD }));
    const r = await call(t, 'PATCH', `/admin/api/users/${user.username}`, t.adminAuth, { roles: [] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    await assertAllEnded(t, apps, held, 'after a role was removed');
  });
});

describe('V8 the last administrator', () => {
  let t: TestServer;
  let seed: ReturnType<typeof seeder>;

  before(async () => {
    t = await startServer();
    seed = seeder(t, await hashPassword(PASSWORD));
  });
  after(() => t?.close());

  const adminState = async () => stateOf(await t.app.stores.users.findByUsername('admin'));

  test('V8.2.2 the last enabled holder of configure_server can be neither disabled nor demoted (409), and a disabled holder does not count', async () => {
    const untouched = await adminState();
    for (const body of [{ enabled: false }, { roles: ['user_manager'] }, { roles: [] }, { roles: [], enabled: false }]) {
      const r = await call(t, 'PATCH', '/admin/api/users/admin', t.adminAuth, body);
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.equal(r.json.error, 'conflict');
    }
    assert.deepEqual(await adminState(), untouched);
    // Editing the last administrator in other ways is fine.
    assert.equal((await call(t, 'PATCH', '/admin/api/users/admin', t.adminAuth, { display_name: 'The administrator', enabled: true })).status, 200);

    const backup = await seed('backup', ['server_administrator', 'user_manager', 'security_manager'], false);
    assert.equal((await call(t, 'PATCH', '/admin/api/users/admin', t.adminAuth, { enabled: false })).status, 409, 'a disabled holder does not count');
    assert.equal((await call(t, 'PATCH', `/admin/api/users/${backup.username}`, t.adminAuth, { enabled: true })).status, 200);
    assert.equal((await call(t, 'PATCH', '/admin/api/users/admin', t.adminAuth, { roles: ['user_manager'] })).status, 200, 'with another one, it may go');
    // Now the backup is the last one, and admin holds less than it.
    assert.equal((await call(t, 'PATCH', `/admin/api/users/${backup.username}`, t.adminAuth, { enabled: false })).status, 403);
    assert.equal((await call(t, 'PATCH', `/admin/api/users/${backup.username}`, basicOf(backup.username), { enabled: false })).status, 409);
    assert.equal((await call(t, 'PATCH', `/admin/api/users/${backup.username}`, basicOf(backup.username), { roles: ['user_manager'] })).status, 409);
    const all = ['server_administrator', 'user_manager', 'security_manager'];
    assert.equal((await call(t, 'PATCH', '/admin/api/users/admin', basicOf(backup.username), { roles: all })).status, 200);
    assert.deepEqual((await adminState())?.roles, [...all].sort());
  });

  test('V8.2.2 two administrators disabling each other at the same moment leave one of them enabled', async () => {
    const peer = await seed('rival', ['server_administrator', 'user_manager', 'security_manager']);
    // The two are the only enabled administrators.
    for (const u of (await t.app.stores.users.list({ limit: 500, offset: 0 })).items) {
      if (u.enabled && u.roles.includes('server_administrator') && u.username !== 'admin' && u.username !== peer.username) {
        await t.app.stores.users.update({ ...u, enabled: false });
      }
    }
    for (let round = 0; round < 5; round++) {
      // Both passwords verified once before (remembered for a minute), so neither request waits on argon2.
      for (const auth of [t.adminAuth, basicOf(peer.username)]) assert.equal((await call(t, 'GET', '/admin/api/users/admin', auth)).status, 200);
      const [a, b] = await Promise.all([
        call(t, 'PATCH', `/admin/api/users/${peer.username}`, t.adminAuth, { enabled: false }),
        call(t, 'PATCH', '/admin/api/users/admin', basicOf(peer.username), { enabled: false }),
      ]);
      const enabled = [(await t.app.stores.users.findByUsername('admin'))?.enabled, (await t.app.stores.users.findByUsername(peer.username))?.enabled];
      assert.equal(enabled.filter(Boolean).length, 1, `round ${round}: ${a.status}, ${b.status}`);
      assert.deepEqual([a.status, b.status].filter((s) => s === 200).length, 1, `round ${round}: one change went through: ${a.status}, ${b.status}`);
      // Both enabled again for the next round, straight in the store.
      for (const name of ['admin', peer.username]) {
        const u = await t.app.stores.users.findByUsername(name);
        if (u && !u.enabled) await t.app.stores.users.update({ ...u, enabled: true });
      }
    }
  });

  test('V8.2.2 the local CLI is the operator: it may grant any role and disable the last administrator, and every step is audited as cli', async () => {
    const env = {
      ...process.env,
      LATCHKEY_DATABASE_URL: t.backend.url,
      LATCHKEY_DATA_DIR: t.backend.dataDir,
      LATCHKEY_MASTER_KEY: t.app.config.masterKey ?? '',
      LATCHKEY_LOG_LEVEL: 'silent',
    };
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env });
    const plain = await seed('operated', []);
    await cli('user', 'grant-role', plain.username, 'server_administrator');
    await cli('user', 'disable', plain.username);
    await cli('user', 'disable', 'admin');
    assert.equal((await t.app.stores.users.findByUsername('admin'))?.enabled, false, 'the operator may disable the last administrator');
    await cli('user', 'enable', 'admin');
    await cli('user', 'set-password', plain.username, '--password', NEW_PASSWORD);
    const { items } = await t.app.stores.audit.list({ actor: 'cli', limit: 50, offset: 0 });
    const steps = items.map((e) => `${e.action} ${e.target}`).reverse();
    assert.deepEqual(steps, [
      `user.update ${plain.username}`,
      `user.update ${plain.username}`,
      'user.update admin',
      'user.update admin',
      `user.set_password ${plain.username}`,
    ]);
    assert.ok(items.every((e) => e.source === 'cli'));
    assert.equal((await t.app.stores.users.findByUsername('admin'))?.enabled, true);
  });
});
