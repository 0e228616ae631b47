export const PERMISSIONS = ['configure_server', 'manage_users'] as const;
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
];

export type RoleId = 'server_administrator' | 'user_manager';

export function isRoleId(value: string): value is RoleId {
  return ROLES.some((r) => r.id === value);
}

export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of ROLES) if (roles.includes(role.id)) for (const p of role.permissions) out.add(p);
  return out;
}
