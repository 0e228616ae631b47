import type { Kysely } from 'kysely';
import type { FoundationTables } from './tables.js';

/** Row shapes of migration 0013 (times in epoch milliseconds, nested settings as JSON text). */
export type DirectoriesTable = {
  id: string;
  name: string;
  domain: string;
  domain_lower: string;
  position: number;
  enabled: number;
  host: string;
  host_lower: string;
  port: number;
  /** DirectoryConnection without host and port. */
  connection: string;
  bind: string;
  user_lookup: string;
  attributes: string;
  group_lookup: string;
  email_verified: number;
  create_users_on_sign_in: number;
  default_group_id: string | null;
  sync_interval_minutes: number;
  created_at: number;
  updated_at: number;
  last_success_at: number | null;
  last_error_at: number | null;
  last_error: string | null;
};

export type GroupsTable = {
  id: string;
  name: string;
  name_lower: string;
  description: string;
  source_directory_id: string | null;
  external_id: string | null;
  created_at: number;
  updated_at: number;
};

export type GroupRolesTable = {
  group_id: string;
  role: string;
};

export type GroupMembersTable = {
  group_id: string;
  user_id: string;
};

// A type alias, not an interface: withTables needs an index-signature-compatible shape.
export type DirectoryTables = {
  directories: DirectoriesTable;
  groups: GroupsTable;
  group_roles: GroupRolesTable;
  group_members: GroupMembersTable;
};

export type DirectoryDb = Kysely<FoundationTables & DirectoryTables>;

export function directoryDb(db: Kysely<FoundationTables>): DirectoryDb {
  return db.withTables<DirectoryTables>();
}
