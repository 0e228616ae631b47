import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { kyselyStores, type Stores } from '../../compose.js';
import { type Directory, fitsExternalId, MAX_EXTERNAL_ID_BYTES } from '../../core/directories/directory.js';
import { DIRECTORY_ERROR_MAX, type DirectoryHealth, type StoredDirectory } from '../../core/directories/ports.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS } from '../../core/directories/settings.js';
import type { User } from '../../core/ports.js';
import type { Group } from '../../core/users/groups.js';
import { type DirectoryDb, directoryDb } from '../kysely/directory-tables.js';
import { type ContractDatabases, contractVariants, directory, group, openDatabases, pastExternalCheck, transactionRival, user } from './harness.js';

/**
 * The directory and group adapters: the ordered list of LDAP directories (positions always
 * 0..n-1), their health, settings that cannot be read, and the groups (native and mirrored from a
 * directory) whose roles their members inherit, counted wherever a user's roles are.
 */

/** Epoch milliseconds of today's order of magnitude: BIGINT columns must read back as numbers. */
const T = 1_760_000_000_000;
const NO_HEALTH: DirectoryHealth = { lastSuccessAt: null, lastErrorAt: null, lastError: null };
const ADMIN = 'server_administrator';

/** What `get` returns for a directory written as `d` at `position`. */
function stored(d: Directory, position: number, health: DirectoryHealth = NO_HEALTH): StoredDirectory {
  return { ...d, position, health };
}

/** A user the directory `directoryId` provides. */
function external(id: string, username: string, directoryId: string, domain: string, patch: Partial<User> = {}): User {
  return user(id, username, {
    passwordHash: null,
    roles: [],
    source: { kind: 'directory', directoryId, domain, externalId: `uuid-${id}`, dn: `uid=${username},ou=people,dc=${domain}` },
    ...patch,
  });
}

/** An external group of `directoryId` mirroring the directory group `dn`. */
function mirrored(id: string, name: string, directoryId: string, dn: string, patch: Partial<Group> = {}): Group {
  return group(id, name, { source: { directoryId, externalId: dn }, ...patch });
}

/** What a user written without profile fields reads as. */
function read(u: User): User {
  return { profile: {}, profileUpdatedAt: u.updatedAt, ...u };
}

for (const variant of contractVariants()) {
  describe(`directory storage contract on ${variant.name}`, () => {
    let opened: ContractDatabases;
    let s: Stores;
    let s2: Stores;
    let ddb: DirectoryDb;

    /** PostgreSQL text cannot hold U+0000: every parameter's NUL becomes U+FFFD (nul-plugin.ts). */
    const nul = (v: string) => (variant.backend === 'postgres' ? v.replaceAll('\u0000', '\uFFFD') : v);

    /** The ids in list order, after checking that the positions are 0..n-1 in that order. */
    async function order(stores: Stores = s): Promise<string[]> {
      const list = await stores.directories.list();
      assert.deepEqual(
        list.map((d) => d.position),
        list.map((_, i) => i),
        `positions contiguous: ${JSON.stringify(list.map((d) => [d.id, d.position]))}`,
      );
      return list.map((d) => d.id);
    }

    before(async () => {
      opened = await openDatabases(variant);
      s = kyselyStores(opened.database);
      s2 = kyselyStores(opened.second);
      ddb = directoryDb(opened.database.db);
    });
    after(() => opened.close());
    beforeEach(async () => {
      await ddb.deleteFrom('group_members').execute();
      await ddb.deleteFrom('group_roles').execute();
      await ddb.deleteFrom('groups').execute();
      await ddb.deleteFrom('directories').execute();
      await ddb.deleteFrom('user_roles').execute();
      await ddb.deleteFrom('users').execute();
      await pastExternalCheck();
    });

    it('stores every field of a directory intact, whatever the kind of each setting', async () => {
      const a = directory('d-a', 'alpha', { position: 7, createdAt: T, updatedAt: T + 1 });
      const b = directory('d-b', 'beta', {
        enabled: false,
        connection: {
          host: 'LDAP.Beta.example',
          port: 389,
          security: 'starttls',
          caBundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          verifyHostname: false,
          connectTimeoutMs: 0,
          readTimeoutMs: 120_000,
        },
        bind: { kind: 'anonymous' },
        users: { kind: 'template', dnTemplate: 'uid={username},ou=people,dc=beta' },
        attributes: { username: 'sAMAccountName', displayName: null, email: null, givenName: null, familyName: null, uniqueId: 'objectGUID' },
        groups: { kind: 'none' },
        emailVerified: false,
        createUsersOnSignIn: false,
        defaultGroupId: 'g-default',
        syncIntervalMinutes: 0,
        createdAt: T + 2,
        updatedAt: T + 3,
      });
      const c = directory('d-c', 'Gamma', {
        connection: { host: 'ldap.gamma.example', port: 10389, security: 'none', caBundle: null, verifyHostname: true, connectTimeoutMs: 1, readTimeoutMs: 1 },
        users: {
          kind: 'search',
          baseDn: 'dc=gamma',
          filter: '(&(objectCategory=person)(objectClass=user))',
          usernameAttribute: 'sAMAccountName',
          scope: 'one',
        },
        groups: { kind: 'search', baseDn: 'ou=groups,dc=gamma', filter: '(objectClass=group)', memberAttribute: 'member', nameAttribute: 'cn', nested: true },
        syncIntervalMinutes: 1440,
      });
      const d = directory('d-d', 'delta', {
        groups: {
          kind: 'search',
          baseDn: 'ou=groups,dc=delta',
          filter: '(objectClass=groupOfNames)',
          memberAttribute: 'member',
          nameAttribute: 'cn',
          nested: false,
        },
      });
      for (const x of [a, b, c, d]) await s.directories.insert(x);
      // Appended at the end whatever `position` said.
      const expected = [stored(a, 0), stored(b, 1), stored(c, 2), stored(d, 3)];
      await pastExternalCheck();
      for (const stores of [s, s2]) {
        assert.deepEqual(await stores.directories.list(), expected);
        for (const x of expected) {
          assert.deepEqual(await stores.directories.get(x.id), x);
          assert.deepEqual(await stores.directories.findByDomain(x.domain), x);
        }
      }
    });

    it('finds a directory by domain case-insensitively, and nothing for an unknown id or domain', async () => {
      await s.directories.insert(directory('d-1', 'Example.Org'));
      assert.equal((await s.directories.findByDomain('example.org'))?.id, 'd-1');
      assert.equal((await s.directories.findByDomain('EXAMPLE.ORG'))?.id, 'd-1');
      assert.equal(await s.directories.findByDomain('example'), undefined);
      assert.equal(await s.directories.findByDomain('example.org.'), undefined);
      assert.equal(await s.directories.findByDomain('%'), undefined, 'no pattern matching');
      assert.equal(await s.directories.get('D-1'), undefined, 'ids are exact');
      assert.equal(await s.directories.get('nope'), undefined);
    });

    it('refuses a taken id, domain (case-insensitive) or host and port (host case-insensitive, RFC 4343), writing nothing', async () => {
      const first = directory('d-1', 'example');
      await s.directories.insert(first);
      const host = first.connection.host;
      for (const [why, taken] of [
        ['id', directory('d-1', 'other')],
        ['domain', directory('d-2', 'example')],
        ['domain in another case', directory('d-2', 'EXAMPLE')],
        ['host and port', directory('d-2', 'other', { connection: { ...first.connection, host } })],
        ['host in another case and port', directory('d-2', 'other', { connection: { ...first.connection, host: host.toUpperCase() } })],
      ] as const) {
        await assert.rejects(s.directories.insert(taken), { name: 'DuplicateKeyError' }, why);
        await assert.rejects(s2.directories.insert(taken), { name: 'DuplicateKeyError' }, `${why}, through the other instance`);
      }
      // The same host on another port is another server.
      const otherPort = directory('d-2', 'other', { connection: { ...first.connection, port: 3269 } });
      await s.directories.insert(otherPort);
      assert.deepEqual(await order(), ['d-1', 'd-2'], 'a refused insert takes no place in the list');
      assert.deepEqual(await s.directories.get('d-1'), stored(first, 0));
    });

    it('writes the configuration only if unchanged since read, never the position or the health', async () => {
      const a = directory('d-a', 'alpha', { createdAt: T, updatedAt: T });
      const b = directory('d-b', 'beta');
      await s.directories.insert(a);
      await s.directories.insert(b);
      const seen = await s.directories.get('d-a');
      await s.directories.recordHealth('d-a', { at: T + 5, error: 'connect ECONNREFUSED' });
      const health: DirectoryHealth = { lastSuccessAt: null, lastErrorAt: T + 5, lastError: 'connect ECONNREFUSED' };
      // A health record is no change of the configuration: a decision made on what was read still writes.
      const changed = directory('d-a', 'ALPHA', {
        name: 'Renamed',
        position: 1,
        enabled: false,
        connection: { ...a.connection, host: 'ldap2.alpha.example', port: 3269, security: 'starttls', verifyHostname: false },
        bind: { kind: 'anonymous' },
        users: { kind: 'template', dnTemplate: 'cn={username},dc=alpha' },
        groups: { kind: 'none' },
        createdAt: T,
        updatedAt: T + 10,
      });
      await s.directories.update(changed, { ifUpdatedAt: seen?.updatedAt });
      assert.deepEqual(await s.directories.get('d-a'), stored(changed, 0, health), 'position and health as they were');
      assert.deepEqual(await order(), ['d-a', 'd-b']);

      // Stale: nothing written, through either instance.
      const late = { ...changed, name: 'Late', updatedAt: T + 20 };
      await assert.rejects(s.directories.update(late, { ifUpdatedAt: T }), { name: 'StaleWriteError' });
      await assert.rejects(s2.directories.update(late, { ifUpdatedAt: T }), { name: 'StaleWriteError' });
      assert.equal((await s.directories.get('d-a'))?.name, 'Renamed');
      // Gone: with a guard or without.
      await assert.rejects(s.directories.update(directory('d-x', 'xray'), { ifUpdatedAt: 1 }), { name: 'StaleWriteError' });
      await assert.rejects(s.directories.update(directory('d-x', 'xray')), { name: 'StaleWriteError' });
      assert.equal(await s.directories.get('d-x'), undefined, 'an update creates nothing');
      // Taken domain or host and port: nothing written.
      await assert.rejects(s.directories.update({ ...changed, domain: 'Beta', updatedAt: T + 30 }), { name: 'DuplicateKeyError' });
      await assert.rejects(s.directories.update({ ...changed, connection: { ...b.connection }, updatedAt: T + 30 }), { name: 'DuplicateKeyError' });
      assert.deepEqual(await s.directories.get('d-a'), stored(changed, 0, health));
      // Its own domain and host in another case are no conflict.
      const recased = { ...changed, domain: 'alpha', connection: { ...changed.connection, host: 'LDAP2.ALPHA.EXAMPLE' }, updatedAt: T + 40 };
      await s2.directories.update(recased, { ifUpdatedAt: T + 10 });
      await pastExternalCheck();
      assert.deepEqual(await s.directories.get('d-a'), stored(recased, 0, health));
      assert.equal((await s.directories.findByDomain('ALPHA'))?.updatedAt, T + 40);
    });

    it('moves a directory to a place clamped to the list, shifting the ones in between', async () => {
      for (const id of ['a', 'b', 'c', 'd']) await s.directories.insert(directory(id, `dom-${id}`));
      assert.equal(await s.directories.move('a', 2), true);
      assert.deepEqual(await order(), ['b', 'c', 'a', 'd']);
      assert.equal(await s.directories.move('d', 0), true);
      assert.deepEqual(await order(), ['d', 'b', 'c', 'a']);
      assert.equal(await s.directories.move('b', 99), true);
      assert.deepEqual(await order(), ['d', 'c', 'a', 'b'], 'past the end: last');
      assert.equal(await s.directories.move('c', -3), true);
      assert.deepEqual(await order(), ['c', 'd', 'a', 'b'], 'before the start: first');
      assert.equal(await s.directories.move('a', 2), true, 'to where it is');
      assert.deepEqual(await order(), ['c', 'd', 'a', 'b']);
      assert.equal(await s.directories.move('nope', 0), false);
      assert.equal(await s2.directories.move('A', 0), false, 'ids are exact');
      await pastExternalCheck();
      assert.deepEqual(await order(s2), ['c', 'd', 'a', 'b']);
      assert.equal((await s2.directories.get('a'))?.position, 2);
      assert.equal((await s2.directories.findByDomain('DOM-C'))?.position, 0);
    });

    it('removes a directory: its users disabled and kept with their source, its groups and their memberships gone, the ones after it moved up', async () => {
      for (const [id, domain] of [
        ['dA', 'alpha'],
        ['dB', 'beta'],
        ['dC', 'gamma'],
      ] as const)
        await s.directories.insert(directory(id, domain));
      const a1 = external('a1', 'ann', 'dA', 'alpha', { updatedAt: T });
      const a2 = external('a2', 'abe', 'dA', 'alpha', { enabled: false, updatedAt: T });
      const a3 = external('a3', 'ada', 'dA', 'alpha', { roles: ['user_manager'], updatedAt: T });
      const b1 = external('b1', 'bob', 'dB', 'beta', { updatedAt: T });
      const i1 = user('i1', 'ivy', { roles: [], updatedAt: T });
      for (const u of [a1, a2, a3, b1, i1]) await s.users.insert(u);
      await s.groups.insert(mirrored('gA1', 'Admins', 'dA', 'cn=admins,dc=alpha', { roles: [ADMIN] }));
      await s.groups.insert(mirrored('gA2', 'Staff', 'dA', 'cn=staff,dc=alpha'));
      await s.groups.insert(mirrored('gB1', 'Admins', 'dB', 'cn=admins,dc=beta', { roles: [ADMIN] }));
      await s.groups.insert(group('gN', 'Helpdesk', { roles: ['user_manager'] }));
      await s.groups.setExternalMemberships('a1', 'dA', ['gA1', 'gA2']);
      await s.groups.setExternalMemberships('b1', 'dB', ['gB1']);
      await s.groups.addMember('gN', 'a1');
      await s.groups.addMember('gN', 'i1');
      assert.deepEqual((await s.users.get('a1'))?.groupRoles, [ADMIN, 'user_manager']);
      assert.equal(await s.users.countEnabledHolders([ADMIN]), 2);

      assert.deepEqual((await s.directories.remove('dA', T + 99))?.sort(), ['a1', 'a3'], 'the users it disabled');
      assert.equal(await s.directories.get('dA'), undefined);
      assert.equal(await s.directories.findByDomain('alpha'), undefined);
      assert.deepEqual(await order(), ['dB', 'dC'], 'the ones after it moved up');
      // Kept, disabled, with their source (the audit history names them).
      for (const [was, expected] of [
        [a1, { ...a1, enabled: false, updatedAt: T + 99, profileUpdatedAt: T, groupRoles: ['user_manager'] }],
        [a3, { ...a3, enabled: false, updatedAt: T + 99, profileUpdatedAt: T }],
      ] as const) {
        assert.deepEqual(await s.users.get(was.id), { profile: {}, ...expected });
        await pastExternalCheck();
        assert.deepEqual(await s2.users.get(was.id), { profile: {}, ...expected });
        assert.equal((await s.users.findExternal('dA', `uuid-${was.id}`))?.id, was.id);
      }
      const still = await s.users.get('a2');
      assert.deepEqual([still?.enabled, still?.source], [false, a2.source]);
      assert.deepEqual(
        (await s.users.list({ directoryId: 'dA', limit: 10, offset: 0 })).items.map((u) => u.id),
        ['a2', 'a3', 'a1'],
      );
      // Its groups and their memberships are gone; other directories' groups and native ones stay.
      assert.equal(await s.groups.get('gA1'), undefined);
      assert.equal(await s.groups.findExternal('dA', 'cn=staff,dc=alpha'), undefined);
      assert.deepEqual(await s.groups.members('gA1', { limit: 10, offset: 0 }), { items: [], total: 0 });
      assert.deepEqual(
        (await s.groups.groupsOf('a1')).map((g) => g.id),
        ['gN'],
      );
      assert.deepEqual(
        (await s.groups.list({ limit: 10, offset: 0 })).items.map((g) => g.id),
        ['gB1', 'gN'],
      );
      assert.deepEqual(await s.groups.members('gB1', { limit: 10, offset: 0 }), { items: ['b1'], total: 1 });
      assert.deepEqual(await s.users.get('b1'), read({ ...b1, groupRoles: [ADMIN] }));
      assert.deepEqual(await s.users.get('i1'), read({ ...i1, groupRoles: ['user_manager'] }));
      assert.equal(await s.users.countEnabledHolders([ADMIN]), 1, 'the disabled user no longer holds a role');

      assert.equal(await s.directories.remove('dA', T + 100), undefined, 'gone already');
      assert.equal(await s2.directories.remove('nope', T + 100), undefined);
      assert.equal((await s.users.get('a1'))?.updatedAt, T + 99);
      assert.deepEqual(await s.directories.remove('dC', T + 101), [], 'a directory without users');
      assert.deepEqual(await order(), ['dB']);
    });

    it('records health: a success keeps the last error for display; an error text is cut at DIRECTORY_ERROR_MAX characters', async () => {
      await s.directories.insert(directory('d-1', 'example', { updatedAt: T }));
      await s.directories.recordHealth('d-1', { at: T + 1, error: null });
      assert.deepEqual((await s.directories.get('d-1'))?.health, { lastSuccessAt: T + 1, lastErrorAt: null, lastError: null });
      await s.directories.recordHealth('d-1', { at: T + 2, error: 'invalid credentials (49)' });
      assert.deepEqual((await s.directories.get('d-1'))?.health, { lastSuccessAt: T + 1, lastErrorAt: T + 2, lastError: 'invalid credentials (49)' });
      await s2.directories.recordHealth('d-1', { at: T + 3, error: null });
      await pastExternalCheck();
      assert.deepEqual((await s.directories.get('d-1'))?.health, { lastSuccessAt: T + 3, lastErrorAt: T + 2, lastError: 'invalid credentials (49)' });
      await s.directories.recordHealth('d-1', { at: T + 4, error: 'timeout' });
      assert.deepEqual((await s.directories.list())[0]?.health, { lastSuccessAt: T + 3, lastErrorAt: T + 4, lastError: 'timeout' });

      const ascii = 'x'.repeat(DIRECTORY_ERROR_MAX + 100);
      await s.directories.recordHealth('d-1', { at: T + 5, error: ascii });
      assert.equal((await s.directories.get('d-1'))?.health.lastError, ascii.slice(0, DIRECTORY_ERROR_MAX));
      await s.directories.recordHealth('d-1', { at: T + 6, error: 'y'.repeat(DIRECTORY_ERROR_MAX) });
      assert.equal((await s.directories.get('d-1'))?.health.lastError, 'y'.repeat(DIRECTORY_ERROR_MAX), 'exactly the maximum is kept whole');
      // Cut between characters, never inside a surrogate pair.
      const astral = `é${'😀'.repeat(DIRECTORY_ERROR_MAX)}`;
      await s.directories.recordHealth('d-1', { at: T + 7, error: astral });
      const cut = (await s.directories.get('d-1'))?.health.lastError ?? '';
      assert.equal(cut, Array.from(astral).slice(0, DIRECTORY_ERROR_MAX).join(''));
      assert.equal(Array.from(cut).length, DIRECTORY_ERROR_MAX);
      // Health is not the configuration.
      assert.equal((await s.directories.get('d-1'))?.updatedAt, T);
      await s.directories.recordHealth('nope', { at: T, error: 'x' });
      assert.equal(await s.directories.get('nope'), undefined, 'a contact with a directory gone creates nothing');
    });

    it('reads a directory whose settings cannot be read as disabled, each such setting at its safest value', async () => {
      const good = directory('d-ok', 'fine');
      const d = directory('d-bad', 'broken', {
        connection: { ...good.connection, host: 'ldap.broken.example', port: 3269, security: 'none', verifyHostname: false },
      });
      await s.directories.insert(good);
      await s.directories.insert(d);
      const safe = {
        connection: {
          host: 'ldap.broken.example',
          port: 3269,
          security: 'ldaps',
          caBundle: null,
          verifyHostname: true,
          connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
          readTimeoutMs: DEFAULT_READ_TIMEOUT_MS,
        },
        bind: { kind: 'anonymous' },
        users: { kind: 'template', dnTemplate: '' },
        attributes: { username: '', displayName: null, email: null, givenName: null, familyName: null, uniqueId: '' },
        groups: { kind: 'none' },
      } as const;
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const cases: Array<[column: 'connection' | 'bind' | 'user_lookup' | 'attributes' | 'group_lookup', field: keyof typeof safe, stored: string]> = [
        ['connection', 'connection', 'not json'],
        ['connection', 'connection', '{"security":"tls","caBundle":null,"verifyHostname":true,"connectTimeoutMs":1,"readTimeoutMs":1}'],
        ['connection', 'connection', '{"security":"none","caBundle":null,"verifyHostname":"no","connectTimeoutMs":1,"readTimeoutMs":1}'],
        ['bind', 'bind', '{"kind":"service","dn":"cn=x"}'],
        ['bind', 'bind', '{"kind":"service","dn":"cn=x","passwordSealed":7}'],
        ['bind', 'bind', 'null'],
        ['bind', 'bind', deep],
        ['user_lookup', 'users', '{}'],
        ['user_lookup', 'users', '{"kind":"search","baseDn":"dc=x","filter":"(uid=*)","usernameAttribute":"uid","scope":"base"}'],
        ['user_lookup', 'users', '[{"kind":"template","dnTemplate":"uid={username}"}]'],
        ['attributes', 'attributes', '{"username":"uid"}'],
        ['attributes', 'attributes', '"uid"'],
        ['group_lookup', 'groups', '{"kind":"search","baseDn":"dc=x","filter":"(cn=*)","memberAttribute":"member","nameAttribute":"cn"}'],
        ['group_lookup', 'groups', '{"kind":"member-of","attribute":"memberOf","nameAttribute":"cn",'],
      ];
      for (const [column, field, text] of cases) {
        await ddb
          .updateTable('directories')
          .set({ [column]: text })
          .where('id', '=', 'd-bad')
          .execute();
        const expected = { ...stored(d, 1), enabled: false, [field]: safe[field], unreadableFields: [field] };
        const label = `${column} = ${text.slice(0, 60)}`;
        assert.deepEqual(await s.directories.get('d-bad'), expected, label);
        assert.deepEqual(await s.directories.findByDomain('BROKEN'), expected, label);
        assert.deepEqual(await s.directories.list(), [stored(good, 0), expected], `${label}: the others read as written`);
        await s.directories.update(d);
        assert.deepEqual(await s.directories.get('d-bad'), stored(d, 1), `${label}: written again, readable again`);
      }
      // Several unreadable settings are all named; a disabled directory stays disabled.
      await s.directories.update({ ...d, enabled: false });
      await ddb.updateTable('directories').set({ bind: '', group_lookup: '{"kind":"other"}' }).where('id', '=', 'd-bad').execute();
      await pastExternalCheck();
      const both = await s2.directories.get('d-bad');
      assert.deepEqual([both?.enabled, both?.unreadableFields, both?.bind, both?.groups], [false, ['bind', 'groups'], safe.bind, safe.groups]);
      assert.deepEqual(both?.users, d.users, 'the readable settings as written');
    });

    it('stores hostile text intact (PostgreSQL: NUL as U+FFFD) or refuses it with a typed error, never failing otherwise', async () => {
      const cjk = Array.from({ length: 100_000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))).join('');
      const pem = `-----BEGIN CERTIFICATE-----\n${randomBytes(150_000).toString('base64')}\n-----END CERTIFICATE-----\n`;
      const hostile = directory('d-hostile', 'Ärzte\u0000.example', {
        name: `${cjk}\u0000👩🏽‍💻 שלום e\u0301`,
        connection: {
          host: 'ldap.\u0000ärzte.example',
          port: 65535,
          security: 'ldaps',
          caBundle: `${pem}\u0000`,
          verifyHostname: true,
          connectTimeoutMs: 1,
          readTimeoutMs: 1,
        },
        bind: { kind: 'service', dn: 'cn=\u0000\u001f"\\,dc=x', passwordSealed: `v1.${'\u0000'.repeat(3)}${'z'.repeat(10_000)}` },
        users: { kind: 'search', baseDn: 'dc=\uFFFF', filter: `(cn=${'\\2a'.repeat(5000)})`, usernameAttribute: 'uid', scope: 'sub' },
        attributes: {
          username: '\u2028',
          displayName: '</script>',
          email: "'; DROP TABLE users; --",
          givenName: '\uD83D\uDE00',
          familyName: '\u0000',
          uniqueId: 'objectGUID',
        },
        groups: { kind: 'member-of', attribute: 'memberOf', nameAttribute: '{"kind":"none"}' },
      });
      await s.directories.insert(hostile);
      // The JSON settings keep even NUL (JSON escapes it); the plain columns follow the rule above.
      const expected: StoredDirectory = {
        ...stored(hostile, 0),
        domain: nul(hostile.domain),
        name: nul(hostile.name),
        connection: { ...hostile.connection, host: nul(hostile.connection.host) },
      };
      await pastExternalCheck();
      for (const stores of [s, s2]) {
        assert.deepEqual(await stores.directories.get(hostile.id), expected);
        assert.deepEqual(await stores.directories.findByDomain('ärzte\u0000.EXAMPLE'), expected);
        assert.deepEqual(await stores.directories.list(), [expected]);
      }
      assert.equal(await s.directories.findByDomain('ärzte'), undefined);
      await assert.rejects(s.directories.insert(directory('d-2', 'ÄRZTE\u0000.example')), { name: 'DuplicateKeyError' }, 'case-insensitive beyond ASCII');
      await s.directories.recordHealth(hostile.id, { at: T, error: `\u0000${cjk}` });
      assert.equal((await s.directories.get(hostile.id))?.health.lastError, nul(`\u0000${cjk}`.slice(0, DIRECTORY_ERROR_MAX)));
      assert.equal(await s.directories.move(hostile.id, 0), true);
      assert.deepEqual(await s.directories.remove(hostile.id, T), []);
      assert.equal(await s.directories.get('d-\u0000'), undefined);
      assert.equal(await s.directories.move('d-\u0000', 0), false);
      assert.equal(await s.directories.remove('d-\u0000', T), undefined);
    });

    // The stores index external ids as they are; PostgreSQL's b-tree takes entries up to about
    // 2.7 kB, so the core keeps ids of at most MAX_EXTERNAL_ID_BYTES (external-users.ts and the
    // group import refuse longer ones). Every backend stores ids of that length intact.
    it('stores a directory group’s DN and a directory user’s id of the longest length kept', async () => {
      // A group's DN and a user's unique id come from the directory, unchecked.
      await s.directories.insert(directory('d-g', 'groups'));
      // Two-byte characters up to the limit, with a NUL the PostgreSQL adapter maps.
      const body = 'ж'.repeat(Math.floor((MAX_EXTERNAL_ID_BYTES - 10) / 2));
      const long = `cn=${body},dc=\u0000`;
      assert.ok(fitsExternalId(long) && !fitsExternalId(`${long}${'ж'.repeat(10)}`));
      const g = mirrored('g-long', `${'ж'.repeat(200)}\u0000`, 'd-g', long, { description: 'x'.repeat(100_000) });
      const u = external('u-long', 'long', 'd-g', 'groups', {
        source: { kind: 'directory', directoryId: 'd-g', domain: 'groups', externalId: long, dn: long },
      });
      const typed = (err: unknown) => {
        assert.ok(err instanceof Error && ['DuplicateKeyError', 'StaleWriteError'].includes(err.name), `a typed refusal, not ${String(err)}`);
        return false;
      };
      if (await s.groups.insert(g).then(() => true, typed)) {
        const back = { ...g, name: nul(g.name), source: { directoryId: 'd-g', externalId: nul(long) } };
        assert.deepEqual(await s.groups.get('g-long'), back);
        assert.deepEqual(await s.groups.findExternal('d-g', long), back);
        assert.equal(await s.groups.findExternal('d-g', `${long} `), undefined);
      }
      if (await s.users.insert(u).then(() => true, typed)) {
        const source = { kind: 'directory', directoryId: 'd-g', domain: 'groups', externalId: nul(long), dn: nul(long) } as const;
        assert.deepEqual(await s.users.findExternal('d-g', long), read({ ...u, source }));
      }
    });

    it('keeps the positions 0..n-1 when instances insert, move and remove at once', async () => {
      // Two pools on PostgreSQL; one connection's queue on SQLite (see transactionRival).
      const other = transactionRival(variant, s, s2);
      for (let round = 0; round < 5; round++) {
        const ids = Array.from({ length: 6 }, (_, i) => `r${round}-${i}`);
        const dir = (id: string) => directory(id, `dom-${id}`);
        await Promise.all(ids.map((id, i) => (i % 2 ? other : s).directories.insert(dir(id))));
        assert.deepEqual([...(await order())].sort(), [...ids].sort(), `round ${round}: every insert has its own place`);
        const removals = await Promise.all([
          s.directories.move(`r${round}-0`, 5),
          other.directories.remove(`r${round}-1`, T),
          s.directories.move(`r${round}-5`, 0),
          other.directories.move(`r${round}-2`, 3),
          s.directories.remove(`r${round}-3`, T),
          other.directories.remove(`r${round}-3`, T),
          s.directories.move(`r${round}-3`, 0),
        ]);
        assert.equal(removals.filter((r) => Array.isArray(r)).length, 2, `round ${round}: each directory removed once: ${JSON.stringify(removals)}`);
        await pastExternalCheck();
        assert.deepEqual([...(await order(s2))].sort(), [`r${round}-0`, `r${round}-2`, `r${round}-4`, `r${round}-5`]);
        for (const id of await order()) await s.directories.remove(id, T);
      }
      // Taken domains racing: exactly one of each wins.
      const results = await Promise.allSettled([
        s.directories.insert(directory('x1', 'same')),
        other.directories.insert(directory('x2', 'SAME')),
        s.directories.insert(directory('x3', 'Same')),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected', 'rejected']);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'DuplicateKeyError');
      assert.equal((await order()).length, 1);
    });

    it('stores native and external groups with sorted, distinct roles; native names are unique case-insensitively, external groups per directory group', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      await s.directories.insert(directory('dB', 'beta'));
      const native = group('g-n', 'Ärzte', { description: 'Doctors\nand nurses', roles: ['user_manager', ADMIN, ADMIN], createdAt: T, updatedAt: T + 1 });
      const ext = mirrored('g-e', 'ärzte', 'dA', 'CN=Ärzte,OU=Groups,DC=alpha', { roles: [] });
      await s.groups.insert(native);
      await s.groups.insert(ext);
      const nativeRead = { ...native, roles: [ADMIN, 'user_manager'] };
      await pastExternalCheck();
      for (const stores of [s, s2]) {
        assert.deepEqual(await stores.groups.get('g-n'), nativeRead);
        assert.deepEqual(await stores.groups.get('g-e'), ext);
        assert.deepEqual(await stores.groups.findByName('ÄRZTE'), nativeRead, 'the native one, case-insensitive');
        assert.deepEqual(await stores.groups.findExternal('dA', 'CN=Ärzte,OU=Groups,DC=alpha'), ext);
      }
      assert.equal(await s.groups.get('nope'), undefined);
      assert.equal(await s.groups.findExternal('dB', 'CN=Ärzte,OU=Groups,DC=alpha'), undefined, 'another directory');
      assert.equal(await s.groups.findExternal('dA', 'cn=ärzte,ou=groups,dc=alpha'), undefined, 'the external id is exact');
      assert.equal(await s.groups.findByName('Ärzt'), undefined);

      await assert.rejects(s.groups.insert(group('g-n', 'Other')), { name: 'DuplicateKeyError' }, 'id');
      await assert.rejects(s2.groups.insert(group('g-2', 'äRZTE')), { name: 'DuplicateKeyError' }, 'native name');
      await assert.rejects(s.groups.insert(mirrored('g-2', 'Else', 'dA', 'CN=Ärzte,OU=Groups,DC=alpha')), { name: 'DuplicateKeyError' }, 'directory group');
      // External names need not be unique, nor differ from native ones.
      await s.groups.insert(mirrored('g-e2', 'Ärzte', 'dA', 'CN=Ärzte,OU=Old,DC=alpha'));
      await s.groups.insert(mirrored('g-e3', 'Ärzte', 'dB', 'CN=Ärzte,OU=Groups,DC=alpha'));
      await s.groups.insert(group('g-n2', 'Ärzte und Pfleger'));
      assert.equal((await s.groups.findByName('ärzte'))?.id, 'g-n');
      assert.equal((await s.groups.findExternal('dB', 'CN=Ärzte,OU=Groups,DC=alpha'))?.id, 'g-e3');
      assert.equal((await s.groups.list({ limit: 10, offset: 0 })).total, 5, 'refused inserts wrote nothing');
      assert.equal(await s.groups.get('g-2'), undefined);
      assert.deepEqual((await s.groups.get('g-n'))?.roles, [ADMIN, 'user_manager'], 'a refused insert of its id wrote no roles');
    });

    it('lists groups by name case-insensitively, filtered by kind and by a literal substring, paged', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      await s.groups.insert(group('n1', 'beta_team', { roles: [ADMIN] }));
      await s.groups.insert(group('n2', 'Alpha'));
      await s.groups.insert(group('n3', '100% Club'));
      await s.groups.insert(mirrored('e1', 'betateam', 'dA', 'cn=betateam'));
      await s.groups.insert(mirrored('e2', 'ALPHA ops', 'dA', 'cn=ops'));
      const ids = async (q: Parameters<Stores['groups']['list']>[0]) => {
        const r = await s.groups.list(q);
        return [r.items.map((g) => g.id), r.total];
      };
      assert.deepEqual(await ids({ limit: 10, offset: 0 }), [['n3', 'n2', 'e2', 'n1', 'e1'], 5]);
      assert.deepEqual(await ids({ limit: 2, offset: 1 }), [['n2', 'e2'], 5]);
      assert.deepEqual(await ids({ kind: 'native', limit: 10, offset: 0 }), [['n3', 'n2', 'n1'], 3]);
      assert.deepEqual(await ids({ kind: 'external', limit: 10, offset: 0 }), [['e2', 'e1'], 2]);
      assert.deepEqual(await ids({ kind: 'external', search: 'Alpha', limit: 10, offset: 0 }), [['e2'], 1]);
      assert.deepEqual(await ids({ search: 'ALPHA', limit: 1, offset: 0 }), [['n2'], 2]);
      assert.deepEqual(await ids({ search: 'a_t', limit: 10, offset: 0 }), [['n1'], 1], 'an underscore is itself');
      assert.deepEqual(await ids({ search: '0% c', limit: 10, offset: 0 }), [['n3'], 1], 'a percent sign is itself');
      assert.deepEqual(await ids({ search: '%', limit: 10, offset: 0 }), [['n3'], 1]);
      assert.deepEqual(await ids({ search: 'zzz', limit: 10, offset: 0 }), [[], 0]);
      assert.deepEqual((await s.groups.list({ search: 'beta_', limit: 10, offset: 0 })).items[0]?.roles, [ADMIN], 'listed with roles');
    });

    it('updates a group’s name, description and roles only if unchanged since read, never its source', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      const e = mirrored('e1', 'Staff', 'dA', 'cn=staff', { roles: ['user_manager'], createdAt: T, updatedAt: T });
      await s.groups.insert(e);
      await s.groups.insert(group('n1', 'Taken'));
      const changed = { ...e, name: 'Taken', description: 'all staff', roles: [ADMIN, ADMIN], source: null, updatedAt: T + 1 };
      await s.groups.update(changed, { ifUpdatedAt: T });
      const back = { ...changed, roles: [ADMIN], source: e.source };
      assert.deepEqual(await s.groups.get('e1'), back, 'the source never changes; an external group may bear a native name');
      assert.deepEqual(await s.groups.findExternal('dA', 'cn=staff'), back);
      await assert.rejects(s2.groups.update({ ...back, name: 'Late', updatedAt: T + 2 }, { ifUpdatedAt: T }), { name: 'StaleWriteError' });
      await assert.rejects(s.groups.update(group('gone', 'Gone')), { name: 'StaleWriteError' });
      assert.equal(await s.groups.get('gone'), undefined);
      const n = group('n2', 'Native', { roles: ['user_manager'], updatedAt: T });
      await s.groups.insert(n);
      await assert.rejects(s.groups.update({ ...n, name: 'TAKEN', roles: [], updatedAt: T + 1 }), { name: 'DuplicateKeyError' });
      assert.deepEqual(await s.groups.get('n2'), n, 'nothing written: neither the name nor the roles');
      const source = { ...n, source: { directoryId: 'dA', externalId: 'cn=native' }, roles: [], updatedAt: T + 3 };
      await s.groups.update(source, { ifUpdatedAt: T });
      assert.deepEqual(await s.groups.get('n2'), { ...source, source: null });
      assert.equal((await s.groups.findByName('native'))?.id, 'n2', 'still native');
      await pastExternalCheck();
      assert.deepEqual(await s2.groups.get('e1'), back);
    });

    it('removes a group with its memberships, and from the directories that gave it to the users they create', async () => {
      const g = group('n1', 'Defaults', { roles: ['user_manager'] });
      await s.groups.insert(g);
      await s.groups.insert(group('n2', 'Other'));
      const d = directory('dA', 'alpha', { defaultGroupId: 'n1', updatedAt: T });
      await s.directories.insert(d);
      await s.directories.insert(directory('dB', 'beta', { defaultGroupId: 'n2' }));
      await s.users.insert(user('u1', 'ann', { roles: [] }));
      await s.groups.addMember('n1', 'u1');
      await s.groups.addMember('n2', 'u1');
      assert.deepEqual((await s.users.get('u1'))?.groupRoles, ['user_manager']);
      assert.equal(await s.groups.remove('n1'), true);
      assert.equal(await s.groups.get('n1'), undefined);
      assert.equal(await s.groups.findByName('defaults'), undefined);
      assert.deepEqual(await s.groups.members('n1', { limit: 10, offset: 0 }), { items: [], total: 0 });
      assert.deepEqual(
        (await s.groups.groupsOf('u1')).map((x) => x.id),
        ['n2'],
      );
      assert.equal((await s.users.get('u1'))?.groupRoles, undefined, 'its roles went with it');
      assert.equal((await s.directories.get('dA'))?.defaultGroupId, null);
      assert.equal((await s.directories.get('dB'))?.defaultGroupId, 'n2');
      assert.equal(await s2.groups.remove('n1'), false);
      assert.equal(await s.groups.remove('nope'), false);
      // The name is free again, with no roles or members left behind.
      await s.groups.insert(group('n1', 'defaults'));
      assert.deepEqual((await s.groups.get('n1'))?.roles, []);
      assert.equal((await s.groups.members('n1', { limit: 10, offset: 0 })).total, 0);
    });

    it('adds and removes members once, lists them by username, and refuses a group or user that is gone', async () => {
      await s.groups.insert(group('n1', 'Team'));
      await s.groups.insert(group('n2', 'Other'));
      for (const [id, name] of [
        ['u1', 'carol'],
        ['u2', 'Bob'],
        ['u3', 'alice'],
        ['u4', 'dave'],
      ] as const)
        await s.users.insert(user(id, name, { roles: [] }));
      for (const id of ['u1', 'u2', 'u3']) assert.equal(await s.groups.addMember('n1', id), true);
      assert.equal(await s.groups.addMember('n1', 'u2'), false, 'already a member');
      assert.equal(await s2.groups.addMember('n1', 'u2'), false, 'already a member, through the other instance');
      assert.equal(await s.groups.addMember('n2', 'u2'), true);
      await pastExternalCheck();
      assert.deepEqual(await s.groups.members('n1', { limit: 10, offset: 0 }), { items: ['u3', 'u2', 'u1'], total: 3 });
      assert.deepEqual(await s2.groups.members('n1', { limit: 1, offset: 1 }), { items: ['u2'], total: 3 });
      assert.deepEqual(await s.groups.members('nope', { limit: 10, offset: 0 }), { items: [], total: 0 });
      assert.deepEqual(
        (await s.groups.groupsOf('u2')).map((g) => g.id),
        ['n2', 'n1'],
        'by name',
      );
      assert.deepEqual(await s.groups.groupsOf('u4'), []);
      await assert.rejects(s.groups.addMember('gone', 'u1'), { name: 'StaleWriteError' });
      await assert.rejects(s.groups.addMember('n1', 'gone'), { name: 'StaleWriteError' });
      assert.equal(await s.groups.removeMember('n1', 'u2'), true);
      assert.equal(await s.groups.removeMember('n1', 'u2'), false);
      assert.equal(await s.groups.removeMember('n1', 'u4'), false);
      assert.equal(await s.groups.removeMember('gone', 'u1'), false);
      assert.deepEqual(await s.groups.members('n1', { limit: 10, offset: 0 }), { items: ['u3', 'u1'], total: 2 });
      assert.deepEqual(
        (await s.groups.groupsOf('u2')).map((g) => g.id),
        ['n2'],
      );
      // A member leaves with the user.
      await ddb.deleteFrom('users').where('id', '=', 'u1').execute();
      assert.deepEqual(await s.groups.members('n1', { limit: 10, offset: 0 }), { items: ['u3'], total: 1 });
    });

    it('makes a user’s memberships in one directory’s external groups exactly those given, leaving the rest', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      await s.directories.insert(directory('dB', 'beta'));
      await s.users.insert(external('u1', 'ann', 'dA', 'alpha'));
      await s.users.insert(external('u2', 'abe', 'dA', 'alpha'));
      await s.groups.insert(mirrored('a1', 'A one', 'dA', 'cn=one', { roles: [ADMIN] }));
      await s.groups.insert(mirrored('a2', 'A two', 'dA', 'cn=two'));
      await s.groups.insert(mirrored('b1', 'B one', 'dB', 'cn=one', { roles: ['user_manager'] }));
      await s.groups.insert(group('n1', 'Native'));
      await s.groups.addMember('n1', 'u1');
      await s.groups.addMember('b1', 'u1');
      const ids = async (userId: string) => (await s.groups.groupsOf(userId)).map((g) => g.id);

      const first = await s.groups.setExternalMemberships('u1', 'dA', ['a1', 'n1', 'b1', 'unknown', 'a1']);
      assert.deepEqual(first, { added: ['a1'], removed: [] }, 'only the external groups of this directory');
      assert.deepEqual(await ids('u1'), ['a1', 'b1', 'n1']);
      assert.deepEqual((await s.users.get('u1'))?.groupRoles, [ADMIN, 'user_manager']);
      assert.deepEqual(await s.groups.setExternalMemberships('u1', 'dA', ['a1']), { added: [], removed: [] }, 'nothing changed');
      const second = await s2.groups.setExternalMemberships('u1', 'dA', ['a2']);
      assert.deepEqual(second, { added: ['a2'], removed: ['a1'] });
      await pastExternalCheck();
      assert.deepEqual(await ids('u1'), ['a2', 'b1', 'n1']);
      assert.deepEqual((await s.users.get('u1'))?.groupRoles, ['user_manager'], 'the roles of the group left are gone');
      assert.deepEqual(await ids('u2'), [], 'another user untouched');
      const third = await s.groups.setExternalMemberships('u1', 'dA', []);
      assert.deepEqual(third, { added: [], removed: ['a2'] });
      assert.deepEqual(await ids('u1'), ['b1', 'n1'], 'native groups and other directories’ groups untouched');
      // Memberships a native add gave in this directory’s groups follow the directory too.
      await s.groups.addMember('a1', 'u2');
      assert.deepEqual(await s.groups.setExternalMemberships('u2', 'dA', ['a2']), { added: ['a2'], removed: ['a1'] });
      assert.deepEqual(await s.groups.setExternalMemberships('u2', 'dB', []), { added: [], removed: [] });
      assert.deepEqual(await ids('u2'), ['a2']);
    });

    it('leaves one sync’s memberships, not a mix, when two instances sync a user at once', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      await s.users.insert(external('u1', 'ann', 'dA', 'alpha'));
      await s.groups.insert(mirrored('a1', 'One', 'dA', 'cn=one', { roles: [ADMIN] }));
      await s.groups.insert(mirrored('a2', 'Two', 'dA', 'cn=two'));
      await s.groups.insert(mirrored('a3', 'Three', 'dA', 'cn=three'));
      // Two pools on PostgreSQL; one connection's queue on SQLite (see transactionRival).
      const other = transactionRival(variant, s, s2);
      for (let round = 0; round < 20; round++) {
        await s.groups.setExternalMemberships('u1', 'dA', ['a3']);
        const [one, two] = await Promise.all([s.groups.setExternalMemberships('u1', 'dA', ['a1']), other.groups.setExternalMemberships('u1', 'dA', ['a2'])]);
        const now = (await s.groups.groupsOf('u1')).map((g) => g.id);
        assert.ok(now.length === 1 && ['a1', 'a2'].includes(now[0] ?? ''), `round ${round}: ${JSON.stringify([now, one, two])}`);
        // Each reports what it changed from what the other left.
        assert.deepEqual([...(one?.removed ?? []), ...(two?.removed ?? [])].sort(), ['a3', now[0] === 'a1' ? 'a2' : 'a1'].sort(), `round ${round}`);
        assert.equal(await s.users.countEnabledHolders([ADMIN]), now[0] === 'a1' ? 1 : 0);
      }
    });

    it('gives a user the roles of their groups on every read, and takes them away when they leave', async () => {
      await s.directories.insert(directory('dA', 'alpha'));
      const u = external('u1', 'ann', 'dA', 'alpha', {
        roles: ['user_manager'],
        email: 'ann@alpha.example',
        emailVerified: true,
        lastSyncAt: T + 7,
        createdAt: T,
        updatedAt: T,
      });
      await s.users.insert(u);
      // Read (and, on SQLite, cached) before the groups change.
      assert.deepEqual(await s.users.get('u1'), read(u));
      assert.deepEqual(await s.users.findByUsername('ANN'), read(u));
      await pastExternalCheck();
      assert.deepEqual(await s2.users.get('u1'), read(u));
      await s.groups.insert(group('n1', 'Native', { roles: ['user_manager', ADMIN] }));
      await s.groups.insert(mirrored('e1', 'Ext', 'dA', 'cn=ext', { roles: ['security_manager'] }));
      await s.groups.addMember('n1', 'u1');
      await s.groups.setExternalMemberships('u1', 'dA', ['e1']);
      const withGroups = read({ ...u, groupRoles: ['security_manager', ADMIN, 'user_manager'].sort() });
      assert.deepEqual(await s.users.get('u1'), withGroups);
      assert.deepEqual(await s.users.findByUsername('ann'), withGroups);
      assert.deepEqual(await s.users.findExternal('dA', 'uuid-u1'), withGroups);
      assert.deepEqual((await s.users.list({ limit: 10, offset: 0 })).items, [withGroups]);
      await pastExternalCheck();
      assert.deepEqual(await s2.users.get('u1'), withGroups);
      // A group's roles changing changes its members' roles.
      const n1 = await s.groups.get('n1');
      assert.ok(n1);
      await s.groups.update({ ...n1, roles: [] });
      assert.deepEqual((await s.users.get('u1'))?.groupRoles, ['security_manager']);
      assert.deepEqual(await s.users.findByUsername('ann'), read({ ...u, groupRoles: ['security_manager'] }));
      await s.groups.removeMember('e1', 'u1');
      assert.equal((await s.users.get('u1'))?.groupRoles, undefined, 'absent when none');
      assert.deepEqual(await s.users.findByUsername('ann'), read(u));
      await s2.groups.update({ ...n1, roles: [ADMIN], updatedAt: 2 });
      await pastExternalCheck();
      assert.deepEqual((await s.users.get('u1'))?.groupRoles, [ADMIN], 'another instance’s change is seen');
      // Writing the user back with its read roles does not make them direct.
      const back = await s.users.get('u1');
      assert.ok(back);
      await s.users.update({ ...back, updatedAt: T + 1 });
      assert.deepEqual((await s.users.get('u1'))?.roles, ['user_manager']);
      await s.groups.remove('n1');
      assert.deepEqual(await s.users.get('u1'), read({ ...u, updatedAt: T + 1, profileUpdatedAt: T }));
    });

    it('counts enabled holders of roles given directly or through a group, once each, without the one left out', async () => {
      await s.groups.insert(group('admins', 'Admins', { roles: [ADMIN] }));
      await s.groups.insert(group('managers', 'Managers', { roles: ['user_manager'] }));
      await s.users.insert(user('direct', 'direct', { roles: [ADMIN] }));
      await s.users.insert(user('both', 'both', { roles: [ADMIN] }));
      await s.users.insert(user('via', 'via', { roles: [] }));
      await s.users.insert(user('off', 'off', { roles: [ADMIN], enabled: false }));
      await s.users.insert(user('offvia', 'offvia', { roles: [], enabled: false }));
      await s.users.insert(user('none', 'none', { roles: [] }));
      for (const id of ['both', 'via', 'offvia']) await s.groups.addMember('admins', id);
      await s.groups.addMember('admins', 'both');
      await s.groups.addMember('managers', 'both');
      await s.groups.addMember('managers', 'none');
      const count = (roles: string[], except?: string) => s.users.countEnabledHolders(roles, except);
      assert.equal(await count([ADMIN]), 3, 'direct, both, via');
      assert.equal(await count([ADMIN, 'user_manager']), 4, 'each user once');
      assert.equal(await count(['user_manager']), 2);
      assert.equal(await count([ADMIN], 'via'), 2);
      assert.equal(await count([ADMIN], 'both'), 2);
      assert.equal(await count([ADMIN], 'off'), 3);
      assert.equal(await count(['security_manager']), 0);
      assert.equal(await count([]), 0);
      await s.groups.removeMember('admins', 'via');
      assert.equal(await count([ADMIN]), 2);
      await s.groups.addMember('admins', 'via');
      await s.groups.remove('managers');
      assert.equal(await count(['user_manager']), 0);
      await pastExternalCheck();
      assert.equal(await s2.users.countEnabledHolders([ADMIN]), 3);
    });

    it('keeps an enabled holder through group writes, even when two instances race', async () => {
      const keep = { enabledHolderOf: [ADMIN] };
      const admins = group('admins', 'Admins', { roles: [ADMIN], updatedAt: T });
      await s.groups.insert(admins);
      await s.users.insert(user('a', 'ann', { roles: [] }));
      await s.users.insert(user('b', 'ben', { roles: [] }));
      await s.groups.addMember('admins', 'a');
      await s.groups.addMember('admins', 'b');
      // Two pools on PostgreSQL; one connection's queue on SQLite (see transactionRival).
      const other = transactionRival(variant, s, s2);
      for (let round = 0; round < 10; round++) {
        const results = await Promise.allSettled([s.groups.removeMember('admins', 'a', keep), other.groups.removeMember('admins', 'b', keep)]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], `round ${round}`);
        assert.equal((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.name, 'LastHolderError');
        assert.equal(await s.users.countEnabledHolders([ADMIN]), 1);
        await s.groups.addMember('admins', 'a');
        await s.groups.addMember('admins', 'b');
        // A user disabled against a member removed: also one holder kept.
        const a = await s.users.get('a');
        assert.ok(a);
        const mixed = await Promise.allSettled([s.users.update({ ...a, enabled: false }, keep), other.groups.removeMember('admins', 'b', keep)]);
        assert.deepEqual(mixed.map((r) => r.status).sort(), ['fulfilled', 'rejected'], `round ${round}, user and group`);
        assert.equal(await s.users.countEnabledHolders([ADMIN]), 1);
        await s.users.update({ ...a, enabled: true });
        await s.groups.addMember('admins', 'b');
      }
      await s.groups.removeMember('admins', 'b', keep);
      await assert.rejects(s.groups.removeMember('admins', 'a', keep), { name: 'LastHolderError' });
      await assert.rejects(s.groups.update({ ...admins, roles: ['user_manager'], updatedAt: T + 1 }, keep), { name: 'LastHolderError' });
      await assert.rejects(s.groups.remove('admins', keep), { name: 'LastHolderError' });
      assert.deepEqual(await s.groups.get('admins'), admins, 'nothing was written');
      assert.deepEqual(await s.groups.members('admins', { limit: 10, offset: 0 }), { items: ['a'], total: 1 });
      // Another holder makes each write possible.
      await s.users.insert(user('c', 'cat', { roles: [ADMIN] }));
      await s.groups.update({ ...admins, roles: ['user_manager'], updatedAt: T + 1 }, { ...keep, ifUpdatedAt: T });
      assert.equal(await s.groups.remove('admins', keep), true);
    });

    it('stores where an external user comes from, finds it by its directory id, and lists users by source', async () => {
      for (const [id, domain] of [
        ['dA', 'alpha'],
        ['dB', 'beta'],
      ] as const)
        await s.directories.insert(directory(id, domain));
      const a = external('a', 'john_doe', 'dA', 'alpha', {
        emailVerified: true,
        lastSyncAt: T + 1,
        createdAt: T,
        updatedAt: T,
        source: {
          kind: 'directory',
          directoryId: 'dA',
          domain: 'alpha',
          externalId: '5f3c8a2e-0000-4000-8000-000000000001',
          dn: 'CN=Doe\\, John,OU=People,DC=alpha',
        },
      });
      const b = external('b', 'johndoe', 'dB', 'beta');
      const i = user('i', 'john.internal', { roles: [] });
      for (const x of [a, b, i]) await s.users.insert(x);
      await pastExternalCheck();
      assert.deepEqual(await s2.users.get('a'), read(a));
      assert.deepEqual(await s.users.findExternal('dA', '5f3c8a2e-0000-4000-8000-000000000001'), read(a));
      assert.equal(await s.users.findExternal('dB', '5f3c8a2e-0000-4000-8000-000000000001'), undefined);
      assert.equal(await s.users.findExternal('dA', '5F3C8A2E-0000-4000-8000-000000000001'), undefined, 'the external id is exact');
      assert.deepEqual(await s.users.get('i'), read(i), 'an internal user reads without a source');
      // One directory user is one user.
      await assert.rejects(s.users.insert(external('a2', 'other', 'dA', 'alpha', { source: a.source })), { name: 'DuplicateKeyError' });
      await s.users.insert(
        external('b2', 'other', 'dB', 'beta', {
          source: { kind: 'directory', directoryId: 'dB', domain: 'beta', externalId: '5f3c8a2e-0000-4000-8000-000000000001', dn: 'uid=other,dc=beta' },
        }),
      );
      const ids = async (q: Omit<Parameters<Stores['users']['list']>[0], 'limit' | 'offset'>) => {
        const r = await s.users.list({ ...q, limit: 10, offset: 0 });
        return [r.items.map((u) => u.id), r.total];
      };
      assert.deepEqual(await ids({ source: 'internal' }), [['i'], 1]);
      assert.deepEqual(await ids({ source: 'external' }), [['a', 'b', 'b2'], 3]);
      assert.deepEqual(await ids({ directoryId: 'dA' }), [['a'], 1]);
      assert.deepEqual(await ids({ directoryId: 'dB', source: 'external' }), [['b', 'b2'], 2]);
      assert.deepEqual(await ids({ directoryId: 'dB', source: 'internal' }), [[], 0]);
      assert.deepEqual(await ids({ directoryId: 'nope' }), [[], 0]);
      assert.deepEqual(await ids({ search: 'john_', source: 'external' }), [['a'], 1], 'an underscore is itself');
      assert.deepEqual(await ids({ search: 'JOHN' }), [['i', 'a', 'b'], 3]);
      assert.deepEqual((await s.users.list({ directoryId: 'dA', limit: 10, offset: 0 })).items, [read(a)]);
      // A user converted to internal loses its source, and email_verified false reads as absent.
      const { source: _source, emailVerified: _verified, lastSyncAt: _synced, ...rest } = a;
      await s.users.update({ ...rest, emailVerified: false, updatedAt: T + 2 }, { ifUpdatedAt: T });
      assert.deepEqual(await s.users.get('a'), read({ ...rest, updatedAt: T + 2, profileUpdatedAt: T + 2 }));
      assert.deepEqual(await ids({ source: 'internal' }), [['i', 'a'], 2]);
    });
  });
}
