import type { User } from '../ports.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import { accessTokenLiveness, type CutOffReason, cutOffReason, grantUser } from './cut-off.js';
import type { OAuth2Deps } from './deps.js';
import { InvalidToken } from './errors.js';
import type { GrantRecord } from './storage.js';

const TOKEN_CUT_OFF: Record<CutOffReason, string> = {
  unknown: 'the access token is not known',
  revoked: 'the access token was revoked',
  client_not_approved: 'the application is no longer approved',
  user_disabled: 'the user cannot sign in',
};

export interface AuthenticatedAccessToken {
  claims: AccessTokenClaims;
  grant: GrantRecord;
  /** null for client_credentials tokens. */
  user: User | null;
  scopes: string[];
}

/**
 * Validates an access token presented to Latchkey's API (RFC 6750, RFC 9068 §4): first the JWT
 * (signature, typ, issuer, audience, expiry), then, in the database, that its grant stands, its
 * client is still approved and its user still enabled — so a cut-off at any instance holds at
 * every instance at once.
 */
export async function authenticateAccessToken(
  deps: Pick<OAuth2Deps, 'accessTokens' | 'grants' | 'users' | 'clients' | 'revokedTokens'>,
  token: string,
): Promise<AuthenticatedAccessToken> {
  const claims = await deps.accessTokens.verify(token);
  const l = await accessTokenLiveness(deps, claims);
  const reason = cutOffReason(l, claims.client_id);
  if (reason !== null || !l) throw new InvalidToken(TOKEN_CUT_OFF[reason ?? 'unknown']);
  const user = await grantUser(deps, l);
  if (user === 'disabled') throw new InvalidToken(TOKEN_CUT_OFF.user_disabled);
  return { claims, grant: l.grant, user, scopes: claims.scope.split(' ').filter((s) => s !== '') };
}
