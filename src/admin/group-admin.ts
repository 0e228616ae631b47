import { z } from 'zod';
import { randomToken } from '../core/crypto/random.js';
import { type Directory, type DirectoryGroupRef, fitsExternalId } from '../core/directories/directory.js';
import type { AuditStore, Clock, Random, User } from '../core/ports.js';
import { DuplicateKeyError, LastHolderError, StaleWriteError } from '../core/ports.js';
import { cleanText } from '../core/sign-in/external-users.js';
import { ADMINISTRATOR_ROLES, type Authority, decideRoleGrant } from '../core/users/authorization.js';
import type { Group, GroupStore } from '../core/users/groups.js';
import { isRoleId, ROLES } from '../core/users/permissions.js';
import { zodProblems } from '../core/validation.js';
import { type Actor, AdminError } from './errors.js';

export interface GroupAdminDeps {
  groups: GroupStore;
  users: {
    get(id: string): Promise<User | undefined>;
    findByUsername(name: string): Promise<User | undefined>;
    list(query: { directoryId?: string; limit: number; offset: number }): Promise<{ items: User[]; total: number }>;
  };
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
  random: Random;
  /** A member gained or lost a group with roles: their sessions and tokens follow (role removal cuts off). */
  onRolesChanged(userIds: readonly string[], removed: boolean): Promise<void>;
}

export interface GroupActor extends Actor {
  authority: Authority;
}

const roleList = z.array(z.string().max(64)).max(20);

export const groupInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(1000).optional(),
    roles: roleList.optional(),
  })
  .strict();
export const groupPatchSchema = groupInputSchema.partial().strict();

export const groupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(['native', 'external']),
  directory_id: z.string().nullable(),
  external_id: z.string().nullable(),
  roles: z.array(z.string()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type GroupView = z.infer<typeof groupViewSchema>;
export type { Group } from '../core/users/groups.js';

/** Changes that take roles away keep the last enabled holder of configure_server one. */
const KEEP_ADMINISTRATOR = { enabledHolderOf: ADMINISTRATOR_ROLES };

function lastHolder(err: unknown): never {
  if (err instanceof LastHolderError)
    throw new AdminError(409, 'last_administrator', 'this would leave no enabled user holding configure_server; give it to another user first');
  throw err;
}

export function groupView(g: Group): GroupView {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    kind: g.source ? 'external' : 'native',
    directory_id: g.source?.directoryId ?? null,
    external_id: g.source?.externalId ?? null,
    roles: [...g.roles],
    created_at: new Date(g.createdAt).toISOString(),
    updated_at: new Date(g.updatedAt).toISOString(),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Groups and their roles. Reading needs manage_users or manage_roles; roles need manage_roles (checked here). */
export class GroupAdmin {
  constructor(private readonly d: GroupAdminDeps) {}

  list(query: { search?: string; kind?: 'native' | 'external'; limit: number; offset: number }) {
    return this.d.groups.list(query);
  }

  async get(id: string): Promise<Group> {
    const g = await this.d.groups.get(id);
    if (!g) throw AdminError.notFound('group');
    return g;
  }

  async create(raw: unknown, actor: GroupActor): Promise<Group> {
    const parsed = groupInputSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const input = parsed.data;
    const roles = this.roles(input.roles ?? [], actor);
    const now = this.d.clock.now();
    const group: Group = {
      id: randomToken(this.d.random, 96),
      name: this.name(input.name),
      description: (input.description ?? '').trim(),
      source: null,
      roles,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.d.groups.insert(group);
    } catch (err) {
      if (err instanceof DuplicateKeyError)
        throw new AdminError(409, 'conflict', `a native group named "${group.name}" exists`, [{ field: 'name', message: 'is taken' }]);
      throw err;
    }
    await this.record(actor, 'group.create', group, { roles });
    return group;
  }

  /** An external group's name and members follow its directory; only its roles and description are edited here. */
  async update(id: string, raw: unknown, actor: GroupActor): Promise<Group> {
    const parsed = groupPatchSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const p = parsed.data;
    const before = await this.get(id);
    if (before.source && p.name !== undefined && p.name !== before.name) {
      throw new AdminError(409, 'external_group', 'the name of an external group follows its directory', [{ field: 'name', message: 'follows the directory' }]);
    }
    const roles = p.roles === undefined ? before.roles : this.roles(p.roles, actor, before.roles);
    const after: Group = {
      ...before,
      name: p.name === undefined ? before.name : this.name(p.name),
      description: p.description === undefined ? before.description : p.description.trim(),
      roles,
      updatedAt: Math.max(this.d.clock.now(), before.updatedAt + 1),
    };
    try {
      await this.d.groups.update(after, { ifUpdatedAt: before.updatedAt, ...KEEP_ADMINISTRATOR });
    } catch (err) {
      if (err instanceof LastHolderError) lastHolder(err);
      if (err instanceof DuplicateKeyError)
        throw new AdminError(409, 'conflict', `a native group named "${after.name}" exists`, [{ field: 'name', message: 'is taken' }]);
      if (err instanceof StaleWriteError) throw new AdminError(409, 'conflict', 'the group changed meanwhile; load it again');
      throw err;
    }
    const removed = before.roles.some((r) => !roles.includes(r));
    if (removed || roles.some((r) => !before.roles.includes(r))) await this.d.onRolesChanged(await this.allMembers(id), removed);
    await this.record(actor, 'group.update', after, { fields: Object.keys(p), roles });
    return after;
  }

  async remove(id: string, actor: GroupActor): Promise<void> {
    const g = await this.get(id);
    if (g.roles.length > 0) this.roles([], actor, g.roles);
    const members = await this.allMembers(id);
    await this.d.groups.remove(id, KEEP_ADMINISTRATOR).catch(lastHolder);
    if (g.roles.length > 0) await this.d.onRolesChanged(members, true);
    await this.record(actor, 'group.remove', g, {});
  }

  async members(id: string, page: { limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
    await this.get(id);
    const ids = await this.d.groups.members(id, page);
    const users = await Promise.all(ids.items.map((u) => this.d.users.get(u)));
    return { items: users.filter((u): u is User => u !== undefined), total: ids.total };
  }

  /** Native groups only; joining a group with roles grants them, so it is decided like a role grant. */
  async addMember(id: string, username: string, actor: GroupActor): Promise<void> {
    const g = await this.native(id);
    const user = await this.user(username);
    if (g.roles.length > 0) this.roles(g.roles, actor);
    await this.d.groups.addMember(id, user.id);
    if (g.roles.length > 0) await this.d.onRolesChanged([user.id], false);
    await this.record(actor, 'group.add_member', g, { user: user.username });
  }

  async removeMember(id: string, username: string, actor: GroupActor): Promise<void> {
    const g = await this.native(id);
    const user = await this.user(username);
    if (g.roles.length > 0) this.roles([], actor, g.roles);
    await this.d.groups.removeMember(id, user.id, KEEP_ADMINISTRATOR).catch(lastHolder);
    if (g.roles.length > 0) await this.d.onRolesChanged([user.id], true);
    await this.record(actor, 'group.remove_member', g, { user: user.username });
  }

  /** Imports directory groups as external groups (their members join as their users sign in or sync). */
  async importExternal(directory: Directory, found: readonly DirectoryGroupRef[], actor: Actor): Promise<Group[]> {
    const out: Group[] = [];
    for (const ref of found) {
      if (!fitsExternalId(ref.dn)) continue;
      const existing = await this.d.groups.findExternal(directory.id, ref.dn);
      const name = this.name(cleanText(ref.name) ?? cleanText(ref.dn) ?? ref.dn);
      if (existing && existing.name !== name) {
        // Importing again brings the directory's current name.
        const renamed: Group = { ...existing, name, updatedAt: Math.max(this.d.clock.now(), existing.updatedAt + 1) };
        try {
          await this.d.groups.update(renamed, { ifUpdatedAt: existing.updatedAt });
          await this.record(actor, 'group.rename', renamed, { from: existing.name.slice(0, 200) });
          out.push(renamed);
        } catch (err) {
          if (!(err instanceof StaleWriteError)) throw err;
          out.push(existing);
        }
        continue;
      }
      if (existing) {
        out.push(existing);
        continue;
      }
      const now = this.d.clock.now();
      const group: Group = {
        id: randomToken(this.d.random, 96),
        // The directory's name as plain text (no control or bidi characters), as for users' names.
        name,
        description: '',
        source: { directoryId: directory.id, externalId: ref.dn },
        roles: [],
        createdAt: now,
        updatedAt: now,
      };
      try {
        await this.d.groups.insert(group);
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        const raced = await this.d.groups.findExternal(directory.id, ref.dn);
        if (raced) out.push(raced);
        continue;
      }
      await this.record(actor, 'group.import', group, { domain: directory.domain, dn: ref.dn.slice(0, 500) });
      out.push(group);
    }
    return out;
  }

  /** Links the directory's already-imported users whose DN is among the group's members. */
  async linkMembers(group: Group, memberDns: readonly string[], directoryId: string): Promise<void> {
    const dns = new Set(memberDns.map((x) => x.toLowerCase()));
    for (let offset = 0; ; offset += 500) {
      const page = await this.d.users.list({ directoryId, limit: 500, offset });
      for (const u of page.items) if (u.source && dns.has(u.source.dn.toLowerCase())) await this.d.groups.addMember(group.id, u.id);
      if (page.items.length < 500) return;
    }
  }

  private async allMembers(id: string): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.d.groups.members(id, { limit: 500, offset });
      out.push(...page.items);
      if (page.items.length < 500) return out;
    }
  }

  private async native(id: string): Promise<Group> {
    const g = await this.get(id);
    if (g.source) throw new AdminError(409, 'external_group', 'the members of an external group follow its directory and cannot be edited here');
    return g;
  }

  private async user(username: string): Promise<User> {
    const user = await this.d.users.findByUsername(username);
    if (!user) throw AdminError.notFound('user');
    return user;
  }

  private name(raw: string): string {
    const name = raw.trim();
    if (name === '' || CONTROL.test(name)) throw AdminError.invalid([{ field: 'name', message: 'is required and has no control characters' }]);
    return name.slice(0, 200);
  }

  /** The roles after the change, when the actor may grant (and take away) them. */
  private roles(roles: readonly string[], actor: GroupActor, before: readonly string[] = []): string[] {
    const bad = roles.filter((r) => !isRoleId(r));
    if (bad.length > 0) throw AdminError.invalid([{ field: 'roles', message: `unknown role ${bad.join(', ')} (known: ${ROLES.map((r) => r.id).join(', ')})` }]);
    const unique = [...new Set(roles)].sort();
    // Taking a role away counts as granting it: only who may hold it decides (the security rule).
    const touched = [...new Set([...unique.filter((r) => !before.includes(r)), ...before.filter((r) => !unique.includes(r))])];
    if (touched.length > 0) {
      const decision = decideRoleGrant(actor.authority, touched);
      if (!decision.allowed) throw new AdminError(403, 'forbidden', decision.message);
    }
    return unique;
  }

  private record(actor: Actor, action: string, g: Group, details: Record<string, unknown>): Promise<void> {
    return this.d.audit.append({ at: this.d.clock.now(), actor: actor.name, source: actor.source, action, targetType: 'group', target: g.name, details });
  }
}
