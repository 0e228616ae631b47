import { z } from 'zod';
import type { AuditEvent } from '../core/ports.js';

/**
 * How the console groups the audit events about one client: status history, settings changes,
 * failed requests (with their reason) and everything else (sign-ins, consents, token requests).
 */

/** Actions that change or set a client's status. */
export const STATUS_ACTIONS = ['client.create', 'client.register', 'client.approve', 'client.disapprove', 'client.pending', 'client.remove'] as const;
/** Failed requests are recorded by the protocol modules under this action, with details.reason. */
export const REQUEST_FAILED = 'client.request_failed';

export type ActivityGroup = 'status' | 'change' | 'failure' | 'use';

/** One audit event about a client, as the activity answer shows it. */
export const activityEventSchema = z.object({
  id: z.number().int().nullable(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  source: z.string(),
  details: z.record(z.string(), z.unknown()),
  reason: z.string().nullable().describe('For failures: why the request was refused, as recorded'),
});
export type ActivityEvent = z.output<typeof activityEventSchema>;

/** The activity of one client, grouped, newest first in each group. */
export const clientActivitySchema = z.object({
  client_key: z.string(),
  exists: z.boolean(),
  last_used_at: z.iso.datetime().nullable(),
  status_history: z.array(activityEventSchema),
  changes: z.array(activityEventSchema),
  sign_ins: z.array(activityEventSchema),
  failed_requests: z.array(activityEventSchema),
});

/** Which section of the detail view an audit event about a client belongs to. */
export function classify(e: Pick<AuditEvent, 'action' | 'details'>): ActivityGroup {
  const a = e.action;
  if ((STATUS_ACTIONS as readonly string[]).includes(a) || /^client\.(register|status)/.test(a)) return 'status';
  if (a === REQUEST_FAILED || /(^|[._])(fail(ed|ure)?|denied|rejected|refused|invalid)$/.test(a)) return 'failure';
  if (/^client\.(update|secret|rotate)/.test(a)) return 'change';
  return 'use';
}

export function reasonOf(e: AuditEvent): string | null {
  for (const k of ['reason', 'error_description', 'error', 'problem']) {
    const v = e.details[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

export function activityView(e: AuditEvent): ActivityEvent {
  return {
    id: e.id ?? null,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    action: e.action,
    source: e.source,
    details: e.details,
    reason: classify(e) === 'failure' ? reasonOf(e) : null,
  };
}
