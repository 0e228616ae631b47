/**
 * Personal access tokens (sqlite): the SHA-256 of each token (never the token), its owner, name,
 * scopes (JSON list), lifetime, last use (written in batches) and revocation.
 */
export const statements = [
  `CREATE TABLE personal_access_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '[]',
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    revoked_by TEXT
  )`,
  `CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, created_at)`,
  `CREATE INDEX personal_access_tokens_created ON personal_access_tokens (created_at)`,
];
