import type { Kysely } from 'kysely';
import type { ConsumeResult, OneTimeStore } from '../../core/ports.js';
import { isUniqueViolation, parseJson } from './json.js';
import type { FoundationTables } from './tables.js';

export class KyselyOneTimeStore implements OneTimeStore {
  constructor(private readonly db: Kysely<FoundationTables>) {}

  async put(kind: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean> {
    try {
      await this.db
        .insertInto('one_time')
        .values({ kind, id, payload: JSON.stringify(payload), expires_at: expiresAt, used_at: null })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async consume(kind: string, id: string, now: number): Promise<ConsumeResult> {
    // One statement: the row lock (PostgreSQL) or the write lock (SQLite) lets exactly one caller win.
    const won = await this.db
      .updateTable('one_time')
      .set({ used_at: now })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['payload'])
      .executeTakeFirst();
    if (won) return { outcome: 'consumed', payload: parseJson<Record<string, unknown>>(won.payload, {}) };
    const row = await this.db
      .selectFrom('one_time')
      .select(['payload', 'used_at', 'expires_at'])
      .where('kind', '=', kind)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return { outcome: 'unknown' };
    if (row.used_at !== null) return { outcome: 'replayed', payload: parseJson<Record<string, unknown>>(row.payload, {}) };
    return { outcome: 'expired' };
  }

  async peek(kind: string, id: string) {
    const row = await this.db.selectFrom('one_time').selectAll().where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return { payload: parseJson<Record<string, unknown>>(row.payload, {}), expiresAt: row.expires_at, usedAt: row.used_at };
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    const victims = this.db.selectFrom('one_time').select(['kind', 'id']).where('expires_at', '<', before).limit(batch);
    const rows = await victims.execute();
    if (rows.length === 0) return 0;
    let n = 0;
    for (const r of rows) {
      const res = await this.db.deleteFrom('one_time').where('kind', '=', r.kind).where('id', '=', r.id).executeTakeFirst();
      n += Number(res.numDeletedRows);
    }
    return n;
  }
}
