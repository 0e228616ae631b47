import { clientOnlyGrantId } from '../cut-off.js';
import type { OAuth2Deps } from '../deps.js';
import { parseScope } from '../params.js';
import { tokenRequestResources } from '../resource-indicators.js';
import type { GrantHandler } from './grant.js';

type Deps = Pick<OAuth2Deps, 'scopes' | 'clock'>;

/**
 * RFC 6749 §4.4: a confidential client obtains a token for itself. No user, no refresh token
 * (§4.4.3). Nothing is stored: the client's status cuts its tokens off, and a single token is
 * revoked by jti (see liveness.ts).
 */
export const clientCredentialsGrant = {
  publicClients: false,
  async handle({ client, params }, deps: Deps) {
    const scopes = deps.scopes.resolve(parseScope(params.optional('scope')), client);
    const resources = tokenRequestResources(params, client);
    const grant = {
      id: clientOnlyGrantId(client),
      clientKey: client.key,
      userId: null,
      scopes,
      grantType: 'client_credentials',
      createdAt: deps.clock.now(),
      authTime: null,
      revokedAt: null,
      extra: {},
    };
    return { grant, user: null, scopes, refreshToken: false, resources };
  },
} satisfies GrantHandler<Deps>;
