import type { Clock, ThrottleStore } from '../core/ports.js';

interface Entry {
  windowMs: number;
  windowStart: number;
  /** The count every instance together had reached at this instance's last flush. */
  shared: number;
  /** Hits here not yet added to the shared counter. */
  pending: number;
  /** Read since the last flush: the next flush learns the shared total even without hits here. */
  read: boolean;
}

/**
 * Rate counting for hot paths (the token endpoint): a hit is counted in memory and answered at once,
 * and the hits of the last moments are added to the shared throttle store in one write per key
 * every `flushMs`, which also brings back what the other instances counted. So the request path
 * never waits for a database write, and instances agree within about `flushMs`.
 */
export class SharedRateCounter {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: Clock,
    private readonly flushMs = 250,
  ) {}

  /** Counts one hit and returns the estimated total in the current window, every instance included. */
  hit(key: string, windowMs: number): number {
    const e = this.current(key, windowMs);
    e.pending++;
    this.schedule();
    return e.shared + e.pending;
  }

  /**
   * The estimated total in the current window without counting a hit. A key this instance has not
   * seen reads 0 at first; the next flush fetches what the other instances counted for it.
   */
  count(key: string, windowMs: number): number {
    const e = this.current(key, windowMs);
    if (!e.read) {
      e.read = true;
      this.schedule();
    }
    return e.shared + e.pending;
  }

  /** Keys under `prefix` (without it) with their estimated totals in the current window, for /metrics. */
  totals(prefix: string): Map<string, number> {
    const now = this.clock.now();
    const out = new Map<string, number>();
    for (const [key, e] of this.entries) {
      if (key.startsWith(prefix) && now - e.windowStart < e.windowMs && e.shared + e.pending > 0) out.set(key.slice(prefix.length), e.shared + e.pending);
    }
    return out;
  }

  /**
   * Adds the pending hits to the shared store and learns the shared totals. One flush runs at a
   * time: the answers of two overlapping writes of one key could arrive out of order, and the
   * older, smaller total would lower the count.
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const now = this.clock.now();
    const work: Array<Promise<void>> = [];
    for (const [key, e] of this.entries) {
      const read = e.read;
      e.read = false;
      if (e.pending === 0) {
        if (now - e.windowStart >= e.windowMs) this.entries.delete(key);
        else if (read) {
          work.push(
            this.store.count(key, now, e.windowMs).then(
              (total) => {
                e.shared = Math.max(e.shared, total - e.pending);
              },
              () => {},
            ),
          );
        }
        continue;
      }
      const by = e.pending;
      e.pending = 0;
      work.push(
        this.store.hit(key, now, e.windowMs, by).then(
          (total) => {
            e.shared = total - e.pending;
          },
          () => {
            // The database is unreachable: keep counting locally and try again next time.
            e.pending += by;
          },
        ),
      );
    }
    await Promise.all(work);
  }

  /** The key's entry for the window in progress, started afresh when the last one is over. */
  private current(key: string, windowMs: number): Entry {
    const now = this.clock.now();
    let e = this.entries.get(key);
    if (!e || now - e.windowStart >= windowMs) {
      e = { windowMs, windowStart: now, shared: 0, pending: 0, read: false };
      this.entries.set(key, e);
    }
    return e;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
