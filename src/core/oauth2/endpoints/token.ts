import type { OAuth2Deps } from '../deps.js';
import { UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import type { GrantHandler, GrantResult } from '../grants/grant.js';
import { issueTokens, type TokenResponseExtension, tokenResponseBody } from '../issue.js';
import { answer, authenticate, type ClientFamily, checkFamily, type EndpointRequest, type EndpointResponse, formParams, json } from './request.js';

export interface TokenEndpointOptions {
  family: ClientFamily;
  handlers: Readonly<Record<string, GrantHandler<OAuth2Deps>>>;
  /** Extra response fields (the OIDC layer adds id_token). */
  extensions: readonly TokenResponseExtension[];
  /** May withhold the refresh token a grant would give (OIDC Core §11: only with offline_access). */
  refreshPolicy?: (result: GrantResult) => boolean;
}

/** Usage is recorded at most once a minute per client, to keep the hot path light. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** RFC 6749 §3.2 / §5: authenticate the client, dispatch on grant_type, answer tokens or an error. */
export function tokenEndpoint(deps: OAuth2Deps, options: TokenEndpointOptions) {
  return (req: EndpointRequest): Promise<EndpointResponse> =>
    answer(async () => {
      const params = formParams(req);
      const { client } = await authenticate(deps, req, params);
      checkFamily(options.family, client.type);
      const grantType = params.required('grant_type', 200);
      const handler = Object.hasOwn(options.handlers, grantType) ? options.handlers[grantType] : undefined;
      if (!handler) throw new UnsupportedGrantType(`grant_type "${grantType.slice(0, 80)}" is not supported`);
      if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`this client is not registered for the ${grantType} grant`);
      if (client.isPublic && !handler.publicClients) throw new UnauthorizedClient(`a public client cannot use the ${grantType} grant`);

      const handled = await handler.handle({ client, params, remoteAddress: req.remoteAddress }, deps);
      const result = options.refreshPolicy && handled.refreshToken ? { ...handled, refreshToken: options.refreshPolicy(handled) } : handled;
      const issued = await issueTokens(deps, client, result, grantType);
      let body = tokenResponseBody(issued);
      for (const extend of options.extensions) body = { ...body, ...(await extend(issued)) };
      const now = deps.clock.now();
      if (client.lastUsedAt === null || now - client.lastUsedAt > LAST_USED_RESOLUTION_MS) await deps.clients.touchLastUsed(client.key, now);
      return json(body);
    });
}
