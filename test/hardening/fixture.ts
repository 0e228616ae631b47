import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { threeLegged } from '../oauth1/helpers.js';
import { approveDevice, basic, postForm } from '../oauth2/helpers.js';
import type { BackendName } from '../support/backends.js';
import { CookieJar, signIn } from '../support/instances.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

const ACTOR = { name: 'hardening', source: 'test', authority: OPERATOR };

export const REDIRECT_URI = 'https://app.example.test/cb';
export const LOOPBACK_REDIRECT = 'http://127.0.0.1:9/cb';

/**
 * A running server seeded with one of everything an attacker might aim at: confidential and public
 * OAuth 2.0 clients, a pending client, an OAuth 1.0a consumer with token credentials, a
 * self-registered client with its registration access token, a signed-in session, live access and
 * refresh tokens, an unredeemed code and a pending device code. Every credential is listed in
 * `secrets`, so a test can check that no response and no log line ever carries one.
 */
export interface Fixture {
  t: TestServer;
  baseUrl: string;
  alice: { username: string; password: string; id: string };
  confidential: { key: string; secret: string };
  publicClient: { key: string };
  pending: { key: string; secret: string };
  consumer: { key: string; secret: string };
  oauth1Token: { key: string; secret: string };
  registered: { clientId: string; clientSecret: string; registrationAccessToken: string };
  accessToken: string;
  refreshToken: string;
  code: string;
  codeVerifier: string;
  deviceCode: string;
  session: { cookie: string; csrf: string };
  /** The OpenID Connect client and an ID token for alice, when the server offers OpenID Connect. */
  oidc: { key: string; secret: string; idToken: string } | null;
  /** Credentials that must never appear in a response (unless the request itself carried them). */
  secrets: Map<string, string>;
  close(): Promise<void>;
}

export async function startFixture(options: { backend?: BackendName; env?: Record<string, string> } = {}): Promise<Fixture> {
  const t = await startServer({ backend: options.backend ?? 'sqlite', env: options.env ?? {} });
  const { app, baseUrl } = t;
  const secrets = new Map<string, string>();
  const remember = <T extends string>(name: string, value: T): T => {
    // A credential the server did not hand out (String(undefined)) is nothing to look for.
    if (value !== 'undefined' && value !== 'null' && value.length >= 8) secrets.set(name, value);
    return value;
  };

  const alicePassword = remember('alice password', 'alice-has-a-long-password-7');
  const aliceUser = await app.userAdmin.create({ username: 'alice', password: alicePassword, roles: [] }, ACTOR);
  remember('admin password', ADMIN_PASSWORD);

  const conf = await app.clientAdmin.create(
    {
      type: 'oauth2',
      name: 'Confidential app',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:device_code'],
      // So the fuzzer reaches OAuth 1.0a verification and introspection of other clients' tokens.
      resource_server: true,
    },
    ACTOR,
  );
  await app.clientAdmin.setStatus(conf.client.key, 'approved', ACTOR);
  const confidential = { key: conf.client.key, secret: remember('confidential secret', conf.secret ?? '') };

  const pub = await app.clientAdmin.create(
    {
      type: 'oauth2',
      name: 'Public app',
      public: true,
      redirect_uris: [LOOPBACK_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    },
    ACTOR,
  );
  await app.clientAdmin.setStatus(pub.client.key, 'approved', ACTOR);

  const pend = await app.clientAdmin.create({ type: 'oauth2', name: 'Pending app', redirect_uris: ['https://pending.example.test/cb'] }, ACTOR);
  const pending = { key: pend.client.key, secret: remember('pending secret', pend.secret ?? '') };

  const consumerSecret = remember('consumer secret', 'consumer-secret-for-hardening-0123456789');
  const cons = await app.clientAdmin.create({ type: 'oauth1', name: 'Consumer', secret: consumerSecret }, ACTOR);
  await app.clientAdmin.setStatus(cons.client.key, 'approved', ACTOR);
  const consumer = { key: cons.client.key, secret: consumerSecret };
  const { token: oauth1Token } = await threeLegged(baseUrl, consumer);
  remember('oauth1 token secret', oauth1Token.secret);
  remember('oauth1 token', oauth1Token.key);

  // Tokens through the password grant: quick, and the refresh token is live.
  const tokens = await postForm(
    `${baseUrl}/api/oauth2/token`,
    { grant_type: 'password', username: 'alice', password: alicePassword, scope: 'profile' },
    { authorization: basic(confidential.key, confidential.secret) },
  );
  if (tokens.status !== 200) throw new Error(`password grant failed: ${JSON.stringify(tokens.json)}`);
  const accessToken = remember('access token', String(tokens.json.access_token));
  const refreshToken = remember('refresh token', String(tokens.json.refresh_token));

  // A signed-in session for alice, and its CSRF token.
  const jar = new CookieJar();
  const signed = await signIn(jar, baseUrl, 'alice', alicePassword);
  if (signed.status !== 303) throw new Error(`sign-in failed: ${signed.status}`);
  const home = await (await jar.fetch(`${baseUrl}/`)).text();
  const csrf = home.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
  const cookie = jar.header();
  const sessionId = /latchkey_session=([^;]+)/.exec(cookie)?.[1] ?? '';
  remember('session cookie', sessionId);

  // An unredeemed authorization code (with PKCE), taken from the redirect.
  const codeVerifier = remember('code verifier', 'v'.repeat(20) + createHash('sha256').update(cookie).digest('hex').slice(0, 30));
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const authorizeUrl = `${baseUrl}/oauth2/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: confidential.key,
    redirect_uri: REDIRECT_URI,
    scope: 'profile',
    state: 'fixture-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
  const consent = await jar.fetch(authorizeUrl);
  let location = consent.headers.get('location') ?? '';
  if (consent.status === 200) {
    const page = await consent.text();
    const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1] ?? '', decode(m[2] ?? '')]));
    const answered = await jar.fetch(`${baseUrl}/oauth2/authorize/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
    location = answered.headers.get('location') ?? '';
  }
  const code = remember('authorization code', new URL(location).searchParams.get('code') ?? '');
  if (!code) throw new Error(`no code in ${location}`);

  // A device code waiting at /device (user code shown to nobody).
  const device = await postForm(`${baseUrl}/api/oauth2/device_code`, { client_id: pub.client.key, scope: 'profile' });
  const deviceCode = remember('device code', String(device.json.device_code));
  remember('user code', String(device.json.user_code));

  // A self-registered (pending) client with its registration access token.
  const reg = await fetch(`${baseUrl}/api/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['https://registered.example.test/cb'], client_name: 'Registered app' }),
  });
  const regBody = (await reg.json()) as Record<string, string>;
  const registered = {
    clientId: regBody.client_id ?? '',
    clientSecret: remember('registered client secret', regBody.client_secret ?? ''),
    registrationAccessToken: remember('registration access token', regBody.registration_access_token ?? ''),
  };

  const oidc = await oidcClient(t, jar, remember);

  return {
    t,
    baseUrl,
    alice: { username: 'alice', password: alicePassword, id: aliceUser.id },
    confidential,
    publicClient: { key: pub.client.key },
    pending,
    consumer,
    oauth1Token,
    registered,
    accessToken,
    refreshToken,
    code,
    codeVerifier,
    deviceCode,
    session: { cookie, csrf },
    oidc,
    secrets,
    close: () => t.close(),
  };
}

export const POST_LOGOUT_REDIRECT = 'https://app.example.test/bye';

/** An approved OpenID Connect client and an ID token from a code flow, or null without the layer. */
async function oidcClient(t: TestServer, jar: CookieJar, remember: (name: string, value: string) => string): Promise<Fixture['oidc']> {
  if (!t.server.hasRoute({ method: 'GET', url: '/oidc/authorize' })) return null;
  const { client, secret } = await t.app.clientAdmin.create(
    {
      type: 'oidc',
      name: 'Relying party',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
    },
    ACTOR,
  );
  await t.app.clientAdmin.setStatus(client.key, 'approved', ACTOR);
  remember('OIDC client secret', secret ?? '');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.key,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: 's',
    nonce: 'fixture-nonce',
  });
  let res = await jar.fetch(`${t.baseUrl}/oidc/authorize?${query}`);
  if (res.status === 200) {
    const page = await res.text();
    const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1] ?? '', decode(m[2] ?? '')]));
    res = await jar.fetch(`${t.baseUrl}/oidc/authorize/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, decision: 'allow' }),
    });
  }
  const code = new URL(res.headers.get('location') ?? 'x:').searchParams.get('code') ?? '';
  const tokens = await postForm(
    `${t.baseUrl}/api/oidc/token`,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    { authorization: basic(client.key, secret ?? '') },
  );
  if (tokens.status !== 200) throw new Error(`OIDC token request failed: ${JSON.stringify(tokens.json)}`);
  remember('OIDC access token', String(tokens.json.access_token));
  remember('OIDC refresh token', String(tokens.json.refresh_token));
  return { key: client.key, secret: secret ?? '', idToken: remember('ID token', String(tokens.json.id_token)) };
}

function decode(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

export { approveDevice };

/** Tables whose rows rejected requests may change by design: failure counters and the audit trail. */
export const BOOKKEEPING_TABLES = new Set(['throttle', 'audit_events']);

/** A digest per table (row count and a hash of every row), for "nothing changed" checks. */
export async function snapshot(t: TestServer, skip: ReadonlySet<string> = BOOKKEEPING_TABLES): Promise<Map<string, string>> {
  const { db, dialect } = t.app.database;
  const names =
    dialect === 'sqlite'
      ? (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db)).rows.map(
          (r) => r.name,
        );
  const out = new Map<string, string>();
  for (const name of names.sort()) {
    if (skip.has(name)) continue;
    const rows = (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(db)).rows;
    const lines = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    out.set(name, `${rows.length}:${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`);
  }
  return out;
}

/** The tables whose digest differs between two snapshots. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n));
}

/** Text that must never reach a client: stack frames, source paths, database driver messages. */
export const INTERNALS =
  /\n\s+at [^\n]*[:(]\d+|node_modules|\/work\/|file:\/\/\/|\.ts:\d+|\bSQLITE_[A-Z]+|SqliteError|duplicate key value|violates [a-z ]+constraint|syntax error at|relation "[a-z_]+"|\bTypeError\b|\bReferenceError\b|Cannot read propert|undefined is not|\bkysely\b/i;

/** The name of a secret found in `text` that `request` did not carry itself, if any. */
export function leakedSecret(secrets: Map<string, string>, text: string, request: string): string | undefined {
  for (const [name, value] of secrets) {
    if (value.length >= 8 && text.includes(value) && !request.includes(value)) return name;
  }
  return undefined;
}
