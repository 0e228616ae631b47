// The user administration rule, stated here apart from the server's code (src/core/users/
// authorization.ts), as the expectation table of test/security/v8-authorization.test.ts and as the
// matrix printed in SECURITY.md. `npx tsx test/security/v8-user-admin-matrix.ts --write` updates the
// page; the test fails when page and table disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The role sets an actor or a target can hold: every combination of the three roles. */
export const ROLE_SETS = {
  'no roles': [],
  'User Manager': ['user_manager'],
  'Server Administrator': ['server_administrator'],
  'Security Manager': ['security_manager'],
  'Server Administrator + User Manager': ['server_administrator', 'user_manager'],
  'Server Administrator + Security Manager': ['server_administrator', 'security_manager'],
  'User Manager + Security Manager': ['user_manager', 'security_manager'],
  'all three roles': ['server_administrator', 'user_manager', 'security_manager'],
} as const satisfies Record<string, readonly RoleName[]>;

export type RoleName = 'server_administrator' | 'user_manager' | 'security_manager';
export type RoleSet = keyof typeof ROLE_SETS;
export type Target = RoleSet | 'self';

export const ACTORS = Object.keys(ROLE_SETS) as RoleSet[];
export const TARGETS: Target[] = [...ACTORS, 'self'];

export const ACTIONS = [
  'create',
  'add user_manager',
  'add server_administrator',
  'add security_manager',
  'remove user_manager',
  'remove server_administrator',
  'remove security_manager',
  'disable',
  'enable',
  'set password',
  'read',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What each role carries. Three roles, three permissions, one each. */
const PERMISSION_OF: Record<RoleName, 'configure_server' | 'manage_users' | 'manage_roles'> = {
  server_administrator: 'configure_server',
  user_manager: 'manage_users',
  security_manager: 'manage_roles',
};

const held = (roles: readonly RoleName[]) => new Set(roles.map((r) => PERMISSION_OF[r]));
const within = (inner: readonly RoleName[], outer: readonly RoleName[]) => [...held(inner)].every((p) => held(outer).has(p));

export function targetRoles(actor: RoleSet, target: Target): readonly RoleName[] {
  return target === 'self' ? ROLE_SETS[actor] : ROLE_SETS[target];
}

/** The roles a role action leaves the target with. */
export function rolesAfter(before: readonly RoleName[], action: Action): RoleName[] {
  const [verb, role] = action.split(' ') as [string, RoleName];
  if (verb === 'add') return before.includes(role) ? [...before] : [...before, role];
  if (verb === 'remove') return before.filter((r) => r !== role);
  return [...before];
}

export interface Expectation {
  /** The HTTP status the admin API answers. */
  status: number;
  /** Whether the target's stored state changes (false also when an allowed action is a no-op). */
  changes: boolean;
}

/**
 * The rule, in words:
 * 1. reading users needs manage_users or manage_roles;
 * 2. creating a user needs manage_users, and manage_roles too when the new user has any role;
 * 3. changing a user's roles (to other roles than they have) needs manage_roles; enabling,
 *    disabling or setting the password needs manage_users — through the admin API also for
 *    oneself (My account, apart from this API, lets anyone set their own password); a role
 *    action that changes nothing needs manage_users or manage_roles;
 * 4. a new user, or a user's roles after a change, carry only permissions the actor holds;
 * 5. a user holding any permission the actor lacks cannot be changed: not their roles, status or
 *    password;
 * 6. the last enabled holder of configure_server stays one (not reached here: the bootstrap
 *    administrator is always another one; see the last-administrator tests).
 * `null`: the cell does not exist (creating "self").
 */
export function expected(actor: RoleSet, target: Target, action: Action): Expectation | null {
  if (action === 'create' && target === 'self') return null;
  const mine = held(ROLE_SETS[actor]);
  const theirs = targetRoles(actor, target);
  const ok = { create: 201, 'set password': 204 }[action as string] ?? 200;
  const refused: Expectation = { status: 403, changes: false };
  if (action === 'read') return mine.has('manage_users') || mine.has('manage_roles') ? { status: 200, changes: false } : refused;
  if (action === 'create') {
    if (!mine.has('manage_users') || (theirs.length > 0 && !mine.has('manage_roles'))) return refused;
    return within(theirs, ROLE_SETS[actor]) ? { status: ok, changes: true } : refused;
  }
  const after = rolesAfter(theirs, action);
  const roleAction = action.startsWith('add ') || action.startsWith('remove ');
  const rolesChange = roleAction && after.length !== theirs.length;
  if (roleAction) {
    if (rolesChange ? !mine.has('manage_roles') : !mine.has('manage_users') && !mine.has('manage_roles')) return refused;
  } else if (!mine.has('manage_users')) return refused;
  if (!within(theirs, ROLE_SETS[actor])) return refused;
  if (!within(after, ROLE_SETS[actor])) return refused;
  if (roleAction) return { status: ok, changes: rolesChange };
  // A target of "enable" starts disabled, except oneself (signed in, so enabled already).
  if (action === 'enable') return { status: ok, changes: target !== 'self' };
  return { status: ok, changes: true };
}

const cell = (e: Expectation | null): string => (e === null ? '—' : e.status < 300 ? `✓ ${e.status}` : `✗ ${e.status}`);

/** The matrix as a Markdown table: one row per actor and target, one column per action. */
export function renderMatrix(): string {
  const lines = [`| actor holds | target holds | ${ACTIONS.join(' | ')} |`, `|---|---|${ACTIONS.map(() => '---').join('|')}|`];
  for (const actor of ACTORS) {
    for (const target of TARGETS) {
      lines.push(`| ${actor} | ${target === 'self' ? '(the actor)' : target} | ${ACTIONS.map((a) => cell(expected(actor, target, a))).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export const START = '<!-- user-admin-matrix:start -->';
export const END = '<!-- user-admin-matrix:end -->';
const PAGE = fileURLToPath(new URL('../../SECURITY.md', import.meta.url));

/** The matrix as SECURITY.md prints it, or null without the block. */
export function printedMatrix(): string | null {
  const page = readFileSync(PAGE, 'utf8');
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  return a < 0 || b < a ? null : page.slice(a + START.length, b).trim();
}

if (process.argv.includes('--write') && process.argv[1] === fileURLToPath(import.meta.url)) {
  const page = readFileSync(PAGE, 'utf8');
  const a = page.indexOf(START);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`SECURITY.md has no ${START} … ${END} block`);
  writeFileSync(PAGE, `${page.slice(0, a + START.length)}\n${renderMatrix()}\n${page.slice(b)}`);
}
