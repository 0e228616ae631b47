// ASVS 5.0 V16 Security Logging: what the request log may hold. Every secret a request carries —
// in a header, the body, the query, or a URL nested inside a parameter — stays out of it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { authHeader, npmClient } from '../oauth1/helpers.js';
import { basic, postForm } from '../oauth2/helpers.js';
import { clusterKey, type Instance, startInstance } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

/** An OAuth 1.0a consumer key nobody registered: a named parameter, so it may be logged. */
const CONSUMER = 'unregistered-consumer';
const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/** Never follows a redirect: the server may send the browser to a client's (non-loopback) redirect URI. */
function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual' });
}

/** A fresh, recognisable secret (long enough that finding it in the log is no coincidence). */
function secret(label: string): string {
  return `${label}-${randomBytes(12).toString('hex')}`;
}

interface Run {
  log: string;
  /** Every secret sent, by what it was. */
  secrets: Map<string, string>;
  clientKey: string;
}

async function adminJson(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Sends every kind of credential to a server logging at `level`, then returns its log. */
async function exercise(level: 'debug' | 'info'): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-v16-${level}-`));
  const instance: Instance = await startInstance(`v16-${level}`, {
    databaseUrl: `sqlite:${join(dir, 'latchkey.db')}`,
    dataDir: dir,
    masterKey: clusterKey(),
    env: { LATCHKEY_LOG_LEVEL: level },
  });
  const base = instance.baseUrl;
  const secrets = new Map<string, string>();
  const keep = (name: string, value: string): string => {
    secrets.set(name, value);
    return value;
  };
  try {
    const created = await adminJson(base, 'POST', '/admin/api/clients', {
      type: 'oauth2',
      name: 'Logged service',
      redirect_uris: ['https://app.example.test/cb'],
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    });
    const clientKey = String(created.client_key);
    const clientSecret = keep('client secret', String(created.client_secret));
    await adminJson(base, 'POST', `/admin/api/clients/${clientKey}/approve`);
    const token = `${base}/api/oauth2/token`;

    // Basic without a colon: the whole decoded value may be a secret.
    const colonless = keep('colon-less Basic value', secret('colonless'));
    keep('colon-less Basic header', Buffer.from(colonless).toString('base64'));
    for (const path of ['/api/oauth2/token', '/api/oidc/token', '/api/me', '/admin/api/clients']) {
      const res = await get(`${base}${path}`, {
        method: path.includes('token') ? 'POST' : 'GET',
        headers: { authorization: `Basic ${Buffer.from(colonless).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: path.includes('token') ? 'grant_type=client_credentials' : null,
      });
      assert.ok(res.status >= 400, `${path} refuses colon-less Basic credentials`);
    }
    // A client key with a wrong secret; a secret sent as the user-id half (a client's mistake).
    const wrongSecret = keep('wrong client secret', secret('wrongsecret'));
    assert.equal((await postForm(token, { grant_type: 'client_credentials' }, { authorization: basic(clientKey, wrongSecret) })).status, 401);
    const secretAsId = keep('secret sent as the Basic user-id', secret('secretasid'));
    assert.equal((await postForm(token, { grant_type: 'client_credentials' }, { authorization: basic(secretAsId, 'x') })).status, 401);
    // A user's wrong password on the API.
    const wrongPassword = keep('wrong user password', secret('wrongpassword'));
    const me = await get(`${base}/api/me`, { headers: { authorization: `Basic ${Buffer.from(`admin:${wrongPassword}`).toString('base64')}` } });
    assert.equal(me.status, 401);

    // Good credentials: Basic, and client_secret_post in the body.
    const issued = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basic(clientKey, clientSecret) });
    assert.equal(issued.status, 200);
    const accessToken = keep('access token', String(issued.json.access_token));
    const posted = await postForm(token, { grant_type: 'client_credentials', client_id: clientKey, client_secret: clientSecret });
    assert.equal(posted.status, 200);
    keep('second access token', String(posted.json.access_token));
    const wrongPosted = keep('wrong client secret in the body', secret('bodysecret'));
    assert.equal((await postForm(token, { grant_type: 'client_credentials', client_id: clientKey, client_secret: wrongPosted })).status, 401);

    // Bearer tokens, valid and not.
    await get(`${base}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    const forged = keep('forged bearer token', secret('forgedbearer'));
    assert.equal((await get(`${base}/api/me`, { headers: { authorization: `Bearer ${forged}` } })).status, 401);
    await get(`${base}/api/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: basic(clientKey, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }),
    });

    // Codes and refresh tokens in bodies and in query strings.
    const code = keep('authorization code', secret('authcode'));
    const verifier = keep('code verifier', secret('codeverifier'));
    const refresh = keep('refresh token', secret('refreshtoken'));
    await postForm(
      token,
      { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://app.example.test/cb' },
      { authorization: basic(clientKey, clientSecret) },
    );
    await postForm(token, { grant_type: 'refresh_token', refresh_token: refresh }, { authorization: basic(clientKey, clientSecret) });
    const queryCode = keep('code in a query', secret('querycode'));
    const queryRefresh = keep('refresh token in a query', secret('queryrefresh'));
    await get(`${token}?code=${queryCode}&refresh_token=${queryRefresh}`, { method: 'POST' });
    const querySecret = keep('client secret in a query', secret('querysecret'));
    await get(`${base}/oauth2/authorize?client_id=${clientKey}&client_secret=${querySecret}&response_type=code`);

    // URLs nested in return_to: encoded, unencoded, and nested twice.
    const oauthToken = keep('oauth_token in an unencoded return_to', secret('oauthtoken'));
    await get(`${base}/login?return_to=/oauth1/authorize?oauth_token=${oauthToken}&next=1`);
    const encodedToken = keep('oauth_token in an encoded return_to', secret('encodedtoken'));
    await get(`${base}/login?return_to=${encodeURIComponent(`/oauth1/authorize?oauth_token=${encodedToken}`)}`);
    const deep = keep('a value two URLs deep', secret('deepvalue'));
    await get(`${base}/login?return_to=/oauth2/authorize?redirect_uri=https://app.example.test/cb?session=${deep}&scope=openid`);
    const userCode = keep('user code in return_to', secret('usercode'));
    await get(`${base}/login?return_to=/device?user_code=${userCode}`);
    const unknownParam = keep('an unknown parameter', secret('unknownparam'));
    await get(`${base}/oauth2/authorize?client_id=${clientKey}&magic=${unknownParam}`);

    // OAuth 1.0a: a token in the Authorization header.
    const oauth1Token = keep('OAuth 1.0a token in the header', secret('oauthheadertoken'));
    await get(`${base}/api/me`, {
      headers: {
        authorization: authHeader(npmClient(CONSUMER, 'consumer-secret'), { url: `${base}/api/me`, method: 'GET' }, { key: oauth1Token, secret: 'x' }),
      },
    });
    // A failed sign-in at the form: the password is in the body.
    const formPassword = keep('sign-in form password', secret('formpassword'));
    await get(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: formPassword, csrf_token: 'x', return_to: '/' }),
    });
    // Let the last lines reach the output (the server writes its log at least every 200 ms).
    await new Promise((r) => setTimeout(r, 500));
    return { log: instance.output(), secrets, clientKey };
  } finally {
    await instance.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function requestLines(log: string): Array<Record<string, unknown>> {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request completed');
}

function assertNoSecret(run: Run): void {
  assert.ok(requestLines(run.log).length > 25, 'one line per request was written');
  const found: string[] = [];
  for (const [name, value] of run.secrets) {
    for (const form of new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])) {
      if (run.log.includes(form)) found.push(`${name} (${form === value ? 'as sent' : 'encoded'})`);
    }
  }
  assert.deepEqual(found, [], `the log holds: ${found.join('; ')}`);
}

/**
 * The `client` field: only a client the server authenticated, or the identifier a request names in
 * its own parameter (client_id, oauth_consumer_key); never taken from Basic credential bytes.
 */
function assertClientField(run: Run): void {
  const lines = requestLines(run.log);
  const named = new Set(lines.map((l) => l.client).filter((c) => c !== undefined));
  assert.deepEqual([...named].sort(), [run.clientKey, CONSUMER].sort(), 'only the real client and the named consumer key appear');
  const tokenLines = lines.filter((l) => String((l.req as { url?: string }).url).startsWith('/api/oauth2/token'));
  assert.ok(
    tokenLines.some((l) => l.client === run.clientKey && l.outcome === 'ok'),
    'a token request that authenticated names its client',
  );
  assert.ok(
    tokenLines.some((l) => l.client === undefined && l.outcome === 'invalid_client'),
    'a token request whose client failed to authenticate names none',
  );
}

describe('V16 request log at debug level', { timeout: 120_000 }, () => {
  let run: Run;
  before(async () => {
    run = await exercise('debug');
  });

  test('V16.2.5 at debug level no password, client secret, token, code or Authorization value sent reaches the log, nested URLs included', () => {
    assertNoSecret(run);
  });

  test('V16.2.5 the client named in a log line is one the server authenticated or a client_id parameter, never header bytes', () => {
    assertClientField(run);
  });
});

describe('V16 request log at info level', { timeout: 120_000 }, () => {
  let run: Run;
  before(async () => {
    run = await exercise('info');
  });

  test('V16.2.5 at info level no password, client secret, token, code or Authorization value sent reaches the log, nested URLs included', () => {
    assertNoSecret(run);
    assertClientField(run);
  });
});
