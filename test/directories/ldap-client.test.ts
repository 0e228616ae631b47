import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ldapDirectoryClient } from '../../src/adapters/ldap/client.js';
import type { Directory, DirectoryAuthResult } from '../../src/core/directories/directory.js';
import { type Slapd, startSlapd } from '../support/slapd.js';

function okEntry(r: DirectoryAuthResult) {
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  if (r.kind !== 'ok') throw new Error('unreachable');
  return r.entry;
}

describe('LDAP directory client against OpenLDAP', () => {
  let ldap: Slapd;
  let second: Slapd;
  const unsealed: Directory[] = [];
  let servicePasswordFor: (d: Directory) => string;
  let client: ReturnType<typeof ldapDirectoryClient>;
  let search: Directory;
  let template: Directory;

  before(async () => {
    [ldap, second] = await Promise.all([startSlapd({ tls: true }), startSlapd({ suffix: 'dc=second,dc=test' })]);
    servicePasswordFor = (d) => (d.bind.kind === 'service' && d.bind.dn === second.serviceDn ? second.servicePassword : ldap.servicePassword);
    client = ldapDirectoryClient({
      unsealBindPassword: (d) => {
        unsealed.push(d);
        return servicePasswordFor(d);
      },
    });
    search = ldap.directory('search');
    template = ldap.directory('template', { id: 'template' });
  });

  after(async () => {
    await client?.close();
    await Promise.all([ldap?.cleanup(), second?.cleanup()]);
  });

  it('search-then-bind maps the attributes and reads groups from memberOf', async () => {
    const e = okEntry(await client.authenticate(search, 'alice', 'alice-pw-1'));
    assert.equal(e.dn, ldap.userDn('alice'));
    assert.equal(e.username, 'alice');
    assert.equal(e.displayName, 'Alice Liddell');
    assert.equal(e.email, 'alice@example.org');
    assert.equal(e.givenName, 'Alice');
    assert.equal(e.familyName, 'Liddell');
    assert.match(e.uniqueId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(e.groups.map((g) => g.name).sort(), ['admins', 'backend']);
    assert.ok(unsealed.length > 0, 'the service password was unsealed');
    // The same person through another path has the same entryUUID.
    const again = await client.lookup(search, 'alice');
    assert.equal(again.kind === 'found' && again.entry.uniqueId, e.uniqueId);
  });

  it('reads groups by a group search (one level: nesting is not flattened without AD)', async () => {
    const d = ldap.directory('search', {
      id: 'group-search',
      groups: { kind: 'search', baseDn: ldap.groupsDn, filter: '(objectClass=groupOfNames)', memberAttribute: 'member', nameAttribute: 'cn', nested: false },
    });
    const carol = okEntry(await client.authenticate(d, 'carol', 'carol-pw-3'));
    assert.deepEqual(carol.groups, [{ dn: ldap.groupDn('engineering'), name: 'engineering' }]);
    const bob = okEntry(await client.authenticate(d, 'bob', 'bob-pw-2'));
    assert.deepEqual(bob.groups, [{ dn: ldap.groupDn('backend'), name: 'backend' }]);
  });

  it('binds through a DN template, anonymously otherwise', async () => {
    const e = okEntry(await client.authenticate(template, 'bob', 'bob-pw-2'));
    assert.equal(e.dn, ldap.userDn('bob'));
    assert.equal(e.email, 'bob@example.org');
    assert.deepEqual(
      e.groups.map((g) => g.name),
      ['backend'],
    );
    assert.deepEqual(await client.authenticate(template, 'bob', 'nope'), { kind: 'wrong' });
    assert.deepEqual(await client.authenticate(template, 'nobody', 'bob-pw-2'), { kind: 'wrong' });
  });

  it('a username with DN syntax in a template names one entry only', async () => {
    const e = okEntry(await client.authenticate(template, 'star*name', 'star-pw-4'));
    assert.equal(e.username, 'star*name');
    for (const u of ['alice,ou=people', 'alice+cn=x', 'bob\\,x', '\0alice']) {
      assert.deepEqual(await client.authenticate(template, u, 'alice-pw-1'), { kind: 'wrong' }, u);
    }
  });

  it('search-then-bind with anonymous search', async () => {
    const d = ldap.directory('anonymous', { id: 'anon' });
    okEntry(await client.authenticate(d, 'carol', 'carol-pw-3'));
    assert.deepEqual(await client.authenticate(d, 'carol', 'alice-pw-1'), { kind: 'wrong' });
  });

  it('wrong password and empty password are refused; an unknown user is left to the next directory', async () => {
    assert.deepEqual(await client.authenticate(search, 'alice', 'alice-pw-2'), { kind: 'wrong' });
    assert.deepEqual(await client.authenticate(search, 'mallory', 'alice-pw-1'), { kind: 'unknown' });
    assert.deepEqual(await client.authenticate(search, 'alice', ''), { kind: 'wrong' });
    assert.deepEqual(await client.authenticate(template, 'alice', ''), { kind: 'wrong' });
  });

  it('an empty password is refused before any bind, also for the service account', async () => {
    const dead = ldapDirectoryClient({ unsealBindPassword: () => '' });
    try {
      // The service account with an empty password is refused as well, before it reaches slapd.
      const r = await dead.lookup(search, 'alice');
      assert.equal(r.kind, 'unavailable');
      assert.equal(dead.pooledConnections(search.id), 0);
    } finally {
      await dead.close();
    }
  });

  it('injection attempts in the username never authenticate and never match another entry', async () => {
    const attempts = ['*', ')(uid=*', '\\2a', 'admin)(|(uid=*', 'alice)(uid=*', 'al*', '*)(objectClass=*', 'alice\0', '\0', 'alice\\00', '(uid=alice)'];
    for (const u of attempts) {
      for (const d of [search, template]) {
        for (const pw of ['alice-pw-1', 'bob-pw-2', 'x']) {
          // A search finds no entry (unknown); a template bind is refused (wrong): never ok.
          const expected = d.users.kind === 'search' && !u.includes('\0') ? 'unknown' : 'wrong';
          assert.deepEqual(await client.authenticate(d, u, pw), { kind: expected }, `${d.users.kind} ${JSON.stringify(u)}`);
        }
        const l = await client.lookup(d, u);
        assert.equal(l.kind, 'missing', `${d.users.kind} lookup ${JSON.stringify(u)}: ${JSON.stringify(l)}`);
      }
    }
    // The user whose name has filter syntax is found by exactly that name only.
    const star = await client.lookup(search, 'star*name');
    assert.equal(star.kind === 'found' && star.entry.dn, ldap.userDn('star*name'));
  });

  it('overlong usernames are refused without asking the directory', async () => {
    const before = unsealed.length;
    const other = ldap.directory('search', { id: 'never-asked', connection: { port: 1 } });
    assert.deepEqual(await client.authenticate(other, 'a'.repeat(257), 'x'), { kind: 'wrong' });
    assert.deepEqual(await client.authenticate(other, 'a\0b', 'x'), { kind: 'wrong' });
    assert.deepEqual(await client.lookup(other, 'a'.repeat(257)), { kind: 'missing' });
    assert.equal(unsealed.length, before);
  });

  it('more than one matching entry is wrong', async () => {
    const d = ldap.directory('search', { id: 'ambiguous' });
    if (d.users.kind !== 'search') throw new Error('search preset');
    // Both dave entries share sn=Twin; searching by sn finds two.
    await ldap.addUser({ uid: 'dave1', cn: 'Dave One', givenName: 'Dave', sn: 'Twin', mail: 'd1@example.org', password: 'twin-pw' });
    await ldap.addUser({ uid: 'dave2', cn: 'Dave Two', givenName: 'Dave', sn: 'Twin', mail: 'd2@example.org', password: 'twin-pw' });
    const bySn: Directory = { ...d, users: { ...d.users, usernameAttribute: 'sn' } };
    assert.deepEqual(await client.authenticate(bySn, 'Twin', 'twin-pw'), { kind: 'wrong' });
    assert.deepEqual(await client.lookup(bySn, 'Twin'), { kind: 'missing' });
    await ldap.removeUser('dave2');
    okEntry(await client.authenticate(bySn, 'Twin', 'twin-pw'));
    await ldap.removeUser('dave1');
  });

  it('an entry whose settable unique id another entry claims too is nobody: wrong at sign-in, missing at lookup', async () => {
    const byNumber: Directory = { ...search, id: 'by-employee-number', attributes: { ...search.attributes, uniqueId: 'employeeNumber' } };
    const byTemplate: Directory = { ...template, id: 'template-by-employee-number', attributes: { ...template.attributes, uniqueId: 'employeeNumber' } };
    await ldap.addUser({
      uid: 'gail',
      cn: 'Gail',
      givenName: 'Gail',
      sn: 'G',
      mail: 'gail@example.org',
      password: 'gail-pw',
      attributes: { employeeNumber: 'N-1' },
    });
    assert.equal(okEntry(await client.authenticate(byNumber, 'gail', 'gail-pw')).uniqueId, 'N-1');
    await ldap.addUser({
      uid: 'copy',
      cn: 'Copy',
      givenName: 'Copy',
      sn: 'C',
      mail: 'copy@example.org',
      password: 'copy-pw',
      attributes: { employeeNumber: 'N-1' },
    });
    for (const d of [byNumber, byTemplate]) {
      assert.deepEqual(await client.authenticate(d, 'copy', 'copy-pw'), { kind: 'wrong' }, d.id);
      assert.deepEqual(await client.authenticate(d, 'gail', 'gail-pw'), { kind: 'wrong' }, d.id);
      assert.deepEqual(await client.lookup(d, 'gail'), { kind: 'missing' }, d.id);
    }
    // entryUUID is the server's own: two entries never share it, and it is not searched for.
    okEntry(await client.authenticate(search, 'copy', 'copy-pw'));
    await ldap.removeUser('copy');
    assert.equal(okEntry(await client.authenticate(byTemplate, 'gail', 'gail-pw')).uniqueId, 'N-1');
    assert.equal((await client.lookup(byNumber, 'gail')).kind, 'found');
    await ldap.removeUser('gail');
  });

  it('lookupById finds a renamed entry by its unique id, and nothing for an unknown or shared one', async () => {
    await ldap.addUser({
      uid: 'hope',
      cn: 'Hope',
      givenName: 'Hope',
      sn: 'H',
      mail: 'hope@example.org',
      password: 'hope-pw',
      attributes: { employeeNumber: 'N-7' },
    });
    const id = okEntry(await client.authenticate(search, 'hope', 'hope-pw')).uniqueId;
    await ldap.rename(ldap.userDn('hope'), `uid=hope2,${ldap.peopleDn}`);
    assert.deepEqual(await client.lookup(search, 'hope'), { kind: 'missing' });
    for (const d of [search, template]) {
      const found = await client.lookupById(d, id);
      assert.equal(found.kind === 'found' && found.entry.username, 'hope2', d.id);
      assert.equal(found.kind === 'found' && found.entry.dn, `uid=hope2,${ldap.peopleDn}`, d.id);
    }
    for (const unknown of ['00000000-0000-0000-0000-000000000000', '', 'x'.repeat(2000)]) {
      assert.deepEqual(await client.lookupById(search, unknown), { kind: 'missing' }, unknown.slice(0, 40));
    }
    const byNumber: Directory = { ...search, id: 'by-number-lookup', attributes: { ...search.attributes, uniqueId: 'employeeNumber' } };
    assert.equal((await client.lookupById(byNumber, 'N-7')).kind, 'found');
    await ldap.addUser({
      uid: 'hope3',
      cn: 'Hope',
      givenName: 'Hope',
      sn: 'H',
      mail: 'hope3@example.org',
      password: 'hope-pw',
      attributes: { employeeNumber: 'N-7' },
    });
    assert.deepEqual(await client.lookupById(byNumber, 'N-7'), { kind: 'missing' }, 'an id two entries hold is nobody’s');
    await ldap.removeUser('hope2');
    await ldap.removeUser('hope3');
    assert.deepEqual(await client.lookupById(search, id), { kind: 'missing' });
  });

  it('a disabled user cannot sign in; a removed one is missing; membership changes show', async () => {
    await ldap.addUser({ uid: 'erin', cn: 'Erin', givenName: 'Erin', sn: 'E', mail: 'erin@example.org', password: 'erin-pw' });
    okEntry(await client.authenticate(search, 'erin', 'erin-pw'));
    await ldap.addMember('admins', ldap.userDn('erin'));
    const withGroup = await client.lookup(search, 'erin');
    assert.deepEqual(withGroup.kind === 'found' && withGroup.entry.groups.map((g) => g.name), ['admins']);
    await ldap.removeMember('admins', ldap.userDn('erin'));
    const without = await client.lookup(search, 'erin');
    assert.deepEqual(without.kind === 'found' && without.entry.groups, []);
    await ldap.disableUser('erin');
    assert.deepEqual(await client.authenticate(search, 'erin', 'erin-pw'), { kind: 'wrong' });
    assert.equal((await client.lookup(search, 'erin')).kind, 'found');
    await ldap.removeUser('erin');
    assert.deepEqual(await client.lookup(search, 'erin'), { kind: 'missing' });
    assert.deepEqual(await client.lookup(template, 'erin'), { kind: 'missing' });
    assert.deepEqual(await client.authenticate(search, 'erin', 'erin-pw'), { kind: 'unknown' });
  });

  it('searchUsers and searchGroups', async () => {
    const users = await client.searchUsers(search, 'ca', 10);
    assert.equal(users.kind, 'ok');
    if (users.kind !== 'ok') return;
    assert.deepEqual(
      users.entries.map((e) => e.username),
      ['carol'],
    );
    const byMail = await client.searchUsers(search, 'bob@', 10);
    assert.deepEqual(byMail.kind === 'ok' && byMail.entries.map((e) => e.username), ['bob']);
    const all = await client.searchUsers(search, '', 2);
    assert.equal(all.kind === 'ok' && all.entries.length, 2);
    const star = await client.searchUsers(search, 'star*', 10);
    assert.deepEqual(star.kind === 'ok' && star.entries.map((e) => e.username), ['star*name']);
    const viaTemplate = await client.searchUsers(template, 'ali', 10);
    assert.deepEqual(viaTemplate.kind === 'ok' && viaTemplate.entries.map((e) => e.username), ['alice']);
    assert.deepEqual(await client.searchUsers(search, '*', 10), { kind: 'ok', entries: [] });

    const groupsDir = ldap.directory('search', {
      id: 'groups',
      groups: { kind: 'search', baseDn: ldap.groupsDn, filter: '(objectClass=groupOfNames)', memberAttribute: 'member', nameAttribute: 'cn', nested: false },
    });
    const g = await client.searchGroups(groupsDir, 'eng', 10);
    assert.deepEqual(g, {
      kind: 'ok',
      groups: [{ dn: ldap.groupDn('engineering'), name: 'engineering', memberDns: [ldap.groupDn('backend'), ldap.userDn('carol')] }],
    });
    const every = await client.searchGroups(groupsDir, '', 10);
    assert.deepEqual(every.kind === 'ok' && every.groups.map((x) => x.name).sort(), ['admins', 'backend', 'engineering']);
    // With groups read from memberOf, import still finds them one level above the users.
    const viaMemberOf = await client.searchGroups(search, 'adm', 10);
    assert.deepEqual(viaMemberOf.kind === 'ok' && viaMemberOf.groups.map((x) => [x.dn, x.name]), [[ldap.groupDn('admins'), 'admins']]);
    assert.deepEqual(await client.searchGroups(ldap.directory('search', { id: 'none', groups: { kind: 'none' } }), '', 10), { kind: 'ok', groups: [] });
  });

  it('test() binds with the configured credentials and checks the base DN', async () => {
    assert.deepEqual(await client.test(search), { kind: 'ok' });
    assert.deepEqual(await client.test(template), { kind: 'ok' });
    const wrongPw = ldapDirectoryClient({ unsealBindPassword: () => 'not-the-password' });
    try {
      const r = await wrongPw.test(search);
      assert.equal(r.kind, 'unavailable');
      assert.ok(r.kind === 'unavailable' && !r.reason.includes('not-the-password'), JSON.stringify(r));
      assert.match(r.kind === 'unavailable' ? r.reason : '', /service account/);
      // A bad service password is the directory's problem, not the user's.
      assert.equal((await wrongPw.authenticate(search, 'alice', 'alice-pw-1')).kind, 'unavailable');
    } finally {
      await wrongPw.close();
    }
    if (search.users.kind !== 'search') throw new Error('search preset');
    const badBase: Directory = { ...search, id: 'bad-base', users: { ...search.users, baseDn: `ou=nowhere,${ldap.suffix}` } };
    const r = await client.test(badBase);
    assert.match(r.kind === 'unavailable' ? r.reason : '', /does not exist/);
  });

  it('a second instance is a second directory', async () => {
    await second.addUser({ uid: 'frank', cn: 'Other Frank', givenName: 'Alice', sn: 'Other', mail: 'alice@second.test', password: 'second-alice' });
    const d2 = second.directory('search', { id: 'second' });
    const e2 = okEntry(await client.authenticate(d2, 'frank', 'second-alice'));
    assert.equal(e2.email, 'alice@second.test');
    assert.deepEqual(await client.authenticate(search, 'frank', 'second-alice'), { kind: 'unknown' });
    const e1 = okEntry(await client.authenticate(search, 'alice', 'alice-pw-1'));
    assert.notEqual(e1.uniqueId, e2.uniqueId);
  });

  describe('TLS', () => {
    const tlsDir = (id: string, connection: Partial<Directory['connection']>) =>
      ldap.directory('search', { id, connection: { port: ldap.ldapsPort, security: 'ldaps', ...connection } });

    it('LDAPS is trusted with the CA bundle', async () => {
      okEntry(await client.authenticate(tlsDir('ldaps-ca', { caBundle: ldap.caPem }), 'alice', 'alice-pw-1'));
      okEntry(await client.authenticate(tlsDir('ldaps-localhost', { host: 'localhost', caBundle: ldap.caPem }), 'alice', 'alice-pw-1'));
    });

    it('LDAPS is refused without the CA bundle or with another CA', async () => {
      for (const caBundle of [null, ldap.otherCaPem]) {
        const r = await client.authenticate(tlsDir(`ldaps-untrusted-${caBundle === null}`, { caBundle }), 'alice', 'alice-pw-1');
        assert.equal(r.kind, 'unavailable');
        assert.match(r.kind === 'unavailable' ? r.reason : '', /^TLS: .*not trusted/);
        assert.ok(r.kind === 'unavailable' && !r.reason.includes('alice-pw-1') && !r.reason.includes(ldap.servicePassword));
      }
    });

    it('a certificate that does not name the host is refused unless hostname verification is off', async () => {
      // 127.0.0.2 is the same slapd; the certificate names 127.0.0.1 and localhost only.
      const r = await client.authenticate(tlsDir('ldaps-mismatch', { host: '127.0.0.2', caBundle: ldap.caPem }), 'alice', 'alice-pw-1');
      assert.equal(r.kind, 'unavailable');
      assert.match(r.kind === 'unavailable' ? r.reason : '', /does not name 127\.0\.0\.2/);
      okEntry(await client.authenticate(tlsDir('ldaps-noverify', { host: '127.0.0.2', caBundle: ldap.caPem, verifyHostname: false }), 'alice', 'alice-pw-1'));
      // Turning hostname checks off does not turn off trust in the chain.
      const untrusted = await client.authenticate(
        tlsDir('ldaps-noverify-untrusted', { host: '127.0.0.2', caBundle: ldap.otherCaPem, verifyHostname: false }),
        'alice',
        'alice-pw-1',
      );
      assert.equal(untrusted.kind, 'unavailable');
    });

    it('StartTLS upgrades the plain port with the same checks', async () => {
      const st = (id: string, c: Partial<Directory['connection']>) => ldap.directory('search', { id, connection: { security: 'starttls', ...c } });
      okEntry(await client.authenticate(st('starttls', { caBundle: ldap.caPem }), 'bob', 'bob-pw-2'));
      okEntry(
        await client.authenticate(
          ldap.directory('template', { id: 'starttls-template', connection: { security: 'starttls', caBundle: ldap.caPem } }),
          'bob',
          'bob-pw-2',
        ),
      );
      const untrusted = await client.authenticate(st('starttls-untrusted', { caBundle: ldap.otherCaPem }), 'bob', 'bob-pw-2');
      assert.match(untrusted.kind === 'unavailable' ? untrusted.reason : '', /^TLS: .*not trusted/);
      const plain = second.directory('search', { id: 'starttls-no-tls', connection: { security: 'starttls', caBundle: ldap.caPem } });
      assert.equal((await client.authenticate(plain, 'alice', 'second-alice')).kind, 'unavailable', 'a server without TLS is not used in the clear');
    });
  });

  describe('a directory that goes away', () => {
    it('a stopped server is unavailable within the connect timeout, and works again after a restart', async () => {
      const d = ldap.directory('search', { id: 'restart', connection: { connectTimeoutMs: 1500, readTimeoutMs: 1500 } });
      okEntry(await client.authenticate(d, 'alice', 'alice-pw-1'));
      assert.ok(client.pooledConnections(d.id) >= 1, 'the service connection is pooled');
      await ldap.stop();
      try {
        const t0 = performance.now();
        const r = await client.authenticate(d, 'alice', 'alice-pw-1');
        const took = performance.now() - t0;
        assert.equal(r.kind, 'unavailable');
        assert.match(r.kind === 'unavailable' ? r.reason : '', /refused|closed|reset/);
        assert.ok(took < 1500 + 1000, `answered in ${Math.round(took)} ms`);
        assert.equal((await client.lookup(d, 'alice')).kind, 'unavailable');
        assert.equal((await client.test(d)).kind, 'unavailable');
      } finally {
        await ldap.start();
      }
      okEntry(await client.authenticate(d, 'alice', 'alice-pw-1'));
      assert.equal((await client.lookup(d, 'bob')).kind, 'found');
    });

    it('pooled connections survive a restart that happens while they are idle', async () => {
      const d = ldap.directory('search', { id: 'idle-restart' });
      assert.equal((await client.lookup(d, 'alice')).kind, 'found');
      assert.equal(client.pooledConnections(d.id), 1);
      await ldap.stop();
      await ldap.start();
      assert.equal((await client.lookup(d, 'alice')).kind, 'found');
      assert.equal(client.pooledConnections(d.id), 1);
    });

    it('a server that accepts but never answers is unavailable within the timeouts', async () => {
      const plain = ldap.directory('search', { id: 'frozen', connection: { connectTimeoutMs: 800, readTimeoutMs: 800 } });
      const tls = ldap.directory('search', {
        id: 'frozen-tls',
        connection: { port: ldap.ldapsPort, security: 'ldaps', caBundle: ldap.caPem, connectTimeoutMs: 800, readTimeoutMs: 800 },
      });
      okEntry(await client.authenticate(plain, 'alice', 'alice-pw-1'));
      ldap.freeze();
      try {
        for (const [d, pattern] of [
          [plain, /no answer .* within 800 ms/],
          [tls, /no connection .* within 800 ms/],
        ] as const) {
          const t0 = performance.now();
          const r = await client.authenticate(d, 'alice', 'alice-pw-1');
          const took = performance.now() - t0;
          assert.equal(r.kind, 'unavailable', d.id);
          assert.match(r.kind === 'unavailable' ? r.reason : '', pattern);
          assert.ok(took < 800 + 800 + 1000, `${d.id} answered in ${Math.round(took)} ms`);
        }
      } finally {
        ldap.thaw();
      }
      okEntry(await client.authenticate(plain, 'alice', 'alice-pw-1'));
    });

    it('forget() drops the connections of a directory', async () => {
      const d = ldap.directory('search', { id: 'forget' });
      assert.equal((await client.lookup(d, 'bob')).kind, 'found');
      assert.equal(client.pooledConnections(d.id), 1);
      client.forget(d.id);
      assert.equal(client.pooledConnections(d.id), 0);
      assert.equal((await client.lookup(d, 'bob')).kind, 'found');
    });

    it('changed settings do not reuse the old connections', async () => {
      const d = ldap.directory('search', { id: 'changed' });
      assert.equal((await client.lookup(d, 'bob')).kind, 'found');
      const other = second.directory('search', { id: 'changed' });
      await second.addUser({ uid: 'zed', cn: 'Zed', givenName: 'Zed', sn: 'Z', mail: 'zed@second.test', password: 'zed-pw' });
      assert.equal((await client.lookup(other, 'zed')).kind, 'found');
      assert.equal((await client.lookup(d, 'zed')).kind, 'missing');
    });
  });

  it('close() closes everything and answers unavailable afterwards', async () => {
    const c = ldapDirectoryClient({ unsealBindPassword: () => ldap.servicePassword });
    assert.equal((await c.lookup(search, 'alice')).kind, 'found');
    await c.close();
    assert.equal(c.pooledConnections(search.id), 0);
    assert.equal((await c.authenticate(search, 'alice', 'alice-pw-1')).kind, 'unavailable');
  });
});
