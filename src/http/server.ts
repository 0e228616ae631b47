import { createServer, type IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import pino from 'pino';
import type { App } from '../compose.js';
import { type HttpContext, REQUEST_LOG_LEVELS, type RequestLine } from './context.js';
import { errorHandler } from './errors.js';
import { parseForm } from './plain.js';
import { basicResolver, type PrincipalResolver } from './principal.js';
import { boundedJsonParser, clientErrorHandler, frameworkErrors, LIMITS, logSerializers } from './request-limits.js';
import { requestLineJson } from './request-line.js';
import { ROUTE_MODULES } from './routes/index.js';
import { StaticAnswers } from './static-answers.js';

export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.bind_password',
  '*.client_secret',
  '*.secret',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.registration_access_token',
  '*.oauth_token_secret',
];

/** The client's address as Fastify's `req.ip` gives it: with a trusted proxy, the first X-Forwarded-For entry. */
function sourceAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  if (typeof forwarded === 'string' && forwarded !== '') return forwarded.split(',')[0]?.trim();
  return req.socket.remoteAddress;
}

function requestIds(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${(n++).toString(36)}`;
}

/** Safe defaults on every response; pages set a stricter CSP and their own framing rules. */
function securityHeaders(https: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    // RFC 6797: only meaningful, and only sent, over https.
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

export interface BuildOptions {
  logger?: boolean;
  /** Where log lines go instead of standard output (tests read them). */
  logStream?: { write(line: string): void };
  /**
   * The number (1…LATCHKEY_WORKERS) of the worker process this server runs in, sent as
   * X-Latchkey-Worker on every response so an operator can tell which worker answered; absent
   * with a single process. A small number, never a process id.
   */
  worker?: number;
}

export async function buildServer(app: App, options: BuildOptions = {}): Promise<FastifyInstance> {
  const defaults = securityHeaders(app.config.issuer.startsWith('https:'));
  if (options.worker !== undefined) defaults['x-latchkey-worker'] = String(options.worker);
  const nextRequestId = requestIds(app.random.bytes(6).toString('hex'));
  const logging = !(options.logger === false || app.config.logLevel === 'silent');
  // Standard output, synchronously, unless the caller passes a stream (`latchkey serve`: asyncStdout).
  const stream = logging ? (options.logStream ?? pino.destination(1)) : null;
  // Request lines go to the same stream, built directly (see requestLineJson).
  const logRequest = (line: RequestLine) => {
    if (stream && REQUEST_LOG_LEVELS.has(server.log.level)) stream.write(requestLineJson(line));
  };
  // The line of a document answered before Fastify: the fields registerHardening logs.
  const logAnswered = (req: IncomingMessage, url: string, ms: number) =>
    logRequest({
      reqId: nextRequestId(),
      req: { method: 'GET', url, ip: sourceAddress(req, app.config.trustProxy) },
      res: { statusCode: 200 },
      responseTime: Math.round(ms * 10) / 10,
      outcome: 'ok',
    });
  const staticAnswers = new StaticAnswers(app.metrics, defaults, logAnswered);
  const server = Fastify({
    // Fastify's own HTTP/1.1 server set-up, with static documents answered before its handler.
    serverFactory: (handler) => {
      const http = createServer({ maxHeaderSize: LIMITS.headerBytes }, (req, res) => {
        if (!staticAnswers.serve(req, res)) handler(req, res);
      });
      // Fastify's defaults for the server it would have made.
      http.keepAliveTimeout = 72_000;
      http.requestTimeout = LIMITS.requestTimeoutMs;
      http.setTimeout(0);
      return http;
    },
    logger: stream ? { level: app.config.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' }, serializers: logSerializers, stream } : false,
    trustProxy: app.config.trustProxy,
    bodyLimit: LIMITS.bodyBytes,
    // registerHardening writes one line per request instead (with client and outcome).
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler,
    frameworkErrors,
    routerOptions: { maxParamLength: 500 },
    // Request ids for log correlation; never taken from the client. A random prefix per process and
    // a counter: unique across instances, without drawing random bytes for every request.
    genReqId: nextRequestId,
    ajv: { customOptions: { removeAdditional: false } },
  });
  server.server.maxHeadersCount = LIMITS.headerCount;
  server.setErrorHandler(errorHandler);
  await server.register(cookie);
  server.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not_found', error_description: `no route for ${req.method} ${req.url.split('?')[0]}` });
  });
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    req.rawBody = text;
    done(null, parseForm(text));
  });
  // JSON bodies are bounded (depth, keys and elements) before they are parsed, on every route.
  server.addContentTypeParser('application/json', { parseAs: 'string' }, boundedJsonParser(server.getDefaultJsonParser('error', 'error')));
  // No legitimate parameter holds a NUL character, and PostgreSQL text cannot store one:
  // refuse it at the edge instead of letting it reach a query.
  server.addHook('preValidation', (req, reply, done) => {
    if (hasNul(req.query) || hasNul(req.params) || hasNul(req.body)) {
      void reply.code(400).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: 'the request contains a NUL character' });
      return;
    }
    done();
  });
  // Set before the handler, so a page can still replace a default with its own value.
  server.addHook('onRequest', (_req, reply, done) => {
    reply.headers(defaults);
    done();
  });
  server.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = `${Math.floor(reply.statusCode / 100)}xx`;
    // Outcome: "ok", or the registered error code the answer carried (set by registerHardening).
    app.metrics.requests.inc({ route, method: req.method, status, outcome: req.outcome ?? (reply.statusCode < 400 ? 'ok' : 'error') });
    app.metrics.duration.observe({ route }, reply.elapsedTime / 1000);
    done();
  });

  const resolvers: PrincipalResolver[] = [];
  const ctx: HttpContext = {
    app,
    resolvers,
    staticAnswers,
    logRequest,
    async authenticate(req) {
      for (const resolve of resolvers) {
        const r = await resolve(req);
        // A verified token or signature establishes its client, for the request log.
        if (r.kind === 'ok' && r.principal.clientKey !== undefined) req.authenticatedClient = r.principal.clientKey;
        if (r.kind !== 'none') return r;
      }
      return { kind: 'none' };
    },
  };
  for (const register of ROUTE_MODULES) await register(server, ctx);
  // Basic comes last: session, bearer and OAuth 1.0a schemes are registered by their modules.
  resolvers.push(basicResolver(app));
  return server;
}

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 20 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v, depth + 1));
}
