import type { GrantResult } from '../oauth2/grants/grant.js';
import type { TokenResponseExtension } from '../oauth2/issue.js';
import { acrOf } from './authorize.js';
import { claimsRequestOf, idTokenClaimNames, userClaims } from './claims.js';
import type { IdTokens } from './id-token.js';

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * OIDC Core §11: a refresh token goes to an OIDC client only for a grant that holds
 * offline_access, which the authorization endpoint keeps only when the user was asked with
 * prompt=consent (the device and password grants ask or authenticate the user directly).
 */
export function offlineAccessOnly(result: GrantResult): boolean {
  return result.grant.scopes.includes('offline_access');
}

/**
 * Adds the ID token to token responses of OIDC clients when openid was granted (OIDC Core
 * §3.1.3.3): for codes, and for the password, device and refresh grants too. `sub` is the user id
 * and `auth_time` the original sign-in, whichever grant asks (§12.2).
 */
export function idTokenResponse(idTokens: Pick<IdTokens, 'mint'>): TokenResponseExtension {
  return async (issued) => {
    if (issued.client.type !== 'oidc' || issued.user === null || !issued.scopes.includes('openid')) return {};
    const extra = issued.grant.extra;
    const minted = await idTokens.mint({
      client: issued.client,
      user: issued.user,
      authTime: issued.grant.authTime,
      // §12.2: an ID token from a refresh carries no nonce.
      nonce: issued.grantType === 'refresh_token' ? undefined : text(extra.nonce),
      sid: issued.grant.sid ?? undefined,
      acr: acrOf(extra),
      accessToken: issued.accessToken.token,
      // The token endpoint always issues an access token: scope claims are for UserInfo (OIDC Core §5.4).
      userClaims: userClaims(issued.user, idTokenClaimNames(true, issued.scopes, claimsRequestOf(extra))),
    });
    return { id_token: minted.token };
  };
}
