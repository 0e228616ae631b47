import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { startPostgres } from '../../scripts/services.mjs';
import { clusterKey, startInstance } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; retryAfter: string | null }> {
  const start = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - start, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { status: 0, ms: Date.now() - start, retryAfter: null };
  }
}

describe('faults', () => {
  it('answers 503 with Retry-After while PostgreSQL restarts, then recovers by itself', { skip: !process.env.LATCHKEY_TEST_PG_URL }, async () => {
    // A cluster of its own: restarting the shared test server would disturb other suites.
    const pg = await startPostgres();
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-fault-'));
    const inst = await startInstance('A', { databaseUrl: pg.url, dataDir: dir, masterKey: clusterKey() });
    try {
      assert.equal((await timed(`${inst.baseUrl}/admin/api/clients`, { headers: { authorization: adminAuth } })).status, 200);
      execFileSync('runuser', ['-u', 'postgres', '--', join(pg.bin, 'pg_ctl'), '-D', pg.data, '-m', 'fast', '-w', 'stop'], { stdio: 'ignore' });
      const during = [];
      for (let i = 0; i < 5; i++) {
        during.push(await timed(`${inst.baseUrl}/admin/api/clients`, { headers: { authorization: adminAuth } }));
        during.push(await timed(`${inst.baseUrl}/readyz`));
      }
      for (const r of during) {
        assert.equal(r.status, 503, JSON.stringify(during));
        assert.equal(r.retryAfter, '1');
        assert.ok(r.ms < 5000, `answered within 5 s (${r.ms} ms)`);
      }
      assert.equal((await timed(`${inst.baseUrl}/healthz`)).status, 200, 'the process stays alive');
      execFileSync(
        'runuser',
        [
          '-u',
          'postgres',
          '--',
          join(pg.bin, 'pg_ctl'),
          '-D',
          pg.data,
          '-l',
          join(pg.dir, 'log'),
          '-o',
          `-k ${pg.dir} -p ${pg.port} -c listen_addresses=127.0.0.1`,
          '-w',
          'start',
        ],
        { stdio: 'ignore' },
      );
      let recovered = 0;
      for (let i = 0; i < 50 && recovered === 0; i++) {
        const r = await timed(`${inst.baseUrl}/admin/api/clients`, { headers: { authorization: adminAuth } });
        if (r.status === 200) recovered = i + 1;
        else await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(recovered > 0, 'recovered without a restart');
      assert.equal(inst.process.exitCode, null);
    } finally {
      await inst.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a SQLite database intact, with every acknowledged write, after kill -9 during writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-crash-'));
    const options = { databaseUrl: `sqlite:${join(dir, 'latchkey.db')}`, dataDir: dir, masterKey: clusterKey() };
    const acknowledged: string[] = [];
    try {
      const inst = await startInstance('A', options);
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; ; i++) {
          try {
            const res = await fetch(`${inst.baseUrl}/admin/api/clients`, {
              method: 'POST',
              headers: { authorization: adminAuth, 'content-type': 'application/json' },
              body: JSON.stringify({ type: 'oauth2', name: `w${w}-${i}`, grant_types: ['client_credentials'], response_types: [] }),
            });
            if (res.status !== 201) return;
            acknowledged.push(((await res.json()) as { client_key: string }).client_key);
          } catch {
            return;
          }
        }
      });
      while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 10));
      await inst.kill();
      await Promise.all(writers);

      const db = new SQLite(join(dir, 'latchkey.db'));
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      const keys = new Set((db.prepare('SELECT key FROM clients').all() as Array<{ key: string }>).map((r) => r.key));
      db.close();
      const lost = acknowledged.filter((k) => !keys.has(k));
      assert.deepEqual(lost, [], `${acknowledged.length} acknowledged, ${lost.length} lost`);

      const again = await startInstance('A2', options);
      try {
        const list = (await (await fetch(`${again.baseUrl}/admin/api/clients?limit=1`, { headers: { authorization: adminAuth } })).json()) as { total: number };
        assert.ok(list.total >= acknowledged.length);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
