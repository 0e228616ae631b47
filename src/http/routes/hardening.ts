import type { App } from '../../compose.js';
import { oauth1Of } from '../../core/oauth1/install.js';
import { oauth2Of } from '../../core/oauth2/install.js';
import { type SecurityEventSink, securityEventSink } from '../../core/security-events.js';
import { parameterLimit } from '../hardening.js';
import type { HttpModule } from '../server.js';

const sinks = new WeakMap<App, SecurityEventSink>();

/** The app's security event sink: audit log plus latchkey_security_events_total. */
export function securityEventsOf(app: App): SecurityEventSink {
  let sink = sinks.get(app);
  if (!sink) {
    sink = securityEventSink({ audit: app.stores.audit, metrics: app.metrics, clock: app.clock });
    sinks.set(app, sink);
  }
  return sink;
}

/**
 * Cross-cutting protections registered before any route: the query parameter limit on every
 * request, and the security event sink handed to the protocol cores (replayed codes and nonces,
 * refresh token reuse, failed password grants).
 */
export const registerHardening: HttpModule = (server, { app }) => {
  server.addHook('onRequest', parameterLimit);
  const events = securityEventsOf(app);
  oauth2Of(app).deps.events = events;
  oauth1Of(app).deps.events = events;
};
