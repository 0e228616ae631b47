import { type Kysely, sql } from 'kysely';
import type { InitialAccessToken, InitialAccessTokenStore, InitialTokenCheck, RegistrationAccessTokenStore } from '../../core/registration/ports.js';
import { initialTokenState } from '../../core/registration/ports.js';
import type { FoundationTables } from './tables.js';

/** Row shapes of migration 0005. Times are epoch milliseconds. */
export interface RegistrationAccessTokensTable {
  client_key: string;
  token_hash: string;
  issued_at: number;
}

export interface RegistrationInitialTokensTable {
  id: string;
  token_hash: string;
  label: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

// A type alias, not an interface: withTables needs an index-signature-compatible shape.
export type RegistrationTables = {
  registration_access_tokens: RegistrationAccessTokensTable;
  registration_initial_tokens: RegistrationInitialTokensTable;
};

type Db = Kysely<FoundationTables & RegistrationTables>;

export class KyselyRegistrationAccessTokenStore implements RegistrationAccessTokenStore {
  private readonly db: Db;
  constructor(db: Kysely<FoundationTables>) {
    this.db = db.withTables<RegistrationTables>();
  }

  async put(clientKey: string, tokenHash: string, issuedAt: number): Promise<void> {
    await this.db
      .insertInto('registration_access_tokens')
      .values({ client_key: clientKey, token_hash: tokenHash, issued_at: issuedAt })
      .onConflict((oc) => oc.column('client_key').doUpdateSet({ token_hash: tokenHash, issued_at: issuedAt }))
      .execute();
  }

  async findClientKey(tokenHash: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('registration_access_tokens').select('client_key').where('token_hash', '=', tokenHash).executeTakeFirst();
    return row?.client_key;
  }

  async remove(clientKey: string): Promise<void> {
    await this.db.deleteFrom('registration_access_tokens').where('client_key', '=', clientKey).execute();
  }
}

/** Pending clients that registered themselves (for the cap on waiting registrations). */
export async function countPendingRegistrations(db: Kysely<FoundationTables>): Promise<number> {
  const row = await db
    .selectFrom('clients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .where('created_via', '=', 'registration')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function fromRow(r: RegistrationInitialTokensTable): InitialAccessToken {
  return {
    id: r.id,
    label: r.label,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    maxUses: r.max_uses === null ? null : Number(r.max_uses),
    uses: Number(r.uses),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    revokedBy: r.revoked_by,
  };
}

export class KyselyInitialAccessTokenStore implements InitialAccessTokenStore {
  private readonly db: Db;
  constructor(db: Kysely<FoundationTables>) {
    this.db = db.withTables<RegistrationTables>();
  }

  async insert(t: InitialAccessToken, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('registration_initial_tokens')
      .values({
        id: t.id,
        token_hash: tokenHash,
        label: t.label,
        created_at: t.createdAt,
        created_by: t.createdBy,
        expires_at: t.expiresAt,
        max_uses: t.maxUses,
        uses: t.uses,
        last_used_at: t.lastUsedAt,
        revoked_at: t.revokedAt,
        revoked_by: t.revokedBy,
      })
      .execute();
  }

  async get(id: string): Promise<InitialAccessToken | undefined> {
    const row = await this.db.selectFrom('registration_initial_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(options: { includeInactive: boolean; now: number }): Promise<InitialAccessToken[]> {
    let q = this.db.selectFrom('registration_initial_tokens').selectAll();
    if (!options.includeInactive) {
      q = q
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', options.now)]))
        .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'asc').limit(1000).execute();
    return rows.map(fromRow);
  }

  async revoke(id: string, at: number, by: string): Promise<boolean> {
    const res = await this.db
      .updateTable('registration_initial_tokens')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async check(tokenHash: string, now: number): Promise<InitialTokenCheck> {
    const row = await this.db.selectFrom('registration_initial_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    const token = fromRow(row);
    const state = initialTokenState(token, now);
    return state === 'active' ? { ok: true, token } : { ok: false, reason: state };
  }

  async use(tokenHash: string, now: number): Promise<InitialTokenCheck> {
    // One conditional UPDATE: the row changes only while the token is still usable, so two
    // instances racing for the last use cannot both win.
    const row = await this.db
      .updateTable('registration_initial_tokens')
      .set({ uses: sql<number>`uses + 1`, last_used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
      .returningAll()
      .executeTakeFirst();
    if (row) return { ok: true, token: fromRow(row) };
    const check = await this.check(tokenHash, now);
    // Usable a moment ago but not now: another caller took the last use.
    return check.ok ? { ok: false, reason: 'used_up' } : check;
  }
}
