import { createHash, randomBytes } from 'node:crypto';
import { freePort } from '../../scripts/services.mjs';
import { Browser, basicAuth, findForm, inParallel } from '../lib/browser.js';
import { spawnServer } from '../lib/child.js';
import type { Runtime } from '../lib/runtime.js';
import type { RequestSpec } from '../load.js';
import { FORM, type ScenarioId, type Target, type Unsupported, type Workload } from '../scenarios.js';

const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const MINT_CONCURRENCY = 8;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * node-oidc-provider 9 with its defaults (bench/servers/oidc-provider.ts). Codes and tokens come
 * from its real authorization flow through its development interactions (sign-in and consent pages).
 */
export async function startOidcProvider(runtime: Runtime): Promise<Target> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('base64url');
  const server = await spawnServer({
    name: 'oidc-provider',
    args: runtime.server('oidc-provider'),
    env: { BENCH_PORT: String(port), BENCH_CLIENT_SECRET: secret, BENCH_REDIRECT_URI: REDIRECT_URI },
    baseUrl,
    readyPattern: /listening on/,
  });
  try {
    const browser = new Browser(baseUrl);
    const clientAuth = basicAuth('bench', secret);
    const tokenRequest = (body: Record<string, string>): RequestSpec => ({
      method: 'POST',
      path: '/token',
      headers: { authorization: clientAuth, 'content-type': FORM },
      body: new URLSearchParams(body).toString(),
    });

    /**
     * One code through /auth. offline_access (for a refresh token, as Latchkey issues one to a client
     * registered for refresh_token) makes oidc-provider ask consent every time (prompt=consent).
     */
    const mintCode = async (scope: string, tab: Browser): Promise<{ code: string; verifier: string }> => {
      const p = pkce();
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: 'bench',
        redirect_uri: REDIRECT_URI,
        scope,
        state: randomBytes(8).toString('hex'),
        code_challenge: p.challenge,
        code_challenge_method: 'S256',
        ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
      });
      let page = await tab.request(`/auth?${query}`);
      for (let step = 0; !page.leftTo && step < 4; step++) {
        const form = findForm(page.body, 'name="prompt"');
        if (!form)
          throw new Error(
            `authorization stopped at ${page.url} (${page.status}): ${page.body
              .replace(/<style>[\s\S]*?<\/style>/, '')
              .replace(/<[^>]*>/g, ' ')
              .replace(/\s+/g, ' ')
              .slice(0, 400)}`,
          );
        const prompt = /name="prompt" value="(\w+)"/.exec(page.body)?.[1];
        const answer: Record<string, string> = prompt === 'login' ? { prompt: 'login', login: 'bench-user', password: 'any' } : { prompt: 'consent' };
        page = await tab.request(form.action, { method: 'POST', form: answer });
      }
      const code = page.leftTo?.searchParams.get('code');
      if (!code) throw new Error(`no code in the redirect: ${page.leftTo?.href ?? page.body.slice(0, 300)}`);
      return { code, verifier: p.verifier };
    };
    const exchange = (c: { code: string; verifier: string }): RequestSpec =>
      tokenRequest({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier });
    const userTokens = async (scope: string, tab = browser): Promise<{ access_token: string; refresh_token: string }> => {
      const spec = exchange(await mintCode(scope, tab));
      const res = await fetch(`${baseUrl}${spec.path}`, { method: 'POST', headers: spec.headers, body: spec.body ?? '' });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 200) throw new Error(`oidc-provider token: ${res.status} ${JSON.stringify(json)}`);
      return { access_token: String(json.access_token), refresh_token: String(json.refresh_token) };
    };
    await userTokens('openid');
    // Flows minted in parallel each need a session of their own: oidc-provider ties an interaction to
    // the session it started in and renews the session when an interaction ends.
    const workers = Array.from({ length: MINT_CONCURRENCY }, () => new Browser(baseUrl));
    const tab = (w: number) => workers[w] as Browser;

    const unsupported = (reason: string): Unsupported => ({ kind: 'unsupported', reason });
    const workloads: Record<ScenarioId, () => Promise<Workload | Unsupported>> = {
      discovery: async () => ({ kind: 'fixed', request: { method: 'GET', path: '/.well-known/openid-configuration', headers: {} } }),
      jwks: async () => ({ kind: 'fixed', request: { method: 'GET', path: '/jwks', headers: {} } }),
      client_credentials: async () => ({ kind: 'fixed', request: tokenRequest({ grant_type: 'client_credentials' }) }),
      refresh_token: async () => ({
        kind: 'pool',
        mint: (n) =>
          inParallel(n, MINT_CONCURRENCY, async (_i, w) =>
            tokenRequest({ grant_type: 'refresh_token', refresh_token: (await userTokens('offline_access', tab(w))).refresh_token }),
          ),
      }),
      authorization_code: async () => ({
        kind: 'pool',
        mint: (n) => inParallel(n, MINT_CONCURRENCY, async (_i, w) => exchange(await mintCode('offline_access', tab(w)))),
      }),
      introspection: async () => ({
        kind: 'fixed',
        request: {
          method: 'POST',
          path: '/token/introspection',
          headers: { authorization: clientAuth, 'content-type': FORM },
          body: new URLSearchParams({ token: (await userTokens('openid')).access_token, token_type_hint: 'access_token' }).toString(),
        },
      }),
      device_authorization: async () => ({
        kind: 'fixed',
        request: { method: 'POST', path: '/device/auth', headers: { authorization: clientAuth, 'content-type': FORM }, body: 'scope=openid' },
      }),
      password: async () => unsupported('oidc-provider does not implement the password grant'),
      // Its nearest equivalent of GET /api/me: the UserInfo endpoint with a Bearer token.
      me_bearer: async () => ({
        kind: 'fixed',
        request: { method: 'GET', path: '/me', headers: { authorization: `Bearer ${(await userTokens('openid')).access_token}` } },
      }),
      me_oauth1: async () => unsupported('oidc-provider does not implement OAuth 1.0a'),
    };

    return {
      name: 'oidc-provider',
      description: `oidc-provider 9 (${runtime.mode === 'build' ? 'tsc build' : 'tsx'}), default in-memory adapter, development keys and interactions`,
      baseUrl,
      pid: server.pid,
      cpuMs: server.cpuMs,
      rssBytes: server.rssBytes,
      workload: (s) => workloads[s](),
      stop: () => server.stop(),
    };
  } catch (err) {
    await server.stop();
    throw new Error(`setting up oidc-provider failed: ${(err as Error).message}\n--- server output ---\n${server.output()}`);
  }
}
