// Import, re-sync, conversion both ways, validation and access, through the admin API and the
// CLI, against a real slapd.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminApi, signsIn as signsInAs } from '../support/admin-api.js';
import { startServer, type TestServer } from '../support/server.js';
import { type Slapd, startSlapd } from '../support/slapd.js';

describe('directory administration', () => {
  let ldap: Slapd;
  let t: TestServer;
  let dirId = '';

  const api = (method: string, path: string, body?: unknown, auth = t.adminAuth) => adminApi(t, method, path, body, auth);
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const signsIn = (u: string, p: string) => signsInAs(t, u, p);

  before(async () => {
    ldap = await startSlapd();
    t = await startServer();
    const created = await api('POST', '/admin/api/directories', {
      name: 'Example',
      domain: 'example',
      host: '127.0.0.1',
      port: ldap.port,
      bind_dn: ldap.serviceDn,
      bind_password: ldap.servicePassword,
      users: { base_dn: ldap.peopleDn },
      connect_timeout_ms: 1000,
      read_timeout_ms: 2000,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    dirId = String(created.body.id);
  });
  after(async () => {
    await t?.close();
    await ldap?.cleanup();
  });

  it('refuses bad settings with field errors, never a 500', async () => {
    const bad = await api('POST', '/admin/api/directories', {
      name: 'x',
      domain: 'internal',
      host: 'ldap://host',
      users: { base_dn: 'dc=x', filter: 'objectClass=person', username_attribute: 'u id' },
      ca_bundle: 'not a certificate',
      bind_dn: 'cn=svc',
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const fields = (bad.body.fields as Array<{ field: string }>).map((f) => f.field);
    for (const f of ['domain', 'host', 'ca_bundle', 'users.filter', 'users.username_attribute']) assert.ok(fields.includes(f), `${f} in ${fields}`);
    assert.equal(
      (await api('POST', '/admin/api/directories', { name: 'dup', domain: 'EXAMPLE', host: '127.0.0.2', users: { dn_template: 'uid={username},dc=x' } }))
        .status,
      409,
    );
    assert.equal((await api('POST', '/admin/api/directories', { name: 't', domain: 't', host: 'h', users: { dn_template: 'uid=x,dc=x' } })).status, 400);
    assert.equal((await api('PATCH', `/admin/api/directories/${dirId}`, { port: 0 })).status, 400);
    // Balanced but unsendable filters are refused when saved, not found out at every sign-in.
    for (const filter of ['(objectClass=person)(x=y)', '(a=\\zz)', '(=x)', '(&(objectClass=person)(!))']) {
      for (const body of [{ users: { base_dn: 'dc=x', filter } }, { groups: { kind: 'search', base_dn: 'dc=x', filter } }]) {
        const r = await api('PATCH', `/admin/api/directories/${dirId}`, body);
        assert.equal(r.status, 400, `${filter}: ${JSON.stringify(r.body)}`);
        const named = (r.body.fields as Array<{ field: string }>).map((f) => f.field);
        assert.deepEqual(named, ['users' in body ? 'users.filter' : 'groups.filter'], filter);
      }
    }
    const unchanged = await api('GET', `/admin/api/directories/${dirId}`);
    assert.doesNotMatch(JSON.stringify(unchanged.body), /x=y|zz/, 'nothing was stored');
    assert.equal((await api('GET', '/admin/api/directories/nope')).status, 404);
  });

  it('only configure_server reaches directories; groups need manage_users or manage_roles', async () => {
    for (const [name, roles] of [
      ['nobody1', []],
      ['usermgr1', ['user_manager']],
      ['secmgr1', ['security_manager']],
      ['srvadm1', ['server_administrator']],
    ] as const) {
      assert.equal((await api('POST', '/admin/api/users', { username: name, password: 'a good long password 1', roles })).status, 201);
      const auth = basic(name, 'a good long password 1');
      const canDirectories = roles.includes('server_administrator' as never);
      const canGroups = roles.some((r) => r === 'user_manager' || r === 'security_manager');
      assert.equal((await api('GET', '/admin/api/directories', undefined, auth)).status, canDirectories ? 200 : 403, name);
      assert.equal((await api('POST', `/admin/api/directories/${dirId}/test`, undefined, auth)).status, canDirectories ? 200 : 403, name);
      assert.equal((await api('DELETE', '/admin/api/directories/no-such-id', undefined, auth)).status, canDirectories ? 404 : 403, name);
      assert.equal((await api('GET', '/admin/api/groups', undefined, auth)).status, canGroups ? 200 : 403, name);
      assert.equal((await api('POST', '/admin/api/groups', { name: `plain-${name}` }, auth)).status, canGroups ? 201 : 403, name);
      // A group with a role is a role grant: manage_roles, and only permissions the granter holds.
      const grantsOwn = await api('POST', '/admin/api/groups', { name: `sm-${name}`, roles: ['security_manager'] }, auth);
      assert.equal(grantsOwn.status, roles.includes('security_manager' as never) ? 201 : 403, name);
      assert.equal((await api('POST', '/admin/api/groups', { name: `um-${name}`, roles: ['user_manager'] }, auth)).status, 403, name);
    }
  });

  it('previews and imports users and groups; memberships link up', async () => {
    const preview = await api('GET', `/admin/api/directories/${dirId}/users?query=a`);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const users = preview.body.items as Array<{ username: string; imported_as: string | null }>;
    assert.deepEqual(
      users.map((u) => [u.username, u.imported_as]),
      [['alice', null]],
    );
    const done = await api('POST', `/admin/api/directories/${dirId}/import`, { users: ['alice', 'nobody'], groups: [ldap.groupDn('admins')] });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body.not_found, ['nobody']);
    const group = (done.body.groups as Array<{ id: string; name: string }>)[0];
    assert.equal(group?.name, 'admins');
    const members = await api('GET', `/admin/api/groups/${group?.id}/members`);
    assert.deepEqual(
      (members.body.items as Array<{ username: string }>).map((u) => u.username),
      ['alice'],
    );
    const again = await api('GET', `/admin/api/directories/${dirId}/users?query=a`);
    assert.deepEqual(
      (again.body.items as Array<{ imported_as: string | null }>).map((u) => u.imported_as),
      ['alice'],
    );
    // Importing again brings the name the directory gives now (here: the stored one had drifted).
    const stored = await t.app.stores.groups.get(String(group?.id));
    assert.ok(stored);
    await t.app.stores.groups.update({ ...stored, name: 'stale name', updatedAt: stored.updatedAt + 1 });
    const reimported = await api('POST', `/admin/api/directories/${dirId}/import`, { groups: [ldap.groupDn('admins')] });
    assert.deepEqual(
      (reimported.body.groups as Array<{ id: string; name: string }>).map((g) => [g.id, g.name]),
      [[group?.id, 'admins']],
    );
    const audited = await api('GET', '/admin/api/audit?action=group.rename');
    assert.equal((audited.body.items as Array<{ details: { from: string } }>)[0]?.details.from, 'stale name');
    // Imported users sign in although the directory does not create users at sign-in.
    assert.equal(await signsIn('alice', 'alice-pw-1'), true);
    assert.equal(await signsIn('bob', 'bob-pw-2'), false, 'not imported, not created');
  });

  it('re-syncs attributes and disables a user gone from the directory', async () => {
    await ldap.addUser({ uid: 'dave', cn: 'Dave One', givenName: 'Dave', sn: 'One', mail: 'dave@example.org', password: 'dave-pw-5' });
    assert.equal((await api('POST', `/admin/api/directories/${dirId}/import`, { users: ['dave'] })).status, 200);
    await ldap.removeUser('dave');
    const report = await t.app.directories.importer.sync(await t.app.directories.admin.get(dirId));
    assert.ok(report.checked >= 2 && report.disabled === 1, JSON.stringify(report));
    assert.equal((await t.app.stores.users.findByUsername('dave'))?.enabled, false);
    assert.equal((await t.app.stores.users.findByUsername('alice'))?.enabled, true);
  });

  it('converts users both ways', async () => {
    assert.equal((await api('POST', '/admin/api/users', { username: 'carol', password: 'carol local password', roles: [] })).status, 201);
    assert.equal(await signsIn('carol', 'carol local password'), true);
    const converted = await api('POST', `/admin/api/directories/${dirId}/convert`, { username: 'carol' });
    assert.equal(converted.status, 200, JSON.stringify(converted.body));
    assert.equal(await signsIn('carol', 'carol local password'), false, 'the local password is gone');
    assert.equal(await signsIn('carol', 'carol-pw-3'), true, 'the directory password signs in');
    assert.equal((await api('POST', `/admin/api/directories/${dirId}/convert`, { username: 'carol' })).status, 409);
    // External → internal by setting a password.
    assert.equal((await api('POST', '/admin/api/users/carol/password', { password: 'carol new local pw' })).status, 204);
    const carol = await t.app.stores.users.findByUsername('carol');
    assert.equal(carol?.source, undefined);
    assert.equal(await signsIn('carol', 'carol new local pw'), true);
    assert.equal(await signsIn('carol', 'carol-pw-3'), false, 'an internal user is not checked against the directory');
  });

  it('the CLI lists, tests, adds, imports, disables and removes directories, reading the bind password from stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-dir-cli-'));
    const env = {
      ...process.env,
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'l.db')}`,
      LATCHKEY_LOG_LEVEL: 'silent',
      LATCHKEY_MASTER_KEY: randomBytes(32).toString('hex'),
    };
    const cli = (args: string[], stdin = '') =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.stderr.on('data', (c) => (stderr += c));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.end(stdin);
      });
    try {
      const add = await cli(
        [
          'directory',
          'add',
          '--name',
          'CLI',
          '--domain',
          'cli',
          '--host',
          '127.0.0.1',
          '--port',
          String(ldap.port),
          '--base-dn',
          ldap.peopleDn,
          '--bind-dn',
          ldap.serviceDn,
          '--bind-password-stdin',
          '--json',
        ],
        `${ldap.servicePassword}\n`,
      );
      assert.equal(add.code, 0, add.stderr);
      assert.equal(JSON.parse(add.stdout).bind_password_set, true);
      assert.ok(!add.stdout.includes(ldap.servicePassword));
      const test = await cli(['directory', 'test', 'cli', '--user', 'alice', '--password-stdin', '--json'], 'alice-pw-1');
      assert.equal(test.code, 0, test.stderr);
      assert.equal(JSON.parse(test.stdout).outcome, 'signed_in');
      const wrong = await cli(['directory', 'test', 'cli', '--user', 'alice', '--password-stdin'], 'nope');
      assert.equal(wrong.code, 1);
      const list = await cli(['directory', 'list', '--json']);
      assert.deepEqual(
        (JSON.parse(list.stdout).items as Array<{ domain: string }>).map((d) => d.domain),
        ['cli'],
      );
      const group = await cli(['group', 'add', 'ops', '--role', 'user_manager', '--json']);
      assert.equal(group.code, 0, group.stderr);
      assert.deepEqual(JSON.parse(group.stdout).roles, ['user_manager']);
      const imported = await cli(['directory', 'import', 'cli', '--user', 'alice', '--json']);
      assert.equal(imported.code, 0, imported.stderr);
      const joined = await cli(['group', 'member', 'add', 'ops', 'alice', '--json']);
      assert.deepEqual(JSON.parse(joined.stdout), { group: 'ops', username: 'alice', member: true });
      const disabled = await cli(['directory', 'disable', 'cli', '--json']);
      assert.equal(JSON.parse(disabled.stdout).enabled, false);
      assert.notEqual((await cli(['directory', 'remove', 'cli', '--json'])).code, 0, 'removal needs --yes');
      const removed = await cli(['directory', 'remove', 'cli', '--yes', '--json']);
      assert.deepEqual(JSON.parse(removed.stdout), { removed: 'cli' });
      const bad = await cli(['directory', 'add', '--name', 'x', '--domain', 'internal', '--host', 'h', '--dn-template', 'uid={username},dc=x']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /domain/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
