import type { OAuth2Deps } from '../deps.js';
import { parseScope } from '../params.js';
import { type GrantHandler, newGrantId } from './grant.js';

type Deps = Pick<OAuth2Deps, 'grants' | 'scopes' | 'clock' | 'random'>;

/**
 * RFC 6749 §4.4: a confidential client obtains a token for itself. No user, no refresh token
 * (§4.4.3). The grant row still exists so the token can be revoked and cut off.
 */
export const clientCredentialsGrant = {
  publicClients: false,
  async handle({ client, params }, deps: Deps) {
    const scopes = deps.scopes.resolve(parseScope(params.optional('scope')), client);
    const grant = {
      id: newGrantId(deps),
      clientKey: client.key,
      userId: null,
      scopes,
      grantType: 'client_credentials',
      createdAt: deps.clock.now(),
      authTime: null,
      revokedAt: null,
      extra: {},
    };
    await deps.grants.create(grant);
    return { grant, user: null, scopes, refreshToken: false };
  },
} satisfies GrantHandler<Deps>;
