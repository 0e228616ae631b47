import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface Backend {
  name: 'sqlite' | 'postgres';
  url: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A fresh SQLite file in a temporary folder. */
export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  return {
    name: 'sqlite',
    url: `sqlite:${join(dir, 'latchkey.db')}`,
    dataDir: dir,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh database on the test PostgreSQL server started by `npm test` (LATCHKEY_TEST_PG_URL). */
export async function postgresBackend(): Promise<Backend> {
  const admin = process.env.LATCHKEY_TEST_PG_URL;
  if (!admin) throw new Error('LATCHKEY_TEST_PG_URL is not set: run the suite with `npm test`');
  const name = `lk_${Math.random().toString(36).slice(2, 12)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    url: url.href,
    dataDir: dir,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type BackendName = Backend['name'];

/** The backends a suite runs on: both under `npm test`; SQLite alone when no PostgreSQL is given. */
export function backendNames(): BackendName[] {
  return process.env.LATCHKEY_TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function openBackend(name: BackendName): Promise<Backend> {
  return name === 'sqlite' ? Promise.resolve(sqliteBackend()) : postgresBackend();
}
