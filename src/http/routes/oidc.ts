import type { FastifyReply, FastifyRequest } from 'fastify';
import { DISCOVERY_PATHS, OIDC_PATHS, openIdConfiguration } from '../../core/oidc/discovery.js';
import { userInfoEndpoint } from '../../core/oidc/userinfo.js';
import { registrationEndpointMember } from '../../core/registration/endpoints.js';
import type { HttpModule } from '../context.js';
import { toPlainRequest } from '../plain.js';
import { registerAuthorizeRoutes, registerDeviceAuthorizationRoute, registerTokenRoute } from './oauth2.js';
import { registerEndSession } from './oidc-logout.js';

/** Discovery and UserInfo carry no cookies: every origin may read them (browser-based RPs). */
const CORS = { 'access-control-allow-origin': '*' } as const;

/**
 * The OpenID Connect provider's HTTP surface: discovery at both well-known names, the
 * /oidc/authorize, /api/oidc/token and /api/oidc/device_code endpoints (the OAuth 2.0 routes
 * configured for OIDC clients), UserInfo, and RP-initiated logout. /jwks.json, introspection and
 * revocation are the OAuth 2.0 module's and serve both client types.
 */
export const registerOidc: HttpModule = async (server, ctx) => {
  const { app } = ctx;
  const oauth2 = app.oauth2;
  // A key for each ID-token algorithm from the start, so /jwks.json lists both before any token.
  await oauth2.keys.signingKey('RS256');
  await oauth2.keys.signingKey('ES256');

  const catalog = oauth2.deps.scopes;
  // Serialized once and sent as is, until the scope catalog or the registration setting changes.
  let discovery = { key: '', body: '' };
  const discoveryBody = (): string => {
    const scopes = catalog.names().filter((name) => catalog.get(name)?.clientTypes?.includes('oidc') ?? true);
    const registration = registrationEndpointMember(app.config, 'oidc');
    const key = JSON.stringify([scopes, registration]);
    if (discovery.key !== key) discovery = { key, body: JSON.stringify({ ...openIdConfiguration(app.config.issuer, scopes), ...registration }) };
    return discovery.body;
  };
  const DISCOVERY_HEADERS = { 'cache-control': 'public, max-age=300', ...CORS, 'content-type': 'application/json; charset=utf-8' };
  for (const path of DISCOVERY_PATHS) {
    server.get(path, async (_req, reply) => reply.headers(DISCOVERY_HEADERS).send(discoveryBody()));
    ctx.staticAnswers.add(path, () => ({ body: discoveryBody(), headers: DISCOVERY_HEADERS }));
  }

  registerAuthorizeRoutes(server, ctx, OIDC_PATHS.authorize, 'oidc');
  registerTokenRoute(server, ctx, OIDC_PATHS.token, 'oidc');
  registerDeviceAuthorizationRoute(server, ctx, OIDC_PATHS.deviceAuthorization, 'oidc');

  // OIDC Core §5.3.1: GET and POST.
  const userinfo = userInfoEndpoint(oauth2.deps);
  const serveUserinfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await userinfo(toPlainRequest(req));
    return reply
      .code(res.status)
      .headers({ ...res.headers, ...CORS })
      .send(res.body);
  };
  server.get(OIDC_PATHS.userinfo, serveUserinfo);
  server.post(OIDC_PATHS.userinfo, serveUserinfo);
  server.options(OIDC_PATHS.userinfo, async (_req, reply) =>
    reply
      .code(204)
      .headers({
        ...CORS,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      })
      .send(),
  );

  registerEndSession(server, ctx);
};
