import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ThrottleStore } from '../core/ports.js';
import { SharedRateCounter } from './shared-rate-counter.js';

/** An in-memory throttle store shared by several counters, as the database is by instances. */
function memoryStore(): ThrottleStore & { writes: number } {
  const rows = new Map<string, { start: number; hits: number }>();
  const store = {
    writes: 0,
    async hit(key: string, now: number, windowMs: number, by = 1) {
      store.writes++;
      const r = rows.get(key);
      if (!r || r.start < now - windowMs) rows.set(key, { start: now, hits: by });
      else r.hits += by;
      return rows.get(key)?.hits ?? 0;
    },
    async count(key: string) {
      return rows.get(key)?.hits ?? 0;
    },
    async reset(key: string) {
      rows.delete(key);
    },
  };
  return store;
}

describe('SharedRateCounter', () => {
  it('answers from memory and writes one row update per key per flush', async () => {
    const store = memoryStore();
    let now = 1000;
    const c = new SharedRateCounter(store, { now: () => now }, 10_000);
    const counts = Array.from({ length: 50 }, () => c.hit('rate:token:1.2.3.4', 60_000));
    assert.deepEqual(counts.slice(0, 3), [1, 2, 3]);
    assert.equal(counts.at(-1), 50);
    assert.equal(store.writes, 0, 'no write on the request path');
    await c.flush();
    assert.equal(store.writes, 1);
    assert.equal(await store.count('rate:token:1.2.3.4', now, 60_000), 50);
    now += 61_000;
    assert.equal(c.hit('rate:token:1.2.3.4', 60_000), 1, 'a new window starts over');
    await c.close();
  });

  it('learns what other instances counted at its next flush', async () => {
    const store = memoryStore();
    const clock = { now: () => 5000 };
    const a = new SharedRateCounter(store, clock, 10_000);
    const b = new SharedRateCounter(store, clock, 10_000);
    for (let i = 0; i < 30; i++) a.hit('k', 60_000);
    for (let i = 0; i < 20; i++) b.hit('k', 60_000);
    await a.flush();
    await b.flush();
    assert.equal(b.hit('k', 60_000), 51, 'B knows A counted 30');
    // A learns at the flush that carries its next hit.
    assert.equal(a.hit('k', 60_000), 31, 'until then A knows only its own');
    await a.flush();
    assert.equal(a.hit('k', 60_000), 52, 'A knows the 20 hits B flushed');
    await Promise.all([a.close(), b.close()]);
  });

  it('reads a count without adding a hit, and lists the totals under a prefix', async () => {
    let now = 0;
    const c = new SharedRateCounter(memoryStore(), { now: () => now }, 10_000);
    assert.equal(c.count('fail:a', 60_000), 0, 'never counted');
    c.hit('fail:a', 60_000);
    c.hit('fail:a', 60_000);
    c.hit('ok:b', 60_000);
    assert.equal(c.count('fail:a', 60_000), 2);
    assert.equal(c.count('fail:a', 60_000), 2, 'reading does not count');
    assert.deepEqual([...c.totals('fail:')], [['a', 2]]);
    now += 60_000;
    assert.equal(c.count('fail:a', 60_000), 0, 'the window is over');
    assert.deepEqual([...c.totals('fail:')], []);
    await c.close();
  });

  it('learns the shared total of a key it only reads, at its next flush', async () => {
    const store = memoryStore();
    const clock = { now: () => 0 };
    const a = new SharedRateCounter(store, clock, 10_000);
    const b = new SharedRateCounter(store, clock, 10_000);
    for (let i = 0; i < 7; i++) a.hit('fail:c', 60_000);
    await a.flush();
    assert.equal(b.count('fail:c', 60_000), 0, 'B has counted nothing for it yet');
    await b.flush();
    assert.equal(b.count('fail:c', 60_000), 7, 'B read what A counted');
    const writes = store.writes;
    await b.flush();
    assert.equal(store.writes, writes, 'reading never writes');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps counting locally while the store fails, and catches up after', async () => {
    const store = memoryStore();
    let failing = true;
    const flaky: ThrottleStore = { ...store, hit: (...args) => (failing ? Promise.reject(new Error('down')) : store.hit(...args)) };
    const c = new SharedRateCounter(flaky, { now: () => 0 }, 10_000);
    c.hit('k', 60_000);
    c.hit('k', 60_000);
    await c.flush();
    assert.equal(c.hit('k', 60_000), 3);
    failing = false;
    await c.flush();
    assert.equal(await store.count('k', 0, 60_000), 3);
    await c.close();
  });

  it('never lowers a count when the answers of two flushes would arrive out of order', async () => {
    // A store whose first write answers last, as a busy connection pool can.
    const inner = memoryStore();
    let calls = 0;
    const slowFirst: ThrottleStore = {
      ...inner,
      hit: async (key, now, windowMs, by) => {
        const total = await inner.hit(key, now, windowMs, by);
        if (calls++ === 0) await new Promise((r) => setTimeout(r, 50));
        return total;
      },
    };
    const c = new SharedRateCounter(slowFirst, { now: () => 1_000 }, 60_000);
    for (let i = 0; i < 3; i++) c.hit('k', 60_000);
    const first = c.flush();
    for (let i = 0; i < 2; i++) c.hit('k', 60_000);
    const second = c.flush();
    await Promise.all([first, second]);
    assert.equal(c.count('k', 60_000), 5, 'the count stays at what every flush brought together');
    await c.close();
  });
});
