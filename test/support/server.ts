import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { freePort } from '../../scripts/services.mjs';
import { type App, bootstrapAdmin, openApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Clock, Random } from '../../src/core/ports.js';
import { buildServer } from '../../src/http/server.js';
import { type Backend, type BackendName, openBackend } from './backends.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/**
 * Configuration for suites whose back-channel logout or webhook receivers listen on 127.0.0.1:
 * server-side requests refuse loopback and plain http unless the operator allows them.
 */
export const LOOPBACK_RECEIVERS = { LATCHKEY_OUTBOUND_ALLOW: '127.0.0.1', LATCHKEY_OUTBOUND_SCHEMES: 'https,http' } as const;

export interface TestServer {
  app: App;
  server: FastifyInstance;
  backend: Backend;
  baseUrl: string;
  /** Basic credentials of the bootstrap administrator. */
  adminAuth: string;
  close(): Promise<void>;
}

/**
 * Starts a real Latchkey server on a loopback port over a fresh database of the given backend,
 * with the administrator "admin" created.
 */
export async function startServer(
  options: {
    backend?: BackendName;
    env?: Record<string, string>;
    clock?: Clock;
    random?: Random;
    /** Collects the server's log lines (at warn level unless env sets LATCHKEY_LOG_LEVEL). */
    log?: string[];
  } = {},
): Promise<TestServer> {
  // Suites that do not pick a backend run on LATCHKEY_TEST_BACKEND (npm test runs them on both).
  const backend = await openBackend(options.backend ?? (process.env.LATCHKEY_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'));
  const port = await freePort();
  const config = loadConfig({
    LATCHKEY_PORT: String(port),
    LATCHKEY_HOST: '127.0.0.1',
    LATCHKEY_DATABASE_URL: backend.url,
    LATCHKEY_DATA_DIR: backend.dataDir,
    LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64'),
    LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LATCHKEY_LOG_LEVEL: options.log ? 'warn' : (process.env.LATCHKEY_LOG_LEVEL ?? 'silent'),
    ...options.env,
  });
  const app = await openApp(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.random ? { random: options.random } : {}) });
  await bootstrapAdmin(app);
  const log = options.log;
  const server = await buildServer(app, log ? { logStream: { write: (line) => void log.push(line) } } : {});
  await server.listen({ port, host: '127.0.0.1' });
  return {
    app,
    server,
    backend,
    baseUrl: `http://127.0.0.1:${port}`,
    adminAuth: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    async close() {
      await server.close();
      await app.close();
      await backend.cleanup();
    },
  };
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
