import type { Metrics } from './metrics.js';
import type { AuditStore, Clock } from './ports.js';

/**
 * Security events: what an operator wants to see when someone probes or abuses the server. Each
 * is written to the audit log and counted in latchkey_security_events_total{event=…}.
 */
export type SecurityEventKind =
  /** A wrong password (login form, password grant, HTTP Basic). */
  | 'signin_failed'
  /** An authorization code presented a second time (RFC 6749 §4.1.2, RFC 9700 §4.5). */
  | 'code_replayed'
  /** A rotated refresh token presented again after the grace window (RFC 9700 §4.14.2). */
  | 'refresh_token_reused'
  /** An OAuth 1.0a nonce/timestamp/token combination used twice (RFC 5849 §3.3). */
  | 'nonce_replayed'
  /** A request refused by a rate limit. */
  | 'rate_limited';

export interface SecurityEvent {
  kind: SecurityEventKind;
  /** The client involved, when one is known. */
  clientKey?: string;
  /** The username or user id involved, when one is known. */
  user?: string;
  /** Source address of the request, when known. */
  source?: string;
  /** Extra, non-secret facts (grant id, channel, endpoint). Never a token, code or password. */
  details?: Record<string, unknown>;
}

/** Where the protocol cores report security events; optional in their dependencies. */
export type SecurityEventSink = (event: SecurityEvent) => Promise<void>;

/** Audit actions: failed sign-ins keep the name the login form has always used. */
export function auditAction(kind: SecurityEventKind): string {
  return kind === 'signin_failed' ? 'signin.failed' : `security.${kind}`;
}

/**
 * A sink that appends each event to the audit log and counts it. Rate-limit refusals are only
 * counted: a flood must not turn into a flood of audit rows. Recording never fails the request.
 */
export function securityEventSink(d: {
  audit: Pick<AuditStore, 'append'>;
  metrics: Pick<Metrics, 'securityEvents' | 'signInFailures'>;
  clock: Clock;
}): SecurityEventSink {
  return async (event) => {
    d.metrics.securityEvents.inc({ event: event.kind });
    if (event.kind === 'signin_failed') d.metrics.signInFailures.inc({ channel: String(event.details?.channel ?? 'unknown') });
    if (event.kind === 'rate_limited') return;
    const onClient = event.clientKey !== undefined && event.kind !== 'signin_failed';
    try {
      await d.audit.append({
        at: d.clock.now(),
        actor: event.user ?? event.clientKey ?? 'unknown',
        source: event.source ?? 'unknown',
        action: auditAction(event.kind),
        targetType: onClient ? 'client' : 'user',
        target: (onClient ? event.clientKey : event.user) ?? null,
        details: { ...(event.details ?? {}), ...(event.clientKey !== undefined && !onClient ? { client: event.clientKey } : {}) },
      });
    } catch {
      // The audit store is the database: if it is down, the request fails on its own account.
    }
  };
}
