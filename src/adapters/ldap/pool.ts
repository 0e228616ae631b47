// Service-account (or anonymous) connections kept per directory and reused. A connection that
// failed below LDAP (socket closed, timeout, server restart) is thrown away, never reused.
import type { Client } from 'ldapts';
import type { Directory } from '../../core/directories/directory.js';
import type { Clock } from '../../core/ports.js';

interface Idle {
  client: Client;
  since: number;
}

interface DirectoryPool {
  /** The settings the connections were made with; other settings mean other connections. */
  fingerprint: string;
  idle: Idle[];
  busy: Set<Client>;
}

export interface PoolOptions {
  /** Opens a connection and binds it with the directory's configured credentials. */
  open(directory: Directory): Promise<Client>;
  clock: Clock;
  /** Connections kept open per directory; more may be open for a moment under load. */
  maxIdle: number;
  /** Idle connections older than this are closed instead of reused. */
  idleMs: number;
}

function fingerprint(d: Directory): string {
  return JSON.stringify([d.connection, d.bind]);
}

function isTimeout(e: unknown): boolean {
  return e instanceof Error && /timed out|timeout/i.test(e.message);
}

function quietClose(c: Client): void {
  c.unbind().catch(() => {});
}

export class ConnectionPool {
  readonly #pools = new Map<string, DirectoryPool>();
  #closed = false;

  constructor(private readonly opts: PoolOptions) {}

  #pool(d: Directory): DirectoryPool {
    const fp = fingerprint(d);
    const existing = this.#pools.get(d.id);
    if (existing && existing.fingerprint === fp) return existing;
    if (existing) this.forget(d.id);
    const fresh: DirectoryPool = { fingerprint: fp, idle: [], busy: new Set() };
    this.#pools.set(d.id, fresh);
    return fresh;
  }

  #take(pool: DirectoryPool): Client | null {
    const now = this.opts.clock.now();
    for (let it = pool.idle.pop(); it; it = pool.idle.pop()) {
      if (it.client.isConnected && now - it.since < this.opts.idleMs) return it.client;
      quietClose(it.client);
    }
    return null;
  }

  #release(d: Directory, pool: DirectoryPool, c: Client, healthy: boolean): void {
    pool.busy.delete(c);
    const current = this.#pools.get(d.id) === pool;
    if (healthy && current && !this.#closed && c.isConnected && pool.idle.length < this.opts.maxIdle) {
      pool.idle.push({ client: c, since: this.opts.clock.now() });
    } else {
      quietClose(c);
    }
  }

  /**
   * Runs `fn` on a bound connection of the directory. When a reused connection turns out closed
   * (a server restart while it was idle), `fn` runs once more on a new one.
   */
  async use<T>(d: Directory, fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the directory client is closed');
    const pool = this.#pool(d);
    const reused = this.#take(pool);
    if (reused) {
      pool.busy.add(reused);
      try {
        const r = await fn(reused);
        this.#release(d, pool, reused, true);
        return r;
      } catch (e) {
        const lost = !reused.isConnected;
        this.#release(d, pool, reused, !lost);
        // A timeout is not retried: the caller's wait stays bounded by one read timeout.
        if (!lost || isTimeout(e)) throw e;
      }
    }
    const c = await this.opts.open(d);
    pool.busy.add(c);
    try {
      const r = await fn(c);
      this.#release(d, pool, c, true);
      return r;
    } catch (e) {
      this.#release(d, pool, c, c.isConnected);
      throw e;
    }
  }

  /** Connections open for a directory (idle and in use). */
  size(directoryId: string): number {
    const p = this.#pools.get(directoryId);
    return p ? p.idle.length + p.busy.size : 0;
  }

  /** Closes the directory's idle connections; those in use close when they are given back. */
  forget(directoryId: string): void {
    const p = this.#pools.get(directoryId);
    if (!p) return;
    this.#pools.delete(directoryId);
    for (const it of p.idle) quietClose(it.client);
    p.idle = [];
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all: Client[] = [];
    for (const p of this.#pools.values()) all.push(...p.idle.map((i) => i.client), ...p.busy);
    this.#pools.clear();
    await Promise.allSettled(all.map((c) => c.unbind()));
  }
}
