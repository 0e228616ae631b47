/** Self-service registration: RFC 7592 registration access tokens and RFC 7591 initial access tokens, by hash. */
export const statements = [
  `CREATE TABLE registration_access_tokens (
    client_key TEXT PRIMARY KEY REFERENCES clients (key) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at INTEGER NOT NULL
  )`,
  `CREATE TABLE registration_initial_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    expires_at INTEGER,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    revoked_at INTEGER,
    revoked_by TEXT
  )`,
  `CREATE INDEX registration_initial_tokens_created ON registration_initial_tokens (created_at)`,
];
