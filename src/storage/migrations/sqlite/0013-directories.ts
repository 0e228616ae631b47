/**
 * LDAP directories, groups (native and imported from a directory) and the users a directory
 * provides (sqlite). The nested settings of a directory are JSON text, read defensively.
 */
export const statements = [
  `CREATE TABLE directories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    domain_lower TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    host TEXT NOT NULL,
    host_lower TEXT NOT NULL,
    port INTEGER NOT NULL,
    connection TEXT NOT NULL DEFAULT '{}',
    bind TEXT NOT NULL DEFAULT '{}',
    user_lookup TEXT NOT NULL DEFAULT '{}',
    attributes TEXT NOT NULL DEFAULT '{}',
    group_lookup TEXT NOT NULL DEFAULT '{}',
    email_verified INTEGER NOT NULL DEFAULT 0,
    create_users_on_sign_in INTEGER NOT NULL DEFAULT 0,
    default_group_id TEXT,
    sync_interval_minutes INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_success_at INTEGER,
    last_error_at INTEGER,
    last_error TEXT,
    UNIQUE (host_lower, port)
  )`,
  `CREATE INDEX directories_position ON directories (position)`,
  `CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source_directory_id TEXT REFERENCES directories (id) ON DELETE CASCADE,
    external_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((source_directory_id IS NULL) = (external_id IS NULL))
  )`,
  `CREATE UNIQUE INDEX groups_native_name ON groups (name_lower) WHERE source_directory_id IS NULL`,
  `CREATE UNIQUE INDEX groups_external ON groups (source_directory_id, external_id) WHERE source_directory_id IS NOT NULL`,
  `CREATE INDEX groups_name ON groups (name_lower, id)`,
  `CREATE TABLE group_roles (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (group_id, role)
  )`,
  `CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
  )`,
  `CREATE INDEX group_members_user ON group_members (user_id)`,
  `ALTER TABLE users ADD COLUMN source_directory_id TEXT`,
  `ALTER TABLE users ADD COLUMN source_domain TEXT`,
  `ALTER TABLE users ADD COLUMN external_id TEXT`,
  `ALTER TABLE users ADD COLUMN external_dn TEXT`,
  `ALTER TABLE users ADD COLUMN last_sync_at INTEGER`,
  `ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0`,
  `CREATE UNIQUE INDEX users_external ON users (source_directory_id, external_id) WHERE source_directory_id IS NOT NULL`,
];
