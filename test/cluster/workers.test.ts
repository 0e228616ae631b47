import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { authorizeInBrowser, basic, postForm } from '../oauth2/helpers.js';
import { type Backend, backendNames, openBackend } from '../support/backends.js';
import { CookieJar, clusterKey, type Instance, signIn, startInstance } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const REDIRECT = 'https://app.example/cb';
const ivy = { username: 'ivy', password: 'ivy-password-123' };
/** Every request on a connection of its own: the primary hands each new connection to the next worker. */
const FRESH = { connection: 'close' } as const;

/** The worker that answered (X-Latchkey-Worker). */
const workerOf = (res: { headers: Headers }): string => res.headers.get('x-latchkey-worker') ?? 'none';

/** The serving processes under the primary (its children running the same command; tsx's esbuild is not one). */
function workerPids(primary: number): number[] {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/cli/main.ts');
    } catch {
      return false;
    }
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const name of backendNames()) {
  describe(`latchkey serve with LATCHKEY_WORKERS=2 on ${name}`, () => {
    let backend: Backend;
    let inst: Instance;
    let web: { key: string; secret: string };
    let rs: { key: string; secret: string };

    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${inst.baseUrl}${path}`, {
        method,
        headers: { authorization: adminAuth, ...FRESH, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { res, json: (await res.json()) as Record<string, unknown> };
    };
    const client = async (input: Record<string, unknown>) => {
      const { json } = await admin('POST', '/admin/api/clients', { type: 'oauth2', name: 'App', ...input });
      await admin('POST', `/admin/api/clients/${String(json.client_key)}/approve`);
      return { key: String(json.client_key), secret: String(json.client_secret) };
    };
    const token = (c: { key: string; secret: string }, form: Record<string, string>) =>
      postForm(`${inst.baseUrl}/api/oauth2/token`, form, { authorization: basic(c.key, c.secret), ...FRESH });
    const introspect = (t: string) => postForm(`${inst.baseUrl}/api/oauth2/introspect`, { token: t }, { authorization: basic(rs.key, rs.secret), ...FRESH });
    const healthz = () => fetch(`${inst.baseUrl}/healthz`, { headers: FRESH });

    before(async () => {
      backend = await openBackend(name);
      inst = await startInstance('W', {
        databaseUrl: backend.url,
        dataDir: backend.dataDir,
        masterKey: clusterKey(),
        env: { LATCHKEY_WORKERS: '2', LATCHKEY_LOGIN_THROTTLE_LIMIT: '4' },
      });
      await admin('POST', '/admin/api/users', { username: ivy.username, password: ivy.password });
      web = await client({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
      rs = await client({ grant_types: ['client_credentials'], response_types: [], resource_server: true });
    });
    after(async () => {
      await inst?.stop();
      await backend?.cleanup();
    });

    it('runs two workers under one primary, which created the administrator once; both answer', async () => {
      assert.match(inst.output(), /Latchkey listening on http:\/\/127\.0\.0\.1:\d+ \(Node\.js v[\d.]+, 2 workers\)/);
      assert.equal(inst.output().match(/Created the administrator/g)?.length, 1);
      const pids = workerPids(inst.process.pid as number);
      assert.equal(pids.length, 2, `workers: ${pids.join(', ')}`);
      assert.ok(!pids.includes(inst.process.pid as number));
      const answered = [];
      for (let i = 0; i < 8; i++) {
        const res = await healthz();
        assert.equal(res.status, 200);
        answered.push(workerOf(res));
      }
      assert.deepEqual([...new Set(answered)].sort(), ['1', '2'], answered.join(','));
      const users = await admin('GET', '/admin/api/users');
      assert.equal(users.json.total, 2, 'admin and ivy, no second admin');
    });

    it('redeems an authorization code once only when many redemptions land on both workers at once', async () => {
      const jar = new CookieJar(FRESH);
      const seen = new Set<string>();
      for (let round = 0; round < 5; round++) {
        const q = new URLSearchParams({ client_id: web.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile', state: 's' });
        const cb = await authorizeInBrowser(jar, inst.baseUrl, `${inst.baseUrl}/oauth2/authorize?${q}`, ivy);
        const form = { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', redirect_uri: REDIRECT };
        const results = await Promise.all(Array.from({ length: 12 }, () => token(web, form)));
        for (const r of results) seen.add(workerOf(r));
        const winners = results.filter((r) => r.status === 200);
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => [workerOf(r), r.status, r.json.error]))}`);
        for (const r of results) if (r.status !== 200) assert.equal(r.json.error, 'invalid_grant');
        // RFC 6749 §4.1.2: a code used twice revokes what it gave; both workers agree.
        const access = String(winners[0]?.json.access_token);
        for (let i = 0; i < 2; i++) assert.equal((await introspect(access)).json.active, false, `round ${round}`);
      }
      assert.deepEqual([...seen].sort(), ['1', '2'], 'the redemptions landed on both workers');
    });

    it('counts password guesses across the workers together (one lock-out)', async () => {
      const attempts = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${inst.baseUrl}/admin/api/users`, {
          headers: { authorization: `Basic ${Buffer.from(`victim:guess-${i}`).toString('base64')}`, ...FRESH },
        });
        attempts.push({ status: res.status, worker: workerOf(res) });
      }
      // Limit 4 per username: the 5th and 6th are refused whichever worker takes them.
      assert.deepEqual(
        attempts.map((a) => a.status),
        [401, 401, 401, 401, 429, 429],
        JSON.stringify(attempts),
      );
      assert.deepEqual([...new Set(attempts.slice(0, 4).map((a) => a.worker))].sort(), ['1', '2'], 'the counted guesses came through both workers');
      // The sign-in form is the same lock-out.
      const form = await signIn(new CookieJar(FRESH), inst.baseUrl, 'victim', 'guess-form');
      assert.equal(form.status, 429);
    });

    it('refuses at the other worker, at once, a client disapproved through one', async () => {
      const cc = await client({ grant_types: ['client_credentials'], response_types: [] });
      const issued = await token(cc, { grant_type: 'client_credentials' });
      assert.equal(issued.status, 200);
      const access = String(issued.json.access_token);
      assert.equal((await introspect(access)).json.active, true);
      const { res } = await admin('POST', `/admin/api/clients/${cc.key}/disapprove`);
      assert.equal(res.status, 200);
      const at = workerOf(res);
      // The very next requests, on either worker, without waiting.
      const after = [];
      for (let i = 0; i < 4; i++) {
        // One connection more every other round: each kind of request reaches each worker.
        if (i % 2 === 1) await healthz();
        const t = await token(cc, { grant_type: 'client_credentials' });
        const s = await introspect(access);
        after.push({ token: t.status, tokenAt: workerOf(t), active: s.json.active, introspectAt: workerOf(s) });
      }
      for (const a of after) {
        assert.equal(a.token, 401, JSON.stringify(after));
        assert.equal(a.active, false, JSON.stringify(after));
      }
      assert.ok(
        after.some((a) => a.tokenAt !== at) && after.some((a) => a.introspectAt !== at),
        `refused at the worker that did not disapprove (${at}): ${JSON.stringify(after)}`,
      );
    });

    it('accepts at both workers an administrator session created through one', async () => {
      const jar = new CookieJar(FRESH);
      const signed = await signIn(jar, inst.baseUrl, 'admin', ADMIN_PASSWORD, '/admin');
      assert.equal(signed.status, 303);
      const created = workerOf(signed);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const res = await jar.fetch(`${inst.baseUrl}/admin/api/users`);
        assert.equal(res.status, 200, `at worker ${workerOf(res)}`);
        seen.add(workerOf(res));
      }
      assert.deepEqual([...seen].sort(), ['1', '2'], `session created at worker ${created}`);
    });

    it('keeps the port answering when a worker is killed, and starts it again', async () => {
      const primary = inst.process.pid as number;
      const [victim, survivor] = workerPids(primary) as [number, number];
      process.kill(victim, 'SIGKILL');
      await until('the primary saw the worker end', () => inst.output().includes(`(pid ${victim}) ended (signal SIGKILL)`));
      for (let i = 0; i < 6; i++) assert.equal((await healthz()).status, 200);
      await until('a new worker runs', () => workerPids(primary).length === 2);
      const now = workerPids(primary);
      assert.ok(now.includes(survivor) && !now.includes(victim), `${now.join(', ')}`);
      const answered = new Set<string>();
      await until('both workers answer again', async () => {
        const res = await healthz();
        answered.add(workerOf(res));
        return answered.size === 2;
      });
      assert.deepEqual([...answered].sort(), ['1', '2']);
    });

    it('stops every worker on SIGTERM and exits with 0', async () => {
      const pids = workerPids(inst.process.pid as number);
      assert.equal(pids.length, 2);
      const exited = new Promise<number | null>((resolve) => inst.process.once('exit', (code) => resolve(code)));
      inst.process.kill('SIGTERM');
      assert.equal(await exited, 0);
      for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `worker ${pid} ended`);
    });
  });
}
