import { type Backend, type BackendName, backendNames, openBackend } from '../../../test/support/backends.js';
import type { Client } from '../../core/clients/client.js';
import type { Directory } from '../../core/directories/directory.js';
import type { User } from '../../core/ports.js';
import type { Group } from '../../core/users/groups.js';
import { type Database, migrate, openDatabase } from '../database.js';

/**
 * The configurations every contract file runs on: each backend, and SQLite once more with its read
 * cache off, so that an answer the cache gets wrong (a stale read) shows as a difference between
 * the two SQLite runs.
 */
export interface ContractVariant {
  name: string;
  backend: BackendName;
  readCache: boolean;
}

export function contractVariants(): ContractVariant[] {
  return backendNames().flatMap((backend): ContractVariant[] =>
    backend === 'sqlite'
      ? [
          { name: 'sqlite', backend, readCache: true },
          { name: 'sqlite without read cache', backend, readCache: false },
        ]
      : [{ name: backend, backend, readCache: true }],
  );
}

/** A fresh database with two connections (two instances: two pools, or two SQLite connections). */
export interface ContractDatabases {
  backend: Backend;
  database: Database;
  second: Database;
  close(): Promise<void>;
}

export async function openDatabases(variant: ContractVariant, options: { migrated?: boolean } = {}): Promise<ContractDatabases> {
  const backend = await openBackend(variant.backend);
  const database = openDatabase(backend.url, { readCache: variant.readCache });
  if (options.migrated !== false) await migrate(database);
  const second = openDatabase(backend.url, { readCache: variant.readCache });
  return {
    backend,
    database,
    second,
    close: async () => {
      await database.close();
      await second.close();
      await backend.cleanup();
    },
  };
}

/**
 * SQLite has one writer: two connections of one process would only wait on each other's lock
 * synchronously inside an explicit transaction, so races through transactions use one connection
 * there; single statements race across both connections on every backend.
 */
export function transactionRival<T>(variant: ContractVariant, first: T, second: T): T {
  return variant.backend === 'postgres' ? second : first;
}

/**
 * Waits past the read cache's check of another connection's commits (`PRAGMA data_version`, at
 * most once a millisecond: sqlite-read-cache.ts) before a read through the other connection.
 */
export function pastExternalCheck(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3));
}

export function client(key: string, patch: Partial<Client> = {}): Client {
  return {
    key,
    type: 'oauth2',
    name: `Client ${key}`,
    status: 'pending',
    secretSealed: 'v1.sealed',
    isPublic: false,
    requirePkce: false,
    redirectUris: ['https://app.example/cb'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    callbackUrl: null,
    rsaPublicKey: null,
    metadata: { note: 'x' },
    createdVia: 'test',
    resourceServer: false,
    createdAt: 1000,
    updatedAt: 1000,
    statusChangedAt: null,
    statusChangedBy: null,
    lastUsedAt: null,
    version: 1,
    ...patch,
  };
}

export function user(id: string, username: string, patch: Partial<User> = {}): User {
  return {
    id,
    username,
    displayName: username,
    email: null,
    passwordHash: 'h',
    enabled: true,
    roles: ['user_manager'],
    createdAt: 1,
    updatedAt: 1,
    lastSignInAt: null,
    ...patch,
  };
}

export function directory(id: string, domain: string, patch: Partial<Directory> = {}): Directory {
  return {
    id,
    name: `Directory ${domain}`,
    domain,
    position: 0,
    enabled: true,
    connection: {
      host: `ldap.${domain.toLowerCase()}.example`,
      port: 636,
      security: 'ldaps',
      caBundle: null,
      verifyHostname: true,
      connectTimeoutMs: 3000,
      readTimeoutMs: 5000,
    },
    bind: { kind: 'service', dn: 'cn=latchkey,dc=example', passwordSealed: 'v1.sealed' },
    users: { kind: 'search', baseDn: 'ou=people,dc=example', filter: '(objectClass=person)', usernameAttribute: 'uid', scope: 'sub' },
    attributes: { username: 'uid', displayName: 'cn', email: 'mail', givenName: 'givenName', familyName: 'sn', uniqueId: 'entryUUID' },
    groups: { kind: 'member-of', attribute: 'memberOf', nameAttribute: 'cn' },
    emailVerified: true,
    createUsersOnSignIn: true,
    defaultGroupId: null,
    syncIntervalMinutes: 60,
    createdAt: 1,
    updatedAt: 1,
    ...patch,
  };
}

export function group(id: string, name: string, patch: Partial<Group> = {}): Group {
  return { id, name, description: '', source: null, roles: [], createdAt: 1, updatedAt: 1, ...patch };
}
