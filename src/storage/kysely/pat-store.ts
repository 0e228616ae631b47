import { type Kysely, sql } from 'kysely';
import type { PatListQuery, PersonalAccessToken, PersonalAccessTokenStore } from '../../core/tokens/personal-access-tokens.js';
import { parseStringList } from './json.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

/** Row shape of migration 0014 (times in epoch milliseconds, scopes as a JSON list). */
export interface PersonalAccessTokensTable {
  id: string;
  user_id: string;
  name: string;
  scopes: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

type PatDb = Kysely<FoundationTables & { personal_access_tokens: PersonalAccessTokensTable }>;

function fromRow(r: PersonalAccessTokensTable): PersonalAccessToken {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    scopes: parseStringList(r.scopes),
    tokenHash: r.token_hash,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedBy: r.revoked_by,
  };
}

export class KyselyPatStore implements PersonalAccessTokenStore {
  private readonly db: PatDb;

  constructor(db: Kysely<FoundationTables>) {
    this.db = db.withTables<{ personal_access_tokens: PersonalAccessTokensTable }>();
  }

  // Read on every request that carries a token.
  private readonly byHash = prepared(
    () => this.db,
    1,
    (hash: string) => this.db.selectFrom('personal_access_tokens').selectAll().where('token_hash', '=', hash),
  );

  async insert(t: PersonalAccessToken): Promise<void> {
    await this.db
      .insertInto('personal_access_tokens')
      .values({
        id: t.id,
        user_id: t.userId,
        name: t.name,
        scopes: JSON.stringify(t.scopes),
        token_hash: t.tokenHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        last_used_at: t.lastUsedAt,
        revoked_at: t.revokedAt,
        revoked_by: t.revokedBy,
      })
      .execute();
  }

  async get(id: string): Promise<PersonalAccessToken | undefined> {
    const r = await this.db.selectFrom('personal_access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async findByHash(tokenHash: string): Promise<PersonalAccessToken | undefined> {
    const [r] = await this.byHash(tokenHash);
    return r ? fromRow(r) : undefined;
  }

  async list(q: PatListQuery): Promise<{ items: PersonalAccessToken[]; total: number }> {
    let base = this.db.selectFrom('personal_access_tokens');
    if (q.userId !== undefined) base = base.where('user_id', '=', q.userId);
    if (q.activeAt !== undefined) base = base.where('revoked_at', 'is', null).where('expires_at', '>', q.activeAt);
    const [rows, total] = await Promise.all([
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute(),
      base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(fromRow), total: Number(total.n) };
  }

  async revoke(id: string, at: number, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('personal_access_tokens')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokeForUser(userId: string, at: number, by: string): Promise<number> {
    const r = await this.db
      .updateTable('personal_access_tokens')
      .set({ revoked_at: at, revoked_by: by })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async touchLastUsed(uses: ReadonlyArray<{ id: string; at: number }>): Promise<void> {
    // One statement per hundred tokens: each row takes the later of its stored last use and the new one.
    for (let i = 0; i < uses.length; i += 100) {
      const chunk = uses.slice(i, i + 100);
      const at = sql<number>`(CASE ${sql.join(
        chunk.map((u) => sql`WHEN id = ${u.id} THEN CAST(${u.at} AS BIGINT)`),
        sql` `,
      )} END)`;
      await this.db
        .updateTable('personal_access_tokens')
        .set({ last_used_at: sql<number>`CASE WHEN last_used_at IS NULL OR last_used_at < ${at} THEN ${at} ELSE last_used_at END` })
        .where(
          'id',
          'in',
          chunk.map((u) => u.id),
        )
        .execute();
    }
  }
}
