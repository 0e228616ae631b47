import type { Generated } from 'kysely';

/** Row shapes of the foundation tables. JSON lists are stored as text; times as epoch milliseconds. */
export interface ClientsTable {
  key: string;
  type: string;
  name: string;
  status: string;
  secret_sealed: string | null;
  is_public: number;
  require_pkce: number;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  response_types: string;
  callback_url: string | null;
  rsa_public_key: string | null;
  metadata: string;
  created_via: string;
  created_at: number;
  updated_at: number;
  status_changed_at: number | null;
  status_changed_by: string | null;
  last_used_at: number | null;
  /** Migration 0010: 1 when the client may introspect tokens issued to other clients. */
  resource_server: number;
  /** Migration 0011: increased by every write of the client. */
  version: number;
}

export interface RetiredClientKeysTable {
  key: string;
  retired_at: number;
}

export interface UsersTable {
  id: string;
  username: string;
  username_lower: string;
  display_name: string;
  email: string | null;
  password_hash: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
  /** Migration 0012: the standard claims (OIDC Core §5.1), null when not set; address as JSON. */
  given_name: string | null;
  family_name: string | null;
  middle_name: string | null;
  nickname: string | null;
  profile_url: string | null;
  picture_url: string | null;
  website_url: string | null;
  gender: string | null;
  birthdate: string | null;
  zoneinfo: string | null;
  locale: string | null;
  phone_number: string | null;
  address: string | null;
  profile_updated_at: number | null;
  /** Migration 0013: the directory that provides the user (all null for an internal user). */
  source_directory_id: string | null;
  source_domain: string | null;
  external_id: string | null;
  external_dn: string | null;
  last_sync_at: number | null;
  /** 1 when the address was vouched for (a directory set to mark its e-mail addresses verified). */
  email_verified: number;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target: string | null;
  source: string;
  details: string;
}

export interface OneTimeTable {
  kind: string;
  id: string;
  payload: string;
  expires_at: number;
  used_at: number | null;
}

export interface ThrottleTable {
  key: string;
  window_start: number;
  hits: number;
}

export interface MigrationsTable {
  id: string;
  applied_at: number;
}

export interface FoundationTables {
  clients: ClientsTable;
  retired_client_keys: RetiredClientKeysTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  audit_events: AuditEventsTable;
  one_time: OneTimeTable;
  throttle: ThrottleTable;
  schema_migrations: MigrationsTable;
}
