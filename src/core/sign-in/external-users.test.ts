import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Directory, type DirectoryEntry, MAX_EXTERNAL_ID_BYTES } from '../directories/directory.js';
import { PRESETS } from '../directories/settings.js';
import type { AuditEvent, User } from '../ports.js';
import { aUser, T0 } from '../testing/builders.js';
import { CountingRandom, FakeClock } from '../testing/fakes.js';
import { areReplicas, cleanText, directoryName, externalUsers } from './external-users.js';
import { parseSignInName } from './username.js';

const corp: Directory = {
  id: 'dir-corp',
  name: 'Corp',
  domain: 'corp',
  position: 0,
  enabled: true,
  connection: { host: 'ldap.corp', port: 389, security: 'none', caBundle: null, verifyHostname: true, connectTimeoutMs: 5000, readTimeoutMs: 10000 },
  bind: { kind: 'anonymous' },
  users: { kind: 'search', baseDn: 'dc=corp', filter: '(objectClass=inetOrgPerson)', usernameAttribute: 'uid', scope: 'sub' },
  attributes: PRESETS.openldap.attributes,
  groups: { kind: 'member-of', attribute: 'memberOf', nameAttribute: 'cn' },
  emailVerified: true,
  createUsersOnSignIn: true,
  defaultGroupId: 'g-default',
  syncIntervalMinutes: 0,
  createdAt: T0,
  updatedAt: T0,
};

const ann: DirectoryEntry = {
  dn: 'uid=ann,ou=people,dc=corp',
  uniqueId: 'uuid-ann',
  username: 'ann',
  displayName: 'Ann Example',
  email: 'ann@corp.example',
  givenName: 'Ann',
  familyName: 'Example',
  groups: [
    { dn: 'cn=admins,ou=groups,dc=corp', name: 'admins' },
    { dn: 'cn=not-imported,ou=groups,dc=corp', name: 'not-imported' },
  ],
};

function setup(existing: User[] = [], groupRoles: Record<string, string[]> = { 'g-admins': ['server_administrator'] }, directories: Directory[] = [corp]) {
  const users = new Map(existing.map((u) => [u.id, u]));
  const memberships: Array<[string, string]> = [];
  const external: Array<{ userId: string; ids: readonly string[] }> = [];
  const audit: AuditEvent[] = [];
  const left: string[] = [];
  const clock = new FakeClock(T0 + 1000);
  const service = externalUsers({
    users: {
      findExternal: async (dirId, extId) => [...users.values()].find((u) => u.source?.directoryId === dirId && u.source.externalId === extId),
      findByUsername: async (name) => [...users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase()),
      insert: async (u) => {
        users.set(u.id, u);
      },
      update: async (u) => {
        users.set(u.id, u);
      },
    },
    groups: {
      findExternal: async (dirId, dn) => (dirId === 'dir-corp' && dn === 'cn=admins,ou=groups,dc=corp' ? { id: 'g-admins' } : undefined),
      get: async (id) => (groupRoles[id] ? { roles: groupRoles[id] } : undefined),
      addMember: async (groupId, userId) => {
        memberships.push([groupId, userId]);
      },
      setExternalMemberships: async (userId, _dir, ids) => {
        external.push({ userId, ids });
        return { added: [...ids], removed: ids.length === 0 ? ['g-admins'] : [] };
      },
    },
    audit: { append: async (e) => void audit.push(e) },
    clock,
    random: new CountingRandom(),
    onGroupsLeft: async (userId) => void left.push(userId),
    directory: async (id) => directories.find((x) => x.id === id),
    domains: async () => directories.map((x) => x.domain),
  });
  return { service, users, memberships, external, audit, left, clock };
}

describe('external users', () => {
  it('creates a user at first sign-in with the mapped attributes, the default group and the imported groups', async () => {
    const s = setup();
    const r = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(r.kind, 'user');
    if (r.kind !== 'user') return;
    assert.equal(r.created, true);
    assert.equal(r.user.username, 'ann');
    assert.equal(r.user.displayName, 'Ann Example');
    assert.equal(r.user.email, 'ann@corp.example');
    assert.equal(r.user.emailVerified, true);
    assert.deepEqual(r.user.profile, { givenName: 'Ann', familyName: 'Example' });
    assert.equal(r.user.passwordHash, null);
    assert.deepEqual(r.user.roles, []);
    assert.deepEqual(r.user.source, { kind: 'directory', directoryId: 'dir-corp', domain: 'corp', externalId: 'uuid-ann', dn: ann.dn });
    assert.deepEqual(s.memberships, [['g-default', r.user.id]]);
    assert.deepEqual(s.external, [{ userId: r.user.id, ids: ['g-admins'] }], 'only imported groups are linked');
    assert.equal(s.audit[0]?.action, 'user.create');
  });

  it('refuses to create when the directory does not create users, but import does', async () => {
    const s = setup();
    const closed = { ...corp, createUsersOnSignIn: false };
    assert.deepEqual(await s.service.resolve(closed, ann, 'sign-in'), { kind: 'refused', refusal: 'not_created' });
    assert.deepEqual(await s.service.resolve(closed, ann, 'sync'), { kind: 'absent' });
    const imported = await s.service.resolve(closed, ann, 'import');
    assert.equal(imported.kind === 'user' && imported.created, true);
    assert.equal(s.audit.at(-1)?.action, 'user.import');
    assert.deepEqual(s.memberships, [], 'the default group is for users created at sign-in');
  });

  it('refuses an entry whose unique id is too long to keep, at sign-in and import alike', async () => {
    const s = setup();
    const longest = { ...ann, uniqueId: 'é'.repeat(MAX_EXTERNAL_ID_BYTES / 2) };
    const over = { ...ann, uniqueId: `${longest.uniqueId}x` };
    for (const mode of ['sign-in', 'import'] as const) assert.deepEqual(await s.service.resolve(corp, over, mode), { kind: 'refused', refusal: 'id_too_long' });
    assert.equal(s.users.size, 0, 'nothing stored');
    const kept = await s.service.resolve(corp, longest, 'import');
    assert.equal(kept.kind === 'user' && kept.user.source?.externalId, longest.uniqueId);
  });

  it('finds a renamed user by the unique id and updates its attributes', async () => {
    const s = setup();
    const first = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(first.kind, 'user');
    s.clock.advance(5000);
    const renamed = { ...ann, username: 'ann.smith', displayName: 'Ann Smith', familyName: 'Smith', dn: 'uid=ann.smith,ou=people,dc=corp' };
    const again = await s.service.resolve(corp, renamed, 'sign-in');
    assert.equal(again.kind === 'user' && again.created, false);
    assert.equal(s.users.size, 1);
    const stored = [...s.users.values()][0];
    assert.equal(stored?.displayName, 'Ann Smith');
    assert.equal(stored?.profile?.familyName, 'Smith');
    assert.equal(stored?.source?.dn, renamed.dn);
    assert.equal(stored?.lastSyncAt, T0 + 6000);
  });

  it('takes the domain-qualified name when the name is taken by an internal user', async () => {
    const s = setup([aUser().id('internal-ann').named('ann').build()]);
    const r = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(r.kind === 'user' && r.user.username, 'ann@corp');
    assert.equal(s.users.get('internal-ann')?.source, undefined, 'the internal user is left alone');
  });

  it('keeps a disabled user out and cuts off a user who left groups', async () => {
    const s = setup();
    const r = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(r.kind, 'user');
    if (r.kind !== 'user') return;
    s.users.set(r.user.id, { ...r.user, enabled: false });
    assert.deepEqual(await s.service.resolve(corp, ann, 'sign-in'), { kind: 'refused', refusal: 'disabled' });
    s.users.set(r.user.id, { ...r.user, enabled: true });
    await s.service.resolve(corp, { ...ann, groups: [] }, 'sync');
    assert.deepEqual(s.left, [r.user.id]);
  });

  it("signs another directory's user in only from a replica: same user base and a server-assigned id", async () => {
    const replica: Directory = { ...corp, id: 'dir-replica', domain: 'replica', connection: { ...corp.connection, host: 'ldap2.corp' } };
    const otherTree: Directory = { ...replica, id: 'dir-lab', domain: 'lab', users: { ...corp.users, baseDn: 'dc=lab' } as Directory['users'] };
    const settableId: Directory = { ...replica, id: 'dir-hr', domain: 'hr', attributes: { ...corp.attributes, uniqueId: 'employeeNumber' } };
    const spaced: Directory = { ...replica, id: 'dir-spaced', domain: 'spaced', users: { ...corp.users, baseDn: 'DC = Corp' } as Directory['users'] };
    assert.equal(areReplicas(corp, replica), true);
    assert.equal(areReplicas(corp, spaced), true, 'DN spelling does not matter');
    assert.equal(areReplicas(corp, otherTree), false);
    assert.equal(areReplicas(corp, settableId), false);
    assert.equal(
      areReplicas({ ...corp, attributes: { ...corp.attributes, uniqueId: 'employeeNumber' } }, settableId),
      false,
      'a settable id never makes replicas',
    );
    const s = setup([], undefined, [corp, replica, otherTree, settableId]);
    const first = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(first.kind, 'user');
    if (first.kind !== 'user') return;
    const again = await s.service.resolve(replica, ann, 'sign-in');
    assert.equal(again.kind === 'user' && again.user.id, first.user.id, 'the replica signs the same user in');
    for (const d of [otherTree, settableId]) {
      const r = await s.service.resolve(d, ann, 'sign-in');
      assert.ok(r.kind === 'user' && r.user.id !== first.user.id && r.user.username === `ann@${d.domain}`, `${d.domain} gets a user of its own`);
    }
  });

  it('keeps a name that reads as qualified by a configured domain qualified by its own', async () => {
    const lab: Directory = { ...corp, id: 'dir-lab', domain: 'lab' };
    const s = setup([], undefined, [corp, lab]);
    for (const [name, kept] of [
      ['zed@lab', 'zed@lab@corp'],
      ['LAB\\zed', 'corp\\LAB\\zed'],
      ['zed@example.com', 'zed@example.com'],
    ] as const) {
      const r = await s.service.resolve(corp, { ...ann, username: name, uniqueId: `uuid-${name}`, dn: `uid=${name},dc=corp` }, 'import');
      assert.equal(r.kind === 'user' && r.user.username, kept, name);
      assert.deepEqual(parseSignInName(kept, ['corp', 'lab']).domain, kept === name ? null : 'corp', 'the kept name reads as corp’s');
    }
  });

  it('leaving a group without roles cuts nothing off', async () => {
    const s = setup([], { 'g-admins': [] });
    const r = await s.service.resolve(corp, ann, 'sign-in');
    assert.equal(r.kind, 'user');
    await s.service.resolve(corp, { ...ann, groups: [] }, 'sync');
    assert.equal(s.external.at(-1)?.ids.length, 0, 'the membership did follow the directory');
    assert.deepEqual(s.left, []);
  });

  it('keeps directory values that would break a page out: control characters, bad e-mail, overlong text', async () => {
    const s = setup();
    const hostile = { ...ann, displayName: `A\u0000nn\u001b[31m ${'x'.repeat(500)}`, email: 'not an email', givenName: '   ' };
    const r = await s.service.resolve(corp, hostile, 'sign-in');
    assert.equal(r.kind, 'user');
    if (r.kind !== 'user') return;
    assert.ok(
      [...r.user.displayName].every((c) => c.charCodeAt(0) >= 0x20),
      'no control characters',
    );
    assert.ok(r.user.displayName.length <= 200);
    assert.equal(r.user.email, null);
    assert.equal(r.user.profile?.givenName, undefined);
    assert.equal(cleanText(''), null);
    // An address the admin API would refuse is not vouched for either (it is dropped).
    for (const email of ['eve@example.org<img src=x>', 'eve@exa mple.org', 'eve@@example.org', `${'a'.repeat(250)}@x.org`]) {
      const other = await s.service.resolve(corp, { ...ann, email, uniqueId: `uuid-${email}`, username: `eve${email.length}` }, 'import');
      assert.equal(other.kind === 'user' && other.user.email, null, email);
    }
  });

  it('keeps a directory username without the spaces LDAP ignores, and refuses one with control or format characters', async () => {
    const s = setup([aUser().id('internal-ops').named('ops').build()]);
    const spaced = await s.service.resolve(corp, { ...ann, uniqueId: 'uuid-ops', username: ' ops  ', displayName: null }, 'sign-in');
    assert.equal(spaced.kind === 'user' && spaced.user.username, 'ops@corp', 'not a second "ops"');
    assert.equal(spaced.kind === 'user' && spaced.user.displayName, 'ops');
    for (const [i, username] of ['ops\u200b', 'o\u202eps', 'ops\u0007', 'a\u2028b', '\u00a0', 'o\ufeffps'].entries()) {
      assert.deepEqual(
        await s.service.resolve(corp, { ...ann, uniqueId: `uuid-${i}`, username }, 'import'),
        { kind: 'refused', refusal: 'bad_username' },
        username,
      );
    }
    assert.equal(directoryName('José Ñúñez'), 'José Ñúñez', 'letters of any script stay');
  });

  it('drops C1 controls, bidi overrides and line separators, and never cuts a character in two', () => {
    assert.equal(cleanText('Eve\u0085\u009b\u202egpj.exe\u2066\u2069\u200f\u2028\u2029!'), 'Evegpj.exe!');
    // 199 letters and an emoji of two UTF-16 units: the 200th character is the whole emoji.
    const cut = cleanText(`${'e'.repeat(199)}\u{1F600}${'z'.repeat(1000)}`) ?? '';
    assert.equal(cut, `${'e'.repeat(199)}\u{1F600}`);
    assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut, 'no lone surrogate');
    // What legitimately joins characters stays: ZWJ emoji sequences, ZWNJ in Persian.
    assert.equal(
      cleanText('\u{1F469}\u200d\u{1F4BB} \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645'),
      '\u{1F469}\u200d\u{1F4BB} \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
    );
    assert.equal(cleanText('\u202e\u2028'), null);
  });
});
