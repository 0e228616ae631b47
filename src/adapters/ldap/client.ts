// The LDAP directory client (the `DirectoryClient` port) on ldapts: search-then-bind or a DN
// template, LDAPS or StartTLS, pooled service connections, and user binds on their own connection.
import { isIP, connect as netConnect, Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Client, type Entry, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, type SearchOptions } from 'ldapts';
import type {
  Directory,
  DirectoryClient,
  DirectoryConnection,
  DirectoryEntry,
  DirectoryGroupRef,
  DirectoryLookupResult,
} from '../../core/directories/directory.js';
import { fitsExternalId, SERVER_ASSIGNED_IDS } from '../../core/directories/directory.js';
import type { Clock } from '../../core/ports.js';
import { fillDnTemplate, firstRdnValue, parentDn, templateParent } from './dn.js';
import { configuredFilter, idFilter, memberFilter, prefixFilter, userFilter } from './filter.js';
import { guidToUuid, isGuidAttribute, uuidToGuid } from './guid.js';
import { ConnectionPool } from './pool.js';

export interface LdapDirectoryClientOptions {
  /** The service account's password, unsealed from `bind.passwordSealed`. */
  unsealBindPassword(directory: Directory): string | Promise<string>;
  clock?: Clock;
  /** Service connections kept per directory (default 4). */
  maxIdlePerDirectory?: number;
  /** Idle service connections older than this are not reused (default 60 s). */
  idleMs?: number;
}

/** Longest username sent to a directory; longer ones cannot be anybody's. */
export const MAX_USERNAME_LENGTH = 256;

/** Result codes of a user bind that mean "not this person with this password" (RFC 4511 §4.1.9). */
const REFUSED_BIND_CODES = new Set([
  19, // constraintViolation (password policy: locked, expired)
  48, // inappropriateAuthentication
  49, // invalidCredentials
  50, // insufficientAccessRights
  53, // unwillingToPerform (e.g. a disabled account)
]);

const MAX_GROUPS = 1000;

// Unique ids the directory does not assign itself (SERVER_ASSIGNED_IDS) can be copied into a second
// entry, so an id held by two entries is checked.

class Unavailable extends Error {}

function unusableUsername(username: string): boolean {
  return username.length === 0 || username.length > MAX_USERNAME_LENGTH || username.includes('\0');
}

function tlsOptions(c: DirectoryConnection): ConnectionOptions {
  const o: ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2', host: c.host };
  if (c.caBundle) o.ca = c.caBundle;
  // RFC 6066 §3: SNI carries host names only, never an IP address.
  if (isIP(c.host) === 0) o.servername = c.host;
  // RFC 6125 checks stay on unless the administrator turned them off; the chain is always verified.
  if (!c.verifyHostname) o.checkServerIdentity = () => undefined;
  return o;
}

function ldapUrl(c: DirectoryConnection): string {
  const host = isIP(c.host) === 6 ? `[${c.host}]` : c.host;
  return `${c.security === 'ldaps' ? 'ldaps' : 'ldap'}://${host}:${c.port}`;
}

/** A socket that fails at once: used when ldapts would silently reconnect a connection. */
function refusedSocket(): Socket {
  const s = new Socket();
  process.nextTick(() => s.destroy(new Error('the connection was closed')));
  return s;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(message));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** A reason for the administrator, built from codes and fixed texts, with every secret masked. */
export function reasonOf(e: unknown, c: DirectoryConnection, secrets: string[] = []): string {
  const where = `${c.host}:${c.port}`;
  let reason: string;
  if (e instanceof Unavailable) reason = e.message;
  else if (e instanceof ResultCodeError) reason = `the directory at ${where} answered with result code ${e.code} (${e.name.replace(/Error$/, '')})`;
  else if (e instanceof Error) {
    const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
    if (code === 'ECONNREFUSED') reason = `connection refused by ${where}`;
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = `host ${c.host} not found`;
    else if (code === 'ECONNRESET' || code === 'EPIPE') reason = `connection to ${where} reset`;
    else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') reason = `${where} is unreachable`;
    else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') reason = `TLS: the certificate of ${where} does not name ${c.host}`;
    else if (code === 'CERT_HAS_EXPIRED') reason = `TLS: the certificate of ${where} has expired`;
    else if (TLS_UNTRUSTED.has(code)) reason = `TLS: the certificate of ${where} is not trusted (${code})`;
    // ldapts reports a pooled connection the server dropped as a socket error of the request.
    else if (/^Socket error/.test(e.message)) reason = `connection to ${where} closed`;
    else if (e.message === 'Connection timeout') reason = `no connection to ${where} within ${c.connectTimeoutMs} ms`;
    else if (/Operation timed out/.test(e.message)) reason = `no answer from ${where} within ${c.readTimeoutMs} ms`;
    else reason = `${code ? `${code}: ` : ''}${e.message}`.split('\n')[0] ?? 'directory error';
  } else reason = 'directory error';
  for (const s of secrets) if (s.length > 0) reason = reason.split(s).join('***');
  return reason.slice(0, 300);
}

function values(entry: Entry, attribute: string | null): Array<string | Buffer> {
  if (!attribute) return [];
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function text(entry: Entry, attribute: string | null): string | null {
  const v = values(entry, attribute)[0];
  if (v === undefined) return null;
  return typeof v === 'string' ? v : v.toString('utf8');
}

function uniqueIdOf(entry: Entry, attribute: string): string | null {
  const v = values(entry, attribute)[0];
  if (v === undefined) return null;
  if (isGuidAttribute(attribute) && Buffer.isBuffer(v) && v.length === 16) return guidToUuid(v);
  return typeof v === 'string' ? v : v.toString('utf8');
}

function entryAttributes(d: Directory): string[] {
  const a = d.attributes;
  const list = [a.username, a.displayName, a.email, a.givenName, a.familyName, a.uniqueId];
  if (d.groups.kind === 'member-of') list.push(d.groups.attribute);
  return [...new Set(list.filter((x): x is string => x !== null && x !== ''))];
}

function searchOptions(d: Directory, rest: SearchOptions): SearchOptions {
  return { attributes: entryAttributes(d), explicitBufferAttributes: isGuidAttribute(d.attributes.uniqueId) ? [d.attributes.uniqueId] : [], ...rest };
}

export function ldapDirectoryClient(options: LdapDirectoryClientOptions): DirectoryClient & { pooledConnections(directoryId: string): number } {
  const clock = options.clock ?? { now: () => Date.now() };

  /** A new connection, upgraded with StartTLS when configured, not yet bound. */
  async function connect(d: Directory): Promise<Client> {
    const c = d.connection;
    let connects = 0;
    // A closed connection is never silently re-opened (ldapts would do it without TLS or bind).
    const once =
      <A extends unknown[], S>(make: (...args: A) => S) =>
      (...args: A): S | Socket =>
        connects++ === 0 ? make(...args) : refusedSocket();
    const client = new Client({
      url: ldapUrl(c),
      connectTimeout: c.connectTimeoutMs,
      timeout: c.readTimeoutMs,
      ...(c.security === 'ldaps' ? { tlsOptions: tlsOptions(c) } : {}),
      createConnection: once(netConnect) as typeof netConnect,
      createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
        // StartTLS upgrades the existing socket (a call with options only); that is not a reconnect.
        if (c.security === 'starttls') return tlsConnect(...args);
        return once(tlsConnect)(...args);
      }) as typeof tlsConnect,
    });
    if (c.security === 'starttls') {
      // RFC 4511 §4.14; ldapts bounds the TCP connect and the extended operation, not the handshake.
      await withTimeout(client.startTLS(tlsOptions(c)), c.connectTimeoutMs + c.readTimeoutMs, 'Connection timeout', () => quietClose(client));
    }
    return client;
  }

  async function serviceCredentials(d: Directory): Promise<{ dn: string; password: string } | null> {
    if (d.bind.kind === 'anonymous') return null;
    const password = await options.unsealBindPassword(d);
    // RFC 4513 §5.1.2: a DN with an empty password is an unauthenticated bind, which servers may accept.
    if (password === '') throw new Unavailable('the service account has no password');
    return { dn: d.bind.dn, password };
  }

  async function openService(d: Directory): Promise<Client> {
    const creds = await serviceCredentials(d);
    const client = await connect(d);
    if (!creds) return client;
    try {
      await client.bind(creds.dn, creds.password);
      return client;
    } catch (e) {
      quietClose(client);
      if (e instanceof ResultCodeError && REFUSED_BIND_CODES.has(e.code)) {
        throw new Unavailable(`the directory refused the service account (result code ${e.code})`);
      }
      throw e;
    }
  }

  const pool = new ConnectionPool({ open: openService, clock, maxIdle: options.maxIdlePerDirectory ?? 4, idleMs: options.idleMs ?? 60_000 });

  async function findEntries(d: Directory, c: Client, username: string): Promise<Entry[]> {
    const u = d.users;
    if (u.kind === 'template') {
      try {
        const r = await c.search(fillDnTemplate(u.dnTemplate, username), searchOptions(d, { scope: 'base', filter: '(objectClass=*)', sizeLimit: 2 }));
        return r.searchEntries;
      } catch (e) {
        if (e instanceof NoSuchObjectError) return [];
        throw e;
      }
    }
    // Two are enough to know the username is ambiguous.
    const r = await c.search(u.baseDn, searchOptions(d, { scope: u.scope, filter: userFilter(u.filter, u.usernameAttribute, username), sizeLimit: 2 }));
    return r.searchEntries;
  }

  async function groupsOf(d: Directory, c: Client, entry: Entry): Promise<DirectoryGroupRef[]> {
    const g = d.groups;
    if (g.kind === 'none') return [];
    if (g.kind === 'member-of') {
      const dns = values(entry, g.attribute).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
      const out: DirectoryGroupRef[] = [];
      for (const dn of dns.slice(0, MAX_GROUPS)) {
        let name = firstRdnValue(dn, g.nameAttribute);
        if (name === null) {
          try {
            const r = await c.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [g.nameAttribute] });
            name = r.searchEntries[0] ? text(r.searchEntries[0], g.nameAttribute) : null;
          } catch (e) {
            if (!(e instanceof NoSuchObjectError)) throw e;
          }
        }
        out.push({ dn, name: name ?? dn });
      }
      return out;
    }
    const r = await c.search(g.baseDn, {
      scope: 'sub',
      filter: memberFilter(g.filter, g.memberAttribute, entry.dn, g.nested),
      attributes: [g.nameAttribute],
      sizeLimit: MAX_GROUPS,
    });
    return r.searchEntries.map((e) => ({ dn: e.dn, name: text(e, g.nameAttribute) ?? e.dn }));
  }

  /**
   * Whether no other entry that could sign in (under the users' base, matching their filter)
   * claims the entry's unique id: an id two entries hold would make either one the other's user.
   */
  async function holdsIdAlone(d: Directory, c: Client, e: Entry): Promise<boolean> {
    const attribute = d.attributes.uniqueId;
    if (SERVER_ASSIGNED_IDS.has(attribute.toLowerCase())) return true;
    const id = uniqueIdOf(e, attribute);
    const place = userPlace(d);
    // Without an id toEntry refuses the entry; a template that names no parent cannot be listed.
    if (id === null || place === null) return true;
    const r = await c.search(place.baseDn, { scope: place.scope, filter: userFilter(place.filter, attribute, id), attributes: ['1.1'], sizeLimit: 2 });
    return r.searchEntries.length <= 1;
  }

  function toEntry(d: Directory, e: Entry, groups: DirectoryGroupRef[], fallbackUsername: string): DirectoryEntry {
    const a = d.attributes;
    const uniqueId = uniqueIdOf(e, a.uniqueId);
    if (uniqueId === null) throw new Unavailable(`the entry has no ${a.uniqueId} attribute`);
    return {
      dn: e.dn,
      uniqueId,
      username: text(e, a.username) ?? fallbackUsername,
      displayName: text(e, a.displayName),
      email: text(e, a.email),
      givenName: text(e, a.givenName),
      familyName: text(e, a.familyName),
      groups,
    };
  }

  async function secretsOf(d: Directory, password?: string): Promise<string[]> {
    const s = password ? [password] : [];
    if (d.bind.kind === 'service') {
      try {
        s.push(await options.unsealBindPassword(d));
      } catch {
        // Nothing to mask when the password cannot be unsealed.
      }
    }
    return s;
  }

  async function unavailable(d: Directory, e: unknown, password?: string): Promise<{ kind: 'unavailable'; reason: string }> {
    return { kind: 'unavailable', reason: reasonOf(e, d.connection, await secretsOf(d, password)) };
  }

  /** Binds as `dn` on a connection of its own, so a user's identity never stays on a pooled one. */
  async function bindAsUser<T>(d: Directory, dn: string, password: string, then: (c: Client) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const c = await connect(d);
    try {
      try {
        await c.bind(dn, password);
      } catch (e) {
        if (e instanceof ResultCodeError && REFUSED_BIND_CODES.has(e.code)) return { ok: false };
        throw e;
      }
      return { ok: true, value: await then(c) };
    } finally {
      quietClose(c);
    }
  }

  let closed = false;
  const closedResult = { kind: 'unavailable', reason: 'the directory client is closed' } as const;

  return {
    async authenticate(d, username, password) {
      if (closed) return closedResult;
      // RFC 4513 §5.1.2: an empty password would make an unauthenticated bind, which "succeeds".
      if (password === '' || unusableUsername(username)) return { kind: 'wrong' };
      try {
        if (d.users.kind === 'template' && d.bind.kind === 'anonymous') {
          const dn = fillDnTemplate(d.users.dnTemplate, username);
          const r = await bindAsUser(d, dn, password, async (c) => {
            const found = await findEntries(d, c, username);
            const e = found[0];
            if (!e || found.length > 1) throw new Unavailable('the bound user cannot read its own entry');
            if (!(await holdsIdAlone(d, c, e))) return null;
            return toEntry(d, e, await groupsOf(d, c, e), username);
          });
          return r.ok && r.value !== null ? { kind: 'ok', entry: r.value } : { kind: 'wrong' };
        }
        const found = await pool.use(d, (c) => findEntries(d, c, username));
        const e = found[0];
        // No entry: the next directory may know the name. Several: ambiguous, refused here.
        if (!e) return { kind: 'unknown' };
        if (found.length !== 1) return { kind: 'wrong' };
        // An id another entry claims too is nobody's: refused like an ambiguous name.
        if (!(await pool.use(d, (c) => holdsIdAlone(d, c, e)))) return { kind: 'wrong' };
        const bound = await bindAsUser(d, e.dn, password, async () => true);
        if (!bound.ok) return { kind: 'wrong' };
        const groups = await pool.use(d, (c) => groupsOf(d, c, e));
        return { kind: 'ok', entry: toEntry(d, e, groups, username) };
      } catch (err) {
        return unavailable(d, err, password);
      }
    },

    async lookup(d, username): Promise<DirectoryLookupResult> {
      if (closed) return closedResult;
      if (unusableUsername(username)) return { kind: 'missing' };
      try {
        return await pool.use(d, async (c) => {
          const found = await findEntries(d, c, username);
          const e = found[0];
          if (!e || found.length !== 1 || !(await holdsIdAlone(d, c, e))) return { kind: 'missing' };
          return { kind: 'found', entry: toEntry(d, e, await groupsOf(d, c, e), username) };
        });
      } catch (err) {
        return unavailable(d, err);
      }
    },

    async lookupById(d, uniqueId): Promise<DirectoryLookupResult> {
      if (closed) return closedResult;
      const attribute = d.attributes.uniqueId;
      const value = isGuidAttribute(attribute) ? uuidToGuid(uniqueId) : uniqueId;
      const place = userPlace(d);
      if (value === null || value.length === 0 || place === null || !fitsExternalId(uniqueId)) return { kind: 'missing' };
      try {
        return await pool.use(d, async (c) => {
          const r = await c.search(place.baseDn, searchOptions(d, { scope: place.scope, filter: idFilter(place.filter, attribute, value), sizeLimit: 2 }));
          const e = r.searchEntries[0];
          if (!e || r.searchEntries.length !== 1) return { kind: 'missing' };
          const username = text(e, d.attributes.username);
          // The server may match more loosely than the id as kept (case, spaces): only the same id counts.
          if (username === null || uniqueIdOf(e, attribute) !== uniqueId) return { kind: 'missing' };
          return { kind: 'found', entry: toEntry(d, e, await groupsOf(d, c, e), username) };
        });
      } catch (err) {
        return unavailable(d, err);
      }
    },

    async searchUsers(d, query, limit) {
      if (closed) return closedResult;
      if (query.length > MAX_USERNAME_LENGTH || query.includes('\0')) return { kind: 'ok', entries: [] };
      const size = Math.max(1, Math.min(Math.trunc(limit), MAX_GROUPS));
      const a = d.attributes;
      const place = userPlace(d);
      if (!place) return { kind: 'unavailable', reason: 'users cannot be listed with this DN template' };
      const attrs = [a.username, a.displayName, a.email].filter((x): x is string => x !== null && x !== '');
      try {
        const entries = await pool.use(d, async (c) => {
          const r = await c.search(place.baseDn, searchOptions(d, { scope: place.scope, filter: prefixFilter(place.filter, attrs, query), sizeLimit: size }));
          const out: DirectoryEntry[] = [];
          for (const e of r.searchEntries.slice(0, size)) {
            if (uniqueIdOf(e, a.uniqueId) === null) continue;
            out.push(toEntry(d, e, await groupsOf(d, c, e), text(e, a.username) ?? ''));
          }
          return out;
        });
        return { kind: 'ok', entries };
      } catch (err) {
        return unavailable(d, err);
      }
    },

    async searchGroups(d, query, limit) {
      if (closed) return closedResult;
      const g = groupSearchOf(d);
      if (g === null || query.length > MAX_USERNAME_LENGTH || query.includes('\0')) return { kind: 'ok', groups: [] };
      const size = Math.max(1, Math.min(Math.trunc(limit), MAX_GROUPS));
      try {
        const r = await pool.use(d, (c) =>
          c.search(g.baseDn, {
            scope: 'sub',
            filter: prefixFilter(g.filter, [g.nameAttribute], query),
            attributes: [g.nameAttribute, g.memberAttribute],
            sizeLimit: size,
          }),
        );
        const groups = r.searchEntries.slice(0, size).map((e) => ({
          dn: e.dn,
          name: text(e, g.nameAttribute) ?? e.dn,
          memberDns: values(e, g.memberAttribute).map((v) => (typeof v === 'string' ? v : v.toString('utf8'))),
        }));
        return { kind: 'ok', groups };
      } catch (err) {
        return unavailable(d, err);
      }
    },

    async test(d) {
      if (closed) return closedResult;
      try {
        // A fresh connection, so that the settings as they are now are what gets checked.
        const c = await openService(d);
        try {
          const base = d.users.kind === 'search' ? d.users.baseDn : (templatePlace(d.users.dnTemplate)?.baseDn ?? '');
          try {
            await c.search(base, { scope: 'base', filter: configuredFilter(''), attributes: ['1.1'] });
          } catch (e) {
            if (e instanceof NoSuchObjectError) throw new Unavailable(`the base DN ${base} does not exist`);
            if (e instanceof InvalidCredentialsError) throw new Unavailable('the directory refused the service account');
            throw e;
          }
        } finally {
          quietClose(c);
        }
        return { kind: 'ok' };
      } catch (err) {
        return unavailable(d, err);
      }
    },

    forget(directoryId) {
      pool.forget(directoryId);
    },

    pooledConnections(directoryId) {
      return pool.size(directoryId);
    },

    async close() {
      closed = true;
      await pool.close();
    },
  };
}

/**
 * Where groups are searched for import: the configured group search, or, when groups come from
 * the users' memberOf, the groups of the usual object classes one level above the users' base.
 */
function groupSearchOf(d: Directory): { baseDn: string; filter: string; memberAttribute: string; nameAttribute: string } | null {
  const g = d.groups;
  if (g.kind === 'search') return g;
  if (g.kind === 'none') return null;
  const usersBase = d.users.kind === 'search' ? d.users.baseDn : (templateParent(d.users.dnTemplate)?.baseDn ?? null);
  if (usersBase === null) return null;
  return {
    baseDn: parentDn(usersBase),
    filter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))',
    memberAttribute: 'member',
    nameAttribute: g.nameAttribute,
  };
}

/** Where the users are listed: the configured search, or the parent of a DN template's entries. */
function userPlace(d: Directory): { baseDn: string; scope: 'sub' | 'one'; filter: string } | null {
  const u = d.users;
  return u.kind === 'search' ? { baseDn: u.baseDn, scope: u.scope, filter: u.filter } : templatePlace(u.dnTemplate);
}

function templatePlace(template: string): { baseDn: string; scope: 'one'; filter: string } | null {
  const p = templateParent(template);
  return p ? { baseDn: p.baseDn, scope: 'one', filter: `(${p.attribute}=*)` } : null;
}

function quietClose(c: Client): void {
  c.unbind().catch(() => {});
}
