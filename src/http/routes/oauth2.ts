import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { type AuthorizeOutcome, authorize } from '../../core/oauth2/endpoints/authorize.js';
import { deviceAuthorizationEndpoint } from '../../core/oauth2/endpoints/device-authorization.js';
import { introspectionEndpoint } from '../../core/oauth2/endpoints/introspect.js';
import { authorizationServerMetadata, metadataWellKnownPaths, OAUTH2_PATHS } from '../../core/oauth2/endpoints/metadata.js';
import type { ClientFamily, EndpointRequest, EndpointResponse } from '../../core/oauth2/endpoints/request.js';
import { revocationEndpoint } from '../../core/oauth2/endpoints/revoke.js';
import { tokenEndpoint } from '../../core/oauth2/endpoints/token.js';
import type { RawParams } from '../../core/oauth2/params.js';
import { registrationEndpointMember } from '../../core/registration/endpoints.js';
import { bearerResolver } from '../bearer.js';
import { recordClientFailure, recordClientSignIn, recordingFailures } from '../client-activity.js';
import { limitingAuthFailures, limitingClientTokens } from '../client-limits.js';
import type { HttpContext, HttpModule } from '../context.js';
import { pageHeaders } from '../html.js';
import { renderConsentPage, renderErrorPage } from '../pages/consent.js';
import { introspectPat } from '../pat-introspection.js';
import { toPlainRequest } from '../plain.js';
import { checkCsrf, currentSession, loginUrl } from '../session.js';
import { countingTokens } from '../token-metrics.js';
import { registerDevicePages } from './oauth2-device.js';
import { registerApiMe } from './oauth2-me.js';

type Endpoint = (req: EndpointRequest) => Promise<EndpointResponse>;

/** Runs a framework-free endpoint and writes its JSON answer; a bug is logged, never echoed. */
function serve(endpoint: Endpoint) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await endpoint({
      ...toPlainRequest(req),
      onClientAuthenticated: (key) => {
        req.authenticatedClient = key;
      },
    });
    if (res.unexpected !== undefined) req.log.error({ err: res.unexpected }, 'unexpected error in an OAuth 2.0 endpoint');
    return reply.code(res.status).headers(res.headers).send(res.body);
  };
}

/** Token-style endpoints accept POST only (RFC 6749 §3.2); other methods get a JSON 405. */
function postOnly(server: FastifyInstance, path: string, endpoint: Endpoint, onRequest?: onRequestHookHandler): void {
  server.post(path, onRequest ? { onRequest } : {}, serve(endpoint));
  server.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: path,
    handler: async (_req, reply) =>
      reply.code(405).header('allow', 'POST').header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: 'use POST' }),
  });
}

/** The token endpoint of one family (/api/oauth2/token, and /api/oidc/token for the OIDC layer). */
export function registerTokenRoute(server: FastifyInstance, ctx: HttpContext, path: string, family: ClientFamily): void {
  const service = ctx.app.oauth2;
  // Failed client authentications are limited per address and per client; successful requests
  // only per client, and only when LATCHKEY_CLIENT_TOKEN_RATE_LIMIT is set.
  postOnly(
    server,
    path,
    recordingFailures(
      ctx.app,
      path,
      limitingAuthFailures(
        ctx.app,
        'token',
        limitingClientTokens(
          ctx.app,
          'token',
          countingTokens(
            ctx.app,
            family,
            tokenEndpoint(service.deps, {
              family,
              handlers: service.grantHandlers,
              extensions: service.tokenExtensions[family],
              refreshPolicy: service.refreshPolicies[family],
            }),
          ),
        ),
      ),
    ),
  );
}

export function registerDeviceAuthorizationRoute(server: FastifyInstance, ctx: HttpContext, path: string, family: ClientFamily): void {
  // An unknown client or a failed authentication counts like one at the token endpoint.
  postOnly(server, path, limitingAuthFailures(ctx.app, 'device', deviceAuthorizationEndpoint(ctx.app.oauth2.deps, { family })));
}

/** Parameters that belong to the consent form, not to the authorization request. */
const FORM_FIELDS = new Set(['csrf_token', 'decision']);

function withoutFormFields(params: RawParams): RawParams {
  const out: RawParams = {};
  for (const [k, v] of Object.entries(params)) if (!FORM_FIELDS.has(k)) out[k] = v;
  return out;
}

/** The query of a request sent away and back: single values, then each value of a repeated parameter (RFC 8707 `resource`). */
function queryOf(params: Record<string, string>, repeated: Record<string, string[]> | undefined): string {
  const q = new URLSearchParams(params);
  for (const [k, vs] of Object.entries(repeated ?? {})) for (const v of vs) q.append(k, v);
  return q.toString();
}

function sendOutcome(
  reply: FastifyReply,
  issuer: string,
  path: string,
  outcome: AuthorizeOutcome,
  session: Awaited<ReturnType<typeof currentSession>>,
  method: string,
) {
  switch (outcome.kind) {
    case 'error-page':
      return reply.code(400).headers(pageHeaders()).send(renderErrorPage(outcome.title, outcome.message));
    case 'redirect':
      // Tokens may ride in the fragment: never cache, never leak through Referer.
      return reply
        .code(method === 'GET' ? 302 : 303)
        .header('location', outcome.location)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send();
    case 'login':
      return reply.redirect(loginUrl(issuer, `${path}?${queryOf(outcome.params, outcome.repeated)}`), 303);
    case 'consent':
      if (!session) return reply.redirect(loginUrl(issuer, `${path}?${queryOf(outcome.params, outcome.repeated)}`), 303);
      return reply.headers(pageHeaders()).send(
        renderConsentPage({
          session,
          client: outcome.client,
          scopes: outcome.scopes,
          action: `${path}/decision`,
          hidden: outcome.params,
          ...(outcome.repeated ? { repeated: outcome.repeated } : {}),
        }),
      );
    case 'page':
      return reply.headers(pageHeaders()).send(outcome.html);
  }
}

/**
 * The authorization endpoint of one family: GET (and POST, as OIDC allows) runs the checks; the
 * consent form posts back to `<path>/decision` with the same parameters and a CSRF token, and
 * every check runs again.
 */
export function registerAuthorizeRoutes(server: FastifyInstance, ctx: HttpContext, path: string, family: ClientFamily): void {
  const service = ctx.app.oauth2;
  const run = async (req: FastifyRequest, reply: FastifyReply, params: RawParams, decision?: 'allow' | 'deny') => {
    const options = service.authorize[family];
    if (!options) return reply.code(404).send({ error: 'not_found' });
    const session = await currentSession(ctx, req);
    const outcome = await authorize(service.deps, options, {
      params,
      session: session ? { user: session.user, authTime: session.authTime, sid: session.sid } : null,
      ...(decision ? { decision } : {}),
    });
    recordAuthorizeOutcome(ctx.app, path, params, outcome, session, req.ip);
    return sendOutcome(reply, ctx.app.config.issuer, path, outcome, session, req.method);
  };
  server.get(path, async (req, reply) => run(req, reply, toPlainRequest(req).query));
  server.post(path, async (req, reply) => run(req, reply, toPlainRequest(req).body));
  server.post(`${path}/decision`, async (req, reply) => {
    const body = toPlainRequest(req).body;
    const params = withoutFormFields(body);
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(ctx.app.config.issuer, `${path}?${new URLSearchParams(params as Record<string, string>).toString()}`), 303);
    if (!checkCsrf(session, body.csrf_token)) {
      return reply.code(400).headers(pageHeaders()).send(renderErrorPage('The form expired', 'Go back to the application and start again.'));
    }
    const decision = body.decision === 'allow' ? 'allow' : body.decision === 'deny' ? 'deny' : undefined;
    if (!decision) return reply.code(400).headers(pageHeaders()).send(renderErrorPage('Bad request', 'Choose Allow or Deny.'));
    return run(req, reply, params, decision);
  });
}

/** Failed authorization requests and completed sign-ins, for the client's detail view. */
function recordAuthorizeOutcome(
  app: HttpContext['app'],
  path: string,
  params: RawParams,
  outcome: AuthorizeOutcome,
  session: Awaited<ReturnType<typeof currentSession>>,
  source: string,
): void {
  const clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
  if (!clientId) return;
  if (outcome.kind === 'error-page') {
    recordClientFailure(app, clientId, source, { endpoint: path, error: outcome.title, reason: outcome.message });
  } else if (outcome.kind === 'redirect') {
    const location = new URL(outcome.location);
    const answer = new URLSearchParams(location.hash.slice(1) || location.search.slice(1));
    const error = answer.get('error');
    if (error) recordClientFailure(app, clientId, source, { endpoint: path, error, reason: answer.get('error_description') ?? error });
    else if (session) recordClientSignIn(app, clientId, session.user.username, source, { endpoint: path, response_type: params.response_type ?? null });
  }
}

export const registerOAuth2: HttpModule = (server, ctx) => {
  const { app } = ctx;
  const service = app.oauth2;
  ctx.resolvers.push(bearerResolver(app));

  // Serialized once and sent as is, until the scope catalog or the registration setting changes.
  let metadata = { key: '', body: '' };
  const metadataBody = (): string => {
    const scopes = service.deps.scopes.names();
    const registration = registrationEndpointMember(app.config, 'oauth2');
    const key = JSON.stringify([scopes, registration]);
    if (metadata.key !== key) metadata = { key, body: JSON.stringify({ ...authorizationServerMetadata(app.config.issuer, scopes), ...registration }) };
    return metadata.body;
  };
  const METADATA_HEADERS = { 'cache-control': 'public, max-age=300', 'content-type': 'application/json; charset=utf-8' };
  for (const path of metadataWellKnownPaths(app.config.issuer)) {
    server.get(path, async (_req, reply) => reply.headers(METADATA_HEADERS).send(metadataBody()));
    ctx.staticAnswers.add(path, () => ({ body: metadataBody(), headers: METADATA_HEADERS }));
  }
  // Short cache: after a rotation, clients refetch on an unknown kid anyway.
  const JWKS_HEADERS = { 'cache-control': 'public, max-age=60', 'content-type': 'application/jwk-set+json; charset=utf-8' };
  server.get(OAUTH2_PATHS.jwks, async (_req, reply) => reply.headers(JWKS_HEADERS).send(await service.keys.jwksJson()));
  ctx.staticAnswers.add(OAUTH2_PATHS.jwks, () => {
    // Between re-reads of the keys only; the route above re-reads them.
    const body = service.keys.jwksJsonIfFresh();
    return body === null ? null : { body, headers: JWKS_HEADERS };
  });

  registerTokenRoute(server, ctx, OAUTH2_PATHS.token, 'oauth2');
  registerDeviceAuthorizationRoute(server, ctx, OAUTH2_PATHS.deviceAuthorization, 'oauth2');
  postOnly(
    server,
    OAUTH2_PATHS.introspect,
    limitingAuthFailures(
      ctx.app,
      'introspect',
      introspectionEndpoint(service.deps, (token) => introspectPat(ctx.app, token)),
    ),
  );
  postOnly(server, OAUTH2_PATHS.revoke, limitingAuthFailures(ctx.app, 'revoke', revocationEndpoint(service.deps)));
  registerAuthorizeRoutes(server, ctx, OAUTH2_PATHS.authorize, 'oauth2');
  registerDevicePages(server, ctx);
  registerApiMe(server, ctx);
};
