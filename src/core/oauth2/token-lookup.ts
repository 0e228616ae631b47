import { sha256Hex } from '../crypto/constant-time.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import { accessTokenLiveness } from './cut-off.js';
import type { OAuth2Deps } from './deps.js';
import { InvalidToken } from './errors.js';
import type { GrantLiveness, RefreshTokenRecord } from './storage.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

export type FoundToken =
  | { kind: 'access_token'; claims: AccessTokenClaims; liveness: GrantLiveness | undefined }
  | { kind: 'refresh_token'; record: RefreshTokenRecord; liveness: GrantLiveness | undefined };

/** JWTs have two dots; our refresh tokens are 43 base64url characters. */
function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * Finds what a presented token is (RFC 7662 §2.1, RFC 7009 §2.1: the hint only orders the
 * search). Access tokens must carry a valid signature of ours; refresh tokens are looked up by
 * hash. Returns undefined for anything else.
 */
export async function findToken(
  deps: Pick<OAuth2Deps, 'accessTokens' | 'refreshTokens' | 'grants' | 'clients' | 'revokedTokens'>,
  token: string,
): Promise<FoundToken | undefined> {
  if (token.length > 8192) return undefined;
  if (looksLikeJwt(token)) {
    try {
      // Introspection and revocation answer for tokens of every resource (RFC 8707, RFC 7662 §2.2 `aud`).
      const claims = await deps.accessTokens.verify(token, 'any');
      return { kind: 'access_token', claims, liveness: await accessTokenLiveness(deps, claims) };
    } catch (err) {
      if (err instanceof InvalidToken) return undefined;
      throw err;
    }
  }
  const record = await deps.refreshTokens.find(sha256Hex(token));
  if (!record) return undefined;
  return { kind: 'refresh_token', record, liveness: await deps.grants.liveness(record.grantId) };
}

/** A refresh token is usable when live, not rotated (beyond the grace window) and not expired. */
export function refreshTokenActive(record: RefreshTokenRecord, now: number, graceSeconds: number): boolean {
  if (record.expiresAt <= now) return false;
  return record.rotatedAt === null || now - record.rotatedAt <= graceSeconds * 1000;
}
