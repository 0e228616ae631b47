import { firstRdnValue } from '../adapters/ldap/dn.js';
import { type Directory, type DirectoryClient, type DirectoryEntry, type DirectoryGroupRef, fitsExternalId } from '../core/directories/directory.js';
import type { AuditStore, Clock, User } from '../core/ports.js';
import type { ExternalUsers } from '../core/sign-in/external-users.js';
import type { DirectoryAdmin } from './directory-admin.js';
import { type Actor, AdminError } from './errors.js';
import type { Group, GroupAdmin } from './group-admin.js';
import type { UserActor, UserAdmin } from './user-admin.js';

export interface DirectoryImportDeps {
  directories: DirectoryAdmin;
  client: DirectoryClient;
  external: ExternalUsers;
  groups: GroupAdmin;
  users: {
    list(query: { directoryId?: string; limit: number; offset: number }): Promise<{ items: User[]; total: number }>;
    update(user: User): Promise<void>;
  };
  /** Disables a user whose entry left the directory, through the user use cases (sessions and tokens end). */
  disable(user: User, reason: string): Promise<void>;
  /** The user use cases: who may convert a user, and the conversion itself. */
  userAdmin: Pick<UserAdmin, 'getByUsername' | 'linkToDirectory'>;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
}

export interface ImportResult {
  users: User[];
  groups: Group[];
  notFound: string[];
}

export interface SyncReport {
  checked: number;
  updated: number;
  disabled: number;
  unavailable: boolean;
}

/** The name a directory knows a user by: a name made unique with `@domain` loses it again. */
export function directoryUsername(user: User, directory: Directory): string {
  const suffix = `@${directory.domain}`;
  return user.username.toLowerCase().endsWith(suffix) ? user.username.slice(0, -suffix.length) : user.username;
}

/** Import from a directory, and the re-sync of what was imported. */
export class DirectoryImport {
  constructor(private readonly d: DirectoryImportDeps) {}

  async importUsers(directoryId: string, usernames: readonly string[], actor: Actor): Promise<{ users: User[]; notFound: string[] }> {
    const directory = await this.d.directories.get(directoryId);
    const users: User[] = [];
    const notFound: string[] = [];
    for (const name of usernames) {
      const found = await this.d.client.lookup(directory, name);
      if (found.kind === 'unavailable') throw new AdminError(409, 'directory_unavailable', `the directory could not be asked: ${found.reason}`);
      if (found.kind === 'missing') {
        notFound.push(name);
        continue;
      }
      const r = await this.d.external.resolve(directory, found.entry, 'import');
      if (r.kind === 'user') users.push(r.user);
      else notFound.push(name);
    }
    await this.record(actor, directory, { users: users.map((u) => u.username), not_found: notFound.length });
    return { users, notFound };
  }

  async importGroups(directoryId: string, dns: readonly string[], actor: Actor): Promise<{ groups: Group[]; notFound: string[] }> {
    const directory = await this.d.directories.get(directoryId);
    if (dns.length === 0) return { groups: [], notFound: [] };
    // Each DN is looked for under its own name (its first RDN's value), so that a group is found
    // however many others the directory lists before it: a search reads at most 1,000 groups,
    // and servers often fewer (OpenLDAP's default size limit is 500).
    const nameAttribute = directory.groups.kind === 'none' ? null : directory.groups.nameAttribute;
    const queries = new Set(dns.map((dn) => groupQuery(dn, nameAttribute)));
    const found = new Map<string, DirectoryGroupRef & { memberDns: string[] }>();
    for (const query of queries) {
      for (const g of await this.d.directories.searchGroups(directoryId, query, 1000)) if (!found.has(g.dn.toLowerCase())) found.set(g.dn.toLowerCase(), g);
    }
    const wanted = new Set(dns.map((x) => x.toLowerCase()));
    // A DN too long to keep as an external id is reported as not found.
    const refs = [...found.values()].filter((g) => wanted.has(g.dn.toLowerCase()) && fitsExternalId(g.dn));
    const seen = new Set(refs.map((g) => g.dn.toLowerCase()));
    const groups = await this.d.groups.importExternal(directory, refs, actor);
    for (const [i, group] of groups.entries()) {
      const ref = refs[i];
      if (ref) await this.d.groups.linkMembers(group, ref.memberDns, directory.id);
    }
    await this.record(actor, directory, { groups: groups.map((g) => g.name) });
    return { groups, notFound: dns.filter((x) => !seen.has(x.toLowerCase())) };
  }

  private record(actor: Actor, directory: Directory, details: Record<string, unknown>): Promise<void> {
    return this.d.audit.append({
      at: this.d.clock.now(),
      actor: actor.name,
      source: actor.source,
      action: 'directory.import',
      targetType: 'directory',
      target: directory.domain,
      details,
    });
  }

  /** Internal → external: links an internal user to the entry of the same name in this directory. */
  async convertToExternal(directoryId: string, username: string, actor: UserActor): Promise<User> {
    const directory = await this.d.directories.get(directoryId);
    const user = await this.d.userAdmin.getByUsername(username);
    const found = await this.d.client.lookup(directory, username);
    if (found.kind === 'unavailable') throw new AdminError(409, 'directory_unavailable', `the directory could not be asked: ${found.reason}`);
    if (found.kind === 'missing') throw new AdminError(404, 'not_found', `the directory ${directory.domain} has no entry "${username}"`);
    const linked = await this.d.userAdmin.linkToDirectory(
      user,
      { kind: 'directory', directoryId: directory.id, domain: directory.domain, externalId: found.entry.uniqueId, dn: found.entry.dn },
      actor,
    );
    const r = await this.d.external.resolve(directory, found.entry, 'sync');
    return r.kind === 'user' ? r.user : linked;
  }

  /** Attributes and groups of every user imported from this directory; a user gone from it is disabled. */
  async sync(directory: Directory): Promise<SyncReport> {
    const report: SyncReport = { checked: 0, updated: 0, disabled: 0, unavailable: false };
    for (let offset = 0; ; offset += 200) {
      const page = await this.d.users.list({ directoryId: directory.id, limit: 200, offset });
      for (const user of page.items) {
        if (!user.enabled) continue;
        report.checked++;
        let found = await this.d.client.lookup(directory, directoryUsername(user, directory));
        // A renamed entry keeps its unique id: it is looked for by that before the user counts as gone.
        if (found.kind !== 'unavailable' && (found.kind === 'missing' || found.entry.uniqueId !== user.source?.externalId)) {
          found = user.source ? await this.d.client.lookupById(directory, user.source.externalId) : { kind: 'missing' };
        }
        if (found.kind === 'unavailable') {
          report.unavailable = true;
          return report;
        }
        if (found.kind === 'missing') {
          await this.d.disable(user, 'gone from the directory');
          report.disabled++;
          continue;
        }
        const r = await this.d.external.resolve(directory, found.entry, 'sync');
        if (r.kind === 'user' && r.user.updatedAt !== user.updatedAt) report.updated++;
      }
      if (page.items.length < 200) return report;
    }
  }
}

/** The name to search a group DN under: its first RDN's value when that is the name attribute, else every group. */
function groupQuery(dn: string, nameAttribute: string | null): string {
  const name = nameAttribute === null ? null : firstRdnValue(dn, nameAttribute);
  // Longer names are not searched for by the client (MAX_USERNAME_LENGTH).
  return name === null || name.length > 256 ? '' : name;
}

export function entryView(e: DirectoryEntry, importedAs: string | null) {
  return {
    dn: e.dn,
    unique_id: e.uniqueId,
    username: e.username,
    display_name: e.displayName,
    email: e.email,
    given_name: e.givenName,
    family_name: e.familyName,
    groups: e.groups.map((g) => ({ dn: g.dn, name: g.name })),
    imported_as: importedAs,
  };
}
