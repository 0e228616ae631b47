import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { User, UserAddress, UserListQuery, UserProfile, UserStore, UserWriteGuard } from '../../core/ports.js';
import { DuplicateKeyError, LastHolderError, StaleWriteError } from '../../core/ports.js';
import { type DirectoryDb, type DirectoryTables, directoryDb } from './directory-tables.js';
import { containing, isUniqueViolation } from './json.js';
import { prepared } from './prepared.js';
import { countHolders, lockHolders } from './role-holders.js';
import type { FoundationTables, UsersTable } from './tables.js';

function fromRow(r: UsersTable, roles: string[], groupRoles: string[] = []): User {
  const u: User = {
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
    ...(r.source_directory_id !== null
      ? {
          source: {
            kind: 'directory',
            directoryId: r.source_directory_id,
            domain: r.source_domain ?? '',
            externalId: r.external_id ?? '',
            dn: r.external_dn ?? '',
          },
        }
      : {}),
    ...(r.last_sync_at !== null ? { lastSyncAt: r.last_sync_at } : {}),
    ...(r.email_verified === 1 ? { emailVerified: true } : {}),
    ...(groupRoles.length > 0 ? { groupRoles } : {}),
  };
  return u;
}

function distinctSorted(list: Iterable<string>): string[] {
  return [...new Set(list)].sort();
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

/**
 * The rows of `withRoles`: one per direct role (or one with role null) and one per role through a
 * group: one user.
 */
function foldRoles(rows: RoleRow[]): User | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const direct: string[] = [];
  const viaGroups: string[] = [];
  for (const r of rows) if (r.role !== null) (Number(r.via_group) === 1 ? viaGroups : direct).push(r.role);
  return fromRow(first, distinctSorted(direct), distinctSorted(viaGroups));
}

type RoleRow = UsersTable & { role: string | null; via_group: number };

type UsersWhere = (eb: ExpressionBuilder<FoundationTables & DirectoryTables, 'users'>) => Expression<SqlBool>;

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
    source_directory_id: u.source?.directoryId ?? null,
    source_domain: u.source?.domain ?? null,
    external_id: u.source?.externalId ?? null,
    external_dn: u.source?.dn ?? null,
    last_sync_at: u.lastSyncAt ?? null,
    email_verified: u.emailVerified === true ? 1 : 0,
  };
}

export class KyselyUserStore implements UserStore {
  private readonly db: DirectoryDb;

  constructor(
    db: Kysely<FoundationTables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.db = directoryDb(db);
  }

  /** Direct roles (`via_group` 0) and roles through groups (1) of these users. */
  private async rolesOf(ids: string[]): Promise<{ direct: Map<string, string[]>; viaGroups: Map<string, string[]> }> {
    const direct = new Map<string, string[]>();
    const viaGroups = new Map<string, string[]>();
    if (ids.length === 0) return { direct, viaGroups };
    const [own, inherited] = await Promise.all([
      this.db.selectFrom('user_roles').selectAll().where('user_id', 'in', ids).execute(),
      this.db
        .selectFrom('group_members')
        .innerJoin('group_roles', 'group_roles.group_id', 'group_members.group_id')
        .select(['group_members.user_id', 'group_roles.role'])
        .where('group_members.user_id', 'in', ids)
        .execute(),
    ]);
    for (const r of own) direct.set(r.user_id, [...(direct.get(r.user_id) ?? []), r.role]);
    for (const r of inherited) viaGroups.set(r.user_id, [...(viaGroups.get(r.user_id) ?? []), r.role]);
    return { direct, viaGroups };
  }

  /**
   * One statement on the hot paths (every token use reads its user): the row with each of its
   * roles, then the row with each role its groups give.
   */
  private withRoles(where: UsersWhere) {
    const direct = this.db
      .selectFrom('users')
      .leftJoin('user_roles', 'user_roles.user_id', 'users.id')
      .selectAll('users')
      .select(['user_roles.role', sql<number>`0`.as('via_group')])
      .where(where);
    const viaGroups = this.db
      .selectFrom('users')
      .innerJoin('group_members', 'group_members.user_id', 'users.id')
      .innerJoin('group_roles', 'group_roles.group_id', 'group_members.group_id')
      .selectAll('users')
      .select(['group_roles.role', sql<number>`1`.as('via_group')])
      .where(where);
    return direct.unionAll(viaGroups);
  }

  /** Every token use reads its user. */
  private readonly byId = prepared(
    () => this.db,
    1,
    (id: string) => this.withRoles((eb) => eb('users.id', '=', id)),
  );

  async get(id: string): Promise<User | undefined> {
    return foldRoles(await this.byId(id));
  }

  /** Every password check looks its user up by name. */
  private readonly byUsername = prepared(
    () => this.db,
    1,
    (lower: string) => this.withRoles((eb) => eb('users.username_lower', '=', lower)),
  );

  async findByUsername(username: string): Promise<User | undefined> {
    return foldRoles(await this.byUsername(username.toLowerCase()));
  }

  async findExternal(directoryId: string, externalId: string): Promise<User | undefined> {
    return foldRoles(
      await this.withRoles((eb) => eb.and([eb('users.source_directory_id', '=', directoryId), eb('users.external_id', '=', externalId)])).execute(),
    );
  }

  async insert(user: User): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(toRow(user)).execute();
        for (const role of user.roles) await trx.insertInto('user_roles').values({ user_id: user.id, role }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('the username or the directory user exists');
      throw err;
    }
  }

  async update(user: User, guard: UserWriteGuard = {}): Promise<void> {
    const { id, ...rest } = toRow(user);
    const keep = guard.enabledHolderOf;
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockHolders(trx, this.dialect, keep);
        let write = trx.updateTable('users').set(rest).where('id', '=', id);
        if (guard.ifUpdatedAt !== undefined) write = write.where('updated_at', '=', guard.ifUpdatedAt);
        const r = await write.executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new StaleWriteError('the user changed or is gone');
        await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
        for (const role of user.roles) await trx.insertInto('user_roles').values({ user_id: id, role }).execute();
        if (keep && (await countHolders(trx, keep)) === 0) throw new LastHolderError('no enabled holder would remain');
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('the username or the directory user exists');
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

  async list(q: UserListQuery): Promise<{ items: User[]; total: number }> {
    let base = this.db.selectFrom('users');
    if (q.search) base = base.where('username_lower', 'like', containing(q.search));
    if (q.source === 'internal') base = base.where('source_directory_id', 'is', null);
    if (q.source === 'external') base = base.where('source_directory_id', 'is not', null);
    if (q.directoryId !== undefined) base = base.where('source_directory_id', '=', q.directoryId);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('username_lower').limit(q.limit).offset(q.offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const { direct, viaGroups } = await this.rolesOf(rows.map((r) => r.id));
    return {
      items: rows.map((r) => fromRow(r, distinctSorted(direct.get(r.id) ?? []), distinctSorted(viaGroups.get(r.id) ?? []))),
      total: Number(count.n),
    };
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
