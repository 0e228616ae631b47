// A real OpenLDAP slapd per suite: generated slapd.conf in a temporary folder, mdb backend,
// memberOf and refint overlays, seeded through ldapts as the rootdn. Never the system service.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../../scripts/services.mjs';
import type { Directory, DirectoryConnection } from '../../src/core/directories/directory.js';

export const SLAPD = '/usr/sbin/slapd';
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `/etc/ldap/schema/${s}.schema`);

export interface SeedUser {
  uid: string;
  cn: string;
  givenName: string;
  sn: string;
  mail: string;
  password: string;
  /** More attributes of the entry (e.g. `employeeNumber`, `description`). */
  attributes?: Record<string, string | string[]>;
}

/** One change of a modify operation (RFC 4511 §4.6). */
export interface EntryChange {
  operation: 'add' | 'delete' | 'replace';
  type: string;
  values: string[] | Buffer[];
}

export interface SlapdOptions {
  /** Default `dc=example,dc=org`. */
  suffix?: string;
  /** Also listen with LDAPS and offer StartTLS, with a CA and server certificate made here. */
  tls?: boolean;
  users?: SeedUser[];
  /** Largest database size in bytes (mdb `maxsize`); 32 MiB by default. */
  maxSize?: number;
}

export interface Slapd {
  suffix: string;
  rootDn: string;
  rootPassword: string;
  serviceDn: string;
  servicePassword: string;
  peopleDn: string;
  groupsDn: string;
  port: number;
  /** LDAPS port (only with `tls`); also served on 127.0.0.2, which the certificate does not name. */
  ldapsPort: number;
  /** PEM of the CA that signed the server certificate (only with `tls`). */
  caPem: string;
  /** PEM of a CA that signed nothing here. */
  otherCaPem: string;
  users: SeedUser[];
  pid(): number | null;
  userDn(uid: string): string;
  groupDn(cn: string): string;
  /** Stops slapd (SIGTERM, waits for exit); the data stays for `start()`. */
  stop(): Promise<void>;
  /** Starts slapd again on the same ports and data. */
  start(): Promise<void>;
  /** SIGSTOP: the kernel still accepts TCP connections but nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Replaces the user's password with a random one nobody knows, so binds fail. */
  disableUser(uid: string): Promise<void>;
  setPassword(uid: string, password: string): Promise<void>;
  removeUser(uid: string): Promise<void>;
  addUser(u: SeedUser): Promise<void>;
  addMember(group: string, memberDn: string): Promise<void>;
  removeMember(group: string, memberDn: string): Promise<void>;
  /** Adds any entry as the rootdn; Buffer values are sent as they are (binary, not UTF-8). */
  addEntry(dn: string, attributes: Record<string, string | string[] | Buffer | Buffer[]>): Promise<void>;
  /** Modifies an entry as the rootdn. */
  modify(dn: string, changes: EntryChange[]): Promise<void>;
  /** Renames or moves an entry (modify DN, RFC 4511 §4.9); the old RDN value is deleted. */
  rename(dn: string, newDn: string): Promise<void>;
  /** Deletes an entry as the rootdn. */
  remove(dn: string): Promise<void>;
  /** Runs `fn` on one connection bound as the rootdn: many changes without a connection each. */
  asRoot<T>(fn: (c: Client) => Promise<T>): Promise<T>;
  /** A `Directory` for this instance (search-then-bind with the service account, or a DN template). */
  directory(preset: 'search' | 'template' | 'anonymous', overrides?: DirectoryOverrides): Directory;
  /** Stops slapd and removes the temporary folder. */
  cleanup(): Promise<void>;
}

export interface DirectoryOverrides {
  id?: string;
  domain?: string;
  connection?: Partial<DirectoryConnection>;
  groups?: Directory['groups'];
}

export const DEFAULT_USERS: SeedUser[] = [
  { uid: 'alice', cn: 'Alice Liddell', givenName: 'Alice', sn: 'Liddell', mail: 'alice@example.org', password: 'alice-pw-1' },
  { uid: 'bob', cn: 'Bob Builder', givenName: 'Bob', sn: 'Builder', mail: 'bob@example.org', password: 'bob-pw-2' },
  { uid: 'carol', cn: 'Carol Danvers', givenName: 'Carol', sn: 'Danvers', mail: 'carol@example.org', password: 'carol-pw-3' },
  // Names that look like filter syntax, to show escaping on the way out.
  { uid: 'star*name', cn: 'Star (Name)', givenName: 'Star', sn: 'Name', mail: 'star@example.org', password: 'star-pw-4' },
];

/** RFC 2307 `{SSHA}`: base64(SHA-1(password ‖ salt) ‖ salt). */
export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

const running = new Set<ChildProcess>();
// Never leave slapd behind, also when a suite throws or the runner exits early.
process.once('exit', () => {
  for (const c of running) if (c.pid) c.kill('SIGKILL');
});

function makeCerts(dir: string): { caPem: string; otherCaPem: string } {
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (name: string) => {
    ossl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=Latchkey Test ${name}`,
    ]);
  };
  ca('ca');
  ca('other-ca');
  writeFileSync(
    join(dir, 'san.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  ossl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  return { caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8') };
}

function slapdConf(dir: string, suffix: string, rootDn: string, rootPassword: string, tls: boolean, maxSize: number): string {
  return [
    ...SCHEMAS.map((s) => `include ${s}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    'moduleload refint',
    ...(tls
      ? [`TLSCACertificateFile ${join(dir, 'ca.pem')}`, `TLSCertificateFile ${join(dir, 'server.pem')}`, `TLSCertificateKeyFile ${join(dir, 'server.key')}`]
      : []),
    'database mdb',
    `maxsize ${maxSize}`,
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${ssha(rootPassword)}`,
    `directory ${join(dir, 'data')}`,
    'index objectClass eq',
    'index uid,cn,mail eq,sub',
    'index member,memberOf eq',
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
    'overlay memberof',
    'memberof-group-oc groupOfNames',
    'memberof-member-ad member',
    'memberof-memberof-ad memberOf',
    'memberof-refint TRUE',
    'overlay refint',
    'refint_attributes member',
    '',
  ].join('\n');
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${log()}`);
    const c = new Client({ url, connectTimeout: 500, timeout: 1000 });
    try {
      await c.search('', { scope: 'base', attributes: ['namingContexts'] });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`slapd did not answer on ${url}: ${log()}`);
      await sleep(50);
    } finally {
      await c.unbind().catch(() => {});
    }
  }
}

/** Starts slapd on free loopback ports from a generated config and seeds it. */
export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  const suffix = opts.suffix ?? 'dc=example,dc=org';
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-slapd-'));
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = randomBytes(12).toString('hex');
  const servicePassword = randomBytes(12).toString('hex');
  const serviceDn = `cn=latchkey-service,${suffix}`;
  const peopleDn = `ou=people,${suffix}`;
  const groupsDn = `ou=groups,${suffix}`;
  const users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
  const tls = opts.tls ?? false;
  let certs = { caPem: '', otherCaPem: '' };
  try {
    mkdirSync(join(dir, 'data'));
    if (tls) certs = makeCerts(dir);
    writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, suffix, rootDn, rootPassword, tls, opts.maxSize ?? 33_554_432));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = await freePort();
  const ldapsPort = tls ? await freePort() : 0;
  const url = `ldap://127.0.0.1:${port}`;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tls ? [`ldaps://127.0.0.1:${ldapsPort}/`, `ldaps://127.0.0.2:${ldapsPort}/`] : [])];

  let child: ChildProcess | null = null;
  let stderr = '';
  const launch = async () => {
    stderr = '';
    // -d 0 keeps slapd in the foreground, so its PID is the child's and it dies with us.
    const c = spawn(SLAPD, ['-d', '0', '-f', join(dir, 'slapd.conf'), '-h', urls.join(' ')], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    running.add(c);
    c.once('exit', () => running.delete(c));
    child = c;
    await waitReady(url, c, () => stderr);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGCONT');
    c.kill('SIGTERM');
    const forced = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(forced);
  };

  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ url, connectTimeout: 2000, timeout: 5000 });
    try {
      await c.bind(rootDn, rootPassword);
      return await fn(c);
    } finally {
      await c.unbind().catch(() => {});
    }
  };
  const userDn = (uid: string) => `uid=${uid.replace(/[\\,+"<>;=]/g, (ch) => `\\${ch}`)},${peopleDn}`;
  const groupDn = (cn: string) => `cn=${cn},${groupsDn}`;
  const addUser = (u: SeedUser) =>
    admin((c) =>
      c.add(userDn(u.uid), {
        objectClass: ['inetOrgPerson'],
        uid: u.uid,
        cn: u.cn,
        givenName: u.givenName,
        sn: u.sn,
        mail: u.mail,
        userPassword: ssha(u.password),
        ...u.attributes,
      }),
    );
  const setPassword = (uid: string, password: string) =>
    admin((c) => c.modify(userDn(uid), new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [ssha(password)] }) })));

  try {
    await launch();
    await admin(async (c) => {
      const dc = suffix.split(',')[0]?.split('=')[1] ?? 'example';
      await c.add(suffix, { objectClass: ['top', 'dcObject', 'organization'], dc, o: dc });
      await c.add(peopleDn, { objectClass: 'organizationalUnit', ou: 'people' });
      await c.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });
      await c.add(serviceDn, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'latchkey-service', userPassword: ssha(servicePassword) });
    });
    for (const u of users) await addUser(u);
    await admin(async (c) => {
      // `engineering` contains the group `backend`, which contains alice and bob.
      await c.add(groupDn('backend'), { objectClass: 'groupOfNames', cn: 'backend', member: [userDn('alice'), userDn('bob')] });
      await c.add(groupDn('engineering'), { objectClass: 'groupOfNames', cn: 'engineering', member: [groupDn('backend'), userDn('carol')] });
      await c.add(groupDn('admins'), { objectClass: 'groupOfNames', cn: 'admins', member: [userDn('alice')] });
    });
  } catch (e) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const directory = (preset: 'search' | 'template' | 'anonymous', o: DirectoryOverrides = {}): Directory => ({
    id: o.id ?? `dir-${suffix}`,
    name: `OpenLDAP ${suffix}`,
    domain: o.domain ?? suffix.split(',')[0]?.split('=')[1] ?? 'example',
    position: 0,
    enabled: true,
    connection: {
      host: '127.0.0.1',
      port,
      security: 'none',
      caBundle: null,
      verifyHostname: true,
      connectTimeoutMs: 2000,
      readTimeoutMs: 2000,
      ...o.connection,
    },
    bind: preset === 'search' ? { kind: 'service', dn: serviceDn, passwordSealed: 'sealed:service' } : { kind: 'anonymous' },
    users:
      preset === 'template'
        ? { kind: 'template', dnTemplate: `uid={username},${peopleDn}` }
        : { kind: 'search', baseDn: peopleDn, filter: '(objectClass=inetOrgPerson)', usernameAttribute: 'uid', scope: 'sub' },
    attributes: { username: 'uid', displayName: 'cn', email: 'mail', givenName: 'givenName', familyName: 'sn', uniqueId: 'entryUUID' },
    groups: o.groups ?? { kind: 'member-of', attribute: 'memberOf', nameAttribute: 'cn' },
    emailVerified: true,
    createUsersOnSignIn: true,
    defaultGroupId: null,
    syncIntervalMinutes: 0,
    createdAt: 0,
    updatedAt: 0,
  });

  return {
    suffix,
    rootDn,
    rootPassword,
    serviceDn,
    servicePassword,
    peopleDn,
    groupsDn,
    port,
    ldapsPort,
    caPem: certs.caPem,
    otherCaPem: certs.otherCaPem,
    users,
    pid: () => child?.pid ?? null,
    userDn,
    groupDn,
    stop,
    start: launch,
    freeze: () => {
      child?.kill('SIGSTOP');
      if (child?.pid !== undefined) waitUntilStopped(child.pid);
    },
    thaw: () => child?.kill('SIGCONT'),
    disableUser: (uid) => setPassword(uid, randomBytes(24).toString('hex')),
    setPassword,
    removeUser: (uid) => admin((c) => c.del(userDn(uid))),
    addUser,
    addMember: (group, memberDn) =>
      admin((c) => c.modify(groupDn(group), new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [memberDn] }) }))),
    removeMember: (group, memberDn) =>
      admin((c) => c.modify(groupDn(group), new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [memberDn] }) }))),
    addEntry: (dn, attributes) =>
      admin((c) =>
        c.add(
          dn,
          Object.entries(attributes).map(([type, v]) => {
            const list = Array.isArray(v) ? v : [v];
            const values = list.every((x) => typeof x === 'string') ? (list as string[]) : list.map((x) => (typeof x === 'string' ? Buffer.from(x) : x));
            return new Attribute({ type, values });
          }),
        ),
      ),
    modify: (dn, changes) =>
      admin((c) =>
        c.modify(
          dn,
          changes.map((ch) => new Change({ operation: ch.operation, modification: new Attribute({ type: ch.type, values: ch.values }) })),
        ),
      ),
    rename: (dn, newDn) => admin((c) => c.modifyDN(dn, newDn)),
    remove: (dn) => admin((c) => c.del(dn)),
    asRoot: admin,
    directory,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * SIGSTOP is delivered asynchronously: until every thread of slapd shows the stopped state, a
 * request sent at once may still be answered. Waits (at most 2 s) until the kernel has stopped them all.
 */
function waitUntilStopped(pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 2000;
  const stopped = () => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((tid) => {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      });
    } catch {
      return true; // the process is gone: nothing will answer
    }
  };
  while (!stopped() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 5);
}
