import type { Kysely } from 'kysely';
import type { FoundationTables } from './tables.js';

/** Row shapes of migration 0003 (times in epoch milliseconds, lists and objects as JSON text). */
export type OAuth2GrantsTable = {
  id: string;
  client_key: string;
  user_id: string | null;
  scopes: string;
  grant_type: string;
  created_at: number;
  auth_time: number | null;
  revoked_at: number | null;
  extra: string;
  /** Added by migration 0007. */
  sid: string | null;
};

export type OAuth2RefreshTokensTable = {
  hash: string;
  grant_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
};

export type OAuth2DeviceCodesTable = {
  hash: string;
  user_code: string;
  client_key: string;
  scopes: string;
  status: string;
  user_id: string | null;
  grant_id: string | null;
  poll_interval: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
  extra: string;
};

export type OAuth2SigningKeysTable = {
  kid: string;
  alg: string;
  public_jwk: string;
  private_sealed: string;
  created_at: number;
  retired_at: number | null;
};

// A type alias, not an interface: withTables needs an index-signature-compatible shape.
export type OAuth2Tables = {
  oauth2_grants: OAuth2GrantsTable;
  oauth2_refresh_tokens: OAuth2RefreshTokensTable;
  oauth2_device_codes: OAuth2DeviceCodesTable;
  oauth2_signing_keys: OAuth2SigningKeysTable;
};

export type OAuth2Db = Kysely<FoundationTables & OAuth2Tables>;

export function oauth2Db(db: Kysely<FoundationTables>): OAuth2Db {
  return db.withTables<OAuth2Tables>();
}
