import { closeSync, openSync } from 'node:fs';
import type SQLite from 'better-sqlite3';
import { type CompiledQuery, type DatabaseConnection, type DialectAdapter, type Driver, type QueryResult, SqliteAdapter, SqliteDialect } from 'kysely';
import { jobThread } from './job-thread.js';
import { type Checkpoint, checkpointThread } from './sqlite-checkpointer.js';
import { SqliteReadCache } from './sqlite-read-cache.js';

/** Prepared statements kept per connection; more distinct SQL texts than this empties the cache. */
const STATEMENT_CACHE_SIZE = 500;

/** Commits between two checkpoints on the checkpoint thread (each commit appends a few pages). */
const CHECKPOINT_EVERY_COMMITS = 200;
/**
 * WAL pages after which the connection itself checkpoints, in the COMMIT (SQLite's default is
 * 1000): under steady writes only such a checkpoint lets the WAL restart, see DurableSqliteDialect.
 */
const BOUNDING_CHECKPOINT_PAGES = 4000;

/** Statements whose writes can be seen in their change count (anything else that writes is assumed to). */
const DML = /^\s*(insert|update|delete|replace)\b/i;

export type SyncFile = ((fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void) & { close?(): void };

/**
 * fdatasync(2) on a thread of its own. Not on libuv's pool: argon2 hashes (and other crypto) fill
 * its four threads for tens of milliseconds each, and every write would queue behind them.
 */
export function syncThread(): SyncFile {
  const thread = jobThread(
    `const { parentPort } = require('node:worker_threads');
     const { fdatasyncSync } = require('node:fs');
     parentPort.on('message', (fd) => {
       try { fdatasyncSync(fd); parentPort.postMessage(null); }
       catch (e) { parentPort.postMessage({ message: String(e && e.message), code: e && e.code }); }
     });`,
  );
  const sync: SyncFile = (fd, done) => thread.run(fd, done);
  sync.close = () => thread.close();
  return sync;
}

/** A FIFO lock: explicit transactions hold it from BEGIN to COMMIT; single statements only while they run. */
class Lock {
  private held = false;
  private readonly queue: Array<() => void> = [];
  tryLock(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }
  lock(): Promise<void> {
    if (this.tryLock()) return Promise.resolve();
    return new Promise((resolve) => this.queue.push(resolve));
  }
  unlock(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.held = false;
  }
}

class Handle implements DatabaseConnection {
  inTransaction = false;
  constructor(private readonly driver: GroupCommitDriver) {}
  executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.execute(this, q) as Promise<QueryResult<R>>;
  }
  async *streamQuery<R>(q: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // Read at once: an open cursor would keep the single connection busy across awaits.
    const { rows } = await this.executeQuery<R>(q);
    for (const row of rows) yield { rows: [row] };
  }
}

/**
 * Durable SQLite without an fsync on the event loop per write (group commit).
 *
 * With the default driver every autocommit write runs `COMMIT` with synchronous=FULL: one fsync of
 * the WAL (about 1–2 ms on a virtual disk) while the event loop waits, so the whole server is held
 * to a few hundred writes per second. Here the connection runs with synchronous=NORMAL (commits
 * append to the WAL without syncing; checkpoints still sync the WAL before and the database after,
 * SQLite's own guarantee) and the driver itself calls fdatasync() on the WAL file, on a thread of
 * its own. A statement's promise settles only after a sync that began after it ran, so nothing
 * is answered before what it wrote — or read — is on disk: the same guarantee as synchronous=FULL
 * for every acknowledged write, while one fdatasync covers every commit made meanwhile.
 *
 * Statements still run one at a time, synchronously, on one connection (atomic single-use updates
 * keep working); explicit transactions hold the connection from BEGIN to COMMIT as before. Prepared
 * statements are cached by SQL text.
 */
export class GroupCommitDriver implements Driver {
  private readonly lock = new Lock();
  private readonly statements = new Map<string, SQLite.Statement>();
  /** Commits made so far, and how many of them a completed fdatasync covers. */
  private committed = 0;
  private synced = 0;
  private syncing = false;
  private checkpointedAt = 0;
  private checkpointing = false;
  private waiters: Array<{ upTo: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private walFd: number | null = null;
  /** After a failed fdatasync nothing can be trusted to be on disk: every later statement fails. */
  private failure: Error | null = null;
  /** Results of small reads, kept until a table they read is written (sqlite-read-cache.ts); null when turned off. */
  readonly cache: SqliteReadCache | null;

  /** `walPath` null: nothing to sync (an in-memory database, or not in WAL mode, then synchronous=FULL). */
  constructor(
    private readonly raw: SQLite.Database,
    private readonly walPath: string | null,
    /** fdatasync(2) of the WAL file, off the event loop; replaceable in tests. */
    private readonly syncFile: SyncFile = syncThread(),
    /** WAL checkpoints off the event loop (null: SQLite's automatic checkpoint). */
    private checkpoint: Checkpoint | null = null,
    readCache = true,
    /** Other processes serve the same file: the read cache checks for their commits on every hit. */
    sharedFile = false,
  ) {
    this.cache = readCache ? new SqliteReadCache(raw, sharedFile ? 0 : undefined) : null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this);
  }

  async releaseConnection(): Promise<void> {}

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const h = connection as Handle;
    await this.lock.lock();
    try {
      // IMMEDIATE: the write lock is taken here, waiting (busy_timeout) for another process's
      // transaction to end. A deferred transaction that read first could not take it afterwards
      // once another process (a worker, the CLI) had committed meanwhile (SQLITE_BUSY, no retry).
      this.raw.exec('begin immediate');
    } catch (err) {
      this.lock.unlock();
      throw err;
    }
    h.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const h = connection as Handle;
    // A failed COMMIT leaves the transaction open; Kysely rolls it back next.
    this.raw.exec('commit');
    h.inTransaction = false;
    this.committed++;
    this.lock.unlock();
    await this.durable();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const h = connection as Handle;
    try {
      // SQLite may already have rolled back on its own (e.g. SQLITE_FULL).
      if (this.raw.inTransaction) this.raw.exec('rollback');
    } finally {
      this.cache?.clear();
      h.inTransaction = false;
      this.lock.unlock();
    }
  }

  async destroy(): Promise<void> {
    await this.durable().catch(() => {});
    this.syncFile.close?.();
    this.checkpoint?.close?.();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.statements.clear();
    this.raw.close();
  }

  async execute(h: Handle, q: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.failure) throw this.failure;
    // Inside an explicit transaction the lock is already ours, and nothing is committed yet.
    if (h.inTransaction) return this.run(q, false).result;
    if (!this.lock.tryLock()) await this.lock.lock();
    let out: { result: QueryResult<unknown>; wrote: boolean };
    try {
      const rows = this.cache?.lookup(q.sql, q.parameters);
      out = rows ? { result: { rows }, wrote: false } : this.run(q, true);
    } catch (err) {
      this.lock.unlock();
      // A refusal may rest on another request's write: it too waits until that write is durable.
      await this.durable().catch(() => {});
      throw err;
    }
    this.lock.unlock();
    if (out.wrote) this.committed++;
    await this.durable();
    return out.result;
  }

  private statement(sql: string): SQLite.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** `cacheable`: outside an explicit transaction, so a read's result may be kept. */
  private run(q: CompiledQuery, cacheable: boolean): { result: QueryResult<unknown>; wrote: boolean } {
    const stmt = this.statement(q.sql);
    const params = q.parameters as unknown[];
    const dml = DML.test(q.sql);
    if (!stmt.readonly) this.cache?.wrote(q.sql, params);
    if (stmt.reader) {
      const rows = stmt.all(params);
      if (stmt.readonly && cacheable) this.cache?.store(q.sql, params, rows);
      return { result: { rows }, wrote: !stmt.readonly && (!dml || rows.length > 0) };
    }
    const { changes, lastInsertRowid } = stmt.run(params);
    return {
      result: { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] },
      wrote: !stmt.readonly && (!dml || changes > 0),
    };
  }

  /** Resolves once every commit made so far is on disk. */
  private durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.walPath === null) this.synced = this.committed;
    if (this.committed <= this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.committed, resolve, reject });
      this.sync();
    });
  }

  /** One fdatasync at a time; each covers every commit made before it started. */
  private sync(): void {
    if (this.syncing || this.waiters.length === 0) return;
    let fd: number;
    try {
      fd = this.wal();
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.syncing = true;
    const target = this.committed;
    this.syncFile(fd, (err) => {
      this.syncing = false;
      if (err) {
        this.fail(err);
        return;
      }
      this.synced = Math.max(this.synced, target);
      const done = this.waiters.filter((w) => w.upTo <= this.synced);
      this.waiters = this.waiters.filter((w) => w.upTo > this.synced);
      for (const w of done) w.resolve();
      this.sync();
      this.maybeCheckpoint();
    });
  }

  /** Asks the checkpoint thread to copy the WAL into the database every so many durable commits. */
  private maybeCheckpoint(): void {
    const checkpoint = this.checkpoint;
    if (checkpoint === null || this.checkpointing || this.synced - this.checkpointedAt < CHECKPOINT_EVERY_COMMITS) return;
    this.checkpointing = true;
    const upTo = this.synced;
    checkpoint((err) => {
      this.checkpointing = false;
      if (!this.raw.open) return;
      if (err) {
        // Never let the WAL grow without bound: fall back to SQLite's own checkpoints.
        this.checkpoint = null;
        checkpoint.close?.();
        this.raw.pragma('wal_autocheckpoint = 1000');
        return;
      }
      this.checkpointedAt = upTo;
    });
  }

  private wal(): number {
    if (this.walFd === null) this.walFd = openSync(this.walPath as string, 'r+');
    return this.walFd;
  }

  private fail(err: Error): void {
    // As PostgreSQL does after a failed fsync: the pages may be gone, so stop rather than guess.
    this.failure = new Error(`the database could not be made durable (${err.message}); restart Latchkey`);
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(this.failure);
  }
}

export interface DurableSqliteOptions {
  /** fdatasync(2) of the WAL file (default: a thread of its own); replaceable in tests. */
  syncFile?: SyncFile;
  /** WAL checkpoints (default: a thread of its own). */
  checkpoint?: Checkpoint;
  /** Keep small reads' rows in memory (sqlite-read-cache.ts); false reads every row from SQLite. Default true. */
  readCache?: boolean;
  /** Several processes serve this file at once (LATCHKEY_WORKERS): the read cache checks their commits on every hit. */
  sharedFile?: boolean;
}

/**
 * Kysely's SQLite dialect with the group-commit driver. Sets synchronous=NORMAL when the database
 * is a file in WAL mode (the driver syncs the WAL itself, and checkpoints it off the event loop),
 * otherwise keeps synchronous=FULL.
 */
export class DurableSqliteDialect extends SqliteDialect {
  private readonly driver: GroupCommitDriver;

  constructor(raw: SQLite.Database, file: string, options: DurableSqliteOptions = {}) {
    super({ database: raw });
    const { syncFile, checkpoint, readCache = true, sharedFile = false } = options;
    const wal = file !== ':memory:' && String(raw.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    raw.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
    // In WAL mode a thread of its own does the checkpoints' copying (sqlite-checkpointer.ts); the
    // connection's own checkpoint remains as the bound on the WAL's size (SQLite restarts the WAL
    // only after a checkpoint made between two writes), and then finds little left to copy.
    if (wal) raw.pragma(`wal_autocheckpoint = ${BOUNDING_CHECKPOINT_PAGES}`);
    this.driver = new GroupCommitDriver(raw, wal ? `${file}-wal` : null, syncFile, wal ? (checkpoint ?? checkpointThread(file)) : null, readCache, sharedFile);
  }

  override createDriver(): Driver {
    return this.driver;
  }

  // Kysely serializes every query of a single-connection dialect; this driver orders statements
  // itself (its lock), so that concurrent writes can share one fdatasync.
  override createAdapter(): DialectAdapter {
    return new ConcurrentSqliteAdapter();
  }
}

class ConcurrentSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}
