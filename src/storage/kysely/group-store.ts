import { sql } from 'kysely';
import { DuplicateKeyError, LastHolderError, StaleWriteError } from '../../core/ports.js';
import type { Group, GroupListQuery, GroupStore, GroupWriteGuard } from '../../core/users/groups.js';
import type { DirectoryDb, GroupsTable } from './directory-tables.js';
import { containing, isUniqueViolation } from './json.js';
import { countHolders, lockHolders } from './role-holders.js';

function fromRow(r: GroupsTable, roles: string[]): Group {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    source: r.source_directory_id !== null ? { directoryId: r.source_directory_id, externalId: r.external_id ?? '' } : null,
    roles,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(g: Group): GroupsTable {
  return {
    id: g.id,
    name: g.name,
    name_lower: g.name.toLowerCase(),
    description: g.description,
    source_directory_id: g.source?.directoryId ?? null,
    external_id: g.source?.externalId ?? null,
    created_at: g.createdAt,
    updated_at: g.updatedAt,
  };
}

function isForeignKeyViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

const DUPLICATE = 'a group has this id, native name, or directory group';

/**
 * Serializes the syncs of one user's external memberships on PostgreSQL (the first key of
 * pg_advisory_xact_lock(int, int); the second is a hash of the user id).
 */
const SYNC_LOCK = 0x4c4b_0016;

export class KyselyGroupStore implements GroupStore {
  constructor(
    private readonly db: DirectoryDb,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** The groups of these rows with their roles. */
  private async withRoles(rows: GroupsTable[], db: DirectoryDb = this.db): Promise<Group[]> {
    if (rows.length === 0) return [];
    const roles = new Map<string, string[]>();
    const found = await db
      .selectFrom('group_roles')
      .selectAll()
      .where(
        'group_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    for (const r of found) roles.set(r.group_id, [...(roles.get(r.group_id) ?? []), r.role]);
    return rows.map((r) => fromRow(r, [...new Set(roles.get(r.id) ?? [])].sort()));
  }

  private async one(row: GroupsTable | undefined): Promise<Group | undefined> {
    return row ? (await this.withRoles([row]))[0] : undefined;
  }

  async list(q: GroupListQuery): Promise<{ items: Group[]; total: number }> {
    let base = this.db.selectFrom('groups');
    if (q.search) base = base.where('name_lower', 'like', containing(q.search));
    if (q.kind === 'native') base = base.where('source_directory_id', 'is', null);
    if (q.kind === 'external') base = base.where('source_directory_id', 'is not', null);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('name_lower').orderBy('id').limit(q.limit).offset(q.offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: await this.withRoles(rows), total: Number(count.n) };
  }

  async get(id: string): Promise<Group | undefined> {
    return this.one(await this.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst());
  }

  async findByName(name: string): Promise<Group | undefined> {
    return this.one(
      await this.db.selectFrom('groups').selectAll().where('name_lower', '=', name.toLowerCase()).where('source_directory_id', 'is', null).executeTakeFirst(),
    );
  }

  async findExternal(directoryId: string, externalId: string): Promise<Group | undefined> {
    return this.one(
      await this.db.selectFrom('groups').selectAll().where('source_directory_id', '=', directoryId).where('external_id', '=', externalId).executeTakeFirst(),
    );
  }

  async insert(group: Group): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('groups').values(toRow(group)).execute();
        await writeRoles(trx, group.id, group.roles);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(DUPLICATE);
      if (isForeignKeyViolation(err)) throw new StaleWriteError('the directory is gone');
      throw err;
    }
  }

  async update(group: Group, guard: GroupWriteGuard = {}): Promise<void> {
    const keep = guard.enabledHolderOf;
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockHolders(trx, this.dialect, keep);
        let write = trx
          .updateTable('groups')
          .set({ name: group.name, name_lower: group.name.toLowerCase(), description: group.description, updated_at: group.updatedAt })
          .where('id', '=', group.id);
        if (guard.ifUpdatedAt !== undefined) write = write.where('updated_at', '=', guard.ifUpdatedAt);
        const r = await write.executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw new StaleWriteError('the group changed or is gone');
        await trx.deleteFrom('group_roles').where('group_id', '=', group.id).execute();
        await writeRoles(trx, group.id, group.roles);
        if (keep && (await countHolders(trx, keep)) === 0) throw new LastHolderError('no enabled holder would remain');
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(DUPLICATE);
      throw err;
    }
  }

  async remove(id: string, guard: Pick<GroupWriteGuard, 'enabledHolderOf'> = {}): Promise<boolean> {
    const keep = guard.enabledHolderOf;
    return this.db.transaction().execute(async (trx) => {
      await lockHolders(trx, this.dialect, keep);
      // Its roles and memberships go with it (ON DELETE CASCADE).
      const r = await trx.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await trx.updateTable('directories').set({ default_group_id: null }).where('default_group_id', '=', id).execute();
      if (keep && (await countHolders(trx, keep)) === 0) throw new LastHolderError('no enabled holder would remain');
      return true;
    });
  }

  async members(groupId: string, page: { limit: number; offset: number }): Promise<{ items: string[]; total: number }> {
    const base = this.db.selectFrom('group_members').innerJoin('users', 'users.id', 'group_members.user_id').where('group_members.group_id', '=', groupId);
    const [rows, count] = await Promise.all([
      base.select('users.id').orderBy('users.username_lower').limit(page.limit).offset(page.offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map((r) => r.id), total: Number(count.n) };
  }

  async addMember(groupId: string, userId: string): Promise<boolean> {
    try {
      const r = await this.db
        .insertInto('group_members')
        .values({ group_id: groupId, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new StaleWriteError('the group or the user is gone');
      throw err;
    }
  }

  async removeMember(groupId: string, userId: string, guard: Pick<GroupWriteGuard, 'enabledHolderOf'> = {}): Promise<boolean> {
    const keep = guard.enabledHolderOf;
    return this.db.transaction().execute(async (trx) => {
      await lockHolders(trx, this.dialect, keep);
      const r = await trx.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
      if (keep && (await countHolders(trx, keep)) === 0) throw new LastHolderError('no enabled holder would remain');
      return Number(r.numDeletedRows) > 0;
    });
  }

  async groupsOf(userId: string): Promise<Group[]> {
    const rows = await this.db
      .selectFrom('groups')
      .innerJoin('group_members', 'group_members.group_id', 'groups.id')
      .selectAll('groups')
      .where('group_members.user_id', '=', userId)
      .orderBy('groups.name_lower')
      .orderBy('groups.id')
      .execute();
    return this.withRoles(rows);
  }

  async setExternalMemberships(userId: string, directoryId: string, groupIds: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
    const wanted = new Set(groupIds);
    try {
      return await this.db.transaction().execute(async (trx) => {
        // Under READ COMMITTED two syncs of one user would each compare with what was there before
        // either and leave both sets: the lock makes the second read what the first wrote.
        if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${SYNC_LOCK}, hashtext(${userId}))`.execute(trx);
        const current = await trx
          .selectFrom('group_members')
          .innerJoin('groups', 'groups.id', 'group_members.group_id')
          .select('groups.id')
          .where('group_members.user_id', '=', userId)
          .where('groups.source_directory_id', '=', directoryId)
          .execute();
        const have = new Set(current.map((r) => r.id));
        const removed = [...have].filter((id) => !wanted.has(id)).sort();
        const candidates = [...wanted].filter((id) => !have.has(id));
        const added =
          candidates.length === 0
            ? []
            : (await trx.selectFrom('groups').select('id').where('id', 'in', candidates).where('source_directory_id', '=', directoryId).execute())
                .map((r) => r.id)
                .sort();
        if (removed.length > 0) await trx.deleteFrom('group_members').where('user_id', '=', userId).where('group_id', 'in', removed).execute();
        // A concurrent sync of the same user may have added it first (PostgreSQL's READ COMMITTED).
        for (const id of added)
          await trx
            .insertInto('group_members')
            .values({ group_id: id, user_id: userId })
            .onConflict((oc) => oc.doNothing())
            .execute();
        return { added, removed };
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new StaleWriteError('the user is gone');
      throw err;
    }
  }
}

async function writeRoles(trx: DirectoryDb, groupId: string, roles: readonly string[]): Promise<void> {
  for (const role of new Set(roles)) await trx.insertInto('group_roles').values({ group_id: groupId, role }).execute();
}
