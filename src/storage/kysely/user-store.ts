import { type Kysely, sql } from 'kysely';
import type { User, UserAddress, UserProfile, UserStore, UserWriteGuard } from '../../core/ports.js';
import { DuplicateKeyError, LastHolderError, StaleWriteError } from '../../core/ports.js';
import { isUniqueViolation } from './json.js';
import { prepared } from './prepared.js';
import type { FoundationTables, UsersTable } from './tables.js';

function fromRow(r: UsersTable, roles: string[]): User {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    email: r.email,
    passwordHash: r.password_hash,
    enabled: r.enabled === 1,
    roles,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastSignInAt: r.last_sign_in_at,
    profile: profileOf(r),
    profileUpdatedAt: r.profile_updated_at ?? r.updated_at,
  };
}

/** The profile columns, the one place their names meet UserProfile's fields. */
const PROFILE_COLUMNS = [
  ['given_name', 'givenName'],
  ['family_name', 'familyName'],
  ['middle_name', 'middleName'],
  ['nickname', 'nickname'],
  ['profile_url', 'profileUrl'],
  ['picture_url', 'pictureUrl'],
  ['website_url', 'websiteUrl'],
  ['gender', 'gender'],
  ['birthdate', 'birthdate'],
  ['zoneinfo', 'zoneinfo'],
  ['locale', 'locale'],
  ['phone_number', 'phoneNumber'],
] as const satisfies ReadonlyArray<readonly [keyof UsersTable, Exclude<keyof UserProfile, 'address'>]>;

const ADDRESS_MEMBERS = ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'] as const;

/** A stored address that is not what was written (not JSON, not strings) reads as none: a user read never fails on it. */
function addressOf(text: string | null): UserAddress | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const out: UserAddress = {};
  for (const m of ADDRESS_MEMBERS) {
    const v = (parsed as Record<string, unknown>)[m];
    if (typeof v === 'string') out[m] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function profileOf(r: UsersTable): UserProfile {
  const p: UserProfile = {};
  for (const [column, field] of PROFILE_COLUMNS) {
    const v = r[column];
    if (typeof v === 'string') p[field] = v;
  }
  const address = addressOf(r.address);
  if (address) p.address = address;
  return p;
}

function profileColumns(u: User): Pick<UsersTable, (typeof PROFILE_COLUMNS)[number][0] | 'address' | 'profile_updated_at'> {
  const p = u.profile ?? {};
  const cols = Object.fromEntries(PROFILE_COLUMNS.map(([column, field]) => [column, p[field] ?? null])) as Record<
    (typeof PROFILE_COLUMNS)[number][0],
    string | null
  >;
  return { ...cols, address: p.address ? JSON.stringify(p.address) : null, profile_updated_at: u.profileUpdatedAt ?? u.updatedAt };
}

/** One row per role (or one with role null): one user. */
function foldRoles(rows: Array<UsersTable & { role: string | null }>): User | undefined {
  const first = rows[0];
  if (!first) return undefined;
  return fromRow(
    first,
    rows.flatMap((r) => (r.role === null ? [] : [r.role])),
  );
}

function toRow(u: User): UsersTable {
  return {
    id: u.id,
    username: u.username,
    username_lower: u.username.toLowerCase(),
    display_name: u.displayName,
    email: u.email,
    password_hash: u.passwordHash,
    enabled: u.enabled ? 1 : 0,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    last_sign_in_at: u.lastSignInAt,
    ...profileColumns(u),
  };
}

/** Serializes the changes that must keep a role holder on PostgreSQL (pg_advisory_xact_lock key). */
const HOLDER_LOCK = 0x4c4b_0015;

export class KyselyUserStore implements UserStore {
  constructor(
    private readonly db: Kysely<FoundationTables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  private async rolesOf(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('user_roles').selectAll().where('user_id', 'in', ids).orderBy('role').execute();
    for (const r of rows) out.set(r.user_id, [...(out.get(r.user_id) ?? []), r.role]);
    return out;
  }

  /** One statement on the hot paths (every token use reads its user): the row joined with its roles. */
  private withRoles() {
    return this.db
      .selectFrom('users')
      .leftJoin('user_roles', 'user_roles.user_id', 'users.id')
      .selectAll('users')
      .select('user_roles.role')
      .orderBy('user_roles.role');
  }

  /** Every token use reads its user. */
  private readonly byId = prepared(
    () => this.db,
    1,
    (id: string) => this.withRoles().where('users.id', '=', id),
  );

  async get(id: string): Promise<User | undefined> {
    return foldRoles(await this.byId(id));
  }

  /** Every password check looks its user up by name. */
  private readonly byUsername = prepared(
    () => this.db,
    1,
    (lower: string) => this.withRoles().where('users.username_lower', '=', lower),
  );

  async findByUsername(username: string): Promise<User | undefined> {
    return foldRoles(await this.byUsername(username.toLowerCase()));
  }

  async insert(user: User): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(toRow(user)).execute();
        for (const role of user.roles) await trx.insertInto('user_roles').values({ user_id: user.id, role }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('username exists');
      throw err;
    }
  }

  async update(user: User, guard: UserWriteGuard = {}): Promise<void> {
    const { id, ...rest } = toRow(user);
    const keep = guard.enabledHolderOf;
    try {
      await this.db.transaction().execute(async (trx) => {
        // PostgreSQL's READ COMMITTED would let two such changes each see the other's holder: one
        // lock orders them. SQLite has one writer at a time, and the write comes before the count.
        if (keep && this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${HOLDER_LOCK})`.execute(trx);
        let write = trx.updateTable('users').set(rest).where('id', '=', id);
        if (guard.ifUpdatedAt !== undefined) write = write.where('updated_at', '=', guard.ifUpdatedAt);
        const r = await write.executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new StaleWriteError('the user changed or is gone');
        await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
        for (const role of user.roles) await trx.insertInto('user_roles').values({ user_id: id, role }).execute();
        if (keep && (await countHolders(trx, keep)) === 0) throw new LastHolderError('no enabled holder would remain');
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('username exists');
      throw err;
    }
  }

  async setPasswordHash(id: string, hash: string, at: number, guard: Pick<UserWriteGuard, 'ifUpdatedAt'> = {}): Promise<void> {
    let write = this.db.updateTable('users').set({ password_hash: hash, updated_at: at }).where('id', '=', id);
    if (guard.ifUpdatedAt !== undefined) write = write.where('updated_at', '=', guard.ifUpdatedAt);
    const r = await write.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new StaleWriteError('the user changed or is gone');
  }

  countEnabledHolders(roles: readonly string[], exceptId?: string): Promise<number> {
    return countHolders(this.db, roles, exceptId);
  }

  async list(q: { search?: string; limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
    let base = this.db.selectFrom('users');
    if (q.search) base = base.where('username_lower', 'like', `%${q.search.toLowerCase().replace(/[\\%_]/g, '')}%`);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('username_lower').limit(q.limit).offset(q.offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const roles = await this.rolesOf(rows.map((r) => r.id));
    return { items: rows.map((r) => fromRow(r, roles.get(r.id) ?? [])), total: Number(count.n) };
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async touchSignIn(id: string, at: number): Promise<void> {
    await this.db.updateTable('users').set({ last_sign_in_at: at }).where('id', '=', id).execute();
  }
}

async function countHolders(db: Kysely<FoundationTables>, roles: readonly string[], exceptId?: string): Promise<number> {
  if (roles.length === 0) return 0;
  let q = db
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .select((eb) => eb.fn.count<number>('users.id').distinct().as('n'))
    .where('users.enabled', '=', 1)
    .where('user_roles.role', 'in', [...roles]);
  if (exceptId !== undefined) q = q.where('users.id', '<>', exceptId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}
