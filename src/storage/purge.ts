import { sql } from 'kysely';
import type { Database } from './database.js';

/**
 * Deletes at most `batch` rows of `table` whose `column` is older than `before`, in one short
 * statement (rowid on SQLite, ctid on PostgreSQL), so purging never holds a long lock.
 * Table and column names come from code, never from input.
 */
export async function purgeBatch(database: Database, table: string, column: string, before: number, batch: number): Promise<number> {
  const t = sql.table(table);
  const c = sql.ref(column);
  const rowId = database.dialect === 'sqlite' ? sql.raw('rowid') : sql.raw('ctid');
  const result = await sql`DELETE FROM ${t} WHERE ${rowId} IN (SELECT ${rowId} FROM ${t} WHERE ${c} < ${before} LIMIT ${batch})`.execute(database.db);
  return Number(result.numAffectedRows ?? 0);
}

/** Tells a lost or refused database connection apart from other errors, so callers can answer 503. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', 'SQLITE_BUSY'].includes(code)
  ) {
    return true;
  }
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection/i.test(
    message,
  );
}
