import { type Kysely, sql } from 'kysely';
import type { DirectoryTables } from './directory-tables.js';
import type { FoundationTables } from './tables.js';

/** Serializes the changes that must keep a role holder on PostgreSQL (pg_advisory_xact_lock key). */
const HOLDER_LOCK = 0x4c4b_0015;

type Db = Kysely<FoundationTables & DirectoryTables>;

/**
 * Takes the holder lock when a write must keep a holder. PostgreSQL's READ COMMITTED would let two
 * such changes each see the other's holder: one lock orders them. SQLite has one writer at a time,
 * and each write comes before its count.
 */
export async function lockHolders(trx: Db, dialect: 'sqlite' | 'postgres', keep: readonly string[] | undefined): Promise<void> {
  if (keep && dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${HOLDER_LOCK})`.execute(trx);
}

/** Enabled users holding at least one of `roles`, directly or through one of their groups. */
export async function countHolders(db: Db, roles: readonly string[], exceptId?: string): Promise<number> {
  if (roles.length === 0) return 0;
  const wanted = [...roles];
  let q = db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('users.enabled', '=', 1)
    .where((eb) =>
      eb.or([
        eb.exists(eb.selectFrom('user_roles').select('user_roles.role').whereRef('user_roles.user_id', '=', 'users.id').where('user_roles.role', 'in', wanted)),
        eb.exists(
          eb
            .selectFrom('group_members')
            .innerJoin('group_roles', 'group_roles.group_id', 'group_members.group_id')
            .select('group_roles.role')
            .whereRef('group_members.user_id', '=', 'users.id')
            .where('group_roles.role', 'in', wanted),
        ),
      ]),
    );
  if (exceptId !== undefined) q = q.where('users.id', '<>', exceptId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}
