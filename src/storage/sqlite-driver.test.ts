import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { fdatasync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { type Checkpoint, checkpointThread } from './sqlite-checkpointer.js';
import { DurableSqliteDialect, type SyncFile } from './sqlite-driver.js';

type Tables = { t: { id: string; v: number } };

/** A sync that the test releases by hand, counting calls. */
class HeldSync {
  calls = 0;
  private pending: Array<() => void> = [];
  fail: NodeJS.ErrnoException | null = null;
  readonly fn: SyncFile = (fd, done) => {
    this.calls++;
    this.pending.push(() => fdatasync(fd, (err) => done(this.fail ?? err)));
  };
  release(): void {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
  }
  get waiting(): number {
    return this.pending.length;
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(syncFile?: SyncFile, checkpoint?: Checkpoint) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-driver-'));
  dirs.push(dir);
  const file = join(dir, 'x.db');
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.exec('CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  const db = new Kysely<Tables>({ dialect: new DurableSqliteDialect(raw, file, { syncFile, checkpoint }) });
  return { db, raw, file };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Settles when p settles; reports whether it already had. */
function tracked<T>(p: Promise<T>) {
  const s = { done: false, p };
  p.then(
    () => {
      s.done = true;
    },
    () => {
      s.done = true;
    },
  );
  return s;
}

describe('SQLite group-commit driver', () => {
  it('answers a write only after an fdatasync of the WAL that began after it', async () => {
    const sync = new HeldSync();
    const { db, raw } = await open(sync.fn);
    const w = tracked(db.insertInto('t').values({ id: 'a', v: 1 }).execute());
    await tick();
    assert.equal(w.done, false, 'no answer before the sync');
    assert.equal(raw.pragma('synchronous', { simple: true }), 1, 'commits themselves do not sync (NORMAL)');
    sync.release();
    await w.p;
    assert.equal(w.done, true);
    await db.destroy();
  });

  it('covers many concurrent writes with a few syncs, and keeps every row', async () => {
    let calls = 0;
    const { db } = await open((fd, done) => {
      calls++;
      fdatasync(fd, done);
    });
    calls = 0;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        db
          .insertInto('t')
          .values({ id: `k${i}`, v: i })
          .execute(),
      ),
    );
    assert.ok(calls >= 1 && calls <= 10, `${calls} syncs for 200 writes`);
    const n = await db.selectFrom('t').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    assert.equal(n.n, 200);
    await db.destroy();
  });

  it('makes a read wait while a write it may see is not yet on disk; reads alone never sync', async () => {
    const sync = new HeldSync();
    const { db } = await open(sync.fn);
    const before = sync.calls;
    assert.deepEqual(await db.selectFrom('t').selectAll().execute(), []);
    assert.equal(sync.calls, before, 'a read with nothing pending needs no sync');
    const w = tracked(db.insertInto('t').values({ id: 'a', v: 1 }).execute());
    const r = tracked(db.selectFrom('t').selectAll().execute());
    await tick();
    assert.equal(r.done, false, 'the read saw an unsynced row: it waits');
    sync.release();
    await tick();
    sync.release();
    assert.deepEqual(await r.p, [{ id: 'a', v: 1 }]);
    await w.p;
    await db.destroy();
  });

  it('runs transactions alone: others wait for COMMIT, a rollback leaves nothing, the commit waits for the sync', async () => {
    const sync = new HeldSync();
    const { db } = await open(sync.fn);
    let outside: ReturnType<typeof tracked> | undefined;
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 'in-tx', v: 1 }).execute();
        outside = tracked(db.insertInto('t').values({ id: 'outside', v: 2 }).execute());
        await tick();
        assert.equal(outside.done, false, 'a statement from elsewhere does not join the transaction');
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await tick();
    sync.release();
    await outside?.p;
    assert.deepEqual(await db.selectFrom('t').select('id').execute(), [{ id: 'outside' }]);

    const committed = tracked(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 'b', v: 3 }).execute();
        await trx.updateTable('t').set({ v: 4 }).where('id', '=', 'b').execute();
      }),
    );
    for (let i = 0; i < 5 && sync.waiting === 0; i++) await tick();
    assert.equal(committed.done, false, 'COMMIT is answered after the sync');
    sync.release();
    await committed.p;
    assert.deepEqual(await db.selectFrom('t').selectAll().where('id', '=', 'b').execute(), [{ id: 'b', v: 4 }]);
    await db.destroy();
  });

  it('keeps atomic single-use updates atomic and reports a constraint error to its caller only', async () => {
    const { db } = await open();
    await db.insertInto('t').values({ id: 'code', v: 0 }).execute();
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => db.updateTable('t').set({ v: 1 }).where('id', '=', 'code').where('v', '=', 0).returning('id').execute()),
    );
    assert.equal(claims.filter((r) => r.length === 1).length, 1, 'exactly one caller consumes it');
    const [dup, ok] = await Promise.allSettled([
      db.insertInto('t').values({ id: 'code', v: 9 }).execute(),
      db.insertInto('t').values({ id: 'other', v: 9 }).execute(),
    ]);
    assert.equal(dup.status, 'rejected');
    assert.match(String((dup as PromiseRejectedResult).reason), /UNIQUE/);
    assert.equal(ok.status, 'fulfilled');
    await db.destroy();
  });

  it('fails every later statement after an fdatasync fails, rather than guess what is on disk', async () => {
    const sync = new HeldSync();
    const { db } = await open(sync.fn);
    const w = db.insertInto('t').values({ id: 'a', v: 1 }).execute();
    sync.fail = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    await tick();
    sync.release();
    await assert.rejects(w, /could not be made durable/);
    await assert.rejects(db.selectFrom('t').selectAll().execute(), /could not be made durable/);
    await db.destroy();
  });

  it('does not queue its syncs behind work filling libuv’s thread pool (argon2, crypto)', async () => {
    const { db } = await open();
    await db.insertInto('t').values({ id: 'warm', v: 0 }).execute();
    const t0 = performance.now();
    const busy = Array.from({ length: 8 }, () => new Promise((r) => pbkdf2(`p${Math.random()}`, 's', 200_000, 32, 'sha256', r)));
    await tick();
    await db.insertInto('t').values({ id: 'during', v: 1 }).execute();
    const write = performance.now() - t0;
    await Promise.all(busy);
    const pool = performance.now() - t0;
    assert.ok(write < pool / 2, `the write took ${write.toFixed(0)} ms while the pool was busy for ${pool.toFixed(0)} ms`);
    await db.destroy();
  });

  /** 2,000 commits of a 3 KB row each, 20 at a time: about 8 MB of WAL without any checkpoint. */
  async function writeMany(db: Kysely<Tables>): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 2000) {
          const i = next++;
          await sql`INSERT INTO t (id, v) VALUES (${`${i}-${'x'.repeat(3000)}`}, ${i})`.execute(db);
        }
      }),
    );
  }

  it('checkpoints the WAL on a thread of its own, and still bounds its size under steady writes', async () => {
    let calls = 0;
    const { db, raw, file } = await open(undefined, (done) => {
      calls++;
      // The real checkpoint thread, counted.
      threaded(done);
    });
    const threaded = checkpointThread(file);
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 4000);
    await writeMany(db);
    assert.ok(calls >= 5, `${calls} checkpoints on the thread`);
    const wal = statSync(`${file}-wal`).size;
    assert.ok(wal < 40 * 1024 * 1024, `the WAL grew to ${wal} bytes`);
    threaded.close?.();
    await db.destroy();
    const reopened = new SQLite(file);
    assert.equal((reopened.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 2000);
    reopened.close();
  });

  it('falls back to SQLite’s own checkpoints when the checkpoint thread fails', async () => {
    let calls = 0;
    const failing: Checkpoint = (done) => {
      calls++;
      done(new Error('no checkpoint today'));
    };
    const { db, raw } = await open(undefined, failing);
    await writeMany(db);
    assert.equal(calls, 1);
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 1000);
    // The rest of the writes were still made durable.
    assert.equal((raw.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 2000);
    await db.destroy();
  });

  it('keeps every acknowledged row across a reopen', async () => {
    const { db, file } = await open();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db
          .insertInto('t')
          .values({ id: `r${i}`, v: i })
          .execute(),
      ),
    );
    await db.destroy();
    const raw = new SQLite(file);
    assert.equal((raw.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 50);
    raw.close();
  });
});
