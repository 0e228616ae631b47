import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AdminError } from '../admin/errors.js';
import { OSLC_PATHS } from '../core/oslc/rootservices.js';
import { PatError } from '../core/tokens/personal-access-tokens.js';
import { isDatabaseUnavailable } from '../storage/purge.js';

/** Routes whose errors the admin API serializer writes: `{error, message, fields}`. */
function isAdminApiRoute(req: FastifyRequest): boolean {
  const route = req.routeOptions.url ?? '';
  return route.startsWith('/admin/api/') || route === OSLC_PATHS.requestConsumerKey;
}

/**
 * Last-resort error handler. Framework errors caused by the request (bad JSON, body too large,
 * wrong content type) keep their 4xx status with a plain message; anything else is a bug and
 * becomes a generic server_error, logged and never echoed.
 */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AdminError) {
    void reply.code(err.status).send({ error: err.code, message: err.message, fields: err.fields });
    return;
  }
  if (err instanceof PatError) {
    void reply.code(err.status).send({ error: err.code, message: err.message });
    return;
  }
  if (isDatabaseUnavailable(err)) {
    // The database is down or restarting: tell clients to come back instead of failing hard.
    req.log.warn('database unavailable');
    void reply.code(503).header('retry-after', '1').header('cache-control', 'no-store').send({
      error: 'temporarily_unavailable',
      error_description: 'the service is temporarily unavailable; retry shortly',
    });
    return;
  }
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message =
      status === 413
        ? 'request body is too large'
        : status === 415
          ? 'unsupported content type'
          : 'code' in err && err.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
            ? 'the body is not valid JSON'
            : 'code' in err && err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'the JSON body is empty'
              : 'code' in err && (err.code === 'LK_TOO_MANY_PARAMETERS' || err.code === 'LK_JSON_BOUNDS')
                ? err.message
                : 'the request is malformed';
    reply.code(status).header('cache-control', 'no-store');
    // The admin API (and the OSLC consumer-key request, which shares its serializer) answers in its own shape.
    if (isAdminApiRoute(req)) void reply.send({ error: 'invalid_request', message, fields: [] });
    else void reply.send({ error: 'invalid_request', error_description: message });
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: 'internal error' });
}
