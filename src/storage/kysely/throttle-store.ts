import type { Kysely } from 'kysely';
import type { ThrottleStore } from '../../core/ports.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

/** Fixed-window counters kept in the database so every instance counts together. */
export class KyselyThrottleStore implements ThrottleStore {
  constructor(private readonly db: Kysely<FoundationTables>) {}

  /** Read twice by every password check (per username and per address). */
  private readonly byKey = prepared(
    () => this.db,
    1,
    (key: string) => this.db.selectFrom('throttle').selectAll().where('key', '=', key),
  );

  async hit(key: string, now: number, windowMs: number, by = 1): Promise<number> {
    const row = await this.db
      .insertInto('throttle')
      .values({ key, window_start: now, hits: by })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          // A window that has ended starts over; otherwise add, atomically.
          hits: eb
            .case()
            .when('throttle.window_start', '<', now - windowMs)
            .then(by)
            .else(eb('throttle.hits', '+', by))
            .end(),
          window_start: eb
            .case()
            .when('throttle.window_start', '<', now - windowMs)
            .then(now)
            .else(eb.ref('throttle.window_start'))
            .end(),
        })),
      )
      .returning(['hits'])
      .executeTakeFirstOrThrow();
    return Number(row.hits);
  }

  async count(key: string, now: number, windowMs: number): Promise<number> {
    const [row] = await this.byKey(key);
    if (!row || row.window_start < now - windowMs) return 0;
    return Number(row.hits);
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('throttle').where('key', '=', key).execute();
  }
}
