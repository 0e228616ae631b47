import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authHeader, CALLBACK, npmClient, parseForm, threeLegged, verifierFromPage } from '../oauth1/helpers.js';
import { approveDevice, authorizeInBrowser, basic, CookieJar, postForm, signIn } from '../oauth2/helpers.js';
import { clusterKey, type Instance, startInstance } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

/**
 * A full set of flows against a real `latchkey serve` process logging at debug level, with every
 * response recorded. Then: (1) no secret, password, token, code or Authorization value the flows
 * used appears anywhere in the log; (2) every response carrying a token or secret says
 * Cache-Control: no-store, and every page carries its protective headers; (3) security events
 * (failed sign-ins, replayed codes and nonces, refresh token reuse) are in the audit log and in
 * /metrics, beside tokens issued and sign-in failures.
 */
interface Recorded {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

const REDIRECT = 'https://app.example.test/cb';
const carol = { username: 'carol', password: 'carol-has-a-long-password-3' };

describe('logs, caching and security events over a full set of flows', { timeout: 240_000 }, () => {
  let instance: Instance;
  let dir: string;
  let base: string;
  const responses: Recorded[] = [];
  /** Every credential the flows saw or sent, by name. */
  const secrets = new Map<string, string>();
  const realFetch = globalThis.fetch;
  let oidcOn = false;
  const keep = (name: string, value: unknown): string => {
    const v = String(value ?? '');
    if (v.length >= 8) secrets.set(name, v);
    return v;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-logs-'));
    instance = await startInstance('logged', {
      databaseUrl: `sqlite:${join(dir, 'latchkey.db')}`,
      dataDir: dir,
      masterKey: clusterKey(),
      env: { LATCHKEY_LOG_LEVEL: 'debug' },
    });
    base = instance.baseUrl;
    // Record every response the flows (and the helpers they use) receive.
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const res = await realFetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      responses.push({ method: init?.method ?? 'GET', url, status: res.status, headers: res.headers, body: await res.clone().text() });
      return res;
    };
    keep('admin password', ADMIN_PASSWORD);
    keep('admin Basic header', `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`);
  });

  after(async () => {
    globalThis.fetch = realFetch;
    await instance?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => ({ authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' });
  async function adminCall(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const { 'content-type': _json, ...noBody } = admin();
    const res = await fetch(`${base}${path}`, body !== undefined ? { method, headers: admin(), body: JSON.stringify(body) } : { method, headers: noBody });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  it('runs every flow: admin API, code + PKCE, refresh, password, client credentials, device, OAuth 1.0a, registration, OSLC, OIDC', async (t) => {
    // Clients and a user, through the admin API.
    const conf = await adminCall('POST', '/admin/api/clients', {
      type: 'oauth2',
      name: 'Logged app',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      // It also verifies OAuth 1.0a requests below, which only a resource server may do.
      resource_server: true,
    });
    const key = String(conf.client_key);
    keep('client secret (created)', conf.client_secret);
    await adminCall('POST', `/admin/api/clients/${key}/approve`);
    const rotated = await adminCall('POST', `/admin/api/clients/${key}/secret`);
    const secret = keep('client secret (rotated)', rotated.client_secret);
    const auth = { authorization: keep('client Basic header', basic(key, secret)) };
    await adminCall('POST', '/admin/api/users', { username: carol.username, password: 'carol-first-password-1' });
    keep('first user password', 'carol-first-password-1');
    await adminCall('POST', `/admin/api/users/${carol.username}/password`, { password: carol.password });
    keep('user password', carol.password);

    // A wrong password on the API and on the form: failed sign-ins.
    const wrong = keep('wrong password', 'not-the-admin-password-9');
    assert.equal(
      (await fetch(`${base}/api/me`, { headers: { authorization: keep('wrong Basic header', `Basic ${Buffer.from(`admin:${wrong}`).toString('base64')}`) } }))
        .status,
      401,
    );
    assert.equal((await signIn(new CookieJar(), base, carol.username, wrong)).status, 401);

    // Authorization code with PKCE, through /login and the consent page.
    const jar = new CookieJar();
    const verifier = keep('code verifier', randomBytes(32).toString('base64url'));
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorizeUrl = `${base}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: key, redirect_uri: REDIRECT, scope: 'profile', state: 'st', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    const callback = await authorizeInBrowser(jar, base, authorizeUrl, carol);
    keep('session cookie', /latchkey_session=([^;]+)/.exec(jar.header())?.[1]);
    const code = keep('authorization code', callback.searchParams.get('code'));
    const tokens = await postForm(
      `${base}/api/oauth2/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      auth,
    );
    assert.equal(tokens.status, 200);
    const access = keep('access token', tokens.json.access_token);
    const refresh = keep('refresh token', tokens.json.refresh_token);
    keep('Bearer header', `Bearer ${access}`);
    assert.equal((await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status, 200);
    // Replayed code: refused, revokes, and is a security event.
    const replay = await postForm(
      `${base}/api/oauth2/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      auth,
    );
    assert.equal(replay.json.error, 'invalid_grant');

    // A second authorization: refresh, introspect, revoke, and refresh token reuse.
    const again = await authorizeInBrowser(jar, base, authorizeUrl, carol);
    const code2 = keep('second authorization code', again.searchParams.get('code'));
    const t2 = await postForm(
      `${base}/api/oauth2/token`,
      { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: verifier },
      auth,
    );
    const refresh2 = keep('second refresh token', t2.json.refresh_token);
    keep('second access token', t2.json.access_token);
    const rotatedTokens = await postForm(`${base}/api/oauth2/token`, { grant_type: 'refresh_token', refresh_token: refresh2 }, auth);
    assert.equal(rotatedTokens.status, 200);
    keep('rotated refresh token', rotatedTokens.json.refresh_token);
    const intro = await postForm(`${base}/api/oauth2/introspect`, { token: String(rotatedTokens.json.access_token) }, auth);
    assert.equal(intro.json.active, true);
    keep('rotated access token', rotatedTokens.json.access_token);
    const reuse = await postForm(`${base}/api/oauth2/token`, { grant_type: 'refresh_token', refresh_token: refresh2 }, auth);
    assert.equal(reuse.json.error, 'invalid_grant');
    await postForm(`${base}/api/oauth2/revoke`, { token: refresh }, auth);

    // Password grant (right and wrong) and client credentials.
    const pw = await postForm(`${base}/api/oauth2/token`, { grant_type: 'password', username: carol.username, password: carol.password }, auth);
    keep('password-grant access token', pw.json.access_token);
    keep('password-grant refresh token', pw.json.refresh_token);
    const badPw = await postForm(`${base}/api/oauth2/token`, { grant_type: 'password', username: carol.username, password: 'wrong-password-for-grant' }, auth);
    keep('wrong grant password', 'wrong-password-for-grant');
    assert.equal(badPw.json.error, 'invalid_grant');
    const cc = await postForm(`${base}/api/oauth2/token`, { grant_type: 'client_credentials' }, auth);
    keep('client credentials token', cc.json.access_token);

    // Device flow: the user code travels in a URL.
    const dev = await adminCall('POST', '/admin/api/clients', {
      type: 'oauth2',
      name: 'Logged TV',
      public: true,
      redirect_uris: [],
      response_types: [],
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
    await adminCall('POST', `/admin/api/clients/${String(dev.client_key)}/approve`);
    const started = await postForm(`${base}/api/oauth2/device_code`, { client_id: String(dev.client_key) });
    const deviceCode = keep('device code', started.json.device_code);
    keep('user code', started.json.user_code);
    await approveDevice(jar, base, String(started.json.verification_uri_complete), carol);
    const devTokens = await postForm(`${base}/api/oauth2/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: deviceCode,
      client_id: String(dev.client_key),
    });
    keep('device access token', devTokens.json.access_token);

    // OAuth 1.0a: a consumer with a chosen secret, callback and oob flows, a replayed nonce.
    const consumerSecret = keep('consumer secret', 'consumer-secret-logged-flow-42');
    const consumer = await adminCall('POST', '/admin/api/clients', { type: 'oauth1', name: 'Logged consumer', secret: consumerSecret });
    const consumerKey = String(consumer.client_key);
    await adminCall('POST', `/admin/api/clients/${consumerKey}/approve`);
    const { token, oauth } = await threeLegged(base, { key: consumerKey, secret: consumerSecret }, { username: carol.username, password: carol.password });
    keep('oauth1 token', token.key);
    keep('oauth1 token secret', token.secret);
    const meUrl = `${base}/api/me`;
    const signedHeader = keep('oauth1 Authorization header', authHeader(oauth, { url: meUrl, method: 'GET' }, token));
    keep('oauth1 signature', /oauth_signature="([^"]+)"/.exec(signedHeader)?.[1]);
    assert.equal((await fetch(meUrl, { headers: { authorization: signedHeader } })).status, 200);
    assert.equal((await fetch(meUrl, { headers: { authorization: signedHeader } })).status, 401, 'replayed nonce');
    const oob = npmClient(consumerKey, consumerSecret);
    const rtUrl = `${base}/oauth1/request_token`;
    const rt = parseForm(
      await (
        await fetch(rtUrl, {
          method: 'POST',
          headers: { authorization: authHeader(oob, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
        })
      ).text(),
    );
    keep('temporary token', rt.oauth_token);
    keep('temporary token secret', rt.oauth_token_secret);
    const page = await (await jar.fetch(`${base}/oauth1/authorize?oauth_token=${encodeURIComponent(rt.oauth_token ?? '')}`)).text();
    const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const shown = await jar.fetch(`${base}/oauth1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
    keep('oob verifier', verifierFromPage(await shown.text()));
    void CALLBACK;

    // Resource-server verification with Basic client credentials.
    const verify = await fetch(`${base}/api/oauth1/verify`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', url: meUrl, authorization: authHeader(oauth, { url: meUrl, method: 'GET' }, token) }),
    });
    assert.equal(verify.status, 200);

    // Self-service registration and its management token; OSLC consumer-key request with a secret.
    const reg = await fetch(`${base}/api/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Registered', redirect_uris: ['https://registered.example.test/cb'] }),
    });
    const regBody = (await reg.json()) as Record<string, string>;
    keep('registered client secret', regBody.client_secret);
    const rat = keep('registration access token', regBody.registration_access_token);
    const read = await fetch(`${base}/api/oauth2/register/${regBody.client_id}`, { headers: { authorization: `Bearer ${rat}` } });
    assert.equal(read.status, 200);
    const oslcSecret = keep('OSLC consumer secret', 'oslc-consumer-secret-sent-once');
    const oslc = await fetch(`${base}/oslc/consumer-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Jazz', secret: oslcSecret }),
    });
    assert.equal(oslc.status, 200);

    // OpenID Connect, when the server offers it: ID token, userinfo, and logout with id_token_hint.
    const discovery = await fetch(`${base}/.well-known/openid-configuration`);
    t.diagnostic(`OpenID Connect flows: ${discovery.status === 200 ? await oidcFlows(jar) : 'not offered'}`);

    const out = await jar.fetch(`${base}/logout`);
    assert.ok([200, 303].includes(out.status));
  });

  /** The OpenID Connect layer's flows (it is built alongside this suite; skipped while absent). */
  async function oidcFlows(jar: CookieJar): Promise<string> {
    const rp = await adminCall('POST', '/admin/api/clients', {
      type: 'oidc',
      name: 'Logged RP',
      redirect_uris: [REDIRECT],
      post_logout_redirect_uris: ['https://app.example.test/bye'],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const rpKey = String(rp.client_key);
    const rpSecret = keep('OIDC client secret', rp.client_secret);
    await adminCall('POST', `/admin/api/clients/${rpKey}/approve`);
    const nonce = 'n-0S6_WzA2Mj';
    const url = `${base}/oidc/authorize?${new URLSearchParams({ response_type: 'code', client_id: rpKey, redirect_uri: REDIRECT, scope: 'openid profile email', state: 'o', nonce })}`;
    const cb = await authorizeInBrowser(jar, base, url, carol);
    const code = keep('OIDC code', cb.searchParams.get('code'));
    const tokens = await postForm(
      `${base}/api/oidc/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      { authorization: basic(rpKey, rpSecret) },
    );
    if (tokens.status !== 200) return `token endpoint answered ${tokens.status}`;
    const idToken = keep('ID token', tokens.json.id_token);
    keep('OIDC access token', tokens.json.access_token);
    keep('OIDC refresh token', tokens.json.refresh_token);
    const info = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${tokens.json.access_token}` } });
    // The same nonce again is a replay (OIDC Core §15.5.2): refused, and a security event.
    const replayed = await jar.fetch(url);
    assert.equal(new URL(replayed.headers.get('location') ?? 'x:').searchParams.get('error'), 'invalid_request');
    oidcOn = true;
    const out = await jar.fetch(
      `${base}/oidc/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://app.example.test/bye', state: 'l' })}`,
    );
    return `ID token issued, userinfo ${info.status}, end-session ${out.status}`;
  }

  it('logs at debug level, with request ids, but never a secret, password, token, code or Authorization value', async () => {
    // The server writes its log in batches, at least every 200 ms (src/http/log-destination.ts).
    await new Promise((r) => setTimeout(r, 500));
    const log = instance.output();
    const lines = log.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 50, `structured log lines were written (${lines.length})`);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = parsed.filter((l) => l.msg === 'request completed');
    assert.ok(requests.length > 50, `one line per request (${requests.length})`);
    assert.ok(
      requests.every((l) => typeof l.reqId === 'string' && typeof l.outcome === 'string' && typeof (l.res as { statusCode?: number })?.statusCode === 'number'),
      'each line has the request id, the status and the outcome',
    );
    assert.ok(
      requests.some((l) => l.outcome === 'invalid_grant' && typeof l.client === 'string'),
      'a refused token request names its client and the registered error',
    );
    assert.ok(
      requests.some((l) => String((l.req as { url?: string })?.url).includes('user_code=[redacted]')),
      'the user code in a URL was redacted',
    );
    assert.ok(secrets.size > 30, `the flows collected ${secrets.size} secrets`);
    for (const [name, value] of secrets) {
      assert.equal(log.includes(value), false, `the log contains the ${name}`);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) assert.equal(log.includes(encoded), false, `the log contains the ${name}, percent-encoded`);
    }
  });

  it('answers every response carrying a token or secret with Cache-Control: no-store; pages carry their protective headers', async () => {
    assert.ok(responses.length > 50, `${responses.length} responses recorded`);
    const values = [...secrets.values()];
    let carrying = 0;
    for (const r of responses) {
      const where = `${r.method} ${r.url} → ${r.status}`;
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', where);
      const location = r.headers.get('location') ?? '';
      const carries =
        /"(access_token|refresh_token|id_token|client_secret|registration_access_token|device_code)"\s*:\s*"/.test(r.body) ||
        /oauth_token_secret=|oauth-verifier/.test(r.body) ||
        /[?#&](code|access_token|id_token|oauth_verifier)=/.test(location) ||
        values.some((v) => r.body.includes(v) || location.includes(v));
      if (carries) {
        carrying++;
        const which = [...secrets].find(([, v]) => r.body.includes(v) || location.includes(v))?.[0] ?? 'a credential field';
        assert.match(r.headers.get('cache-control') ?? '', /no-store/, `${where} carries ${which}`);
      }
      if (/text\/html/.test(r.headers.get('content-type') ?? '')) {
        assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'.*frame-ancestors 'none'/, where);
        assert.equal(r.headers.get('referrer-policy'), 'no-referrer', where);
        assert.equal(r.headers.get('cache-control'), 'no-store', where);
      }
      if (/[?#&](code|access_token|id_token|oauth_verifier)=/.test(location)) assert.equal(r.headers.get('referrer-policy'), 'no-referrer', where);
    }
    assert.ok(carrying > 20, `${carrying} responses carried credentials`);
  });

  it('records failed sign-ins, replayed codes and nonces and refresh token reuse in the audit log and in /metrics', async () => {
    const audit = async (action: string) => {
      const res = await realFetch(`${base}/admin/api/audit?action=${encodeURIComponent(action)}&limit=50`, { headers: admin() });
      return ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
    };
    const failed = await audit('signin.failed');
    const channels = new Set(failed.map((e) => (e.details as { channel?: string }).channel ?? 'login'));
    for (const channel of ['login', 'basic', 'password_grant']) assert.ok(channels.has(channel), `failed sign-in through ${channel} is audited`);
    if (oidcOn) {
      const nonces = await audit('security.nonce_replayed');
      assert.ok(
        nonces.some((e) => (e.details as { protocol?: string }).protocol === 'oidc'),
        'a replayed OpenID Connect nonce is audited',
      );
    }
    for (const action of ['security.code_replayed', 'security.refresh_token_reused', 'security.nonce_replayed']) {
      const items = await audit(action);
      assert.ok(items.length >= 1, `${action} is audited`);
      assert.ok(
        items.some((e) => e.source === '127.0.0.1'),
        `${action} names the source address`,
      );
      assert.doesNotMatch(JSON.stringify(items), /eyJ/, 'no token in the audit entry');
    }
    const metrics = await (await realFetch(`${base}/metrics`)).text();
    for (const event of ['signin_failed', 'code_replayed', 'refresh_token_reused', 'nonce_replayed']) {
      assert.match(metrics, new RegExp(`latchkey_security_events_total\\{event="${event}"\\} [1-9]`), event);
    }
    assert.match(metrics, /latchkey_signin_failures_total\{channel="login"\} [1-9]/);
    assert.match(metrics, /latchkey_tokens_issued_total\{client_type="oauth2",grant_type="authorization_code",token_type="access_token"\} [1-9]/);
    assert.match(metrics, /latchkey_tokens_issued_total\{client_type="oauth1",grant_type="oauth1",token_type="token_credentials"\} [1-9]/);
    assert.match(metrics, /latchkey_http_requests_total\{[^}]*outcome="ok",route="\/api\/oauth2\/token"[^}]*status="2xx"\} [1-9]/);
    assert.match(
      metrics,
      /latchkey_http_requests_total\{[^}]*outcome="invalid_grant",route="\/api\/oauth2\/token"[^}]*status="4xx"\} [1-9]/,
      'requests by endpoint and outcome',
    );
    assert.match(metrics, /latchkey_http_request_duration_seconds_bucket\{route="\/api\/oauth2\/token",le="0\.1"\} [1-9]/);
    assert.match(metrics, /latchkey_clients_pending\{type="oauth2"\} [1-9]/, 'the registered client waits for approval');
  });
});
