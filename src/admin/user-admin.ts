import { z } from 'zod';
import { randomToken } from '../core/crypto/random.js';
import type { AuditStore, Clock, Random, User, UserStore } from '../core/ports.js';
import { DuplicateKeyError } from '../core/ports.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../core/users/password.js';
import { isRoleId, ROLES } from '../core/users/permissions.js';
import { type Actor, AdminError } from './errors.js';
import { zodProblems } from './validation.js';

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH);
const username = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._@-]+$/, 'may contain letters, digits and . _ @ - only');

export const userInputSchema = z
  .object({
    username,
    display_name: z.string().max(200).optional(),
    email: z.string().email().max(320).nullable().optional(),
    password,
    roles: z.array(z.string()).max(10).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const userPatchSchema = z
  .object({
    display_name: z.string().max(200).optional(),
    email: z.string().email().max(320).nullable().optional(),
    enabled: z.boolean().optional(),
    roles: z.array(z.string()).max(10).optional(),
  })
  .strict();

export interface UserView {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  enabled: boolean;
  roles: string[];
  created_at: string;
  last_sign_in_at: string | null;
}

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
  };
}

export interface UserAdminDeps {
  users: UserStore;
  audit: AuditStore;
  clock: Clock;
  random: Random;
  /** Called when a user is disabled, to cut off every token and session of theirs. */
  onDisabled: Array<(userId: string) => Promise<void>>;
}

export class UserAdmin {
  constructor(private readonly d: UserAdminDeps) {}

  async create(raw: unknown, actor: Actor): Promise<User> {
    const parsed = userInputSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const input = parsed.data;
    const roles = this.checkRoles(input.roles ?? []);
    const now = this.d.clock.now();
    const user: User = {
      id: randomToken(this.d.random, 128),
      username: input.username,
      displayName: input.display_name ?? input.username,
      email: input.email ?? null,
      passwordHash: await hashPassword(input.password),
      enabled: input.enabled ?? true,
      roles,
      createdAt: now,
      updatedAt: now,
      lastSignInAt: null,
    };
    try {
      await this.d.users.insert(user);
    } catch (err) {
      if (err instanceof DuplicateKeyError)
        throw new AdminError(409, 'conflict', `username "${input.username}" is taken`, [{ field: 'username', message: 'is taken' }]);
      throw err;
    }
    await this.record(actor, 'user.create', user, { roles });
    return user;
  }

  async getByUsername(name: string): Promise<User> {
    const user = await this.d.users.findByUsername(name);
    if (!user) throw AdminError.notFound('user');
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.d.users.get(id);
    if (!user) throw AdminError.notFound('user');
    return user;
  }

  async update(user: User, raw: unknown, actor: Actor): Promise<User> {
    const parsed = userPatchSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const p = parsed.data;
    const next: User = {
      ...user,
      displayName: p.display_name ?? user.displayName,
      email: p.email === undefined ? user.email : p.email,
      enabled: p.enabled ?? user.enabled,
      roles: p.roles === undefined ? user.roles : this.checkRoles(p.roles),
      updatedAt: this.d.clock.now(),
    };
    await this.d.users.update(next);
    await this.record(actor, 'user.update', next, { changed: Object.keys(p) });
    if (user.enabled && !next.enabled) for (const hook of this.d.onDisabled) await hook(user.id);
    return next;
  }

  setEnabled(user: User, enabled: boolean, actor: Actor): Promise<User> {
    return this.update(user, { enabled }, actor);
  }

  async setPassword(user: User, newPassword: unknown, actor: Actor): Promise<void> {
    const parsed = password.safeParse(newPassword);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error).map((f) => ({ ...f, field: 'password' })));
    await this.d.users.update({ ...user, passwordHash: await hashPassword(parsed.data), updatedAt: this.d.clock.now() });
    await this.record(actor, 'user.set_password', user, {});
  }

  async grantRole(user: User, role: string, actor: Actor): Promise<User> {
    const [checked] = this.checkRoles([role]);
    if (checked === undefined || user.roles.includes(checked)) return user;
    return this.update(user, { roles: [...user.roles, checked] }, actor);
  }

  async revokeRole(user: User, role: string, actor: Actor): Promise<User> {
    return this.update(user, { roles: user.roles.filter((r) => r !== role) }, actor);
  }

  private checkRoles(roles: string[]): string[] {
    const bad = roles.filter((r) => !isRoleId(r));
    if (bad.length > 0) {
      throw AdminError.invalid([{ field: 'roles', message: `unknown role ${bad.join(', ')} (known: ${ROLES.map((r) => r.id).join(', ')})` }]);
    }
    return [...new Set(roles)];
  }

  private record(actor: Actor, action: string, user: User, details: Record<string, unknown>): Promise<void> {
    return this.d.audit.append({ at: this.d.clock.now(), actor: actor.name, source: actor.source, action, targetType: 'user', target: user.username, details });
  }
}
