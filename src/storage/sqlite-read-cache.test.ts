import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { DurableSqliteDialect } from './sqlite-driver.js';

interface Tables {
  parent: { id: string; name: string };
  child: { id: string; parent_id: string; v: number };
  other: { id: string; parent_id: string | null };
}

const dirs: string[] = [];
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(options: { sharedFile?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cache-'));
  dirs.push(dir);
  const file = join(dir, 'x.db');
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.exec(`CREATE TABLE parent (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent (id) ON DELETE CASCADE, v INTEGER NOT NULL);
    CREATE TABLE other (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES parent (id));
    INSERT INTO parent VALUES ('p', 'first');
    INSERT INTO child VALUES ('c', 'p', 1);`);
  const dialect = new DurableSqliteDialect(raw, file, options);
  const db = new Kysely<Tables>({ dialect });
  opened.push({ close: () => db.destroy() });
  const cache = (dialect.createDriver() as unknown as { cache: { size: number } }).cache;
  return { db, raw, file, cache };
}

const childOf = (db: Kysely<Tables>, id: string) =>
  db.selectFrom('child').innerJoin('parent', 'parent.id', 'child.parent_id').select(['child.v', 'parent.name']).where('child.id', '=', id).executeTakeFirst();

describe('SQLite read cache', () => {
  it('answers a repeated read from memory, and a write to a table it reads is seen at once', async () => {
    const { db, raw, cache } = open();
    assert.deepEqual(await childOf(db, 'c'), { v: 1, name: 'first' });
    assert.equal(cache.size, 1);
    // Proof that the second answer came from the cache: the row changed behind the driver's back
    // through a statement that SQLite does not count as another connection's write.
    raw.prepare("UPDATE parent SET name = 'hidden' WHERE id = 'p'").run();
    assert.deepEqual(await childOf(db, 'c'), { v: 1, name: 'first' });
    await db.updateTable('parent').set({ name: 'second' }).where('id', '=', 'p').execute();
    assert.deepEqual(await childOf(db, 'c'), { v: 1, name: 'second' });
    await db.updateTable('child').set({ v: 2 }).execute();
    assert.deepEqual(await childOf(db, 'c'), { v: 2, name: 'second' });
  });

  it('sees rows removed by an ON DELETE CASCADE from another table', async () => {
    const { db } = open();
    const only = () => db.selectFrom('child').selectAll().where('id', '=', 'c').executeTakeFirst();
    assert.equal((await only())?.v, 1);
    await db.deleteFrom('parent').where('id', '=', 'p').execute();
    assert.equal(await only(), undefined);
  });

  it('sees a write by another connection (another process on the same file) a millisecond later', async () => {
    const { db, file } = open();
    assert.equal((await childOf(db, 'c'))?.name, 'first');
    const other = new SQLite(file);
    other.prepare("UPDATE parent SET name = 'cli' WHERE id = 'p'").run();
    other.close();
    await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal((await childOf(db, 'c'))?.name, 'cli');
  });

  it("with several workers on the file, sees another connection's write on the very next read", async () => {
    const { db, file } = open({ sharedFile: true });
    const other = new SQLite(file);
    try {
      for (let i = 0; i < 20; i++) {
        assert.equal((await childOf(db, 'c'))?.name, i === 0 ? 'first' : `worker-${i - 1}`);
        assert.equal((await childOf(db, 'c'))?.name, i === 0 ? 'first' : `worker-${i - 1}`, 'a hit');
        other.prepare('UPDATE parent SET name = ? WHERE id = ?').run(`worker-${i}`, 'p');
        // No wait: a write another worker acknowledged is seen by the next request at this one.
        assert.equal((await childOf(db, 'c'))?.name, `worker-${i}`, `round ${i}`);
      }
    } finally {
      other.close();
    }
  });

  it('neither fills nor answers inside a transaction, and forgets everything after a rollback', async () => {
    const { db, cache } = open();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.updateTable('parent').set({ name: 'uncommitted' }).execute();
        assert.equal((await childOf(trx, 'c'))?.name, 'uncommitted');
        throw new Error('roll back');
      }),
      { message: 'roll back' },
    );
    assert.equal(cache.size, 0);
    assert.equal((await childOf(db, 'c'))?.name, 'first');
  });

  it('knows the tables a subquery reads, as SQLite compiles it, and sees a write to them', async () => {
    const { db, cache } = open();
    const ids = async () => (await sql<{ id: string }>`select * from (select id from "parent" where id in (select parent_id from "child"))`.execute(db)).rows;
    await db.insertInto('parent').values({ id: 'q', name: 'second' }).execute();
    assert.deepEqual(await ids(), [{ id: 'p' }]);
    assert.equal(cache.size, 1);
    // Only the innermost table is written: the kept result must not be answered again.
    await db.insertInto('child').values({ id: 'cq', parent_id: 'q', v: 1 }).execute();
    assert.deepEqual((await ids()).map((r) => r.id).sort(), ['p', 'q']);
  });

  it('keeps nothing it cannot reason about: table-valued functions, volatile functions, large results', async () => {
    const { db, cache } = open();
    await sql`select * from pragma_table_info('parent')`.execute(db);
    await sql`select random() as r from "parent"`.execute(db);
    await sql`select id, datetime('now') as at from "parent"`.execute(db);
    for (let i = 0; i < 30; i++)
      await db
        .insertInto('child')
        .values({ id: `x${i}`, parent_id: 'p', v: i })
        .execute();
    await db.selectFrom('child').selectAll().execute();
    assert.equal(cache.size, 0);
  });

  it('gives every caller its own row objects', async () => {
    const { db } = open();
    const first = await db.selectFrom('parent').selectAll().where('id', '=', 'p').executeTakeFirstOrThrow();
    first.name = 'mutated by a caller';
    const second = await db.selectFrom('parent').selectAll().where('id', '=', 'p').executeTakeFirstOrThrow();
    assert.equal(second.name, 'first');
    second.name = 'again';
    assert.equal((await db.selectFrom('parent').selectAll().where('id', '=', 'p').executeTakeFirstOrThrow()).name, 'first');
  });

  it('forgets everything after a schema change', async () => {
    const { db, cache } = open();
    await db.selectFrom('parent').selectAll().execute();
    assert.equal(cache.size, 1);
    await sql`CREATE TABLE later (id TEXT)`.execute(db);
    assert.equal(cache.size, 0);
  });
});
