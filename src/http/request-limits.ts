import type { Socket } from 'node:net';
import type { FastifyBodyParser, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { describeJsonProblem, JSON_BODY_BOUNDS, type JsonBoundsProblem, scanJsonText } from '../core/bounded-json.js';

/** Limits on what one request may carry (documented in SECURITY.md). */
export const LIMITS = {
  /** Request line plus headers (Node's default, made explicit): more gets 431. */
  headerBytes: 16 * 1024,
  /** Header lines Node parses; further ones are dropped before any route sees them. */
  headerCount: 100,
  /** Body ceiling; JSON APIs lower it to 64 KiB (and the OSLC consumer-key request to 16 KiB). */
  bodyBytes: 256 * 1024,
  /** Query or form parameters in one request; OAuth requests need about a dozen. */
  parameters: 100,
  /** JSON bodies: nesting depth and keys plus array elements (JSON_BODY_BOUNDS); more gets 400. */
  jsonDepth: JSON_BODY_BOUNDS.depth,
  jsonMembers: JSON_BODY_BOUNDS.members,
  /** The whole request must arrive within this time (slow-loris). */
  requestTimeoutMs: 30_000,
} as const;

const NO_STORE_JSON = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/**
 * Requests Node cannot parse (malformed request line or headers, headers over the limit, a request
 * that does not arrive in time) are answered here, before Fastify: an RFC 6749 style JSON error,
 * then the connection is closed gently, so the client reads the answer rather than a reset.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, reason, description] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', `the request line and headers exceed ${LIMITS.headerBytes / 1024} KiB`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  const head = Object.entries({ ...NO_STORE_JSON, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n${body}`);
  // Drain what the client is still sending: closing with unread data would reset the connection
  // and could destroy the answer before the client reads it.
  socket.removeAllListeners('data');
  socket.on('data', () => {});
  socket.on('error', () => {});
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** URLs Fastify's router refuses (bad percent-encoding, over-long path parameters). */
export function frameworkErrors(err: Error & { code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  const description = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed';
  void reply.code(400).headers(NO_STORE_JSON).send({ error: 'invalid_request', error_description: description });
}

/** Counts `name=value` pairs the way the parsers will. */
export function countParameters(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) n++;
  return n;
}

export class TooManyParameters extends Error {
  readonly statusCode = 400;
  readonly code = 'LK_TOO_MANY_PARAMETERS';
  constructor() {
    super(`at most ${LIMITS.parameters} parameters are accepted`);
  }
}

/** A JSON body over JSON_BODY_BOUNDS (nesting depth, keys and elements), refused before it is parsed. */
export class JsonBodyRefused extends Error {
  readonly statusCode = 400;
  readonly code = 'LK_JSON_BOUNDS';
  constructor(problem: JsonBoundsProblem) {
    super(describeJsonProblem(problem));
  }
}

/**
 * The application/json parser: the text is scanned against JSON_BODY_BOUNDS first (one
 * iterative pass), and only then parsed, with Fastify's own protection against prototype poisoning.
 */
export function boundedJsonParser(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  // Fastify's default JSON parser is the callback form.
  const parseChecked = parse as (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;
  return (req, body, done) => {
    const problem = scanJsonText(body, JSON_BODY_BOUNDS);
    if (problem) {
      done(new JsonBodyRefused(problem), undefined);
      return;
    }
    parseChecked(req, body, done);
  };
}

/** Refuses a query string with more parameters than LIMITS.parameters (forms are checked by parseForm). */
export const parameterLimit: onRequestHookHandler = async (req, reply) => {
  const q = req.url.indexOf('?');
  if (q >= 0 && countParameters(req.url.slice(q + 1)) > LIMITS.parameters) {
    return reply.code(400).headers(NO_STORE_JSON).send({ error: 'invalid_request', error_description: new TooManyParameters().message });
  }
};

/**
 * Query parameters whose values the request log shows: identifiers and protocol switches, never
 * credentials. Every other value is replaced by [redacted] (tokens, codes, state, nonces, hints,
 * search terms, and names nobody documented).
 */
const LOGGED_PARAMS = new Set([
  'client_id',
  'response_type',
  'response_mode',
  'grant_type',
  'scope',
  'prompt',
  'display',
  'max_age',
  'ui_locales',
  'claims_locales',
  'acr_values',
  'code_challenge_method',
  'token_type_hint',
  'error',
  'type',
  'status',
  'sort',
  'order',
  'limit',
  'offset',
  'done',
  'oauth_consumer_key',
  'oauth_signature_method',
  'oauth_version',
]);
/** Parameters holding a URL: logged with the same redaction applied to that URL's own query. */
const URL_PARAMS = new Set(['return_to', 'redirect_uri', 'post_logout_redirect_uri', 'oauth_callback']);
/** Deeper nesting than this is not unwrapped: the value is redacted whole. */
const MAX_URL_DEPTH = 4;
/** Any other parameter's name is shown only when it looks like a name (short, no token alphabet soup). */
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.[\]-]{0,31}$/;
const REDACTED = '[redacted]';

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The request URL as logged: the path, then each query parameter's name with its value only when
 * the name is on a short allow-list. A URL-valued parameter (return_to, redirect_uri, …) is
 * redacted the same way, recursively — whether it arrived percent-encoded or not, since an
 * unencoded nested URL (return_to=/oauth1/authorize?oauth_token=…) is split by its own "?".
 */
export function redactUrl(url: string, depth = 0): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      const name = formDecode(rawName);
      if (name === undefined || !PARAM_NAME.test(name)) return REDACTED;
      if (eq < 0) return LOGGED_PARAMS.has(name) || URL_PARAMS.has(name) ? rawName : REDACTED;
      const value = pair.slice(eq + 1);
      if (LOGGED_PARAMS.has(name)) return `${rawName}=${value.slice(0, 200)}`;
      if (!URL_PARAMS.has(name) || depth >= MAX_URL_DEPTH) return `${rawName}=${REDACTED}`;
      const nested = formDecode(value);
      if (nested === undefined) return `${rawName}=${REDACTED}`;
      // Only what would end or change the outer parameter is encoded, so the line stays readable.
      return `${rawName}=${redactUrl(nested, depth + 1).replace(/[%&#+\s]/g, (c) => encodeURIComponent(c))}`;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** Pino serializers for requests: method, redacted URL, address; never headers or bodies. */
export const logSerializers = {
  req(req: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string }; headers?: Record<string, unknown> }) {
    return {
      method: req.method,
      url: redactUrl(req.url ?? ''),
      remoteAddress: req.ip ?? req.socket?.remoteAddress,
    };
  },
};
