import type { Kysely } from 'kysely';
import type { AuditEvent, AuditStore } from '../../core/ports.js';
import { parseRecord } from './json.js';
import type { FoundationTables } from './tables.js';

export class KyselyAuditStore implements AuditStore {
  constructor(private readonly db: Kysely<FoundationTables>) {}

  async append(e: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: e.at,
        actor: e.actor,
        action: e.action,
        target_type: e.targetType,
        target: e.target,
        source: e.source,
        details: JSON.stringify(e.details),
      })
      .execute();
  }

  async list(q: { action?: string; target?: string; actor?: string; limit: number; offset: number }) {
    let base = this.db.selectFrom('audit_events');
    if (q.action) base = base.where('action', '=', q.action);
    if (q.target) base = base.where('target', '=', q.target);
    if (q.actor) base = base.where('actor', '=', q.actor);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const items: AuditEvent[] = rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      target: r.target,
      source: r.source,
      details: parseRecord(r.details),
    }));
    return { items, total: Number(count.n) };
  }
}
