import type { User } from '../ports.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import type { OAuth2Deps } from './deps.js';
import { InvalidToken } from './errors.js';
import { accessTokenLiveness } from './liveness.js';
import type { GrantRecord } from './storage.js';

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
  if (!l || l.grant.clientKey !== claims.client_id) throw new InvalidToken('the access token is not known');
  if (l.grant.revokedAt !== null) throw new InvalidToken('the access token was revoked');
  if (!l.clientApproved) throw new InvalidToken('the application is no longer approved');
  if (!l.userEnabled) throw new InvalidToken('the user cannot sign in');
  let user: User | null = null;
  if (l.grant.userId !== null) {
    user = (await deps.users.get(l.grant.userId)) ?? null;
    if (!user?.enabled) throw new InvalidToken('the user cannot sign in');
  }
  return { claims, grant: l.grant, user, scopes: claims.scope.split(' ').filter((s) => s !== '') };
}
