import { needsText, type Permission, permissionsOf, ROLES } from './permissions.js';

/**
 * Who may do what to a user account: one rule for every channel that changes users (the admin
 * API with Basic, session, bearer or OAuth 1.0a credentials; the console; My account).
 *
 * 1. Reading users needs manage_users or manage_roles.
 * 2. Creating a user needs manage_users; a new user with any role also needs manage_roles.
 * 3. Changing a user's roles (to roles other than the stored ones) needs manage_roles; changing
 *    another user's status, profile or password needs manage_users. A change of both needs both.
 * 4. What an actor grants — the roles of a new user, a user's roles after a change — carries only
 *    permissions the actor holds (manage_roles included).
 * 5. An account holding a permission the actor lacks cannot be changed: not its roles, status,
 *    password or profile (and so not the sessions and tokens these changes end).
 * 6. The last enabled holder of configure_server stays one: it is not disabled or demoted.
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
  /** Roles given to the account itself. */
  roles: readonly string[];
  /** Roles its groups give (read only here). */
  groupRoles?: readonly string[] | undefined;
  enabled: boolean;
}

export type UserChange =
  /** Listing users or reading one. */
  | { kind: 'read' }
  | { kind: 'create'; roles: readonly string[] }
  /**
   * Absent fields stay as they are; a change without enabled and roles edits the profile only.
   * profile: the change carries profile fields (display name, email, claims).
   */
  | { kind: 'update'; target: Account; enabled?: boolean; roles?: readonly string[]; profile?: boolean }
  | { kind: 'set_password'; target: Account };

export interface UserChangeRequest {
  actor: Authority;
  change: UserChange;
  /** Enabled holders of configure_server other than the target; taken as 0 when not given. */
  otherAdministrators?: number;
}

export type Refusal = 'needs_manage_users' | 'needs_manage_roles' | 'target_holds_more' | 'grants_more' | 'last_administrator';

export type UserDecision =
  /** keepAdministrator: the change ends one administrator, so the write must check atomically that another stays. */
  { allowed: true; keepAdministrator: boolean } | { allowed: false; refusal: Refusal; message: string };

const allow = (keepAdministrator: boolean): UserDecision => ({ allowed: true, keepAdministrator });
const refuse = (refusal: Refusal, message: string): UserDecision => ({ allowed: false, refusal, message });

function lacking(wanted: ReadonlySet<Permission>, held: ReadonlySet<Permission>): Permission[] {
  return [...wanted].filter((p) => !held.has(p)).sort();
}

const isAdministrator = (roles: readonly string[], enabled: boolean) => enabled && permissionsOf(roles).has(ADMINISTRATOR_PERMISSION);

const sameRoles = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && a.every((r) => b.includes(r));

type Refused = Extract<UserDecision, { allowed: false }>;

/** Reading users needs one of these. */
export const READ_USERS: readonly Permission[] = ['manage_users', 'manage_roles'];

const NEEDS_MANAGE_USERS: Refused = { allowed: false, refusal: 'needs_manage_users', message: needsText(['manage_users']) };
const NEEDS_MANAGE_ROLES = { allowed: false, refusal: 'needs_manage_roles', message: needsText(['manage_roles']) } as const;
const NEEDS_EITHER: Refused = { allowed: false, refusal: 'needs_manage_users', message: needsText(READ_USERS) };

/** Roles carrying a permission the actor lacks: granted by nobody. */
function grantsMore(roles: readonly string[], mine: ReadonlySet<Permission>) {
  const more = lacking(permissionsOf(roles), mine);
  return more.length > 0
    ? ({ allowed: false, refusal: 'grants_more', message: `you cannot grant permissions you do not hold: ${more.join(', ')}` } as const)
    : null;
}

export type GrantDecision = { allowed: true } | { allowed: false; refusal: 'needs_manage_roles' | 'grants_more'; message: string };

/** Whether an actor may assign these roles (to a user or a group): needs manage_roles, and grants only what the actor holds. */
export function decideRoleGrant(actor: Authority, roles: readonly string[]): GrantDecision {
  if (actor.kind === 'operator') return { allowed: true };
  if (!actor.permissions.has('manage_roles')) return NEEDS_MANAGE_ROLES;
  return grantsMore(roles, actor.permissions) ?? { allowed: true };
}

export function decideUserChange(request: UserChangeRequest): UserDecision {
  const { actor, change } = request;
  if (actor.kind === 'operator') return allow(false);
  const mine = actor.permissions;
  const own = change.kind !== 'read' && change.kind !== 'create' && change.target.id === actor.userId;
  const grantsNothing = change.kind === 'set_password' || (change.kind === 'update' && change.enabled === undefined && change.roles === undefined);
  if (own && grantsNothing) return allow(false);
  if (change.kind === 'read') return mine.has('manage_users') || mine.has('manage_roles') ? allow(false) : NEEDS_EITHER;
  if (change.kind === 'create') {
    if (!mine.has('manage_users')) return NEEDS_MANAGE_USERS;
    if (change.roles.length > 0 && !mine.has('manage_roles')) return NEEDS_MANAGE_ROLES;
    return grantsMore(change.roles, mine) ?? allow(false);
  }
  const { target } = change;
  if (change.kind === 'set_password') {
    if (!mine.has('manage_users')) return NEEDS_MANAGE_USERS;
  } else {
    const rolesChange = change.roles !== undefined && !sameRoles(change.roles, target.roles);
    const otherChange = change.enabled !== undefined || change.profile === true;
    if (otherChange && !mine.has('manage_users')) return NEEDS_MANAGE_USERS;
    if (rolesChange && !mine.has('manage_roles')) return NEEDS_MANAGE_ROLES;
    if (!mine.has('manage_users') && !mine.has('manage_roles')) return NEEDS_EITHER;
  }
  // What the account holds counts its groups' roles too: they are as much the account's.
  const viaGroups = target.groupRoles ?? [];
  const held = lacking(permissionsOf([...target.roles, ...viaGroups]), mine);
  if (held.length > 0) return refuse('target_holds_more', `this user holds permissions you do not hold: ${held.join(', ')}`);
  if (change.kind === 'set_password') return allow(false);
  const more = change.roles === undefined ? null : grantsMore(change.roles, mine);
  if (more) return more;
  const leaves =
    isAdministrator([...target.roles, ...viaGroups], target.enabled) &&
    !isAdministrator([...(change.roles ?? target.roles), ...viaGroups], change.enabled ?? target.enabled);
  if (leaves && (request.otherAdministrators ?? 0) < 1) {
    return refuse('last_administrator', `this is the last enabled user holding ${ADMINISTRATOR_PERMISSION}; give it to another user first`);
  }
  return allow(leaves);
}
