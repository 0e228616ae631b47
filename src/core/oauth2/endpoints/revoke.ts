import { isClientOnlyGrant } from '../cut-off.js';
import type { OAuth2Deps } from '../deps.js';
import { findToken } from '../token-lookup.js';
import { answer, authenticate, type EndpointRequest, type EndpointResponse, formParams, json } from './request.js';

/**
 * RFC 7009: the client that holds a token revokes it. Revoking either an access or a refresh
 * token revokes the grant it belongs to, so the whole authorization (every access token and the
 * refresh-token family) stops working at once (§2.1 allows this). Unknown tokens, and tokens
 * issued to another client, are answered with 200 and nothing is revoked (§2.2): the answer does
 * not tell the caller that someone else's token exists.
 */
export function revocationEndpoint(deps: OAuth2Deps) {
  return (req: EndpointRequest): Promise<EndpointResponse> =>
    answer(async () => {
      const params = formParams(req);
      const { client } = await authenticate(deps, req, params);
      const token = params.required('token', 8192);
      params.optional('token_type_hint', 100);
      const found = await findToken(deps, token);
      if (!found?.liveness) return json({});
      // RFC 7009 §2.1: only the client the token was issued to may revoke it; anyone else learns nothing.
      if (found.liveness.grant.clientKey !== client.key) return json({});
      const now = deps.clock.now();
      if (found.kind === 'access_token' && isClientOnlyGrant(found.claims.gid)) {
        await deps.revokedTokens.add(found.claims.jti, now, found.claims.exp * 1000);
      } else {
        await deps.grants.revoke(found.liveness.grant.id, now);
      }
      return json({});
    });
}
