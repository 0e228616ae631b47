import type { FastifyRequest } from 'fastify';
import { parseAuthorizationHeader } from '../../core/oauth1/request.js';
import { type HttpModule, REQUEST_LOG_LEVELS } from '../context.js';
import { parameterLimit } from '../request-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The registered error code of a failed request, for the request log. */
    outcome?: string;
    /** The client this request authenticated as (client authentication, a verified token or signature). */
    authenticatedClient?: string;
  }
}

/** A client identifier as it may appear in the log. */
const CLIENT_ID = /^[\x21-\x7e]{1,100}$/;

/**
 * The client of a request, for the log: the one it authenticated as, else the identifier it names
 * in a parameter of its own (client_id, RFC 6749 §2.2; oauth_consumer_key, RFC 5849 §3.1, also
 * from the parsed OAuth Authorization header). Never read from HTTP Basic credentials: a
 * user-id that failed to authenticate, or a value without its ":", may well be a secret.
 */
function clientOf(req: FastifyRequest): string | undefined {
  if (req.authenticatedClient !== undefined) return req.authenticatedClient;
  for (const source of [req.body, req.query]) {
    if (typeof source !== 'object' || source === null) continue;
    const fields = source as Record<string, unknown>;
    for (const name of ['client_id', 'oauth_consumer_key']) {
      const v = fields[name];
      if (typeof v === 'string' && CLIENT_ID.test(v)) return v;
    }
  }
  let pairs: ReturnType<typeof parseAuthorizationHeader> = null;
  try {
    pairs = parseAuthorizationHeader(req.headers.authorization);
  } catch {
    return undefined;
  }
  const consumer = pairs?.find(([name]) => name === 'oauth_consumer_key')?.[1];
  return consumer !== undefined && CLIENT_ID.test(consumer) ? consumer : undefined;
}

/**
 * Cross-cutting protections registered before any route: the query parameter limit on every
 * request, and one structured log line per request.
 */
export const registerHardening: HttpModule = (server) => {
  server.addHook('onRequest', parameterLimit);
  // One structured line per request: id, method, redacted URL, status, time, client and outcome.
  server.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string')
      req.outcome = /"error":"([a-z_]{1,40})"|oauth_problem=([a-z_]{1,40})/.exec(payload.slice(0, 300))?.slice(1).find(Boolean);
    done(null, payload);
  });
  server.addHook('onResponse', (req, reply, done) => {
    done();
    // Above "info" (warn, error, silent) the line is not written: do not build it either.
    if (!REQUEST_LOG_LEVELS.has(req.log.level)) return;
    const outcome = req.outcome ?? (reply.statusCode < 400 ? 'ok' : `http_${reply.statusCode}`);
    req.log.info(
      { req, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 10) / 10, client: clientOf(req), outcome },
      'request completed',
    );
  });
};
