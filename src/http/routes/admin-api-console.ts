import type { AuditEvent } from '../../core/ports.js';
import { ADMIN_API_ROUTES } from '../admin-api-routes.js';
import { registerAdminRoute } from '../admin-route.js';
import { type ActivityEvent, type ActivityGroup, activityView, classify, REQUEST_FAILED, STATUS_ACTIONS } from '../console-activity.js';
import type { HttpModule } from '../context.js';

/**
 * Admin API additions for the console: a client's activity (status history, settings changes,
 * sign-ins and token requests, failed requests with their reason), read from the audit log.
 */

const LIMITS: Record<ActivityGroup, number> = { status: 50, change: 25, use: 25, failure: 25 };

export const registerAdminApiConsole: HttpModule = (server, ctx) => {
  const { app } = ctx;

  registerAdminRoute(server, ctx, ADMIN_API_ROUTES.clientActivity, async ({ req, reply }) => {
    const target = req.params.key;
    if (target.length > 200) return reply.code(404).send({ error: 'not_found', message: 'client not found' });
    // The newest events, plus the status and failure events on their own so a flood of one kind
    // cannot push the approval history out of view. Every query uses the target index.
    const lists = await Promise.all([
      app.stores.audit.list({ target, limit: 200, offset: 0 }),
      ...STATUS_ACTIONS.map((action) => app.stores.audit.list({ target, action, limit: LIMITS.status, offset: 0 })),
      app.stores.audit.list({ target, action: REQUEST_FAILED, limit: LIMITS.failure, offset: 0 }),
    ]);
    const byId = new Map<number, AuditEvent>();
    for (const { items } of lists) for (const e of items) if (e.targetType === 'client' && e.id !== undefined) byId.set(e.id, e);
    const events = [...byId.values()].sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
    const groups: Record<ActivityGroup, ActivityEvent[]> = { status: [], change: [], use: [], failure: [] };
    for (const e of events) {
      const g = classify(e);
      if (groups[g].length < LIMITS[g]) groups[g].push(activityView(e));
    }
    const client = await app.stores.clients.get(target);
    return reply.header('cache-control', 'no-store').send({
      client_key: target,
      exists: client !== undefined,
      last_used_at: client?.lastUsedAt ? new Date(client.lastUsedAt).toISOString() : null,
      status_history: groups.status,
      changes: groups.change,
      sign_ins: groups.use,
      failed_requests: groups.failure,
    });
  });
};
