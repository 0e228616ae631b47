import { isLive } from '../cut-off.js';
import type { OAuth2Deps } from '../deps.js';
import { InvalidClient } from '../errors.js';
import { findToken, refreshTokenActive } from '../token-lookup.js';
import { answer, authenticate, type EndpointRequest, type EndpointResponse, formParams, json } from './request.js';

/**
 * RFC 7662: a confidential client asks whether a token is active. A client may always introspect
 * its own tokens; access tokens issued to other clients are answered only to a client an
 * administrator marked as a resource server (§4: the endpoint must not tell any caller about any
 * token); refresh tokens only to the client holding them (a resource server never receives one,
 * RFC 6749 §1.5). Every other answer is just `{"active": false}` (§2.2), as for an unknown token.
 */
/** How introspection answers a personal access token: its RFC 7662 §2.2 members, or null when not active. */
export type PersonalTokenIntrospection = (token: string) => Promise<Record<string, unknown> | null>;

/** The prefix of personal access tokens, which no client holds: only a resource server learns about them. */
const PERSONAL_PREFIX = 'lkpat_';

export function introspectionEndpoint(deps: OAuth2Deps, personal?: PersonalTokenIntrospection) {
  return (req: EndpointRequest): Promise<EndpointResponse> =>
    answer(async () => {
      const params = formParams(req);
      const { client } = await authenticate(deps, req, params);
      if (client.isPublic) throw new InvalidClient('introspection needs a confidential client (RFC 7662 §2.1)');
      const token = params.required('token', 8192);
      params.optional('token_type_hint', 100);
      const inactive = json({ active: false });
      if (token.startsWith(PERSONAL_PREFIX)) {
        // A personal access token is issued to no client: only a resource server is told (§4).
        if (!client.resourceServer || !personal) return inactive;
        const found = await personal(token);
        return found ? json({ active: true, ...found }) : inactive;
      }

      const found = await findToken(deps, token);
      if (!found || !isLive(found.liveness)) return inactive;
      const { grant } = found.liveness;
      // The caller's client row is already read: the decision costs no query.
      const own = grant.clientKey === client.key;
      if (!own && !(found.kind === 'access_token' && client.resourceServer)) return inactive;
      const user = grant.userId === null ? undefined : await deps.users.get(grant.userId);
      const username = user ? { username: user.username } : {};
      if (found.kind === 'access_token') {
        const c = found.claims;
        return json({
          active: true,
          scope: c.scope,
          client_id: c.client_id,
          ...username,
          token_type: 'Bearer',
          exp: c.exp,
          iat: c.iat,
          sub: c.sub,
          aud: c.aud,
          iss: c.iss,
          jti: c.jti,
          ...(c.auth_time === undefined ? {} : { auth_time: c.auth_time }),
        });
      }
      const r = found.record;
      if (!refreshTokenActive(r, deps.clock.now(), deps.settings.refreshReuseGrace)) return inactive;
      return json({
        active: true,
        scope: grant.scopes.join(' '),
        client_id: grant.clientKey,
        ...username,
        token_type: 'refresh_token',
        exp: Math.floor(r.expiresAt / 1000),
        iat: Math.floor(r.createdAt / 1000),
        sub: grant.userId ?? grant.clientKey,
        iss: deps.settings.issuer,
      });
    });
}
