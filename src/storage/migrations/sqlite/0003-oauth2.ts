/** OAuth 2.0: grants, refresh-token families, device codes and signing keys (sqlite). */
export const statements = [
  `CREATE TABLE oauth2_grants (
    id TEXT PRIMARY KEY,
    client_key TEXT NOT NULL,
    user_id TEXT,
    scopes TEXT NOT NULL,
    grant_type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    auth_time INTEGER,
    revoked_at INTEGER,
    extra TEXT NOT NULL DEFAULT '{}'
  )`,
  `CREATE INDEX oauth2_grants_client ON oauth2_grants (client_key)`,
  `CREATE INDEX oauth2_grants_user ON oauth2_grants (user_id, client_key)`,
  `CREATE TABLE oauth2_refresh_tokens (
    hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oauth2_grants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER
  )`,
  `CREATE INDEX oauth2_refresh_tokens_grant ON oauth2_refresh_tokens (grant_id)`,
  `CREATE INDEX oauth2_refresh_tokens_expires ON oauth2_refresh_tokens (expires_at)`,
  `CREATE TABLE oauth2_device_codes (
    hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_key TEXT NOT NULL,
    scopes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','redeemed')),
    user_id TEXT,
    grant_id TEXT,
    poll_interval INTEGER NOT NULL,
    last_polled_at INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
  )`,
  `CREATE INDEX oauth2_device_codes_client ON oauth2_device_codes (client_key)`,
  `CREATE INDEX oauth2_device_codes_expires ON oauth2_device_codes (expires_at)`,
  `CREATE TABLE oauth2_signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  )`,
];
