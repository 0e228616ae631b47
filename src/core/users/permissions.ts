export const PERMISSIONS = ['configure_server', 'manage_users', 'manage_roles'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface RoleDefinition {
  id: string;
  name: string;
  permissions: readonly Permission[];
}

/** Predefined, non-editable roles. */
export const ROLES: readonly RoleDefinition[] = [
  { id: 'server_administrator', name: 'Server Administrator', permissions: ['configure_server'] },
  { id: 'user_manager', name: 'User Manager', permissions: ['manage_users'] },
  { id: 'security_manager', name: 'Security Manager', permissions: ['manage_roles'] },
];

export type RoleId = 'server_administrator' | 'user_manager' | 'security_manager';

export function isRoleId(value: string): value is RoleId {
  return ROLES.some((r) => r.id === value);
}

export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of ROLES) if (roles.includes(role.id)) for (const p of role.permissions) out.add(p);
  return out;
}

/** The refusal text for a caller holding none of these permissions. */
export function needsText(anyOf: readonly Permission[]): string {
  return `this needs the ${anyOf.join(' or the ')} permission`;
}

/** A permission, or a list of which any one will do, as the list. */
export function anyPermissionOf(permission: Permission | readonly Permission[]): readonly Permission[] {
  return typeof permission === 'string' ? [permission] : permission;
}

/** What a user may do: the roles given to them and the roles of their groups. */
export function userPermissions(user: { roles: readonly string[]; groupRoles?: readonly string[] | undefined }): Set<Permission> {
  return permissionsOf(user.groupRoles ? [...user.roles, ...user.groupRoles] : user.roles);
}
