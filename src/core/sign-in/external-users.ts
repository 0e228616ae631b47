/**
 * Directory entry → Latchkey user: the one place that finds an external user, creates one when
 * the directory allows it, brings its attributes up to date and makes its external group
 * memberships follow the directory. Sign-in, import and re-sync all go through it.
 */
import { z } from 'zod';
import { randomToken } from '../crypto/random.js';
import { type Directory, type DirectoryEntry, fitsExternalId, SERVER_ASSIGNED_IDS } from '../directories/directory.js';
import type { AuditStore, Clock, Random, User, UserProfile } from '../ports.js';
import { parseSignInName } from './username.js';

export interface ExternalUserStore {
  findExternal(directoryId: string, externalId: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  update(user: User): Promise<void>;
}

export interface ExternalGroupLinks {
  findExternal(directoryId: string, externalId: string): Promise<{ id: string } | undefined>;
  get(id: string): Promise<{ roles: readonly string[] } | undefined>;
  addMember(groupId: string, userId: string): Promise<unknown>;
  setExternalMemberships(userId: string, directoryId: string, groupIds: readonly string[]): Promise<{ added: string[]; removed: string[] }>;
}

export interface ExternalUsersDeps {
  users: ExternalUserStore;
  groups: ExternalGroupLinks;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
  random: Random;
  /** The user left external groups of the directory: what their roles opened ends. */
  onGroupsLeft(userId: string): Promise<void>;
  /** Another directory's settings, to tell whether it is a replica of this one. */
  directory(id: string): Promise<Directory | undefined>;
  /** The configured directories' domains (a name that reads as qualified by one is not kept bare). */
  domains(): Promise<string[]>;
}

/** The base DN a directory's users are found under, compared case- and space-insensitively. */
function userBase(d: Directory): string {
  const base = d.users.kind === 'search' ? d.users.baseDn : d.users.dnTemplate.slice(d.users.dnTemplate.indexOf(',') + 1);
  return base
    .toLowerCase()
    .replace(/\s*([,=+])\s*/g, '$1')
    .trim();
}

/**
 * Two directories are replicas of one another when they hold the same naming context (the same user
 * base DN, as their administrator configured it) and identify users by the same id the server
 * assigns itself (an entry cannot be given it by hand through the ordinary protocol). A directory
 * with another base DN, or a settable id attribute such as employeeNumber, never signs in another
 * directory's users, whatever ids its entries present.
 */
export function areReplicas(a: Directory, b: Directory): boolean {
  const id = a.attributes.uniqueId.toLowerCase();
  return SERVER_ASSIGNED_IDS.has(id) && id === b.attributes.uniqueId.toLowerCase() && userBase(a) === userBase(b);
}

/** Why an entry the directory vouched for does not become a signed-in user. */
export type ExternalRefusal =
  /** No Latchkey user yet, and this directory does not create users at sign-in. */
  | 'not_created'
  /** The Latchkey user is disabled. */
  | 'disabled'
  /** Neither the directory's username nor its domain-qualified form is free. */
  | 'username_taken'
  /** The entry's unique id is longer than MAX_EXTERNAL_ID_BYTES: it cannot be kept. */
  | 'id_too_long'
  /** The directory's username holds control, format or separator characters: it would not show as it is. */
  | 'bad_username';

export type ExternalUserResult = { kind: 'user'; user: User; created: boolean } | { kind: 'refused'; refusal: ExternalRefusal };

/** Longest text kept from a directory attribute (the console and the claims show it). */
const MAX_TEXT = 200;
/** The same address rule as the admin API's (zod's e-mail check), within RFC 5321 §4.5.3.1's length. */
const EMAIL = z.email().max(254);

/**
 * What a kept value never holds: control characters (C0, DEL and C1), the bidi embeddings,
 * overrides, isolates and marks that would reorder the text around it (Unicode UAX #9), and line
 * and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** A directory value as Latchkey keeps it: no control or bidi characters, at most MAX_TEXT characters (never cut inside one); empty: absent. */
export function cleanText(value: string | null): string | null {
  if (value === null) return null;
  const text = value.replace(UNSAFE_TEXT, '').trim();
  if (text === '') return null;
  // Counted in code points: a cut between the two halves of a surrogate pair would leave half a character.
  const chars = [...text];
  return chars.length <= MAX_TEXT ? text : chars.slice(0, MAX_TEXT).join('').trimEnd();
}

/**
 * The directory's username as a Latchkey username: without the leading and trailing spaces LDAP
 * matching ignores (RFC 4518 §2.6.1), so that `ops ` is not kept as a second "ops"; null when it
 * holds control, format (bidi, zero-width) or separator characters, which no name needs and which
 * would make it look like another.
 */
export function directoryName(username: string): string | null {
  const name = username.trim();
  return name === '' || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name) ? null : name;
}

function cleanEmail(value: string | null): string | null {
  const text = cleanText(value);
  return text !== null && EMAIL.safeParse(text).success ? text : null;
}

export interface ExternalUsers {
  /**
   * `mode`: `sign-in` creates a user only when the directory says so; `import` always creates;
   * `sync` only updates users that exist.
   */
  resolve(directory: Directory, entry: DirectoryEntry, mode: 'sign-in' | 'import' | 'sync'): Promise<ExternalUserResult | { kind: 'absent' }>;
}

export function externalUsers(d: ExternalUsersDeps): ExternalUsers {
  const attributes = (directory: Directory, entry: DirectoryEntry) => {
    const givenName = cleanText(entry.givenName);
    const familyName = cleanText(entry.familyName);
    return {
      displayName: cleanText(entry.displayName) ?? cleanText(entry.username) ?? '',
      email: cleanEmail(entry.email),
      emailVerified: directory.emailVerified,
      givenName,
      familyName,
    };
  };

  /** The user this entry is: by the directory's unique id; or a replica's user carrying the same id. */
  const existing = async (directory: Directory, entry: DirectoryEntry): Promise<User | undefined> => {
    const own = await d.users.findExternal(directory.id, entry.uniqueId);
    if (own) return own;
    const name = directoryName(entry.username);
    const named = name === null ? undefined : await d.users.findByUsername(name);
    if (!named?.source || named.source.externalId !== entry.uniqueId) return undefined;
    // The same name and id from another directory: only a replica of the user's own directory.
    const home = await d.directory(named.source.directoryId);
    return home !== undefined && areReplicas(home, directory) ? named : undefined;
  };

  const freeName = async (directory: Directory, username: string): Promise<string | null> => {
    // `zed@lab` or `LAB\zed` from another directory would read as lab's zed at sign-in and in the
    // console: such a name is kept qualified by its own domain (`zed@lab@corp`, read as corp's).
    const domains = await d.domains();
    const readsAs = (candidate: string) => parseSignInName(candidate, domains);
    const own = (candidate: string) => {
      const r = readsAs(candidate);
      return r.domain === directory.domain.toLowerCase() && r.username === username;
    };
    const candidates = [
      ...(readsAs(username).domain === null ? [username] : []),
      ...[`${username}@${directory.domain}`, `${directory.domain}\\${username}`].filter(own).slice(0, 1),
    ];
    for (const candidate of candidates) if (!(await d.users.findByUsername(candidate))) return candidate;
    return null;
  };

  const followGroups = async (directory: Directory, user: User, entry: DirectoryEntry) => {
    const ids: string[] = [];
    for (const g of entry.groups) {
      const group = await d.groups.findExternal(directory.id, g.dn);
      if (group) ids.push(group.id);
    }
    const changed = await d.groups.setExternalMemberships(user.id, directory.id, ids);
    // Leaving a group without roles takes nothing away: no cut-off for it.
    for (const id of changed.removed) {
      if (((await d.groups.get(id))?.roles.length ?? 0) > 0) {
        await d.onGroupsLeft(user.id);
        return;
      }
    }
  };

  return {
    async resolve(directory, entry, mode) {
      const now = d.clock.now();
      const a = attributes(directory, entry);
      const found = await existing(directory, entry);
      if (found) {
        if (!found.enabled && mode === 'sign-in') return { kind: 'refused', refusal: 'disabled' };
        const profile: UserProfile = { ...found.profile };
        if (a.givenName === null) delete profile.givenName;
        else profile.givenName = a.givenName;
        if (a.familyName === null) delete profile.familyName;
        else profile.familyName = a.familyName;
        const source = found.source?.directoryId === directory.id ? { ...found.source, dn: entry.dn } : found.source;
        const changed =
          found.displayName !== a.displayName ||
          found.email !== a.email ||
          (found.emailVerified ?? false) !== a.emailVerified ||
          found.profile?.givenName !== profile.givenName ||
          found.profile?.familyName !== profile.familyName ||
          found.source?.dn !== source?.dn;
        const { groupRoles: _derived, ...stored } = found;
        const updated: User = {
          ...stored,
          displayName: a.displayName,
          email: a.email,
          emailVerified: a.emailVerified,
          profile,
          ...(source ? { source } : {}),
          lastSyncAt: now,
          ...(changed ? { updatedAt: now, profileUpdatedAt: now } : {}),
        };
        await d.users.update(updated);
        if (found.source?.directoryId === directory.id) await followGroups(directory, updated, entry);
        return { kind: 'user', user: updated, created: false };
      }
      if (mode === 'sync') return { kind: 'absent' };
      if (mode === 'sign-in' && !directory.createUsersOnSignIn) return { kind: 'refused', refusal: 'not_created' };
      if (!fitsExternalId(entry.uniqueId)) return { kind: 'refused', refusal: 'id_too_long' };
      const name = directoryName(entry.username);
      if (name === null) return { kind: 'refused', refusal: 'bad_username' };
      const username = await freeName(directory, name);
      if (username === null) return { kind: 'refused', refusal: 'username_taken' };
      const profile: UserProfile = {
        ...(a.givenName !== null ? { givenName: a.givenName } : {}),
        ...(a.familyName !== null ? { familyName: a.familyName } : {}),
      };
      const user: User = {
        id: randomToken(d.random, 128),
        username,
        displayName: a.displayName,
        email: a.email,
        emailVerified: a.emailVerified,
        passwordHash: null,
        enabled: true,
        roles: [],
        createdAt: now,
        updatedAt: now,
        lastSignInAt: null,
        profile,
        profileUpdatedAt: now,
        source: { kind: 'directory', directoryId: directory.id, domain: directory.domain, externalId: entry.uniqueId, dn: entry.dn },
        lastSyncAt: now,
      };
      await d.users.insert(user);
      if (mode === 'sign-in' && directory.defaultGroupId !== null) await d.groups.addMember(directory.defaultGroupId, user.id);
      await followGroups(directory, user, entry);
      await d.audit.append({
        at: now,
        actor: `directory:${directory.domain}`,
        source: 'directory',
        action: mode === 'import' ? 'user.import' : 'user.create',
        targetType: 'user',
        target: user.username,
        details: { domain: directory.domain, dn: entry.dn.slice(0, 500) },
      });
      return { kind: 'user', user, created: true };
    },
  };
}
