import { sql } from 'kysely';
import { z } from 'zod';
import type {
  Directory,
  DirectoryAttributes,
  DirectoryBind,
  DirectoryConnection,
  DirectoryGroupLookup,
  DirectoryUserLookup,
} from '../../core/directories/directory.js';
import { DIRECTORY_ERROR_MAX, type DirectoryStore, type StoredDirectory } from '../../core/directories/ports.js';
import { DuplicateKeyError, StaleWriteError } from '../../core/ports.js';
import type { DirectoriesTable, DirectoryDb } from './directory-tables.js';
import { isUniqueViolation, parseRecord } from './json.js';

/** Serializes changes of the directories' order on PostgreSQL (pg_advisory_xact_lock key). */
const ORDER_LOCK = 0x4c4b_0d13;

/** The stored shapes of the JSON columns: a value that does not match reads as the fallback. */
const connectionSchema = z.object({
  security: z.enum(['none', 'ldaps', 'starttls']),
  caBundle: z.string().nullable(),
  verifyHostname: z.boolean(),
  connectTimeoutMs: z.number().int().nonnegative(),
  readTimeoutMs: z.number().int().nonnegative(),
});
const bindSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous') }),
  z.object({ kind: z.literal('service'), dn: z.string(), passwordSealed: z.string() }),
]);
const userLookupSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('search'), baseDn: z.string(), filter: z.string(), usernameAttribute: z.string(), scope: z.enum(['sub', 'one']) }),
  z.object({ kind: z.literal('template'), dnTemplate: z.string() }),
]);
const attributesSchema = z.object({
  username: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  uniqueId: z.string(),
});
const groupLookupSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('member-of'), attribute: z.string(), nameAttribute: z.string() }),
  z.object({
    kind: z.literal('search'),
    baseDn: z.string(),
    filter: z.string(),
    memberAttribute: z.string(),
    nameAttribute: z.string(),
    nested: z.boolean(),
  }),
]);

/** The safest reading of each unreadable setting: verified TLS, no bind credentials, no user found, no groups. */
const FALLBACK_CONNECTION: Omit<DirectoryConnection, 'host' | 'port'> = {
  security: 'ldaps',
  caBundle: null,
  verifyHostname: true,
  connectTimeoutMs: 5000,
  readTimeoutMs: 10000,
};
const FALLBACK_BIND: DirectoryBind = { kind: 'anonymous' };
const FALLBACK_USER_LOOKUP: DirectoryUserLookup = { kind: 'template', dnTemplate: '' };
const FALLBACK_ATTRIBUTES: DirectoryAttributes = { username: '', displayName: null, email: null, givenName: null, familyName: null, uniqueId: '' };
const FALLBACK_GROUP_LOOKUP: DirectoryGroupLookup = { kind: 'none' };

/** Parses a JSON column (bounded: json.ts), then checks its shape; `mark` hears of a value that fails either. */
function readJson<T>(text: string, schema: z.ZodType<T>, fallback: T, mark: () => void): T {
  let odd = false;
  const record = parseRecord(text, () => {
    odd = true;
  });
  const parsed = odd ? undefined : schema.safeParse(record);
  if (parsed?.success) return parsed.data;
  mark();
  return structuredClone(fallback);
}

function fromRow(r: DirectoriesTable): StoredDirectory {
  const unreadable: string[] = [];
  const mark = (field: string) => () => void unreadable.push(field);
  const connection = readJson(r.connection, connectionSchema, FALLBACK_CONNECTION, mark('connection'));
  const d: StoredDirectory = {
    id: r.id,
    name: r.name,
    domain: r.domain,
    position: r.position,
    enabled: r.enabled === 1,
    connection: { host: r.host, port: r.port, ...connection },
    bind: readJson<DirectoryBind>(r.bind, bindSchema, FALLBACK_BIND, mark('bind')),
    users: readJson<DirectoryUserLookup>(r.user_lookup, userLookupSchema, FALLBACK_USER_LOOKUP, mark('users')),
    attributes: readJson(r.attributes, attributesSchema, FALLBACK_ATTRIBUTES, mark('attributes')),
    groups: readJson<DirectoryGroupLookup>(r.group_lookup, groupLookupSchema, FALLBACK_GROUP_LOOKUP, mark('groups')),
    emailVerified: r.email_verified === 1,
    createUsersOnSignIn: r.create_users_on_sign_in === 1,
    defaultGroupId: r.default_group_id,
    syncIntervalMinutes: r.sync_interval_minutes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    health: { lastSuccessAt: r.last_success_at, lastErrorAt: r.last_error_at, lastError: r.last_error },
  };
  if (unreadable.length > 0) {
    // Settings that cannot be trusted are not used to sign anyone in.
    d.enabled = false;
    d.unreadableFields = unreadable;
  }
  return d;
}

type ConfigColumns = Omit<DirectoriesTable, 'position' | 'last_success_at' | 'last_error_at' | 'last_error'>;

function toRow(d: Directory): ConfigColumns {
  const { host, port, security, caBundle, verifyHostname, connectTimeoutMs, readTimeoutMs } = d.connection;
  return {
    id: d.id,
    name: d.name,
    domain: d.domain,
    domain_lower: d.domain.toLowerCase(),
    enabled: d.enabled ? 1 : 0,
    host,
    host_lower: host.toLowerCase(),
    port,
    connection: JSON.stringify({ security, caBundle, verifyHostname, connectTimeoutMs, readTimeoutMs }),
    bind: JSON.stringify(d.bind),
    user_lookup: JSON.stringify(d.users),
    attributes: JSON.stringify(d.attributes),
    group_lookup: JSON.stringify(d.groups),
    email_verified: d.emailVerified ? 1 : 0,
    create_users_on_sign_in: d.createUsersOnSignIn ? 1 : 0,
    default_group_id: d.defaultGroupId,
    sync_interval_minutes: d.syncIntervalMinutes,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

const DUPLICATE = 'a directory has this id, domain, or host and port';

export class KyselyDirectoryStore implements DirectoryStore {
  constructor(
    private readonly db: DirectoryDb,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Two changes of the order at once would each renumber from what they saw: one lock orders them on PostgreSQL. */
  private async lockOrder(trx: DirectoryDb): Promise<void> {
    if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${ORDER_LOCK})`.execute(trx);
  }

  async list(): Promise<StoredDirectory[]> {
    const rows = await this.db.selectFrom('directories').selectAll().orderBy('position').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async get(id: string): Promise<StoredDirectory | undefined> {
    const r = await this.db.selectFrom('directories').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  async findByDomain(domain: string): Promise<StoredDirectory | undefined> {
    const r = await this.db.selectFrom('directories').selectAll().where('domain_lower', '=', domain.toLowerCase()).executeTakeFirst();
    return r && fromRow(r);
  }

  async insert(directory: Directory): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await this.lockOrder(trx);
        const { n } = await trx
          .selectFrom('directories')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('directories')
          .values({ ...toRow(directory), position: Number(n), last_success_at: null, last_error_at: null, last_error: null })
          .execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(DUPLICATE);
      throw err;
    }
  }

  async update(directory: Directory, guard: { ifUpdatedAt?: number } = {}): Promise<void> {
    const { id, created_at: _created, ...rest } = toRow(directory);
    let write = this.db.updateTable('directories').set(rest).where('id', '=', id);
    if (guard.ifUpdatedAt !== undefined) write = write.where('updated_at', '=', guard.ifUpdatedAt);
    let updated: bigint;
    try {
      updated = (await write.executeTakeFirst()).numUpdatedRows;
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(DUPLICATE);
      throw err;
    }
    if (Number(updated) === 0) throw new StaleWriteError('the directory changed or is gone');
  }

  async move(id: string, toPosition: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockOrder(trx);
      const ids = (await trx.selectFrom('directories').select('id').orderBy('position').orderBy('id').execute()).map((r) => r.id);
      const from = ids.indexOf(id);
      if (from < 0) return false;
      ids.splice(from, 1);
      const to = Math.max(0, Math.min(ids.length, Math.trunc(toPosition)));
      ids.splice(to, 0, id);
      await renumber(trx, ids);
      return true;
    });
  }

  async remove(id: string, at: number): Promise<string[] | undefined> {
    return this.db.transaction().execute(async (trx) => {
      await this.lockOrder(trx);
      const gone = await trx.deleteFrom('directories').where('id', '=', id).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) return undefined;
      // The users stay, disabled, with their source: the audit history names them.
      const disabled = await trx
        .updateTable('users')
        .set({ enabled: 0, updated_at: at })
        .where('source_directory_id', '=', id)
        .where('enabled', '=', 1)
        .returning('id')
        .execute();
      // The foreign key deletes them too; stated here so that the rule does not rest on it alone.
      await trx.deleteFrom('groups').where('source_directory_id', '=', id).execute();
      const ids = (await trx.selectFrom('directories').select('id').orderBy('position').orderBy('id').execute()).map((r) => r.id);
      await renumber(trx, ids);
      return disabled.map((r) => r.id).sort();
    });
  }

  async recordHealth(id: string, outcome: { at: number; error: string | null }): Promise<void> {
    const set =
      outcome.error === null
        ? { last_success_at: outcome.at }
        : { last_error_at: outcome.at, last_error: Array.from(outcome.error).slice(0, DIRECTORY_ERROR_MAX).join('') };
    await this.db.updateTable('directories').set(set).where('id', '=', id).execute();
  }
}

/** Gives each directory its index in `ids` as position, writing only those that moved. */
async function renumber(trx: DirectoryDb, ids: readonly string[]): Promise<void> {
  const current = new Map((await trx.selectFrom('directories').select(['id', 'position']).execute()).map((r) => [r.id, r.position]));
  for (const [position, id] of ids.entries()) {
    if (current.get(id) !== position) await trx.updateTable('directories').set({ position }).where('id', '=', id).execute();
  }
}
