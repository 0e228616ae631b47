import { sha256Hex } from '../../crypto/constant-time.js';
import { CODE_KIND, type OAuth2Deps } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import { checkVerifier, type PkceChallenge } from '../pkce.js';
import { narrowResources, requestedResources } from '../resource-indicators.js';
import { type GrantHandler, liveGrant, wantsRefreshToken } from './grant.js';

type Deps = Pick<OAuth2Deps, 'codes' | 'grants' | 'users' | 'clock' | 'events'>;

/** What an authorization code stands for, stored under the SHA-256 of the code. */
export interface CodePayload {
  grantId: string;
  clientKey: string;
  redirectUri: string;
  /** Whether redirect_uri was in the authorization request (then it must be repeated, §4.1.3). */
  redirectUriSent: boolean;
  pkce: PkceChallenge | null;
}

export function isCodePayload(v: Record<string, unknown>): v is Record<string, unknown> & CodePayload {
  return typeof v.grantId === 'string' && typeof v.clientKey === 'string' && typeof v.redirectUri === 'string' && typeof v.redirectUriSent === 'boolean';
}

/** §4.1.3: the code was issued to this client, for this redirect URI and PKCE challenge. */
function checkBindings(payload: CodePayload, clientKey: string, redirectUri: string | undefined, verifier: string | undefined): void {
  if (payload.clientKey !== clientKey) throw new InvalidGrant('the authorization code was issued to another client');
  // §4.1.3: identical redirect_uri when the authorization request carried one.
  if (payload.redirectUriSent && redirectUri !== payload.redirectUri) {
    throw new InvalidGrant('redirect_uri does not match the one of the authorization request');
  }
  if (!payload.redirectUriSent && redirectUri !== undefined && redirectUri !== payload.redirectUri) {
    throw new InvalidGrant('redirect_uri does not match the redirect URI the code was sent to');
  }
  checkVerifier(payload.pkce, verifier);
}

/**
 * RFC 6749 §4.1.3: exchanges a code once. The bindings are checked first on a look that changes
 * nothing, so a request with the wrong client, redirect URI or verifier does not burn the code
 * (as for refresh tokens). Then the code is consumed atomically; a second redemption fails and
 * revokes what the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.5), because the code leaked.
 */
export const authorizationCodeGrant = {
  publicClients: true,
  async handle({ client, params, remoteAddress }, deps: Deps) {
    const code = params.required('code', 512);
    const redirectUri = params.optional('redirect_uri', 2000);
    const verifier = params.optional('code_verifier', 256);
    // RFC 8707 §2: a malformed resource is refused before the code is looked at.
    requestedResources(params);

    const redeemedAt = deps.clock.now();
    const id = sha256Hex(code);
    const seen = await deps.codes.peek(CODE_KIND, id);
    if (seen && seen.usedAt === null && seen.expiresAt > redeemedAt && isCodePayload(seen.payload)) {
      checkBindings(seen.payload, client.key, redirectUri, verifier);
      // RFC 8707 §2.2: a resource not granted is refused before the code is used, as a wrong verifier is.
      if (params.all('resource').length > 0) narrowResources(params, (await liveGrant(deps, seen.payload.grantId, client, redeemedAt)).grant, client);
    }
    const result = await deps.codes.consume(CODE_KIND, id, redeemedAt);
    if (result.outcome === 'unknown') throw new InvalidGrant('the authorization code is invalid');
    if (result.outcome === 'expired') throw new InvalidGrant('the authorization code has expired');
    if (result.outcome === 'replayed') {
      if (typeof result.payload.grantId === 'string') await deps.grants.revoke(result.payload.grantId, deps.clock.now());
      await deps.events({ kind: 'code_replayed', clientKey: client.key, source: remoteAddress, details: { grant: result.payload.grantId } });
      throw new InvalidGrant('the authorization code was already used; the tokens issued with it have been revoked');
    }
    const payload = result.payload;
    if (!isCodePayload(payload)) throw new InvalidGrant('the authorization code is invalid');
    checkBindings(payload, client.key, redirectUri, verifier);

    // A concurrent replay may revoke the grant while this, the one redemption that won, is still
    // running: it still answers, and what it issues is already dead (RFC 9700 §4.5).
    const { grant, user } = await liveGrant(deps, payload.grantId, client, redeemedAt);
    const resources = narrowResources(params, grant, client);
    return { grant, user, scopes: grant.scopes, refreshToken: wantsRefreshToken(client), resources };
  },
} satisfies GrantHandler<Deps>;
