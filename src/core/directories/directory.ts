/**
 * A connected LDAP directory (OpenLDAP, Active Directory, …) as the administrator configured it.
 * Directories form one ordered list; a sign-in is checked against the enabled ones in `position`
 * order. The bind password is kept sealed under the master key (`bindPasswordSealed`).
 */
export interface Directory {
  id: string;
  /** Configuration name shown in the console. */
  name: string;
  /** Short id that resolves username conflicts (`DOMAIN\user`, `user@domain`); unique, case-insensitive; `internal` is reserved. */
  domain: string;
  /** 0-based place in the ordered list. */
  position: number;
  enabled: boolean;
  connection: DirectoryConnection;
  bind: DirectoryBind;
  users: DirectoryUserLookup;
  attributes: DirectoryAttributes;
  groups: DirectoryGroupLookup;
  /** Whether `email_verified` is true for this directory's e-mail addresses (OIDC Core §5.1). */
  emailVerified: boolean;
  /** Create an external user at the first successful sign-in. */
  createUsersOnSignIn: boolean;
  /** The native group users created at sign-in join (and whose roles they inherit); null: none. */
  defaultGroupId: string | null;
  /** Re-sync of imported users' attributes and groups, in minutes; 0: off. */
  syncIntervalMinutes: number;
  createdAt: number;
  updatedAt: number;
}

export interface DirectoryConnection {
  host: string;
  port: number;
  /** `ldaps`: TLS from the start (port 636); `starttls`: upgrade with StartTLS (RFC 4511 §4.14). */
  security: 'none' | 'ldaps' | 'starttls';
  /** PEM CA bundle trusted for the server's certificate; null: the system's. */
  caBundle: string | null;
  /** Hostname verification of the server certificate (RFC 6125); on by default. */
  verifyHostname: boolean;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export type DirectoryBind = { kind: 'anonymous' } | { kind: 'service'; dn: string; passwordSealed: string };

/**
 * How a username becomes an entry: a search under `baseDn` with `filter` AND
 * (`usernameAttribute`=username), the username escaped per RFC 4515 §3; or a direct bind DN built
 * from a template whose `{username}` is escaped per RFC 4514 §2.4.
 */
export type DirectoryUserLookup =
  | { kind: 'search'; baseDn: string; filter: string; usernameAttribute: string; scope: 'sub' | 'one' }
  | { kind: 'template'; dnTemplate: string };

/** Attribute names; null: not mapped. `uniqueId` (entryUUID, objectGUID) keeps a renamed user the same user. */
export interface DirectoryAttributes {
  username: string;
  displayName: string | null;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  uniqueId: string;
}

/**
 * Group resolution: the user entry's `memberOf` (or another attribute listing group DNs), or a
 * search for groups whose `memberAttribute` holds the user's DN; `nested` uses Active Directory's
 * LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) to include nested groups.
 */
export type DirectoryGroupLookup =
  | { kind: 'none' }
  | { kind: 'member-of'; attribute: string; nameAttribute: string }
  | { kind: 'search'; baseDn: string; filter: string; memberAttribute: string; nameAttribute: string; nested: boolean };

/** What the directory said about a person. */
export interface DirectoryEntry {
  dn: string;
  /** The `uniqueId` attribute's value as text (objectGUID: its canonical UUID form). */
  uniqueId: string;
  username: string;
  displayName: string | null;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  groups: DirectoryGroupRef[];
}

export interface DirectoryGroupRef {
  dn: string;
  name: string;
}

export type DirectoryAuthResult =
  | { kind: 'ok'; entry: DirectoryEntry }
  /** No entry for this username: the next directory in the list may know it. */
  | { kind: 'unknown' }
  /** The entry exists, but the password is wrong or the directory refuses to bind the account (disabled, locked). */
  | { kind: 'wrong' }
  /** The directory could not be asked (down, timeout, TLS failure, bad service credentials). */
  | { kind: 'unavailable'; reason: string };

export type DirectoryLookupResult = { kind: 'found'; entry: DirectoryEntry } | { kind: 'missing' } | { kind: 'unavailable'; reason: string };

/** The port the LDAP adapter fills (src/adapters/ldap/): one client for every configured directory. */
/**
 * Longest unique id or group DN (UTF-8 bytes) kept as an external id: the stores index them, and
 * PostgreSQL's b-tree takes entries up to about 2.7 kB. Real ids (entryUUID, objectGUID) and DNs
 * are far shorter; a longer one is refused rather than stored cut.
 */
export const MAX_EXTERNAL_ID_BYTES = 1024;

/**
 * Unique-id attributes the directory assigns itself, which no entry can be given by hand through
 * the ordinary protocol: entryUUID (RFC 4530; OpenLDAP), objectGUID (Active Directory), nsUniqueId
 * (389 Directory Server). Lower case. Any other attribute (employeeNumber, …) can be copied.
 */
export const SERVER_ASSIGNED_IDS: ReadonlySet<string> = new Set(['entryuuid', 'objectguid', 'nsuniqueid']);

export function fitsExternalId(id: string): boolean {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: short strings need no count.
  if (id.length * 3 <= MAX_EXTERNAL_ID_BYTES) return true;
  return new TextEncoder().encode(id).length <= MAX_EXTERNAL_ID_BYTES;
}

export interface DirectoryClient {
  /** Finds the user and binds as them with `password`; an empty password is refused before binding (RFC 4513 §5.1.2). */
  authenticate(directory: Directory, username: string, password: string): Promise<DirectoryAuthResult>;
  /** The entry of a user by username, with groups (re-sync, import, test). */
  lookup(directory: Directory, username: string): Promise<DirectoryLookupResult>;
  /** The entry holding this unique id, with groups (re-sync of a renamed user); missing when none or several hold it. */
  lookupById(directory: Directory, uniqueId: string): Promise<DirectoryLookupResult>;
  /** Users whose username, name or e-mail starts with `query` (import preview); at most `limit`. */
  searchUsers(directory: Directory, query: string, limit: number): Promise<{ kind: 'ok'; entries: DirectoryEntry[] } | { kind: 'unavailable'; reason: string }>;
  /** Groups whose name starts with `query`, with their member DNs (import preview). */
  searchGroups(
    directory: Directory,
    query: string,
    limit: number,
  ): Promise<{ kind: 'ok'; groups: Array<DirectoryGroupRef & { memberDns: string[] }> } | { kind: 'unavailable'; reason: string }>;
  /** Connects and binds with the configured credentials. */
  test(directory: Directory): Promise<{ kind: 'ok' } | { kind: 'unavailable'; reason: string }>;
  /** Drops pooled connections of a directory whose settings changed or that was removed. */
  forget(directoryId: string): void;
  close(): Promise<void>;
}
