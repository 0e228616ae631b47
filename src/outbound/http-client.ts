import { promises as dns, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Outbound, OutboundHttp, OutboundRequest, OutboundResponse } from '../core/outbound.js';
import { normalizeHost, OutboundPolicy } from './address-policy.js';

type OutboundConfig = Pick<Config, 'outboundAllow' | 'outboundSchemes'>;

/** Bounds of every server-side request (documented in SECURITY.md). */
export const OUTBOUND_LIMITS = {
  /** Name resolution plus TCP connect. */
  connectTimeoutMs: 3_000,
  /** The whole exchange, response body included; a request may ask for less. */
  timeoutMs: 10_000,
  /** A longer response is abandoned. */
  maxResponseBytes: 256 * 1024,
} as const;

/** Resolves a host name to every address it has (the system resolver unless replaced). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, order: 'verbatim' });

export type OutboundFailure = 'refused' | 'timeout' | 'too_large' | 'failed';

/** Why a server-side request did not complete. Its message names the origin, never the path or query. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundClientOptions {
  policy: OutboundPolicy;
  resolve?: Resolver;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  maxResponseBytes?: number;
  userAgent?: string;
}

/**
 * The one client for requests the server sends on its own. Safe by construction:
 * - the URL's scheme, userinfo and literal address are checked first (OutboundPolicy.targetRefusal);
 * - host names are resolved by the agents' own `lookup`, which refuses the connection when any
 *   address is internal and hands the connection exactly the addresses it checked, so a second,
 *   different DNS answer (rebinding) is never used;
 * - the connected socket's remote address is checked again before a byte is written;
 * - no redirect is followed (a 3xx is returned as the answer), no connection is kept alive;
 * - name resolution and connect, the whole exchange, and the response size are bounded.
 */
export function createOutboundHttp(options: OutboundClientOptions): OutboundHttp {
  const { policy } = options;
  const resolve = options.resolve ?? systemResolver;
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const fail = (err: NodeJS.ErrnoException) => (lookupOptions.all ? callback(err, []) : callback(err, '', 4));
    resolve(hostname).then(
      (found) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = family === 0 ? found : found.filter((a) => a.family === family);
        const first = usable[0];
        if (!first) return fail(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
        if (!policy.hostAllowed(hostname)) {
          for (const a of usable) {
            const refusal = policy.addressRefusal(a.address);
            if (refusal !== null) return fail(new OutboundError('refused', `${hostname} resolves to ${refusal}`));
          }
        }
        if (lookupOptions.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => fail(err),
    );
  };
  const agents = {
    'http:': new http.Agent({ keepAlive: false, lookup }),
    'https:': new https.Agent({ keepAlive: false, lookup }),
  };
  return {
    send: (request) => send(options, policy, agents, lookup, request),
  };
}

function origin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function send(
  options: OutboundClientOptions,
  policy: OutboundPolicy,
  agents: { 'http:': http.Agent; 'https:': https.Agent },
  lookup: LookupFunction,
  request: OutboundRequest,
): Promise<OutboundResponse> {
  const refusal = policy.targetRefusal(request.url);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return Promise.reject(new OutboundError('refused', 'the URL is not absolute'));
  }
  const where = origin(url);
  if (refusal !== null) return Promise.reject(new OutboundError('refused', `${where}: ${refusal}`));
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const maxBytes = options.maxResponseBytes ?? OUTBOUND_LIMITS.maxResponseBytes;
  const overall = Math.min(request.timeoutMs ?? Number.POSITIVE_INFINITY, options.timeoutMs ?? OUTBOUND_LIMITS.timeoutMs);
  const connectMs = Math.min(overall, options.connectTimeoutMs ?? OUTBOUND_LIMITS.connectTimeoutMs);
  const trustedHost = policy.hostAllowed(normalizeHost(url.hostname));

  return new Promise<OutboundResponse>((resolvePromise, rejectPromise) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (err: Error | null, value?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (err) {
        req.destroy();
        rejectPromise(err instanceof OutboundError ? err : new OutboundError('failed', `${where}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      } else if (value) resolvePromise(value);
    };
    const module = protocol === 'https:' ? https : http;
    const req = module.request(url, {
      method: request.method,
      agent: agents[protocol],
      lookup,
      headers: { 'user-agent': options.userAgent ?? 'Latchkey/1', ...(request.headers ?? {}), connection: 'close' },
    });
    timers.push(setTimeout(() => finish(new OutboundError('timeout', `${where} did not answer within ${overall} ms`)), overall));
    const connectTimer = setTimeout(() => finish(new OutboundError('timeout', `${where}: no connection within ${connectMs} ms`)), connectMs);
    timers.push(connectTimer);
    req.on('socket', (socket: Socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        // The address actually connected to (literal hosts included), before anything is written.
        const remote = socket.remoteAddress ?? '';
        const refused = trustedHost ? null : policy.addressRefusal(remote);
        if (refused !== null) finish(new OutboundError('refused', `${where}: ${refused}`));
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.on('response', (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) return finish(new OutboundError('too_large', `${where} answered more than ${maxBytes} bytes`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) finish(new OutboundError('too_large', `${where} answered more than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        finish(null, { status: res.statusCode ?? 0, headers, body: new Uint8Array(Buffer.concat(chunks)) });
      });
      res.on('error', (err) => finish(err));
      res.on('aborted', () => finish(new OutboundError('failed', `${where} closed the connection mid-answer`)));
    });
    req.on('error', (err) => finish(err));
    req.end(request.body);
  });
}

/**
 * The outbound policy and client of a configuration (LATCHKEY_OUTBOUND_ALLOW and _SCHEMES): one
 * per app, so that registration and sending judge alike.
 */
export function createOutbound(config: OutboundConfig): Outbound {
  const policy = new OutboundPolicy({ allow: config.outboundAllow, schemes: config.outboundSchemes });
  return { http: createOutboundHttp({ policy }), refusal: (url) => policy.targetRefusal(url) };
}
