import type { App } from '../compose.js';
import type { EndpointRequest, EndpointResponse } from '../core/oauth2/endpoints/request.js';

/** At most this many failed-request events per client and minute reach the audit log. */
const FAILURES_PER_MINUTE = 20;

/**
 * Records, for a client's detail view, a request of it that failed and why (e.g. "redirect_uri not
 * registered"), so an administrator can tell its developer what is wrong. Only for clients that
 * exist, capped per client so a flood cannot fill the log, and never in the way of the answer.
 */
export function recordClientFailure(app: App, clientKey: unknown, source: string, details: { endpoint: string; error: string; reason: string }): void {
  if (typeof clientKey !== 'string' || clientKey === '' || clientKey.length > 200) return;
  if (app.rateCounter.hit(`activity:fail:${clientKey}`, 60_000) > FAILURES_PER_MINUTE) return;
  void (async () => {
    const client = await app.stores.clients.get(clientKey);
    if (!client) return;
    await app.stores.audit.append({
      at: app.clock.now(),
      actor: 'client',
      source,
      action: 'client.request_failed',
      targetType: 'client',
      target: clientKey,
      details,
    });
  })().catch(() => {});
}

/** Records that a user signed in to an application (authorized it at the authorization endpoint). */
export function recordClientSignIn(app: App, clientKey: string, username: string, source: string, details: Record<string, unknown>): void {
  void app.stores.audit
    .append({ at: app.clock.now(), actor: username, source, action: 'client.sign_in', targetType: 'client', target: clientKey, details })
    .catch(() => {});
  // Last use is coarse (one write a minute at most).
  void app.stores.clients.touchLastUsed(clientKey, app.clock.now()).catch(() => {});
}

/** The client a token-endpoint request names: HTTP Basic user (RFC 6749 §2.3.1) or client_id. */
export function clientIdOf(req: EndpointRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  const id = req.body.client_id;
  return typeof id === 'string' ? id : undefined;
}

/** Wraps a token-style endpoint so its refusals are recorded for the client's detail view. */
export function recordingFailures(app: App, endpoint: string, inner: (req: EndpointRequest) => Promise<EndpointResponse>) {
  return async (req: EndpointRequest): Promise<EndpointResponse> => {
    const res = await inner(req);
    // Polling answers of the device flow are the protocol working, not failures.
    const error = typeof res.body.error === 'string' ? res.body.error : undefined;
    if (res.status >= 400 && error && error !== 'authorization_pending' && error !== 'slow_down') {
      const reason = typeof res.body.error_description === 'string' ? res.body.error_description : error;
      recordClientFailure(app, clientIdOf(req), req.remoteAddress, { endpoint, error, reason });
    }
    return res;
  };
}
