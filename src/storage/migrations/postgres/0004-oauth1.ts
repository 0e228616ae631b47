/** OAuth 1.0a temporary and token credentials (nonces live in one_time). */
export const statements = [
  `CREATE TABLE oauth1_temporary (
    token_hash TEXT PRIMARY KEY,
    client_key TEXT NOT NULL REFERENCES clients (key) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    callback TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    verifier_hash TEXT,
    authorized_at BIGINT,
    used_at BIGINT
  )`,
  `CREATE INDEX oauth1_temporary_client ON oauth1_temporary (client_key)`,
  `CREATE INDEX oauth1_temporary_user ON oauth1_temporary (user_id)`,
  `CREATE INDEX oauth1_temporary_expires ON oauth1_temporary (expires_at)`,
  `CREATE TABLE oauth1_tokens (
    token_hash TEXT PRIMARY KEY,
    client_key TEXT NOT NULL REFERENCES clients (key) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
  )`,
  `CREATE INDEX oauth1_tokens_client ON oauth1_tokens (client_key)`,
  `CREATE INDEX oauth1_tokens_user_client ON oauth1_tokens (user_id, client_key)`,
];
