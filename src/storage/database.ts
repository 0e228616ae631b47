import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { checkMode, ensurePrivateFile, SECRET_DIR_MODE, SECRET_FILE_MODE, type Warn } from '../config/file-modes.js';
import type { FoundationTables } from './kysely/tables.js';
import { MIGRATIONS } from './migrations/index.js';
import { NulParameterPlugin } from './nul-plugin.js';
import { DurableSqliteDialect } from './sqlite-driver.js';

export type Dialect = 'sqlite' | 'postgres';

// PostgreSQL BIGINT (int8) columns hold epoch milliseconds, well inside Number's safe range.
pg.types.setTypeParser(20, (v) => Number(v));

export interface Database {
  dialect: Dialect;
  db: Kysely<FoundationTables>;
  /** Runs a statement that checks the connection, for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const warnOnStderr: Warn = (message) => process.stderr.write(`warning: ${message}\n`);

export interface OpenOptions {
  poolSize?: number;
  warn?: Warn;
  /** SQLite only: keep small reads' rows until a table they read is written (sqlite-read-cache.ts). Default true. */
  readCache?: boolean;
  /** SQLite only: several processes serve the file at once, so the read cache checks their commits on every hit. */
  sharedFile?: boolean;
}

export function openDatabase(url: string, options: OpenOptions = {}): Database {
  if (url.startsWith('sqlite:'))
    return openSqlite(url.slice('sqlite:'.length), options.warn ?? warnOnStderr, options.readCache ?? true, options.sharedFile ?? false);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.poolSize ?? 10);
  throw new Error('database URL must start with sqlite: or postgres://');
}

function openSqlite(path: string, warn: Warn, readCache: boolean, sharedFile: boolean): Database {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') {
    // The file holds password hashes and sealed secrets: 0600 (its -wal and -shm follow), in a new folder 0700.
    if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: SECRET_DIR_MODE });
    ensurePrivateFile(file, warn);
    for (const extra of [`${file}-wal`, `${file}-shm`]) if (existsSync(extra)) checkMode(extra, SECRET_FILE_MODE, warn);
  }
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  // Every acknowledged write is on disk (as with synchronous=FULL), with one fdatasync of the WAL
  // per group of commits, off the event loop: see sqlite-driver.ts.
  const db = new Kysely<FoundationTables>({ dialect: new DurableSqliteDialect(raw, file, { readCache, sharedFile }) });
  return {
    dialect: 'sqlite',
    db,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 2000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<FoundationTables>({ dialect: new PostgresDialect({ pool }), plugins: [new NulParameterPlugin()] });
  return {
    dialect: 'postgres',
    db,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/**
 * Applies pending migrations in order, each in a transaction. On PostgreSQL an advisory lock
 * keeps instances that start together from migrating at the same time.
 */
export async function migrate(database: Database, clock: () => number = Date.now): Promise<string[]> {
  const { db, dialect } = database;
  return db.connection().execute(async (conn) => {
    // The lock comes first: two CREATE TABLE IF NOT EXISTS at once can still collide on PostgreSQL.
    if (dialect === 'postgres') await sql`SELECT pg_advisory_lock(7262021)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`.execute(conn);
      const done = new Set((await conn.selectFrom('schema_migrations').select('id').execute()).map((r) => r.id));
      const applied: string[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        await conn.transaction().execute(async (trx) => {
          for (const statement of m[dialect]) await sql.raw(statement).execute(trx);
          await trx.insertInto('schema_migrations').values({ id: m.id, applied_at: clock() }).execute();
        });
        applied.push(m.id);
      }
      return applied;
    } finally {
      if (dialect === 'postgres') await sql`SELECT pg_advisory_unlock(7262021)`.execute(conn);
    }
  });
}
