// An LDAP user signs in end to end: a real slapd, a real Latchkey server, openid-client as the
// relying party. Directories, groups and roles are set up through the admin API as an
// administrator would; the CLI and console use the same use cases.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { CookieJar, discover, makeOidcClient, REDIRECT, redirected, walk } from '../oidc/helpers.js';
import { adminApi, signsIn as signsInAs } from '../support/admin-api.js';
import { startServer, type TestServer } from '../support/server.js';
import { DEFAULT_USERS, type Slapd, startSlapd } from '../support/slapd.js';

describe('directory sign-in', () => {
  let ldap: Slapd;
  let second: Slapd;
  let t: TestServer;
  let corpId = '';
  let labId = '';

  const api = (method: string, path: string, body?: unknown) => adminApi(t, method, path, body);
  const signsIn = (username: string, password: string) => signsInAs(t, username, password);

  before(async () => {
    // The lab holds alice and carol too (other entries, other unique ids), but no bob.
    [ldap, second] = await Promise.all([startSlapd(), startSlapd({ suffix: 'dc=lab,dc=test', users: DEFAULT_USERS.filter((u) => u.uid !== 'bob') })]);
    t = await startServer();
    const corp = await api('POST', '/admin/api/directories', {
      name: 'Corp OpenLDAP',
      domain: 'corp',
      host: '127.0.0.1',
      port: ldap.port,
      bind_dn: ldap.serviceDn,
      bind_password: ldap.servicePassword,
      users: { base_dn: ldap.peopleDn },
      groups: { kind: 'member_of' },
      email_verified: true,
      create_users_on_sign_in: true,
      connect_timeout_ms: 1000,
      read_timeout_ms: 2000,
    });
    assert.equal(corp.status, 201, JSON.stringify(corp.body));
    corpId = String(corp.body.id);
    const lab = await api('POST', '/admin/api/directories', {
      name: 'Lab',
      domain: 'lab',
      host: '127.0.0.1',
      port: second.port,
      bind_dn: second.serviceDn,
      bind_password: second.servicePassword,
      users: { base_dn: second.peopleDn },
      create_users_on_sign_in: true,
      connect_timeout_ms: 1000,
      read_timeout_ms: 2000,
    });
    assert.equal(lab.status, 201, JSON.stringify(lab.body));
    labId = String(lab.body.id);
  });

  after(async () => {
    await t?.close();
    await Promise.all([ldap?.cleanup(), second?.cleanup()]);
  });

  it('never shows the bind password, and tests the connection', async () => {
    const shown = await api('GET', `/admin/api/directories/${corpId}`);
    assert.equal(shown.body.bind_password_set, true);
    assert.ok(!JSON.stringify(shown.body).includes(ldap.servicePassword));
    assert.deepEqual((await api('POST', `/admin/api/directories/${corpId}/test`)).body, { ok: true });
  });

  it('signs an LDAP user in through the code flow; the ID token and UserInfo carry the mapped claims', async () => {
    const rp = await makeOidcClient(t);
    const config = await discover(t, rp);
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile email',
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const r = await walk(new CookieJar(), t, url.href, { username: 'alice', password: 'alice-pw-1' });
    const tokens = await client.authorizationCodeGrant(config, redirected(r), { pkceCodeVerifier: verifier, expectedNonce: nonce });
    const claims = tokens.claims();
    assert.ok(claims);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.name, 'Alice Liddell');
    assert.equal(info.given_name, 'Alice');
    assert.equal(info.family_name, 'Liddell');
    assert.equal(info.email, 'alice@example.org');
    assert.equal(info.email_verified, true);
    assert.equal(info.preferred_username, 'alice');
    const user = await t.app.stores.users.findByUsername('alice');
    assert.equal(user?.source?.domain, 'corp');
    assert.equal(user?.passwordHash, null, 'no password is kept for a directory user');
  });

  it('refuses wrong passwords, empty passwords and injection attempts', async () => {
    assert.equal(await signsIn('alice', 'wrong'), false);
    assert.equal(await signsIn('alice', ''), false);
    for (const name of ['*', 'a*', ')(uid=*', '*)(uid=*))(|(uid=*', '\\2a', 'alice\u0000', 'alice)(|(uid=*']) {
      assert.equal(await signsIn(name, 'alice-pw-1'), false, JSON.stringify(name));
    }
    assert.equal(await t.app.stores.users.findByUsername('*'), undefined);
  });

  it('group → role: an imported external group gives configure_server, and its membership is not editable', async () => {
    await ldap.addMember('admins', ldap.userDn('bob'));
    const found = await api('GET', `/admin/api/directories/${corpId}/groups?query=admins`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    const items = found.body.items as Array<{ dn: string }>;
    const dn = items[0]?.dn;
    assert.ok(dn);
    const imported = await api('POST', `/admin/api/directories/${corpId}/import`, { groups: [dn] });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const group = (imported.body.groups as Array<{ id: string; kind: string }>)[0];
    assert.equal(group?.kind, 'external');
    assert.equal((await api('PATCH', `/admin/api/groups/${group?.id}`, { roles: ['server_administrator'] })).status, 200);
    assert.equal(await signsIn('bob', 'bob-pw-2'), true);
    const bob = await t.app.stores.users.findByUsername('bob');
    assert.deepEqual(bob?.groupRoles, ['server_administrator']);
    const asBob = await fetch(`${t.baseUrl}/admin/api/clients`, { headers: { authorization: `Basic ${Buffer.from('bob:bob-pw-2').toString('base64')}` } });
    assert.equal(asBob.status, 200, 'HTTP Basic reaches the directory too, with the group’s permission');
    assert.equal((await api('POST', `/admin/api/groups/${group?.id}/members`, { username: 'alice' })).status, 409);
    // Leaving the group in the directory takes the role away at the next sign-in.
    await ldap.removeMember('admins', ldap.userDn('bob'));
    assert.equal(await signsIn('bob', 'bob-pw-2'), true);
    assert.equal((await t.app.stores.users.findByUsername('bob'))?.groupRoles, undefined);
  });

  it('resolves names by list order unless the domain is given', async () => {
    // Both directories hold "carol"; the lab's has another password.
    await second.setPassword('carol', 'lab-carol-pw');
    assert.equal(await signsIn('carol', 'lab-carol-pw'), false, 'corp comes first and decides');
    assert.equal(await signsIn('carol@corp', 'carol-pw-3'), true);
    assert.equal(await signsIn('LAB\\carol', 'lab-carol-pw'), true);
    assert.equal(await signsIn('carol', 'carol-pw-3'), true, 'the bare name is the first directory’s user');
    const labCarol = await t.app.stores.users.findExternal(labId, (await t.app.stores.users.findByUsername('carol@lab'))?.source?.externalId ?? '');
    assert.equal(labCarol?.source?.domain, 'lab', 'the second carol got the domain-qualified name');
  });

  it('a disabled or removed directory user does not sign in', async () => {
    await ldap.disableUser('carol');
    assert.equal(await signsIn('carol@corp', 'carol-pw-3'), false);
    await ldap.removeUser('carol');
    assert.equal(await signsIn('carol@corp', 'carol-pw-3'), false);
  });

  it('a stopped directory: its timeouts hold and the next one answers; local sign-in is unaffected', async () => {
    ldap.freeze();
    try {
      const started = Date.now();
      assert.equal(await signsIn('lab\\alice', 'alice-pw-1'), true, 'the lab answers');
      assert.equal(await signsIn('admin', 'correct horse battery staple'), true, 'internal users never wait for a directory');
      assert.equal(await signsIn('bob', 'bob-pw-2'), false, 'corp is frozen: bob is not in the lab');
      assert.ok(Date.now() - started < 15_000, 'the read timeout (2 s) held');
      const listed = await api('GET', '/admin/api/directories');
      const corp = (listed.body.items as Array<{ id: string; health: { last_error: string | null } }>).find((d) => d.id === corpId);
      assert.ok(corp?.health.last_error, 'the failure shows in the directory’s health');
      const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
      assert.match(metrics, /latchkey_directory_up\{domain="corp"\} 0/);
      assert.match(metrics, /latchkey_directory_up\{domain="lab"\} 1/);
      assert.equal((await fetch(`${t.baseUrl}/readyz`)).status, 200, 'a down directory does not make the server unready');
    } finally {
      ldap.thaw();
    }
    assert.equal(await signsIn('bob', 'bob-pw-2'), true, 'back once it answers again');
  });

  it('disabling a directory keeps it out of sign-in; removing it disables its users', async () => {
    assert.equal((await api('PATCH', `/admin/api/directories/${labId}`, { enabled: false })).status, 200);
    assert.equal(await signsIn('lab\\alice', 'alice-pw-1'), false);
    assert.equal(await signsIn('alice', 'alice-pw-1'), true, 'corp still signs its alice in');
    assert.equal((await api('DELETE', `/admin/api/directories/${labId}`)).status, 204);
    const carol = await t.app.stores.users.findByUsername('carol@lab');
    assert.equal(carol?.enabled, false, 'kept, disabled');
  });
});
