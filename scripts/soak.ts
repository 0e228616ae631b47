#!/usr/bin/env -S node --import tsx
// Bounded soak test: `latchkey serve` as its own process on loopback, driven by a mix of real
// flows for a fixed time; reports requests, errors (must be 0), p50/p99 latency and the server's
// RSS per interval, and exits non-zero on any error or on memory that keeps growing.
//
//   npm run soak                                   10 minutes
//   LATCHKEY_SOAK_SECONDS=180 npm run soak         3 minutes
//   LATCHKEY_SOAK_CONCURRENCY=8 LATCHKEY_SOAK_INTERVAL=30 LATCHKEY_SOAK_REPORT=soak.json
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OAuth from 'oauth-1.0a';
import { freePort } from './services.mjs';

const SECONDS = Number(process.env.LATCHKEY_SOAK_SECONDS ?? 600);
const CONCURRENCY = Number(process.env.LATCHKEY_SOAK_CONCURRENCY ?? 6);
const INTERVAL = Number(process.env.LATCHKEY_SOAK_INTERVAL ?? (SECONDS >= 300 ? 30 : 15));
const HOST = '127.0.0.1'; // loopback only
const ADMIN_PASSWORD = `soak-${randomBytes(12).toString('hex')}`;
const USER = { username: 'soak-user', password: `user-${randomBytes(12).toString('hex')}` };
const REDIRECT = 'https://soak.example.test/cb';
const FORM = 'application/x-www-form-urlencoded';

// ---------------------------------------------------------------- the server under test

async function startServer(): Promise<{ base: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-soak-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      LATCHKEY_HOST: HOST,
      LATCHKEY_PORT: String(port),
      LATCHKEY_DATABASE_URL: process.env.LATCHKEY_SOAK_DATABASE_URL ?? `sqlite:${join(dir, 'latchkey.db')}`,
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64'),
      LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LATCHKEY_LOG_LEVEL: 'warn',
      // The load comes from one address: its deliberate failures must not trip the failure limit.
      LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT: '100000000',
      LATCHKEY_PURGE_INTERVAL: '30',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${out}`);
    await sleep(100);
  }
  return { base: `http://${HOST}:${port}`, child, dir };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- measuring

interface Window {
  latencies: number[];
  requests: number;
  errors: number;
}
let window: Window = { latencies: [], requests: 0, errors: 0 };
const errorSamples: string[] = [];
const flowCounts = new Map<string, number>();

class Unexpected extends Error {}

/** One HTTP request, timed; a status outside `ok` is an error. */
async function call(url: string, init: RequestInit, ok: number[]): Promise<Response> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual' });
  } catch (err) {
    window.requests++;
    window.errors++;
    if (errorSamples.length < 20) errorSamples.push(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}`);
    throw new Unexpected('network');
  }
  window.latencies.push(performance.now() - started);
  window.requests++;
  if (!ok.includes(res.status)) {
    window.errors++;
    const text = await res.text().catch(() => '');
    if (errorSamples.length < 20) errorSamples.push(`${init.method ?? 'GET'} ${url.split('?')[0]} → ${res.status} ${text.slice(0, 200)}`);
    throw new Unexpected(String(res.status));
  }
  return res;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

// ---------------------------------------------------------------- a tiny browser

class Jar {
  private readonly cookies = new Map<string, string>();
  keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async call(url: string, init: RequestInit, ok: number[]): Promise<Response> {
    const res = await call(url, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: this.header() } }, ok);
    this.keep(res);
    return res;
  }
}

function hidden(page: string): Record<string, string> {
  const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  return Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [decode(m[1] ?? ''), decode(m[2] ?? '')]));
}

async function signIn(base: string, jar: Jar): Promise<void> {
  const page = await (await jar.call(`${base}/login`, {}, [200])).text();
  await jar.call(
    `${base}/login`,
    {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({ ...hidden(page), username: USER.username, password: USER.password, return_to: '/' }),
    },
    [303],
  );
}

// ---------------------------------------------------------------- setup through the admin API

interface Setup {
  base: string;
  confidential: { key: string; secret: string; basic: string };
  device: { key: string };
  consumer: { key: string; secret: string };
  oidc: { key: string; secret: string; basic: string } | null;
}

const adminHeaders = () => ({ authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' });

async function admin(base: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const { 'content-type': _t, ...bare } = adminHeaders();
  const res = await fetch(
    `${base}${path}`,
    body === undefined ? { method: 'POST', headers: bare } : { method: 'POST', headers: adminHeaders(), body: JSON.stringify(body) },
  );
  if (res.status >= 300) throw new Error(`setup ${path}: ${res.status} ${await res.text()}`);
  return json(res);
}

async function client(base: string, input: Record<string, unknown>): Promise<{ key: string; secret: string }> {
  const c = await admin(base, '/admin/api/clients', input);
  const key = String(c.client_key);
  await admin(base, `/admin/api/clients/${key}/approve`);
  return { key, secret: String(c.client_secret ?? '') };
}

async function setup(base: string): Promise<Setup> {
  await admin(base, '/admin/api/users', { username: USER.username, password: USER.password });
  const conf = await client(base, {
    type: 'oauth2',
    name: 'Soak app',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
  });
  const device = await client(base, {
    type: 'oauth2',
    name: 'Soak TV',
    public: true,
    redirect_uris: [],
    response_types: [],
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
  });
  const consumerSecret = `consumer-${randomBytes(12).toString('hex')}`;
  const consumer = await client(base, { type: 'oauth1', name: 'Soak consumer', secret: consumerSecret });
  const discovery = await fetch(`${base}/.well-known/openid-configuration`);
  let oidc: Setup['oidc'] = null;
  if (discovery.status === 200) {
    const rp = await client(base, { type: 'oidc', name: 'Soak RP', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
    oidc = { ...rp, basic: basicOf(rp.key, rp.secret) };
  }
  return { base, confidential: { ...conf, basic: basicOf(conf.key, conf.secret) }, device, consumer: { key: consumer.key, secret: consumerSecret }, oidc };
}

function basicOf(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(key)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

// ---------------------------------------------------------------- the flows

function oauth1(consumer: { key: string; secret: string }): OAuth {
  return new OAuth({
    consumer,
    signature_method: 'HMAC-SHA1',
    hash_function: (text, key) => createHmac('sha1', key).update(text).digest('base64'),
  });
}

function signed(o: OAuth, url: string, method: string, token?: { key: string; secret: string }, extra: Record<string, string> = {}): string {
  const data = o.authorize({ url, method, data: extra }, token);
  return o.toHeader({ ...data, ...extra }).Authorization;
}

interface Worker {
  jar: Jar;
  oauth1Token: { key: string; secret: string } | null;
}

async function authorizeCode(s: Setup, w: Worker, family: 'oauth2' | 'oidc'): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const c = family === 'oidc' && s.oidc ? s.oidc : s.confidential;
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: c.key,
    redirect_uri: REDIRECT,
    scope: family === 'oidc' ? 'openid profile' : 'profile',
    state: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(family === 'oidc' ? { nonce: randomBytes(8).toString('hex') } : {}),
  });
  let res = await w.jar.call(`${s.base}/${family}/authorize?${params}`, {}, [200, 302]);
  if (res.status === 200) {
    // First time: the consent page (remembered afterwards).
    const page = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? `/${family}/authorize/decision`;
    res = await w.jar.call(
      `${s.base}${action}`,
      { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...hidden(page), decision: 'allow' }) },
      [303],
    );
  } else {
    await res.arrayBuffer();
  }
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
  if (!code) throw new Unexpected('no code');
  return { code, verifier };
}

async function form(url: string, body: Record<string, string>, headers: Record<string, string>, ok = [200]): Promise<Record<string, unknown>> {
  return json(await call(url, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: new URLSearchParams(body) }, ok));
}

type Flow = (s: Setup, w: Worker) => Promise<void>;

const FLOWS: Array<[string, number, Flow]> = [
  [
    'client credentials → introspect → revoke',
    3,
    async (s) => {
      const auth = { authorization: s.confidential.basic };
      const t = await form(`${s.base}/api/oauth2/token`, { grant_type: 'client_credentials' }, auth);
      await form(`${s.base}/api/oauth2/introspect`, { token: String(t.access_token) }, auth);
      await call(`${s.base}/api/oauth2/revoke`, { method: 'POST', headers: { 'content-type': FORM, ...auth }, body: `token=${t.access_token}` }, [200]);
    },
  ],
  [
    'password → /api/me → refresh → revoke',
    2,
    async (s) => {
      const auth = { authorization: s.confidential.basic };
      const t = await form(`${s.base}/api/oauth2/token`, { grant_type: 'password', username: USER.username, password: USER.password, scope: 'profile' }, auth);
      await (await call(`${s.base}/api/me`, { headers: { authorization: `Bearer ${t.access_token}` } }, [200])).arrayBuffer();
      const r = await form(`${s.base}/api/oauth2/token`, { grant_type: 'refresh_token', refresh_token: String(t.refresh_token) }, auth);
      await call(`${s.base}/api/oauth2/revoke`, { method: 'POST', headers: { 'content-type': FORM, ...auth }, body: `token=${r.refresh_token}` }, [200]);
    },
  ],
  [
    'authorization code + PKCE → tokens → /api/me',
    3,
    async (s, w) => {
      const { code, verifier } = await authorizeCode(s, w, 'oauth2');
      const t = await form(
        `${s.base}/api/oauth2/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
        { authorization: s.confidential.basic },
      );
      await (await call(`${s.base}/api/me`, { headers: { authorization: `Bearer ${t.access_token}` } }, [200])).arrayBuffer();
    },
  ],
  [
    'OpenID Connect code → ID token → userinfo',
    2,
    async (s, w) => {
      if (!s.oidc) return;
      const { code, verifier } = await authorizeCode(s, w, 'oidc');
      const t = await form(
        `${s.base}/api/oidc/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
        { authorization: s.oidc.basic },
      );
      await (await call(`${s.base}/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } }, [200])).arrayBuffer();
    },
  ],
  [
    'device authorization → pending poll',
    1,
    async (s) => {
      const d = await form(`${s.base}/api/oauth2/device_code`, { client_id: s.device.key }, {});
      await form(
        `${s.base}/api/oauth2/token`,
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: String(d.device_code), client_id: s.device.key },
        {},
        [400],
      );
    },
  ],
  [
    'OAuth 1.0a signed /api/me',
    2,
    async (s, w) => {
      if (!w.oauth1Token) return;
      const url = `${s.base}/api/me`;
      await (await call(url, { headers: { authorization: signed(oauth1(s.consumer), url, 'GET', w.oauth1Token) } }, [200])).arrayBuffer();
    },
  ],
  [
    'discovery, keys, health',
    1,
    async (s) => {
      for (const path of ['/.well-known/oauth-authorization-server', '/jwks.json', '/healthz', '/readyz'])
        await (await call(`${s.base}${path}`, {}, [200])).arrayBuffer();
    },
  ],
  [
    'refused requests (bad secret, unknown token)',
    1,
    async (s) => {
      await form(
        `${s.base}/api/oauth2/token`,
        { grant_type: 'client_credentials' },
        { authorization: basicOf(s.confidential.key, 'wrong-secret-000000') },
        [401],
      );
      await (await call(`${s.base}/api/me`, { headers: { authorization: 'Bearer not-a-token' } }, [401])).arrayBuffer();
    },
  ],
];

/** One OAuth 1.0a three-legged flow (oob) per worker, for the signed requests. */
async function oauth1Tokens(s: Setup, w: Worker): Promise<void> {
  const o = oauth1(s.consumer);
  const rtUrl = `${s.base}/oauth1/request_token`;
  const rt = new URLSearchParams(
    await (await call(rtUrl, { method: 'POST', headers: { authorization: signed(o, rtUrl, 'POST', undefined, { oauth_callback: 'oob' }) } }, [200])).text(),
  );
  const page = await (await w.jar.call(`${s.base}/oauth1/authorize?oauth_token=${encodeURIComponent(rt.get('oauth_token') ?? '')}`, {}, [200])).text();
  const shown = await (
    await w.jar.call(
      `${s.base}/oauth1/authorize`,
      { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...hidden(page), decision: 'allow' }) },
      [200],
    )
  ).text();
  const verifier = /<output id="oauth-verifier"[^>]*>([^<]+)<\/output>/.exec(shown)?.[1] ?? '';
  const atUrl = `${s.base}/oauth1/access_token`;
  const temp = { key: rt.get('oauth_token') ?? '', secret: rt.get('oauth_token_secret') ?? '' };
  const at = new URLSearchParams(
    await (await call(atUrl, { method: 'POST', headers: { authorization: signed(o, atUrl, 'POST', temp, { oauth_verifier: verifier }) } }, [200])).text(),
  );
  w.oauth1Token = { key: at.get('oauth_token') ?? '', secret: at.get('oauth_token_secret') ?? '' };
}

function pick(): [string, Flow] {
  const total = FLOWS.reduce((n, [, w]) => n + w, 0);
  let r = Math.random() * total;
  for (const [name, weight, flow] of FLOWS) {
    r -= weight;
    if (r < 0) return [name, flow];
  }
  const [name, , flow] = FLOWS[0] ?? ['', 0, async () => {}];
  return [name, flow];
}

// ---------------------------------------------------------------- main

interface Row {
  at: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  rssMb: number;
}

async function main(): Promise<void> {
  const { base, child, dir } = await startServer();
  const pid = child.pid ?? 0;
  const rows: Row[] = [];
  let exitCode = 0;
  try {
    const s = await setup(base);
    const workers: Worker[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const w: Worker = { jar: new Jar(), oauth1Token: null };
      await signIn(base, w.jar);
      await oauth1Tokens(s, w);
      workers.push(w);
    }
    window = { latencies: [], requests: 0, errors: 0 };
    const started = Date.now();
    const end = started + SECONDS * 1000;
    process.stdout.write(
      `soak: ${SECONDS} s, ${CONCURRENCY} workers, server pid ${pid} at ${base}${s.oidc ? ', OpenID Connect on' : ''}\n\n   t(s)  requests  errors    req/s   p50(ms)   p99(ms)   RSS(MB)\n`,
    );
    const report = setInterval(() => {
      const w = window;
      window = { latencies: [], requests: 0, errors: 0 };
      const row: Row = {
        at: Math.round((Date.now() - started) / 1000),
        requests: w.requests,
        errors: w.errors,
        rps: Math.round(w.requests / INTERVAL),
        p50: Math.round(percentile(w.latencies, 50) * 10) / 10,
        p99: Math.round(percentile(w.latencies, 99) * 10) / 10,
        rssMb: Math.round(rssMb(pid) * 10) / 10,
      };
      rows.push(row);
      process.stdout.write(
        `${[row.at, row.requests, row.errors, row.rps, row.p50, row.p99, row.rssMb].map((v, i) => String(v).padStart(i === 0 ? 7 : 9)).join(' ')}\n`,
      );
    }, INTERVAL * 1000);
    await Promise.all(
      workers.map(async (w) => {
        while (Date.now() < end) {
          const [name, flow] = pick();
          flowCounts.set(name, (flowCounts.get(name) ?? 0) + 1);
          try {
            await flow(s, w);
          } catch (err) {
            if (!(err instanceof Unexpected)) {
              window.errors++;
              if (errorSamples.length < 20) errorSamples.push(`${name}: ${(err as Error).message}`);
            }
          }
        }
      }),
    );
    clearInterval(report);

    const total = rows.reduce((n, r) => n + r.requests, 0) + window.requests;
    const errors = rows.reduce((n, r) => n + r.errors, 0) + window.errors;
    const first = rows[0];
    const last = rows[rows.length - 1];
    // Memory must level off: the last third may not sit well above the middle third.
    const third = Math.max(1, Math.floor(rows.length / 3));
    const mean = (xs: Row[]) => xs.reduce((n, r) => n + r.rssMb, 0) / Math.max(1, xs.length);
    const middle = mean(rows.slice(third, 2 * third));
    const lastThird = mean(rows.slice(2 * third));
    const growing = rows.length >= 6 && lastThird > middle * 1.25 + 16;
    const summary = {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      requests: total,
      errors,
      p99StartMs: first?.p99 ?? 0,
      p99EndMs: last?.p99 ?? 0,
      rssStartMb: first?.rssMb ?? 0,
      rssEndMb: last?.rssMb ?? 0,
      rssMaxMb: Math.max(...rows.map((r) => r.rssMb)),
      memoryLevelsOff: !growing,
      flows: Object.fromEntries(flowCounts),
      intervals: rows,
      errorSamples,
    };
    process.stdout.write(
      `\nduration ${SECONDS} s · ${total} requests · ${errors} errors · p99 ${summary.p99StartMs} → ${summary.p99EndMs} ms · RSS ${summary.rssStartMb} → ${summary.rssEndMb} MB (max ${summary.rssMaxMb})\n`,
    );
    for (const e of errorSamples) process.stdout.write(`  error: ${e}\n`);
    if (process.env.LATCHKEY_SOAK_REPORT) writeFileSync(process.env.LATCHKEY_SOAK_REPORT, `${JSON.stringify(summary, null, 2)}\n`);
    if (errors > 0) {
      process.stdout.write('FAIL: errors must be 0\n');
      exitCode = 1;
    }
    if (growing) {
      process.stdout.write(`FAIL: RSS keeps growing (middle third ${middle.toFixed(1)} MB, last third ${lastThird.toFixed(1)} MB)\n`);
      exitCode = 1;
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

await main();
