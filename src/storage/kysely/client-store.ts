import { type Kysely, sql } from 'kysely';
import type { Client, ClientStatus, ClientType } from '../../core/clients/client.js';
import { type ClientListQuery, type ClientStore, DuplicateKeyError, StaleWriteError } from '../../core/ports.js';
import { isUniqueViolation, parseRecord, parseStringList } from './json.js';
import { prepared } from './prepared.js';
import type { ClientsTable, FoundationTables } from './tables.js';

function toRow(c: Client): ClientsTable {
  return {
    key: c.key,
    type: c.type,
    name: c.name,
    status: c.status,
    secret_sealed: c.secretSealed,
    is_public: c.isPublic ? 1 : 0,
    require_pkce: c.requirePkce ? 1 : 0,
    redirect_uris: JSON.stringify(c.redirectUris),
    post_logout_redirect_uris: JSON.stringify(c.postLogoutRedirectUris),
    grant_types: JSON.stringify(c.grantTypes),
    response_types: JSON.stringify(c.responseTypes),
    callback_url: c.callbackUrl,
    rsa_public_key: c.rsaPublicKey,
    metadata: JSON.stringify(c.metadata),
    created_via: c.createdVia,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    status_changed_at: c.statusChangedAt,
    status_changed_by: c.statusChangedBy,
    last_used_at: c.lastUsedAt,
    resource_server: c.resourceServer ? 1 : 0,
    version: c.version,
  };
}

/**
 * A client as stored. A JSON column that cannot be read (damaged, too deep, of the wrong kind) reads
 * as its empty value, which grants nothing, and is named in `unreadableFields` so it can be shown.
 */
export function clientFromRow(r: ClientsTable): Client {
  const unreadable: string[] = [];
  const mark = (field: string) => () => void unreadable.push(field);
  const client: Client = {
    key: r.key,
    type: r.type as ClientType,
    name: r.name,
    status: r.status as ClientStatus,
    secretSealed: r.secret_sealed,
    isPublic: r.is_public === 1,
    requirePkce: r.require_pkce === 1,
    redirectUris: parseStringList(r.redirect_uris, mark('redirect_uris')),
    postLogoutRedirectUris: parseStringList(r.post_logout_redirect_uris, mark('post_logout_redirect_uris')),
    grantTypes: parseStringList(r.grant_types, mark('grant_types')),
    responseTypes: parseStringList(r.response_types, mark('response_types')),
    callbackUrl: r.callback_url,
    rsaPublicKey: r.rsa_public_key,
    metadata: parseRecord(r.metadata, mark('metadata')),
    createdVia: r.created_via,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    statusChangedAt: r.status_changed_at,
    statusChangedBy: r.status_changed_by,
    lastUsedAt: r.last_used_at,
    resourceServer: r.resource_server === 1,
    version: r.version,
  };
  if (unreadable.length > 0) client.unreadableFields = unreadable;
  return client;
}

const SORT_COLUMNS = { name: 'name', created_at: 'created_at', last_used_at: 'last_used_at', status: 'status' } as const;

export class KyselyClientStore implements ClientStore {
  /** Every token request reads its client. */
  private readonly byKey = prepared(
    () => this.db,
    1,
    (key: string) => this.db.selectFrom('clients').selectAll().where('key', '=', key),
  );

  constructor(private readonly db: Kysely<FoundationTables>) {}

  async get(key: string): Promise<Client | undefined> {
    const [row] = await this.byKey(key);
    return row ? clientFromRow(row) : undefined;
  }

  async insert(client: Client): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        const retired = await trx.selectFrom('retired_client_keys').select('key').where('key', '=', client.key).executeTakeFirst();
        if (retired) throw new DuplicateKeyError('client key was used before');
        await trx.insertInto('clients').values(toRow(client)).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('client key exists');
      throw err;
    }
  }

  async update(client: Client, guard: { ifVersion?: number } = {}): Promise<void> {
    const { key, version: _next, ...rest } = toRow(client);
    // The store counts the versions, so no writer can forget to (approval names a version).
    let write = this.db
      .updateTable('clients')
      .set({ ...rest, version: sql<number>`version + 1` })
      .where('key', '=', key);
    if (guard.ifVersion !== undefined) write = write.where('version', '=', guard.ifVersion);
    const r = await write.executeTakeFirst();
    if (guard.ifVersion !== undefined && Number(r.numUpdatedRows) === 0) throw new StaleWriteError('the client changed or is gone');
  }

  async remove(key: string, at: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('clients').where('key', '=', key).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await trx
        .insertInto('retired_client_keys')
        .values({ key, retired_at: at })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return true;
    });
  }

  async list(q: ClientListQuery): Promise<{ items: Client[]; total: number }> {
    let base = this.db.selectFrom('clients');
    if (q.type) base = base.where('type', '=', q.type);
    if (q.status) base = base.where('status', '=', q.status);
    if (q.search) {
      const pattern = `%${q.search.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      base = base.where((eb) => eb.or([eb(sql`lower(name)`, 'like', sql`${pattern} ESCAPE '\\'`), eb('key', '=', q.search ?? '')]));
    }
    const column = SORT_COLUMNS[q.sort ?? 'created_at'];
    const order = q.order ?? (q.sort === 'name' ? 'asc' : 'desc');
    // Names sort case-insensitively, the same on every backend; status sorts pending first; with no
    // sort asked for, keys waiting for approval come first, then the newest.
    const pendingFirst = sql`CASE status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END`;
    const sortBy = column === 'name' ? sql`lower(name)` : column === 'status' ? pendingFirst : sql.ref(column);
    let ordered = base.selectAll();
    if (q.sort === undefined) ordered = ordered.orderBy(pendingFirst, 'asc');
    const [rows, count] = await Promise.all([
      ordered
        .orderBy(sortBy, q.sort === 'status' ? (q.order ?? 'asc') : order)
        .orderBy('key', 'asc')
        .limit(q.limit)
        .offset(q.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(clientFromRow), total: Number(count.n) };
  }

  async countPending(): Promise<Record<ClientType, number>> {
    const rows = await this.db
      .selectFrom('clients')
      .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'pending')
      .groupBy('type')
      .execute();
    const out: Record<ClientType, number> = { oauth1: 0, oauth2: 0, oidc: 0 };
    for (const r of rows) out[r.type as ClientType] = Number(r.n);
    return out;
  }

  async touchLastUsed(key: string, at: number): Promise<void> {
    // Coarse (one write a minute at most) so a hot path does not write on every request.
    await this.db
      .updateTable('clients')
      .set({ last_used_at: at })
      .where('key', '=', key)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at - 60_000)]))
      .execute();
  }
}
