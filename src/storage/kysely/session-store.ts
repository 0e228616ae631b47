import type { Kysely } from 'kysely';
import type { Consent, ConsentStore, SessionStore, StoredSession } from '../../core/sessions/ports.js';
import { parseStringList } from './json.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

export interface SessionsTable {
  id_hash: string;
  sid: string;
  user_id: string;
  csrf_token: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
  persistent: number;
}

export interface ConsentsTable {
  user_id: string;
  client_key: string;
  scopes: string;
  granted_at: number;
}

export type SessionTables = {
  sessions: SessionsTable;
  consents: ConsentsTable;
};

function fromRow(r: SessionsTable): StoredSession {
  return {
    idHash: r.id_hash,
    sid: r.sid,
    userId: r.user_id,
    csrfToken: r.csrf_token,
    authTime: r.auth_time,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    persistent: r.persistent === 1,
  };
}

export class KyselySessionStore implements SessionStore {
  private readonly db: Kysely<FoundationTables & SessionTables>;
  constructor(db: Kysely<FoundationTables>) {
    this.db = db.withTables<SessionTables>();
  }

  async create(s: StoredSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: s.idHash,
        sid: s.sid,
        user_id: s.userId,
        csrf_token: s.csrfToken,
        auth_time: s.authTime,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
        persistent: s.persistent ? 1 : 0,
      })
      .execute();
  }

  async get(idHash: string, now: number): Promise<StoredSession | undefined> {
    const r = await this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async getBySid(sid: string, now: number): Promise<StoredSession | undefined> {
    const r = await this.db.selectFrom('sessions').selectAll().where('sid', '=', sid).where('expires_at', '>', now).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteForUser(userId: string, exceptSid?: string): Promise<string[]> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (exceptSid !== undefined) q = q.where('sid', '<>', exceptSid);
    const rows = await q.returning('sid').execute();
    return rows.map((r) => r.sid);
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    const rows = await this.db.selectFrom('sessions').select('id_hash').where('expires_at', '<', before).limit(batch).execute();
    if (rows.length === 0) return 0;
    const r = await this.db
      .deleteFrom('sessions')
      .where(
        'id_hash',
        'in',
        rows.map((x) => x.id_hash),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class KyselyConsentStore implements ConsentStore {
  private readonly db: Kysely<FoundationTables & SessionTables>;
  constructor(db: Kysely<FoundationTables>) {
    this.db = db.withTables<SessionTables>();
  }

  async get(userId: string, clientKey: string): Promise<Consent | undefined> {
    const r = await this.db.selectFrom('consents').selectAll().where('user_id', '=', userId).where('client_key', '=', clientKey).executeTakeFirst();
    return r ? { userId: r.user_id, clientKey: r.client_key, scopes: parseStringList(r.scopes), grantedAt: r.granted_at } : undefined;
  }

  // Every password grant records its consent: a read, then a conditional write.
  private readonly scopesOf = prepared(
    () => this.db,
    2,
    (userId: string, clientKey: string) => this.db.selectFrom('consents').select('scopes').where('user_id', '=', userId).where('client_key', '=', clientKey),
  );
  private readonly insertNew = prepared(
    () => this.db,
    4,
    (userId: string, clientKey: string, scopes: string, at: number) =>
      this.db
        .insertInto('consents')
        .values({ user_id: userId, client_key: clientKey, scopes, granted_at: at })
        .onConflict((oc) => oc.columns(['user_id', 'client_key']).doNothing())
        .returning('user_id'),
  );

  async grant(userId: string, clientKey: string, scopes: string[], at: number): Promise<void> {
    for (;;) {
      const [existing] = await this.scopesOf(userId, clientKey);
      const merged = JSON.stringify([...new Set([...(existing ? parseStringList(existing.scopes) : []), ...scopes])].sort());
      if (existing === undefined) {
        if ((await this.insertNew(userId, clientKey, merged, at)).length > 0) return;
        continue;
      }
      const r = await this.db
        .updateTable('consents')
        .set({ scopes: merged, granted_at: at })
        .where('user_id', '=', userId)
        .where('client_key', '=', clientKey)
        .where('scopes', '=', existing.scopes)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return;
    }
  }

  async revoke(userId: string, clientKey: string): Promise<boolean> {
    const r = await this.db.deleteFrom('consents').where('user_id', '=', userId).where('client_key', '=', clientKey).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listForUser(userId: string): Promise<Consent[]> {
    const rows = await this.db.selectFrom('consents').selectAll().where('user_id', '=', userId).orderBy('granted_at', 'desc').execute();
    return rows.map((r) => ({ userId: r.user_id, clientKey: r.client_key, scopes: parseStringList(r.scopes), grantedAt: r.granted_at }));
  }
}
