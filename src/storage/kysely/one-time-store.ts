import { type Kysely, sql } from 'kysely';
import type { ConsumeResult, OneTimeStore } from '../../core/ports.js';
import { isUniqueViolation, parseRecord } from './json.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

export class KyselyOneTimeStore implements OneTimeStore {
  constructor(private readonly db: Kysely<FoundationTables>) {}

  // Codes and OAuth 1.0a nonces: one of these per request.
  private readonly insertOne = prepared(
    () => this.db,
    4,
    (kind: string, id: string, payload: string, expiresAt: number) =>
      this.db.insertInto('one_time').values({ kind, id, payload, expires_at: expiresAt, used_at: null }),
  );
  private readonly consumeOne = prepared(
    () => this.db,
    3,
    (kind: string, id: string, now: number) =>
      this.db
        .updateTable('one_time')
        .set({ used_at: now })
        .where('kind', '=', kind)
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(['payload']),
  );
  private readonly byId = prepared(
    () => this.db,
    2,
    (kind: string, id: string) => this.db.selectFrom('one_time').selectAll().where('kind', '=', kind).where('id', '=', id),
  );

  async put(kind: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean> {
    try {
      await this.insertOne(kind, id, JSON.stringify(payload), expiresAt);
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async consume(kind: string, id: string, now: number): Promise<ConsumeResult> {
    // One statement: the row lock (PostgreSQL) or the write lock (SQLite) lets exactly one caller win.
    const [won] = await this.consumeOne(kind, id, now);
    if (won) return { outcome: 'consumed', payload: parseRecord(won.payload) };
    const row = await this.db
      .selectFrom('one_time')
      .select(['payload', 'used_at', 'expires_at'])
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return { outcome: 'unknown' };
    if (row.used_at !== null) return { outcome: 'replayed', payload: parseRecord(row.payload) };
    return { outcome: 'expired' };
  }

  async peek(kind: string, id: string) {
    const [row] = await this.byId(kind, id);
    if (!row) return undefined;
    return { payload: parseRecord(row.payload), expiresAt: row.expires_at, usedAt: row.used_at };
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    // One short statement per batch; the row-value IN works on SQLite and PostgreSQL alike.
    const r = await sql`DELETE FROM one_time WHERE (kind, id) IN (SELECT kind, id FROM one_time WHERE expires_at < ${before} LIMIT ${batch})`.execute(this.db);
    return Number(r.numAffectedRows ?? 0);
  }
}
