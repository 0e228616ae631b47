import { z } from 'zod';
import { hashPassword } from '../adapters/argon2.js';
import { randomToken } from '../core/crypto/random.js';
import type { AuditStore, Clock, Random, User, UserCutOff, UserListQuery, UserStore } from '../core/ports.js';
import { DuplicateKeyError, LastHolderError, StaleWriteError } from '../core/ports.js';
import { ADMINISTRATOR_ROLES, type Authority, decideUserChange, type UserChange, type UserDecision } from '../core/users/authorization.js';
import type { GroupStore } from '../core/users/groups.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../core/users/password.js';
import { isRoleId, ROLES } from '../core/users/permissions.js';
import { zodProblems } from '../core/validation.js';
import { type Actor, AdminError } from './errors.js';
import { applyProfile, claimsChanged, PROFILE_SHAPE, PROFILE_VIEW_SHAPE, viewProfile } from './user-profile.js';

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH);
const username = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._@-]+$/, 'may contain letters, digits and . _ @ - only');

/** Setting a password: the body the admin API takes; setPassword checks the password with it. */
export const passwordBodySchema = z.object({ password });

export const userInputSchema = z
  .object({
    username,
    display_name: z.string().max(200).optional(),
    email: z.string().email().max(320).nullable().optional(),
    password,
    roles: z.array(z.string()).max(10).optional(),
    enabled: z.boolean().optional(),
    ...PROFILE_SHAPE,
  })
  .strict();

export const userPatchSchema = z
  .object({
    display_name: z.string().max(200).optional(),
    email: z.string().email().max(320).nullable().optional(),
    enabled: z.boolean().optional(),
    roles: z.array(z.string()).max(10).optional(),
    ...PROFILE_SHAPE,
  })
  .strict();

/** A user as the admin API shows it (never the password). */
export const userViewSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string(),
    email: z.string().nullable(),
    enabled: z.boolean(),
    roles: z.array(z.string()),
    created_at: z.iso.datetime(),
    last_sign_in_at: z.iso.datetime().nullable(),
    source: z
      .object({ directory_id: z.string(), domain: z.string(), dn: z.string() })
      .nullable()
      .describe('The directory an external user comes from; null for an internal user'),
    group_roles: z.array(z.string()).describe("Roles the user's groups give"),
    last_sync_at: z.iso.datetime().nullable().describe('When the directory was last read for this user'),
    ...PROFILE_VIEW_SHAPE,
  })
  .describe('A user as shown (never the password)');
export type UserView = z.output<typeof userViewSchema>;

export function viewUser(u: User): UserView {
  return {
    id: u.id,
    username: u.username,
    display_name: u.displayName,
    email: u.email,
    enabled: u.enabled,
    roles: u.roles,
    created_at: new Date(u.createdAt).toISOString(),
    last_sign_in_at: u.lastSignInAt === null ? null : new Date(u.lastSignInAt).toISOString(),
    source: u.source ? { directory_id: u.source.directoryId, domain: u.source.domain, dn: u.source.dn } : null,
    group_roles: u.groupRoles ?? [],
    last_sync_at: u.lastSyncAt === undefined ? null : new Date(u.lastSyncAt).toISOString(),
    ...viewProfile(u),
  };
}

/** Who changes users: every use case checks the user administration rule for this authority. */
export interface UserActor extends Actor {
  authority: Authority;
  /** The sign-in session (sid) the actor acts from: kept when they change their own account. */
  sessionSid?: string;
}

const changedMeanwhile = () => new AdminError(409, 'conflict', 'the user was changed meanwhile; reload and try again');

type Allowed = Extract<UserDecision, { allowed: true }>;
type Refused = Extract<UserDecision, { allowed: false }>;

export interface UserAdminDeps {
  users: UserStore;
  audit: AuditStore;
  clock: Clock;
  random: Random;
  /** Called when a user is disabled, given a password or loses a role: ends their sessions and tokens. */
  onCutOff: Array<(userId: string, cut: UserCutOff) => Promise<void>>;
  /** A user who leaves their directory leaves its external groups too. */
  groups: Pick<GroupStore, 'setExternalMemberships'>;
}

export class UserAdmin {
  constructor(private readonly deps: UserAdminDeps) {}

  async create(raw: unknown, actor: UserActor): Promise<User> {
    const parsed = userInputSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const input = parsed.data;
    const roles = this.checkRoles(input.roles ?? []);
    await this.authorize(actor, { kind: 'create', roles }, input.username);
    const now = this.deps.clock.now();
    const user: User = {
      id: randomToken(this.deps.random, 128),
      username: input.username,
      displayName: input.display_name ?? input.username,
      email: input.email ?? null,
      passwordHash: await hashPassword(input.password),
      enabled: input.enabled ?? true,
      roles,
      createdAt: now,
      updatedAt: now,
      lastSignInAt: null,
      profile: applyProfile(undefined, input),
      profileUpdatedAt: now,
    };
    try {
      await this.deps.users.insert(user);
    } catch (err) {
      if (err instanceof DuplicateKeyError)
        throw new AdminError(409, 'conflict', `username "${input.username}" is taken`, [{ field: 'username', message: 'is taken' }]);
      throw err;
    }
    await this.record(actor, 'user.create', user, { roles });
    return user;
  }

  /** A page of users, for an actor who may read them. */
  async list(query: UserListQuery, actor: UserActor): Promise<{ items: User[]; total: number }> {
    await this.authorize(actor, { kind: 'read' }, null);
    return this.deps.users.list(query);
  }

  /** One user, for an actor who may read users. */
  async read(username: string, actor: UserActor): Promise<User> {
    await this.authorize(actor, { kind: 'read' }, username);
    return this.getByUsername(username);
  }

  async getByUsername(name: string): Promise<User> {
    const user = await this.deps.users.findByUsername(name);
    if (!user) throw AdminError.notFound('user');
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.deps.users.get(id);
    if (!user) throw AdminError.notFound('user');
    return user;
  }

  async update(user: User, raw: unknown, actor: UserActor): Promise<User> {
    const parsed = userPatchSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const p = parsed.data;
    const roles = p.roles === undefined ? undefined : this.checkRoles(p.roles);
    const profile = Object.keys(p).some((k) => k !== 'enabled' && k !== 'roles');
    const change: UserChange = { kind: 'update', target: user, enabled: p.enabled, roles, profile };
    const decision = await this.authorize(actor, change, user.username);
    const next: User = {
      ...user,
      displayName: p.display_name ?? user.displayName,
      email: p.email === undefined ? user.email : p.email,
      // A new address is not one the directory vouched for.
      emailVerified: p.email === undefined || p.email === user.email ? user.emailVerified === true : false,
      enabled: p.enabled ?? user.enabled,
      roles: roles ?? user.roles,
      updatedAt: this.nextUpdatedAt(user),
      profile: applyProfile(user.profile, p),
    };
    // OIDC updated_at moves with the claims only, not with roles or status.
    if (claimsChanged(user, next)) next.profileUpdatedAt = next.updatedAt;
    try {
      // Written only if the user is still as the decision saw them.
      await this.deps.users.update(next, { ifUpdatedAt: user.updatedAt, ...(decision.keepAdministrator ? { enabledHolderOf: ADMINISTRATOR_ROLES } : {}) });
    } catch (err) {
      if (err instanceof StaleWriteError) throw changedMeanwhile();
      if (!(err instanceof LastHolderError)) throw err;
      // Another change took the other administrator away meanwhile: the rule's answer with none left.
      const again = decideUserChange({ actor: actor.authority, change, otherAdministrators: 0 });
      throw again.allowed ? err : await this.refused(actor, user.username, change, again);
    }
    await this.record(actor, 'user.update', next, { changed: Object.keys(p) });
    const removed = user.roles.filter((r) => !next.roles.includes(r));
    if (user.enabled && !next.enabled) await this.cutOff(user, actor, 'disabled');
    else if (removed.length > 0) await this.cutOff(user, actor, 'roles_removed');
    return next;
  }

  setEnabled(user: User, enabled: boolean, actor: UserActor): Promise<User> {
    return this.update(user, { enabled }, actor);
  }

  /** Sets a password (an administrator's reset, or the user's own change) and ends what the old one opened. */
  async setPassword(user: User, newPassword: unknown, actor: UserActor): Promise<void> {
    await this.authorize(actor, { kind: 'set_password', target: user }, user.username);
    const parsed = passwordBodySchema.shape.password.safeParse(newPassword);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error).map((f) => ({ ...f, field: 'password' })));
    const hash = await hashPassword(parsed.data);
    try {
      if (user.source) {
        // External → internal: with a password of its own the user no longer follows a directory.
        const { groupRoles: _derived, source: _source, lastSyncAt: _synced, ...rest } = user;
        await this.deps.users.update({ ...rest, passwordHash: hash, updatedAt: this.nextUpdatedAt(user) }, { ifUpdatedAt: user.updatedAt });
        await this.deps.groups.setExternalMemberships(user.id, user.source.directoryId, []);
      } else {
        await this.deps.users.setPasswordHash(user.id, hash, this.nextUpdatedAt(user), { ifUpdatedAt: user.updatedAt });
      }
    } catch (err) {
      throw err instanceof StaleWriteError ? changedMeanwhile() : err;
    }
    await this.record(actor, 'user.set_password', user, user.source ? { converted: 'internal', domain: user.source.domain } : {});
    await this.cutOff(user, actor, 'password_set');
  }

  /**
   * Internal → external: the user signs in through the directory from now on, with no password
   * of their own. The same authority as setting a password; it ends the user's sessions and tokens.
   */
  async linkToDirectory(user: User, source: NonNullable<User['source']>, actor: UserActor): Promise<User> {
    if (user.source) throw new AdminError(409, 'conflict', `${user.username} already comes from the directory ${user.source.domain}`);
    await this.authorize(actor, { kind: 'set_password', target: user }, user.username);
    const { groupRoles: _derived, ...rest } = user;
    const next: User = { ...rest, source, passwordHash: null, updatedAt: this.nextUpdatedAt(user) };
    try {
      await this.deps.users.update(next, { ifUpdatedAt: user.updatedAt });
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new AdminError(409, 'conflict', 'that directory entry is already another user');
      throw err instanceof StaleWriteError ? changedMeanwhile() : err;
    }
    await this.record(actor, 'user.convert', user, { converted: 'external', domain: source.domain, dn: source.dn.slice(0, 500) });
    await this.cutOff(user, actor, 'password_set');
    return next;
  }

  async grantRole(user: User, role: string, actor: UserActor): Promise<User> {
    const [checked] = this.checkRoles([role]);
    if (checked === undefined || user.roles.includes(checked)) return user;
    return this.update(user, { roles: [...user.roles, checked] }, actor);
  }

  async revokeRole(user: User, role: string, actor: UserActor): Promise<User> {
    return this.update(user, { roles: user.roles.filter((r) => r !== role) }, actor);
  }

  /** Applies the user administration rule (src/core/users/authorization.ts); refusals are audited. */
  private async authorize(actor: UserActor, change: UserChange, target: string | null): Promise<Allowed> {
    const other =
      change.kind === 'update' && actor.authority.kind === 'user'
        ? await this.deps.users.countEnabledHolders(ADMINISTRATOR_ROLES, change.target.id)
        : undefined;
    const decision = decideUserChange({ actor: actor.authority, change, ...(other !== undefined ? { otherAdministrators: other } : {}) });
    if (!decision.allowed) throw await this.refused(actor, target, change, decision);
    return decision;
  }

  private async refused(actor: UserActor, target: string | null, change: UserChange, decision: Refused): Promise<AdminError> {
    await this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: actor.name,
      source: actor.source,
      action: 'user.change_refused',
      targetType: 'user',
      target,
      details: { change: change.kind, refusal: decision.refusal },
    });
    return decision.refusal === 'last_administrator' ? new AdminError(409, 'conflict', decision.message) : new AdminError(403, 'forbidden', decision.message);
  }

  /** The session the actor acts from survives a change to their own account. */
  private async cutOff(user: User, actor: UserActor, reason: UserCutOff['reason']): Promise<void> {
    const own = actor.authority.kind === 'user' && actor.authority.userId === user.id;
    const keepSid = own && reason !== 'disabled' ? actor.sessionSid : undefined;
    for (const hook of this.deps.onCutOff) await hook(user.id, { reason, ...(keepSid !== undefined ? { keepSid } : {}) });
  }

  /** Strictly later than what was read, so that a write guarded by the old value cannot match twice. */
  private nextUpdatedAt(user: User): number {
    return Math.max(this.deps.clock.now(), user.updatedAt + 1);
  }

  private checkRoles(roles: string[]): string[] {
    const bad = roles.filter((r) => !isRoleId(r));
    if (bad.length > 0) {
      throw AdminError.invalid([{ field: 'roles', message: `unknown role ${bad.join(', ')} (known: ${ROLES.map((r) => r.id).join(', ')})` }]);
    }
    return [...new Set(roles)];
  }

  private record(actor: UserActor, action: string, user: User, details: Record<string, unknown>): Promise<void> {
    return this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: actor.name,
      source: actor.source,
      action,
      targetType: 'user',
      target: user.username,
      details,
    });
  }
}
