import { directoryGauges } from '../../core/metrics.js';
import { rateLimitGauges } from '../client-limits.js';
import type { HttpModule } from '../context.js';

export const registerHealth: HttpModule = (server, ctx) => {
  const { app } = ctx;
  registerMetrics(server, ctx);
  // Liveness: the process answers.
  server.get('/healthz', async () => ({ status: 'ok' }));
  // Readiness: the database answers.
  server.get('/readyz', async (_req, reply) => {
    try {
      await app.database.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
};

/** Prometheus metrics: request counts and latency, tokens issued, sign-in failures, pending clients, rate-limit counters, directory health. */
const registerMetrics: HttpModule = (server, { app }) => {
  server.get('/metrics', async (_req, reply) => {
    const pending = await app.stores.clients.countPending();
    const gauge = ['# HELP latchkey_clients_pending Client keys waiting for approval, by type.', '# TYPE latchkey_clients_pending gauge'];
    for (const [type, n] of Object.entries(pending)) gauge.push(`latchkey_clients_pending{type="${type}"} ${n}`);
    const directories = directoryGauges(await app.stores.directories.list());
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(app.metrics.render([...gauge, ...rateLimitGauges(app), ...directories]));
  });
};
