import type SQLite from 'better-sqlite3';

/** Distinct (statement, parameters) results kept; the oldest is dropped beyond this. */
const MAX_ENTRIES = 2000;
/** Results with more rows than this are not kept (lists are not the hot path). */
const MAX_ROWS = 20;

/**
 * How long a check of `PRAGMA data_version` (another connection's commit) is relied on by default.
 * A check starts a read transaction — shared-memory locks, ≈ 3–12 µs — so under load it is done
 * once per this many milliseconds, not once per read: a commit by another process (the CLI) is
 * seen by requests that arrive a millisecond after it, instead of at once. When several processes
 * serve the same file (LATCHKEY_WORKERS), 0: every hit checks, so a write one worker acknowledged
 * is seen by the next request at any other.
 */
export const EXTERNAL_CHECK_MS = 1;
/** Functions whose value changes without a write: a statement calling one is never kept. */
const VOLATILE = new Set([
  'random',
  'randomblob',
  'date',
  'time',
  'datetime',
  'julianday',
  'unixepoch',
  'strftime',
  'changes',
  'total_changes',
  'last_insert_rowid',
  'current_timestamp',
  'current_date',
  'current_time',
]);

/**
 * What a statement touches, as SQLite itself compiles it (EXPLAIN): the tables whose b-trees it
 * opens for reading and for writing (indexes count as their table; foreign-key cascades appear as
 * writes), and whether its result may be kept. null: it cannot be told (then nothing is kept and a
 * write forgets everything).
 */
interface Plan {
  reads: string[];
  writes: string[];
  /** Writes the schema (sqlite_master). */
  schema: boolean;
  /** A read whose rows depend only on the tables it reads. */
  keepable: boolean;
}

interface ExplainRow {
  opcode: string;
  p2: number;
  p3: number;
  p4: unknown;
}

type Row = Record<string, unknown>;

interface Entry {
  rows: Row[];
  tables: string[];
  generations: number[];
}

/**
 * Remembers the rows of small SELECTs on the one SQLite connection of the process until a table
 * they read is written. Exact for this process's own writes:
 * - a write through this connection bumps the generation of its table and of every table whose
 *   foreign keys cascade from it (`ON DELETE CASCADE`, `SET NULL`, …), read from the schema;
 * - a write by any other connection or process (the CLI, another worker on the same file) changes
 *   SQLite's `PRAGMA data_version`, checked on a hit at most once per `externalCheckMs` (0: on
 *   every hit), and empties the cache;
 * - statements it cannot read (DDL, triggers, raw SQL) empty it too.
 * Reads and writes inside an explicit transaction bypass it, and a rollback empties it.
 */
export class SqliteReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private readonly plans = new Map<string, Plan | null>();
  /** b-tree root page → table name (an index's pages name its table). */
  private roots: Map<number, string> | null = null;
  private cascades: Map<string, string[]> | null = null;
  private readonly dataVersion: SQLite.Statement;
  private version: unknown;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly raw: SQLite.Database,
    /** How long a check for other connections' commits is relied on (0: every hit checks). */
    private readonly externalCheckMs = EXTERNAL_CHECK_MS,
  ) {
    this.dataVersion = raw.prepare('PRAGMA data_version').pluck();
    this.version = this.dataVersion.get();
  }

  /** The rows a statement returned last time, if nothing it reads was written since. */
  lookup(sql: string, params: readonly unknown[]): Row[] | undefined {
    if (this.entries.size === 0) return undefined;
    const key = keyOf(sql, params);
    if (key === null) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = performance.now();
    if (now - this.checkedAt >= this.externalCheckMs) {
      this.checkedAt = now;
      const version = this.dataVersion.get();
      if (version !== this.version) {
        // Another connection committed: its write may have been a schema change (root pages move).
        this.version = version;
        this.forgetSchema();
        return undefined;
      }
    }
    for (let i = 0; i < entry.tables.length; i++) {
      if ((this.generations.get(entry.tables[i] as string) ?? 0) !== entry.generations[i]) {
        this.entries.delete(key);
        return undefined;
      }
    }
    return entry.rows.map(copy);
  }

  /** Keeps what a read-only statement just returned, outside any transaction. */
  store(sql: string, params: readonly unknown[], rows: readonly unknown[]): void {
    if (rows.length > MAX_ROWS) return;
    if (this.entries.size === 0) {
      const version = this.dataVersion.get();
      if (version !== this.version) this.forgetSchema();
      this.version = version;
      this.checkedAt = performance.now();
    }
    const plan = this.planOf(sql, params);
    if (plan === null || !plan.keepable || plan.reads.length === 0) return;
    const tables = plan.reads;
    const key = keyOf(sql, params);
    if (key === null) return;
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { rows: (rows as Row[]).map(copy), tables, generations: tables.map((t) => this.generations.get(t) ?? 0) });
  }

  /** A statement that may write is about to run on this connection. */
  wrote(sql: string, params: readonly unknown[] = []): void {
    const plan = this.planOf(sql, params);
    if (plan === null || plan.schema) {
      // Schema changes, pragmas, statements SQLite will not explain: forget everything.
      this.forgetSchema();
      return;
    }
    const changed = new Set<string>();
    for (const table of plan.writes) for (const t of this.affectedBy(table)) changed.add(t);
    for (const t of changed) this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
  }

  /** Forgets every result (a rollback, another connection's write). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private forgetSchema(): void {
    this.cascades = null;
    this.roots = null;
    this.plans.clear();
    this.clear();
  }

  private planOf(sql: string, params: readonly unknown[]): Plan | null {
    let plan = this.plans.get(sql);
    if (plan === undefined) {
      plan = this.explain(sql, params);
      if (this.plans.size >= MAX_ENTRIES) this.plans.clear();
      this.plans.set(sql, plan);
    }
    return plan;
  }

  private explain(sql: string, params: readonly unknown[]): Plan | null {
    let program: ExplainRow[];
    try {
      program = this.raw.prepare(`EXPLAIN ${sql}`).all(...params) as ExplainRow[];
    } catch {
      return null;
    }
    this.roots ??= this.readRoots();
    const reads = new Set<string>();
    const writes = new Set<string>();
    let schema = false;
    let keepable = /^\s*select\b/i.test(sql);
    for (const op of program) {
      if (op.opcode === 'OpenRead' || op.opcode === 'OpenWrite') {
        // p3 names the database: only the main one is known here.
        const table = op.p3 === 0 ? this.roots.get(op.p2) : undefined;
        if (op.opcode === 'OpenWrite' && op.p2 === 1) schema = true;
        else if (table === undefined) return null;
        else (op.opcode === 'OpenRead' ? reads : writes).add(table);
      } else if (op.opcode === 'VOpen' || op.opcode === 'ParseSchema' || op.opcode === 'VUpdate') {
        keepable = false;
        if (op.opcode !== 'VOpen') schema = true;
      } else if (op.opcode === 'Function' || op.opcode === 'PureFunc') {
        const name = typeof op.p4 === 'string' ? op.p4.replace(/\(.*$/, '').toLowerCase() : '';
        if (name === '' || VOLATILE.has(name)) keepable = false;
      }
    }
    return { reads: [...reads], writes: [...writes], schema, keepable };
  }

  private readRoots(): Map<number, string> {
    const rows = this.raw.prepare('SELECT tbl_name, rootpage FROM sqlite_master WHERE rootpage > 0').all() as Array<{ tbl_name: string; rootpage: number }>;
    return new Map(rows.map((r) => [r.rootpage, r.tbl_name.toLowerCase()]));
  }

  /** The table and, transitively, every table whose rows a write to it can change through a foreign key. */
  private affectedBy(table: string): string[] {
    this.cascades ??= this.readCascades();
    const seen = new Set([table]);
    const queue = [table];
    for (let t = queue.pop(); t !== undefined; t = queue.pop()) {
      for (const child of this.cascades.get(t) ?? []) {
        if (!seen.has(child)) {
          seen.add(child);
          queue.push(child);
        }
      }
    }
    return [...seen];
  }

  private readCascades(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const objects = this.raw.prepare("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')").all() as Array<{ name: string; type: string }>;
    const tables = objects.filter((o) => o.type === 'table').map((o) => o.name);
    // A trigger can write anywhere: then every write changes every table.
    const everything = objects.some((o) => o.type === 'trigger');
    for (const child of tables) {
      const keys = this.raw.prepare('SELECT * FROM pragma_foreign_key_list(?)').all(child) as Array<{ table: string; on_update: string; on_delete: string }>;
      for (const fk of keys) {
        if (fk.on_delete === 'NO ACTION' && fk.on_update === 'NO ACTION') continue;
        const parent = fk.table.toLowerCase();
        out.set(parent, [...(out.get(parent) ?? []), child.toLowerCase()]);
      }
    }
    if (everything)
      for (const t of tables)
        out.set(
          t.toLowerCase(),
          tables.map((x) => x.toLowerCase()),
        );
    return out;
  }
}

function keyOf(sql: string, params: readonly unknown[]): string | null {
  for (const p of params) {
    if (p !== null && typeof p !== 'string' && typeof p !== 'number') return null;
  }
  return `${sql}\u0000${JSON.stringify(params)}`;
}

function copy(row: Row): Row {
  return { ...row };
}
