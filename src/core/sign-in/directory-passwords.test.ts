import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Directory, DirectoryAuthResult, DirectoryEntry } from '../directories/directory.js';
import { PRESETS } from '../directories/settings.js';
import type { User } from '../ports.js';
import { aUser, T0 } from '../testing/builders.js';
import { directoryPasswords } from './directory-passwords.js';
import type { ExternalUsers } from './external-users.js';
import { parseSignInName } from './username.js';

function aDirectory(domain: string, position: number, fields: Partial<Directory> = {}): Directory {
  return {
    id: `dir-${domain}`,
    name: domain,
    domain,
    position,
    enabled: true,
    connection: { host: `${domain}.example`, port: 389, security: 'none', caBundle: null, verifyHostname: true, connectTimeoutMs: 5000, readTimeoutMs: 10000 },
    bind: { kind: 'anonymous' },
    users: { kind: 'search', baseDn: 'dc=example', filter: '(objectClass=inetOrgPerson)', usernameAttribute: 'uid', scope: 'sub' },
    attributes: PRESETS.openldap.attributes,
    groups: { kind: 'none' },
    emailVerified: false,
    createUsersOnSignIn: true,
    defaultGroupId: null,
    syncIntervalMinutes: 0,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  };
}

const entry = (username: string, uniqueId: string): DirectoryEntry => ({
  dn: `uid=${username},dc=example`,
  uniqueId,
  username,
  displayName: username,
  email: null,
  givenName: null,
  familyName: null,
  groups: [],
});

/** Each directory knows some users and their passwords; `down` directories answer unavailable. */
function world(opts: { directories: Directory[]; known: Record<string, Record<string, string>>; down?: string[]; local?: User[] }) {
  const asked: string[] = [];
  const localAsked: string[] = [];
  const health: Array<{ id: string; error: string | null }> = [];
  const mapped: string[] = [];
  const users = new Map((opts.local ?? []).map((u) => [u.username.toLowerCase(), u]));
  const external: ExternalUsers = {
    async resolve(directory, e) {
      mapped.push(`${directory.domain}:${e.username}`);
      const user = aUser().id(`${directory.domain}-${e.username}`).named(e.username).build();
      users.set(`#${user.id}`, user);
      return { kind: 'user', user, created: true };
    },
  };
  const identify = directoryPasswords({
    local: async (username, password) => {
      localAsked.push(username);
      const u = users.get(username.toLowerCase());
      return u && !u.source && password === 'local-pw' ? u : null;
    },
    users: {
      findByUsername: async (name) => users.get(name.toLowerCase()),
      get: async (id) => users.get(`#${id}`) ?? [...users.values()].find((u) => u.id === id),
    },
    directories: {
      list: async () => opts.directories,
      recordHealth: async (id, h) => {
        health.push({ id, error: h.error });
      },
    },
    client: {
      async authenticate(directory, username, password): Promise<DirectoryAuthResult> {
        asked.push(`${directory.domain}:${username}`);
        if (opts.down?.includes(directory.domain)) return { kind: 'unavailable', reason: 'connect timeout' };
        const known = opts.known[directory.domain]?.[username];
        if (known === undefined) return { kind: 'unknown' };
        return known === password ? { kind: 'ok', entry: entry(username, `${directory.domain}-${username}`) } : { kind: 'wrong' };
      },
    },
    external,
    now: () => T0,
  });
  return { identify, asked, localAsked, health, mapped };
}

describe('sign-in names', () => {
  it('reads DOMAIN\\user and user@domain only for configured domains', () => {
    const domains = ['corp', 'lab'];
    assert.deepEqual(parseSignInName('ann', domains), { domain: null, username: 'ann' });
    assert.deepEqual(parseSignInName('CORP\\ann', domains), { domain: 'corp', username: 'ann' });
    assert.deepEqual(parseSignInName('ann@Lab', domains), { domain: 'lab', username: 'ann' });
    assert.deepEqual(parseSignInName('internal\\root', domains), { domain: 'internal', username: 'root' });
    assert.deepEqual(parseSignInName('ann@example.com', domains), { domain: null, username: 'ann@example.com' });
    assert.deepEqual(parseSignInName('other\\ann', domains), { domain: null, username: 'other\\ann' });
    assert.deepEqual(parseSignInName('corp\\', domains), { domain: null, username: 'corp\\' });
    assert.deepEqual(parseSignInName('@corp', domains), { domain: null, username: '@corp' });
  });
});

describe('directory passwords', () => {
  const corp = aDirectory('corp', 0);
  const lab = aDirectory('lab', 1);

  it('asks the directories in order; the first that knows the name decides', async () => {
    const w = world({ directories: [corp, lab], known: { corp: { ann: 'a' }, lab: { ann: 'b', bob: 'c' } } });
    assert.equal((await w.identify('ann', 'a'))?.id, 'corp-ann');
    assert.equal(await w.identify('ann', 'b'), null, 'a wrong password at the first directory is final');
    assert.equal((await w.identify('bob', 'c'))?.id, 'lab-bob');
    assert.deepEqual(w.asked, ['corp:ann', 'corp:ann', 'corp:bob', 'lab:bob']);
  });

  it('asks only the named domain', async () => {
    const w = world({ directories: [corp, lab], known: { corp: { ann: 'a' }, lab: { ann: 'b' } } });
    assert.equal((await w.identify('LAB\\ann', 'b'))?.id, 'lab-ann');
    assert.equal((await w.identify('ann@lab', 'b'))?.id, 'lab-ann');
    assert.equal(await w.identify('ann@lab', 'a'), null);
    assert.deepEqual(w.asked, ['lab:ann', 'lab:ann', 'lab:ann']);
  });

  it('passes over a directory that is down and records its health', async () => {
    const w = world({ directories: [corp, lab], known: { lab: { ann: 'b' } }, down: ['corp'] });
    assert.equal((await w.identify('ann', 'b'))?.id, 'lab-ann');
    assert.deepEqual(w.health, [
      { id: 'dir-corp', error: 'connect timeout' },
      { id: 'dir-lab', error: null },
    ]);
  });

  it('skips disabled directories', async () => {
    const w = world({ directories: [aDirectory('corp', 0, { enabled: false }), lab], known: { corp: { ann: 'a' }, lab: { ann: 'b' } } });
    assert.equal(await w.identify('ann', 'a'), null);
    assert.equal((await w.identify('ann', 'b'))?.id, 'lab-ann');
    assert.equal(await w.identify('corp\\ann', 'a'), null, 'a disabled directory is not asked even by name');
    assert.ok(!w.asked.some((a) => a.startsWith('corp:')));
  });

  it('checks internal users locally and never asks a directory for them', async () => {
    const root = aUser().id('root').named('root').build();
    const w = world({ directories: [corp], known: { corp: { root: 'dir-pw' } }, local: [root] });
    assert.equal((await w.identify('root', 'local-pw'))?.id, 'root');
    assert.equal(await w.identify('root', 'dir-pw'), null, 'the directory cannot take over an internal user');
    assert.equal((await w.identify('internal\\root', 'local-pw'))?.id, 'root');
    assert.equal((await w.identify('corp\\root', 'dir-pw'))?.id, 'corp-root', 'the domain reaches the directory’s own user');
    assert.deepEqual(w.asked, ['corp:root']);
  });

  it('asks an external user’s own directory first', async () => {
    const ann = aUser()
      .id('lab-ann')
      .named('ann')
      .with({ source: { kind: 'directory', directoryId: 'dir-lab', domain: 'lab', externalId: 'lab-ann', dn: 'uid=ann' } })
      .build();
    const w = world({ directories: [corp, lab], known: { corp: { ann: 'a' }, lab: { ann: 'b' } }, local: [ann] });
    assert.equal((await w.identify('ann', 'b'))?.id, 'lab-ann');
    assert.deepEqual(w.asked, ['lab:ann']);
  });

  it('does the same work for a name nobody knows, and answers no', async () => {
    const w = world({ directories: [corp], known: {} });
    assert.equal(await w.identify('nobody', 'x'), null);
    assert.deepEqual(w.asked, ['corp:nobody']);
    assert.equal(w.localAsked.length, 1, 'the local dummy check ran');
  });

  it('without directories is the local check alone', async () => {
    const w = world({ directories: [], known: {} });
    assert.equal(await w.identify('corp\\ann', 'x'), null);
    assert.deepEqual(w.localAsked, ['corp\\ann']);
  });
});
