import { sha256Hex } from '../../crypto/constant-time.js';
import type { OAuth2Deps } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import { parseScope } from '../params.js';
import { narrowResources } from '../resource-indicators.js';
import { narrowScopes } from '../scopes.js';
import { type GrantHandler, liveGrant } from './grant.js';

type Deps = Pick<OAuth2Deps, 'refreshTokens' | 'grants' | 'users' | 'clock' | 'settings' | 'events'>;

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token. A rotated
 * token presented again revokes the whole family (its grant) — unless it comes back within the
 * configured grace window, which covers a client retrying the same request concurrently.
 */
export const refreshTokenGrant = {
  publicClients: true,
  async handle({ client, params, remoteAddress }, deps: Deps) {
    const token = params.required('refresh_token', 512);
    const requested = parseScope(params.optional('scope'));
    const hash = sha256Hex(token);

    const found = await deps.refreshTokens.find(hash);
    if (!found) throw new InvalidGrant('the refresh token is invalid');
    // Ownership and liveness first: another client's attempt must not burn the token.
    const { grant, user } = await liveGrant(deps, found.grantId, client);
    const scopes = narrowScopes(requested, grant.scopes);
    // RFC 8707 §2.2: only resources granted at authorization; checked before the token rotates.
    const resources = narrowResources(params, grant, client);

    const now = deps.clock.now();
    const r = await deps.refreshTokens.rotate(hash, now);
    if (r.outcome === 'unknown') throw new InvalidGrant('the refresh token is invalid');
    if (r.outcome === 'expired') throw new InvalidGrant('the refresh token has expired');
    if (r.outcome === 'reused') {
      const rotatedAt = r.token.rotatedAt ?? 0;
      if (now - rotatedAt > deps.settings.refreshReuseGrace * 1000) {
        await deps.grants.revoke(grant.id, now);
        await deps.events({ kind: 'refresh_token_reused', clientKey: client.key, user: user?.id, source: remoteAddress, details: { grant: grant.id } });
        throw new InvalidGrant('the refresh token was already used; every token of this authorization has been revoked');
      }
    }
    return { grant, user, scopes, refreshToken: true, resources };
  },
} satisfies GrantHandler<Deps>;
