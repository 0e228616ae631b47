import type { HttpModule } from '../server.js';

export const registerHealth: HttpModule = (server, { app }) => {
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
