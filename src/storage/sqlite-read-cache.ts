import type SQLite from 'better-sqlite3';

/** Distinct (statement, parameters) results kept; the oldest is dropped beyond this. */
const MAX_ENTRIES = 2000;
/** Results with more rows than this are not kept (lists are not the hot path). */
const MAX_ROWS = 20;

/** A SELECT whose every FROM and JOIN names a quoted table (Kysely's output); anything else is not kept. */
const SELECT = /^\s*select\b/i;
const SOURCE = /\b(?:from|join)\s+("?)([A-Za-z_][A-Za-z0-9_]*)\1/gi;
const SOURCE_KEYWORD = /\b(?:from|join)\b/gi;
/**
 * How long a check of `PRAGMA data_version` (another connection's commit) is relied on. A check
 * starts a read transaction — shared-memory locks, ≈ 3–12 µs — so under load it is done once per
 * this many milliseconds, not once per read: a commit by another process (the CLI) is seen by
 * requests that arrive a millisecond after it, instead of at once.
 */
const EXTERNAL_CHECK_MS = 1;
/** Functions whose value changes without a write. */
const VOLATILE = /\b(?:random|randomblob|date|time|datetime|julianday|unixepoch|strftime|changes|total_changes|last_insert_rowid)\s*\(/i;
const WRITE = /^\s*(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?/i;

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
 * - a write by any other connection or process (the CLI on the same file) changes SQLite's
 *   `PRAGMA data_version`, checked on a hit at most once a millisecond, and empties the cache;
 * - statements it cannot read (DDL, triggers, raw SQL) empty it too.
 * Reads and writes inside an explicit transaction bypass it, and a rollback empties it.
 */
export class SqliteReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  private readonly readsOf = new Map<string, string[] | null>();
  private cascades: Map<string, string[]> | null = null;
  private readonly dataVersion: SQLite.Statement;
  private version: unknown;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly raw: SQLite.Database) {
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
    if (now - this.checkedAt >= EXTERNAL_CHECK_MS) {
      this.checkedAt = now;
      const version = this.dataVersion.get();
      if (version !== this.version) {
        this.version = version;
        this.clear();
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
    const tables = this.tablesRead(sql);
    if (tables === null) return;
    const key = keyOf(sql, params);
    if (key === null) return;
    if (this.entries.size === 0) {
      this.version = this.dataVersion.get();
      this.checkedAt = performance.now();
    }
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { rows: (rows as Row[]).map(copy), tables, generations: tables.map((t) => this.generations.get(t) ?? 0) });
  }

  /** A statement that may have written ran on this connection. */
  wrote(sql: string): void {
    const table = WRITE.exec(sql)?.[2]?.toLowerCase();
    if (table === undefined) {
      // Schema changes, pragmas, raw SQL: forget everything and read the foreign keys again.
      this.cascades = null;
      this.clear();
      return;
    }
    for (const t of this.affectedBy(table)) this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
  }

  /** Forgets every result (a rollback, another connection's write). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private tablesRead(sql: string): string[] | null {
    let tables = this.readsOf.get(sql);
    if (tables === undefined) {
      tables = parseReads(sql);
      if (this.readsOf.size >= MAX_ENTRIES) this.readsOf.clear();
      this.readsOf.set(sql, tables);
    }
    return tables;
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

function parseReads(sql: string): string[] | null {
  if (!SELECT.test(sql) || VOLATILE.test(sql)) return null;
  const tables = new Set<string>();
  let named = 0;
  for (const m of sql.matchAll(SOURCE)) {
    named++;
    tables.add((m[2] as string).toLowerCase());
  }
  // Every FROM/JOIN must have named a table (not a subquery or a table-valued function).
  const keywords = sql.match(SOURCE_KEYWORD)?.length ?? 0;
  if (named === 0 || named !== keywords) return null;
  return [...tables];
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
