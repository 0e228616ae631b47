import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OAuth from 'oauth-1.0a';
import { freePort } from '../../scripts/services.mjs';
import { Browser, basicAuth, findForm, inParallel } from '../lib/browser.js';
import { spawnServer } from '../lib/child.js';
import type { Runtime } from '../lib/runtime.js';
import type { RequestSpec } from '../load.js';
import { FORM, type ScenarioId, type Target, type Workload } from '../scenarios.js';

const ADMIN_PASSWORD = 'bench-admin-password-1';
export const BENCH_USER = { username: 'bench-user', password: 'bench-user-password-1' };
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const OAUTH1_CALLBACK = 'http://127.0.0.1:9/oauth1-cb';
const UNLIMITED = 1_000_000_000;
/** Concurrent flows while minting pools. */
const MINT_CONCURRENCY = 8;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function call(url: string, init: RequestInit & { expect?: number } = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== (init.expect ?? 200)) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Latchkey as installed: `latchkey serve` (SQLite in a fresh data folder, a generated master key),
 * listening on loopback. The "latchkey" target has two departures, both stated in the report: logs
 * at "warn" rather than "info" (no log line per request, like the other servers), and the failure
 * limit raised (the load generator is one address). "latchkey-defaults" changes nothing, so a
 * regression of the defaults shows beside it. Everything the scenarios need is set up the way an
 * administrator and a user would: the admin API, /login, the consent page.
 */
export async function startLatchkey(runtime: Runtime, settings: 'bench' | 'defaults' = 'bench'): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await spawnServer({
    name: 'latchkey',
    args: [...runtime.latchkey, 'serve'],
    env: {
      LATCHKEY_PORT: String(port),
      LATCHKEY_HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dataDir, 'latchkey.db')}`,
      LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...(settings === 'bench'
        ? {
            LATCHKEY_LOG_LEVEL: 'warn',
            // All load comes from one address: the failure limit is raised so that no refusal could
            // ever trip it (the counting itself still runs on every request).
            LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT: String(UNLIMITED),
          }
        : {}),
    },
    baseUrl,
    readyPattern: /listening on/,
  });

  try {
    const admin = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
    const created = await call(`${baseUrl}/admin/api/clients`, {
      method: 'POST',
      headers: admin,
      expect: 201,
      body: JSON.stringify({
        type: 'oauth2',
        name: 'Benchmark client',
        redirect_uris: [REDIRECT_URI],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:device_code'],
      }),
    });
    const clientId = String(created.client_key);
    const clientSecret = String(created.client_secret);
    await call(`${baseUrl}/admin/api/clients/${clientId}/approve`, { method: 'POST', headers: { authorization: admin.authorization } });
    await call(`${baseUrl}/admin/api/users`, { method: 'POST', headers: admin, expect: 201, body: JSON.stringify({ ...BENCH_USER, roles: [] }) });
    const consumerSecret = randomBytes(24).toString('base64url');
    const consumer = await call(`${baseUrl}/admin/api/clients`, {
      method: 'POST',
      headers: admin,
      expect: 201,
      body: JSON.stringify({ type: 'oauth1', name: 'Benchmark consumer', secret: consumerSecret, callback_url: OAUTH1_CALLBACK }),
    });
    const consumerKey = String(consumer.client_key);
    await call(`${baseUrl}/admin/api/clients/${consumerKey}/approve`, { method: 'POST', headers: { authorization: admin.authorization } });

    // The user signs in once through /login; the first authorization asks consent, later ones do not.
    const browser = new Browser(baseUrl);
    const login = await browser.request(`/login?return_to=${encodeURIComponent('/')}`);
    const loginForm = findForm(login.body, 'name="password"');
    if (!loginForm) throw new Error(`no sign-in form at /login (${login.status})`);
    await browser.request('/login', { method: 'POST', form: { ...loginForm.fields, ...BENCH_USER } });

    const clientAuth = basicAuth(clientId, clientSecret);
    const tokenRequest = (body: Record<string, string>): RequestSpec => ({
      method: 'POST',
      path: '/api/oauth2/token',
      headers: { authorization: clientAuth, 'content-type': FORM },
      body: new URLSearchParams(body).toString(),
    });

    /** One authorization code through /oauth2/authorize, answering the consent page when asked. */
    const mintCode = async (): Promise<{ code: string; verifier: string }> => {
      const p = pkce();
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'profile',
        state: randomBytes(8).toString('hex'),
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
      });
      let page = await browser.request(`/oauth2/authorize?${query}`);
      if (!page.leftTo) {
        const consent = findForm(page.body, 'name="decision"');
        if (!consent) throw new Error(`authorization stopped at ${page.url} (${page.status}): ${page.body.slice(0, 300)}`);
        page = await browser.request(consent.action, { method: 'POST', form: { ...consent.fields, decision: 'allow' } });
      }
      const code = page.leftTo?.searchParams.get('code');
      if (!code) throw new Error(`no code in the redirect: ${page.leftTo?.href ?? page.body.slice(0, 300)}`);
      return { code, verifier: p.verifier };
    };
    const exchange = (c: { code: string; verifier: string }): RequestSpec =>
      tokenRequest({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier });
    const userTokens = async (): Promise<{ access_token: string; refresh_token: string }> => {
      const spec = exchange(await mintCode());
      const json = await call(`${baseUrl}${spec.path}`, { method: 'POST', headers: spec.headers, body: spec.body ?? '' });
      return { access_token: String(json.access_token), refresh_token: String(json.refresh_token) };
    };
    await userTokens();

    // OAuth 1.0a token credentials through the three-legged flow (RFC 5849 §2).
    const oauth = new OAuth({
      consumer: { key: consumerKey, secret: consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
    const oauth1Header = (url: string, method: string, token?: { key: string; secret: string }, extra: Record<string, string> = {}) =>
      oauth.toHeader({ ...oauth.authorize({ url, method, data: extra }, token), ...extra }).Authorization;
    const rtUrl = `${baseUrl}/oauth1/request_token`;
    const rt = await fetch(rtUrl, { method: 'POST', headers: { authorization: oauth1Header(rtUrl, 'POST', undefined, { oauth_callback: OAUTH1_CALLBACK }) } });
    const temp = new URLSearchParams(await rt.text());
    if (rt.status !== 200) throw new Error(`oauth1 request_token: ${rt.status}`);
    let page = await browser.request(`/oauth1/authorize?oauth_token=${encodeURIComponent(temp.get('oauth_token') ?? '')}`);
    const consent = findForm(page.body, 'name="decision"');
    if (!consent) throw new Error(`no OAuth 1.0a consent page (${page.status}) at ${page.url}`);
    page = await browser.request(consent.action, { method: 'POST', form: { ...consent.fields, decision: 'allow' } });
    const verifier = page.leftTo?.searchParams.get('oauth_verifier');
    if (!verifier) throw new Error('no oauth_verifier in the OAuth 1.0a callback');
    const atUrl = `${baseUrl}/oauth1/access_token`;
    const tempToken = { key: temp.get('oauth_token') ?? '', secret: temp.get('oauth_token_secret') ?? '' };
    const at = await fetch(atUrl, { method: 'POST', headers: { authorization: oauth1Header(atUrl, 'POST', tempToken, { oauth_verifier: verifier }) } });
    const creds = new URLSearchParams(await at.text());
    if (at.status !== 200) throw new Error(`oauth1 access_token: ${at.status}`);
    const oauth1Token = { key: creds.get('oauth_token') ?? '', secret: creds.get('oauth_token_secret') ?? '' };

    const discoveryPath = (await fetch(`${baseUrl}/.well-known/openid-configuration`)).ok
      ? '/.well-known/openid-configuration'
      : '/.well-known/oauth-authorization-server';

    const workloads: Record<ScenarioId, () => Promise<Workload>> = {
      discovery: async () => ({ kind: 'fixed', request: { method: 'GET', path: discoveryPath, headers: {} } }),
      jwks: async () => ({ kind: 'fixed', request: { method: 'GET', path: '/jwks.json', headers: {} } }),
      client_credentials: async () => ({ kind: 'fixed', request: tokenRequest({ grant_type: 'client_credentials' }) }),
      refresh_token: async () => ({
        kind: 'pool',
        mint: (n) =>
          inParallel(n, MINT_CONCURRENCY, async () => tokenRequest({ grant_type: 'refresh_token', refresh_token: (await userTokens()).refresh_token })),
      }),
      authorization_code: async () => ({ kind: 'pool', mint: (n) => inParallel(n, MINT_CONCURRENCY, async () => exchange(await mintCode())) }),
      introspection: async () => ({
        kind: 'fixed',
        request: {
          method: 'POST',
          path: '/api/oauth2/introspect',
          headers: { authorization: clientAuth, 'content-type': FORM },
          body: new URLSearchParams({ token: (await userTokens()).access_token, token_type_hint: 'access_token' }).toString(),
        },
      }),
      device_authorization: async () => ({
        kind: 'fixed',
        request: { method: 'POST', path: '/api/oauth2/device_code', headers: { authorization: clientAuth, 'content-type': FORM }, body: 'scope=profile' },
      }),
      password: async () => ({
        kind: 'fixed',
        request: tokenRequest({ grant_type: 'password', username: BENCH_USER.username, password: BENCH_USER.password, scope: 'profile' }),
      }),
      me_bearer: async () => ({
        kind: 'fixed',
        request: { method: 'GET', path: '/api/me', headers: { authorization: `Bearer ${(await userTokens()).access_token}` } },
      }),
      // Signing is the client's work: done beforehand, one unique nonce per request (RFC 5849 §3.3).
      me_oauth1: async () => ({
        kind: 'pool',
        mint: async (n) =>
          Array.from({ length: n }, () => ({
            method: 'GET' as const,
            path: '/api/me',
            headers: { authorization: oauth1Header(`${baseUrl}/api/me`, 'GET', oauth1Token) },
          })),
      }),
    };

    const how = `latchkey serve (${runtime.mode === 'build' ? 'tsc build' : 'tsx'}), default SQLite storage in ${tmpdir()}`;
    return {
      name: settings === 'bench' ? 'latchkey' : 'latchkey-defaults',
      description:
        settings === 'bench'
          ? `${how}, log level warn, failed-client-authentication limit raised to ${UNLIMITED}`
          : `${how}, every setting at its default (log level info, one line per request to a pipe the bench reads)`,
      baseUrl,
      pid: server.pid,
      cpuMs: server.cpuMs,
      rssBytes: server.rssBytes,
      workload: (s) => workloads[s](),
      async stop() {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`setting up Latchkey failed: ${(err as Error).message}\n--- server output ---\n${server.output()}`);
  }
}
