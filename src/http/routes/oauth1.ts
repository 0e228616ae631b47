import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../../compose.js';
import { isLoopbackHost } from '../../core/clients/redirect-uri.js';
import type { OAuth1Deps } from '../../core/oauth1/deps.js';
import { accessToken } from '../../core/oauth1/endpoints/access-token.js';
import { decideAuthorization, pendingAuthorization } from '../../core/oauth1/endpoints/authorize.js';
import { requestToken } from '../../core/oauth1/endpoints/request-token.js';
import { authenticateResource } from '../../core/oauth1/endpoints/resource.js';
import { requestFromInput, verifyForResourceServer } from '../../core/oauth1/endpoints/verify.js';
import { VERIFY_FAILURES } from '../../core/oauth1/endpoints/verify-caller.js';
import { OAuth1Problem, type OAuth1Response, problemChallenge } from '../../core/oauth1/problems.js';
import { looksSigned, type SignedRequest } from '../../core/oauth1/request.js';
import { userPermissions } from '../../core/users/permissions.js';
import type { HttpContext, HttpModule } from '../context.js';
import { html, layout, pageHeaders } from '../html.js';
import { renderConsentPage, renderErrorPage } from '../pages/consent.js';
import { API_SCOPES, type PrincipalResolver } from '../principal.js';
import { checkCsrf, requireSession } from '../session.js';

/** What an OAuth 1.0a grant lets a consumer do: the user's profile and API, within the user's permissions. */
const OAUTH1_SCOPES = [
  { name: API_SCOPES.profile, description: 'read your profile (name, username, e-mail)' },
  { name: API_SCOPES.admin, description: 'use Latchkey’s API on your behalf, with your permissions and no more' },
];

/**
 * The base string URI of this request (RFC 5849 §3.4.1.2) as the client saw it: the configured
 * issuer's scheme, host and port (so it holds behind a reverse proxy) and the request path, with
 * the issuer's path prefix added when the proxy stripped it.
 */
function publicBase(app: App): { origin: string; prefix: string; secure: boolean } {
  const issuer = new URL(app.config.issuer);
  return {
    origin: `${issuer.protocol}//${issuer.host}`,
    prefix: issuer.pathname.replace(/\/$/, ''),
    // §3.4.4: PLAINTEXT needs TLS; a loopback http issuer is a developer's machine.
    secure: issuer.protocol === 'https:' || isLoopbackHost(issuer.hostname),
  };
}

function signedRequestOf(app: App, req: FastifyRequest): SignedRequest {
  const base = publicBase(app);
  const q = req.url.indexOf('?');
  const path = q >= 0 ? req.url.slice(0, q) : req.url;
  const fullPath = base.prefix !== '' && !path.startsWith(`${base.prefix}/`) ? `${base.prefix}${path}` : path;
  const type = (req.headers['content-type'] ?? '').toLowerCase().split(';')[0]?.trim();
  return {
    method: req.method,
    baseUri: `${base.origin}${fullPath}`,
    query: q >= 0 ? req.url.slice(q + 1) : '',
    authorization: req.headers.authorization,
    formBody: type === 'application/x-www-form-urlencoded' ? (req.rawBody ?? '') : null,
    secureTransport: base.secure,
    remoteAddress: req.ip,
  };
}

function send(reply: FastifyReply, res: OAuth1Response): FastifyReply {
  return reply.code(res.status).headers(res.headers).send(res.body);
}

/**
 * OAuth 1.0a-signed requests to Latchkey's own API (GET /api/me, the admin API): token
 * credentials act as the user who authorized them, with that user's permissions.
 */
function oauth1Resolver(app: App, d: OAuth1Deps): PrincipalResolver {
  return async (req) => {
    const signed = signedRequestOf(app, req);
    if (!looksSigned(signed)) return { kind: 'none' };
    try {
      const { user, client } = await authenticateResource(d, signed);
      return {
        kind: 'ok',
        principal: {
          user,
          permissions: userPermissions(user),
          via: 'oauth1',
          clientKey: client.key,
          scopes: OAUTH1_SCOPES.map((s) => s.name),
        },
      };
    } catch (err) {
      if (!(err instanceof OAuth1Problem)) throw err;
      return {
        kind: 'invalid',
        status: err.status,
        challenge: problemChallenge(err, d.realm),
        error: err.problem,
        description: err.details.oauth_problem_advice ?? err.problem,
      };
    }
  };
}

const verifyBody = z
  .object({
    method: z.string().regex(/^[A-Za-z]{1,20}$/),
    url: z.string().min(1).max(8000),
    authorization: z.string().max(8000).optional(),
    body: z
      .string()
      .max(64 * 1024)
      .optional(),
    content_type: z.string().max(200).optional(),
    consume_nonce: z.boolean().optional(),
  })
  .strict();

export const registerOAuth1: HttpModule = (server, ctx: HttpContext) => {
  const { app } = ctx;
  const d = app.oauth1.deps;
  ctx.resolvers.push(oauth1Resolver(app, d));

  // Expired temporary credentials and nonces are purged by the app's purge tasks (buildOAuth1).

  // RFC 5849 §2.1 and §2.3 ask for POST unless documented otherwise; GET is accepted too.
  for (const method of ['GET', 'POST'] as const) {
    server.route({ method, url: '/oauth1/request_token', handler: async (req, reply) => send(reply, await requestToken(d, signedRequestOf(app, req))) });
    server.route({
      method,
      url: '/oauth1/access_token',
      handler: async (req, reply) => {
        const res = await accessToken(d, signedRequestOf(app, req));
        if (res.status === 200) app.metrics.tokensIssued.inc({ grant_type: 'oauth1', token_type: 'token_credentials', client_type: 'oauth1' });
        return send(reply, res);
      },
    });
  }

  server.get('/oauth1/authorize', async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const session = await requireSession(ctx, req, reply, req.url);
    if (!session) return reply;
    const pending = await pendingAuthorization(d, query.oauth_token);
    if (pending.kind === 'failure') return reply.code(400).headers(pageHeaders()).send(renderErrorPage(pending.title, pending.message));
    const callback = pending.temporary.callback;
    const where =
      callback === 'oob' ? 'You will be shown a code to copy into the application.' : `After you answer you will be sent back to ${callbackHost(callback)}.`;
    const admin = userPermissions(session.user).size > 0 ? ' It will act with your administrative permissions.' : '';
    return reply.headers(pageHeaders()).send(
      renderConsentPage({
        session,
        client: pending.client,
        scopes: OAUTH1_SCOPES,
        action: '/oauth1/authorize',
        hidden: { oauth_token: String(query.oauth_token) },
        warning: `${where}${admin}`,
      }),
    );
  });

  server.post('/oauth1/authorize', async (req, reply) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const session = await requireSession(ctx, req, reply, '/');
    if (!session) return reply;
    if (!checkCsrf(session, body.csrf_token)) {
      return reply.code(400).headers(pageHeaders()).send(renderErrorPage('Form expired', 'The form expired. Go back to the application and start again.'));
    }
    const decision = body.decision;
    if (decision !== 'allow' && decision !== 'deny') {
      return reply.code(400).headers(pageHeaders()).send(renderErrorPage('No decision', 'Choose Allow or Deny.'));
    }
    const result = await decideAuthorization(d, body.oauth_token, session.user, decision === 'allow');
    if (result.kind === 'failure') return reply.code(400).headers(pageHeaders()).send(renderErrorPage(result.title, result.message));
    if (result.kind === 'denied') {
      if (result.location) return reply.header('cache-control', 'no-store').redirect(result.location, 303);
      return reply
        .headers(pageHeaders())
        .send(
          layout(
            'Access denied',
            html`<section class="card narrow"><h1>Access denied</h1><p>You did not allow ${result.client.name}. You can close this page.</p></section>`,
          ),
        );
    }
    // Listed under "Authorized applications", where revoking it deletes the tokens (userRevokedClient hook).
    await app.consents.grant(
      session.user.id,
      result.client.key,
      OAUTH1_SCOPES.map((s) => s.name),
      app.clock.now(),
    );
    // The verifier rides in the URL: never cached, never sent on as a Referer (RFC 5849 §4.4, RFC 9700 §4.2).
    if (result.kind === 'redirect') return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(result.location, 303);
    return reply.headers(pageHeaders()).send(
      layout(
        'Authorization code',
        html`<section class="card narrow" aria-labelledby="oob-title">
  <h1 id="oob-title">You allowed ${result.client.name}</h1>
  <p>Copy this verification code into the application to finish:</p>
  <p><output id="oauth-verifier" class="code" aria-label="Verification code">${result.verifier}</output></p>
  <p class="muted small">The code works once, within a few minutes.</p>
</section>`,
      ),
    );
  });

  // Verification for other resource servers; documented in docs/oauth1.md.
  server.post('/api/oauth1/verify', { bodyLimit: 128 * 1024 }, async (req, reply) => {
    const caller = await app.oauth1.verifyCaller(req.headers.authorization, req.ip);
    if (caller === 'throttled') {
      return reply
        .code(429)
        .header('retry-after', String(VERIFY_FAILURES.windowMs / 1000))
        .send({ error: 'too_many_attempts', error_description: 'too many failed authentications; try again later' });
    }
    if (caller === null) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="latchkey", charset="UTF-8"')
        .send({ error: 'invalid_client', error_description: 'authenticate with the client key and secret of an approved confidential OAuth 2.0 client' });
    }
    if (caller === 'not_allowed') {
      return reply.code(403).send({
        error: 'unauthorized_client',
        error_description: 'this client is not a resource server: an administrator must mark it as one before it may verify requests of other clients',
      });
    }
    req.authenticatedClient = caller.key;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('application/json')) return reply.code(415).send({ error: 'invalid_request', error_description: 'the body must be JSON' });
    const parsed = verifyBody.safeParse(req.body);
    if (!parsed.success) {
      return reply
        .code(400)
        .send({ error: 'invalid_request', error_description: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    }
    const input = parsed.data;
    const signed = requestFromInput({
      method: input.method,
      url: input.url,
      authorization: input.authorization,
      body: input.body,
      contentType: input.content_type,
    });
    if (!signed) return reply.code(400).send({ error: 'invalid_request', error_description: 'url must be an absolute http or https URL' });
    const outcome = await verifyForResourceServer(d, signed, input.consume_nonce ?? true);
    return reply.header('cache-control', 'no-store').send(outcome);
  });
};

/** Where the browser goes next, as shown on the consent page (the host, or the app's own scheme). */
function callbackHost(callback: string): string {
  try {
    const u = new URL(callback);
    return u.host || u.protocol;
  } catch {
    return 'the application';
  }
}
