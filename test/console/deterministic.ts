import { createHash, randomBytes } from 'node:crypto';
import { freePort } from '../../scripts/services.mjs';
import { bootstrapAdmin, composeApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Random } from '../../src/core/ports.js';
import { buildServer } from '../../src/http/server.js';
import { openBackend } from '../support/backends.js';
import { ADMIN_PASSWORD, type ManualClock, type TestServer } from '../support/server.js';

/**
 * Randomness from a seed (SHA-256 in counter mode), so client keys come out the same on every run
 * and the screenshots in docs/screenshots do not change when nothing visible changed. Tests only.
 */
export class SeededRandom implements Random {
  private counter = 0;
  constructor(private readonly seed: string) {}

  bytes(length: number): Buffer {
    const blocks: Buffer[] = [];
    for (let have = 0; have < length; have += 32)
      blocks.push(
        createHash('sha256')
          .update(`${this.seed}:${this.counter++}`)
          .digest(),
      );
    return Buffer.concat(blocks).subarray(0, length);
  }
}

/**
 * Like startServer (SQLite), with a hand-moved clock and seeded randomness: what the console
 * shows (keys, dates) is the same on every run.
 */
export async function startDeterministicServer(clock: ManualClock, seed: string): Promise<TestServer> {
  const backend = await openBackend('sqlite');
  const port = await freePort();
  const config = loadConfig({
    LATCHKEY_PORT: String(port),
    LATCHKEY_HOST: '127.0.0.1',
    LATCHKEY_DATABASE_URL: backend.url,
    LATCHKEY_DATA_DIR: backend.dataDir,
    LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64'),
    LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LATCHKEY_LOG_LEVEL: process.env.LATCHKEY_LOG_LEVEL ?? 'silent',
  });
  const app = await composeApp(config, { clock, random: new SeededRandom(seed) });
  await bootstrapAdmin(app);
  const server = await buildServer(app);
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
