import type { App } from '../compose.js';

/**
 * RFC 7662 §2.2 members for an active personal access token: its scopes, its owner (`sub`, the user
 * id, and `username`), `exp` and `iat` in seconds, and `token_type` "personal_access_token".
 * Null for anything not active (unknown, revoked, expired, a bad checksum, a disabled owner).
 */
export async function introspectPat(app: App, token: string): Promise<Record<string, unknown> | null> {
  const use = await app.pats.authenticate(token);
  if (!use) return null;
  const t = use.token;
  return {
    scope: t.scopes.join(' '),
    sub: use.user.id,
    username: use.user.username,
    token_type: 'personal_access_token',
    exp: Math.floor(t.expiresAt / 1000),
    iat: Math.floor(t.createdAt / 1000),
    iss: app.config.issuer,
  };
}
