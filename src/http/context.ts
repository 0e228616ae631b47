import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../compose.js';
import type { PrincipalResolver, Resolution } from './principal.js';
import type { logSerializers } from './request-limits.js';
import type { StaticAnswers } from './static-answers.js';

/** What route modules share: the composed app and the chain of API authentication schemes. */
export interface HttpContext {
  app: App;
  /** Tried in order; the first that recognises the request decides. */
  resolvers: PrincipalResolver[];
  authenticate(req: FastifyRequest): Promise<Resolution>;
  /** Documents answered from memory before routing (discovery, metadata, JWKS). */
  staticAnswers: StaticAnswers;
  /** Writes one request-log line, when the level logs requests (REQUEST_LOG_LEVELS). */
  logRequest(line: RequestLine): void;
}

/**
 * The request-log line. Each field is built from an allow-list (logSerializers keeps a request's
 * method, redacted URL and address; the client is an identifier), so the line skips the logger's
 * redaction pass, whose wildcard paths cost more than the rest of the line.
 */
export interface RequestLine {
  reqId: string;
  req: Parameters<(typeof logSerializers)['req']>[0];
  res: { statusCode: number };
  responseTime: number;
  client?: string | undefined;
  outcome: string;
}

export type HttpModule = (server: FastifyInstance, ctx: HttpContext) => void | Promise<void>;

/** Log levels at which registerHardening writes a line per request. */
export const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);

/** Sends a JSON error for a failed authentication. */
export function sendUnauthenticated(reply: FastifyReply, r: Exclude<Resolution, { kind: 'ok' }>): FastifyReply {
  if (r.kind === 'none') {
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="latchkey"')
      .send({ error: 'unauthenticated', message: 'sign in, or send Basic credentials, a Bearer token or an OAuth 1.0a signed request' });
  }
  if (r.retryAfter !== undefined) reply.header('retry-after', String(r.retryAfter));
  return reply.code(r.status).header('www-authenticate', r.challenge).send({ error: r.error, message: r.description });
}
