import type { App } from '../compose.js';
import { type EndpointRequest, type EndpointResponse, json } from '../core/oauth2/endpoints/request.js';
import { clientIdOf } from './client-activity.js';

/** Every limit here counts within one minute. */
const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;

/** Counter keys (SharedRateCounter, so every instance counts together); /metrics reads them by prefix. */
export const FAILURES_BY_ADDRESS = 'authfail:address:';
export const FAILURES_BY_CLIENT = 'authfail:client:';
export const TOKENS_BY_CLIENT = 'rate:client-token:';

type Endpoint = (req: EndpointRequest) => Promise<EndpointResponse>;

function tooMany(description: string): EndpointResponse {
  const res = json({ error: 'temporarily_unavailable', error_description: `${description}; retry after ${WINDOW_SECONDS} seconds` }, 429);
  res.headers['retry-after'] = String(WINDOW_SECONDS);
  return res;
}

/** A client identifier short enough to be a counter key; anything else is counted by address only. */
function claimedClient(req: EndpointRequest): string | undefined {
  const id = clientIdOf(req);
  return id !== undefined && id !== '' && id.length <= 200 ? id : undefined;
}

/**
 * Limits what guessing costs, not what working clients do. A request whose client authentication
 * failed (RFC 6749 §5.2 `invalid_client`, an unknown client included) counts against its source
 * address and against the client it named; once either reaches LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT
 * within a minute, further requests of that address or client get 429 before any credential is
 * checked. Successful requests count nothing here.
 */
export function limitingAuthFailures(app: App, endpoint: string, inner: Endpoint): Endpoint {
  return async (req) => {
    const limit = app.config.clientAuthFailureLimit;
    const client = claimedClient(req);
    const addressKey = `${FAILURES_BY_ADDRESS}${req.remoteAddress}`;
    const clientKey = client === undefined ? undefined : `${FAILURES_BY_CLIENT}${client}`;
    const byAddress = app.rateCounter.count(addressKey, WINDOW_MS) >= limit;
    if (byAddress || (clientKey !== undefined && app.rateCounter.count(clientKey, WINDOW_MS) >= limit)) {
      await app.securityEvents({ kind: 'rate_limited', source: req.remoteAddress, details: { endpoint, limit: 'client_auth_failures' } });
      return tooMany(byAddress ? 'too many failed client authentications from this address' : 'too many failed authentications of this client');
    }
    const res = await inner(req);
    if (res.body.error === 'invalid_client') {
      app.rateCounter.hit(addressKey, WINDOW_MS);
      if (clientKey !== undefined) app.rateCounter.hit(clientKey, WINDOW_MS);
    }
    return res;
  };
}

/**
 * LATCHKEY_CLIENT_TOKEN_RATE_LIMIT (0, the default, turns it off): successful token requests per
 * client and minute, every instance together. Counted per client, never per address, so clients
 * behind one NAT or proxy do not share a budget.
 */
export function limitingClientTokens(app: App, endpoint: string, inner: Endpoint): Endpoint {
  return async (req) => {
    const limit = app.config.clientTokenRateLimit;
    if (limit === 0) return inner(req);
    const client = claimedClient(req);
    if (client !== undefined && app.rateCounter.count(`${TOKENS_BY_CLIENT}${client}`, WINDOW_MS) >= limit) {
      await app.securityEvents({ kind: 'rate_limited', source: req.remoteAddress, details: { endpoint, limit: 'client_tokens' } });
      return tooMany('too many token requests of this client');
    }
    let authenticated: string | undefined;
    const res = await inner({
      ...req,
      onClientAuthenticated: (key) => {
        authenticated = key;
        req.onClientAuthenticated?.(key);
      },
    });
    const counted = authenticated ?? client;
    if (res.status === 200 && counted !== undefined) app.rateCounter.hit(`${TOKENS_BY_CLIENT}${counted}`, WINDOW_MS);
    return res;
  };
}

/** Gauges for /metrics: the per-client token counts (when that limit is on) and who is being refused. */
export function rateLimitGauges(app: App): string[] {
  const limit = app.config.clientAuthFailureLimit;
  const over = (prefix: string) => [...app.rateCounter.totals(prefix).values()].filter((n) => n >= limit).length;
  const lines = [
    '# HELP latchkey_auth_failure_limited Source addresses and clients whose failed client authentications reached LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT in the current minute.',
    '# TYPE latchkey_auth_failure_limited gauge',
    `latchkey_auth_failure_limited{by="address"} ${over(FAILURES_BY_ADDRESS)}`,
    `latchkey_auth_failure_limited{by="client"} ${over(FAILURES_BY_CLIENT)}`,
  ];
  if (app.config.clientTokenRateLimit > 0) {
    lines.push(
      '# HELP latchkey_client_token_requests Successful token requests of each client in the current minute (LATCHKEY_CLIENT_TOKEN_RATE_LIMIT).',
      '# TYPE latchkey_client_token_requests gauge',
    );
    for (const [client, n] of app.rateCounter.totals(TOKENS_BY_CLIENT))
      lines.push(`latchkey_client_token_requests{client="${client.replace(/[\\"\n]/g, '_')}"} ${n}`);
  }
  return lines;
}
