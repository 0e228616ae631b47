import { type Permission, permissionsOf, ROLES } from './permissions.js';

/**
 * Who may do what to a user account: one rule for every channel that changes users (the admin
 * API with Basic, session, bearer or OAuth 1.0a credentials; the console; My account).
 *
 * 1. Reading users and changing another user's account need manage_users.
 * 2. What an actor grants — the roles of a new user, a user's roles after a change — carries only
 *    permissions the actor holds.
 * 3. An account holding a permission the actor lacks cannot be changed: not its roles, status,
 *    password or profile (and so not the sessions and tokens these changes end).
 * 4. The last enabled holder of configure_server stays one: it is not disabled or demoted.
 * Users may always edit their own profile and password (My account); that grants nothing.
 *
 * The operator — the local CLI and start-up — is not bound by it; what it does is audited.
 */

/** Who acts: the operator, or a user with the permissions of this request (narrowed by a token's scopes). */
export type Authority = { kind: 'operator' } | { kind: 'user'; userId: string; permissions: ReadonlySet<Permission> };

export const OPERATOR: Authority = Object.freeze({ kind: 'operator' });

/** The permission whose last enabled holder is kept. */
export const ADMINISTRATOR_PERMISSION: Permission = 'configure_server';

/** The roles carrying that permission. */
export const ADMINISTRATOR_ROLES: readonly string[] = ROLES.filter((r) => r.permissions.includes(ADMINISTRATOR_PERMISSION)).map((r) => r.id);

export interface Account {
  id: string;
  roles: readonly string[];
  enabled: boolean;
}

export type UserChange =
  /** Listing users or reading one. */
  | { kind: 'read' }
  | { kind: 'create'; roles: readonly string[] }
  /** Absent fields stay as they are; a change without enabled and roles edits the profile only. */
  | { kind: 'update'; target: Account; enabled?: boolean; roles?: readonly string[] }
  | { kind: 'set_password'; target: Account };

export interface UserChangeRequest {
  actor: Authority;
  change: UserChange;
  /** Enabled holders of configure_server other than the target; taken as 0 when not given. */
  otherAdministrators?: number;
}

export type Refusal = 'needs_manage_users' | 'target_holds_more' | 'grants_more' | 'last_administrator';

export type UserDecision =
  /** keepAdministrator: the change ends one administrator, so the write must check atomically that another stays. */
  { allowed: true; keepAdministrator: boolean } | { allowed: false; refusal: Refusal; message: string };

const allow = (keepAdministrator: boolean): UserDecision => ({ allowed: true, keepAdministrator });
const refuse = (refusal: Refusal, message: string): UserDecision => ({ allowed: false, refusal, message });

function lacking(wanted: ReadonlySet<Permission>, held: ReadonlySet<Permission>): Permission[] {
  return [...wanted].filter((p) => !held.has(p)).sort();
}

const isAdministrator = (roles: readonly string[], enabled: boolean) => enabled && permissionsOf(roles).has(ADMINISTRATOR_PERMISSION);

export function decideUserChange(request: UserChangeRequest): UserDecision {
  const { actor, change } = request;
  if (actor.kind === 'operator') return allow(false);
  const mine = actor.permissions;
  const own = change.kind !== 'read' && change.kind !== 'create' && change.target.id === actor.userId;
  const grantsNothing = change.kind === 'set_password' || (change.kind === 'update' && change.enabled === undefined && change.roles === undefined);
  if (own && grantsNothing) return allow(false);
  if (!mine.has('manage_users')) return refuse('needs_manage_users', 'this needs the manage_users permission');
  if (change.kind === 'read') return allow(false);
  if (change.kind === 'create') {
    const more = lacking(permissionsOf(change.roles), mine);
    return more.length > 0 ? refuse('grants_more', `you cannot grant permissions you do not hold: ${more.join(', ')}`) : allow(false);
  }
  const { target } = change;
  const held = lacking(permissionsOf(target.roles), mine);
  if (held.length > 0) return refuse('target_holds_more', `this user holds permissions you do not hold: ${held.join(', ')}`);
  if (change.kind === 'set_password') return allow(false);
  if (change.roles !== undefined) {
    const more = lacking(permissionsOf(change.roles), mine);
    if (more.length > 0) return refuse('grants_more', `you cannot grant permissions you do not hold: ${more.join(', ')}`);
  }
  const leaves = isAdministrator(target.roles, target.enabled) && !isAdministrator(change.roles ?? target.roles, change.enabled ?? target.enabled);
  if (leaves && (request.otherAdministrators ?? 0) < 1) {
    return refuse('last_administrator', `this is the last enabled user holding ${ADMINISTRATOR_PERMISSION}; give it to another user first`);
  }
  return allow(leaves);
}
