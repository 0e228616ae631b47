import assert from 'node:assert/strict';
import { freePort } from '../../scripts/services.mjs';
import type { ClientInput } from '../../src/admin/client-admin.js';
import { type App, openApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { buildServer } from '../../src/http/server.js';
import { CookieJar, signIn } from '../support/instances.js';
import type { TestServer } from '../support/server.js';

export { CookieJar, signIn };

const ACTOR = { name: 'test', source: 'test', authority: OPERATOR };

export interface TestClient {
  key: string;
  secret: string | null;
}

/** Registers a client and (unless told otherwise) approves it. */
export async function makeClient(
  t: TestServer,
  input: Partial<ClientInput> & Record<string, unknown> = {},
  status: 'approved' | 'pending' | 'disapproved' = 'approved',
): Promise<TestClient> {
  const { client, secret } = await t.app.clientAdmin.create(
    { type: 'oauth2', name: 'Test app', redirect_uris: ['http://127.0.0.1:9/cb'], ...input } as ClientInput,
    ACTOR,
  );
  if (status !== 'pending') await t.app.clientAdmin.setStatus(client.key, status, ACTOR);
  return { key: client.key, secret };
}

export async function makeUser(t: TestServer, username: string, password = 'a-good-password', roles: string[] = []): Promise<string> {
  const user = await t.app.userAdmin.create({ username, password, roles }, ACTOR);
  return user.id;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** POSTs a form to a token-style endpoint. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** Hidden inputs and the form action of an HTML page (the consent and device pages). */
export function formFields(page: string): { action: string; fields: Record<string, string> } {
  const action = page.match(/<form method="post" action="([^"]+)"/)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[unescapeHtml(m[1] ?? '')] = unescapeHtml(m[2] ?? '');
  }
  return { action: unescapeHtml(action), fields };
}

function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/**
 * Walks an authorization request like a browser: signs in through the real /login form when sent
 * there, answers the consent page with `decision`, and returns the final redirect to the client.
 */
export async function authorizeInBrowser(
  jar: CookieJar,
  baseUrl: string,
  authorizeUrl: string,
  user: { username: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  let res = await jar.fetch(authorizeUrl);
  if (res.status === 303 && (res.headers.get('location') ?? '').startsWith('/login')) {
    const returnTo = new URL(res.headers.get('location') ?? '', baseUrl).searchParams.get('return_to') ?? '/';
    const signed = await signIn(jar, baseUrl, user.username, user.password, returnTo);
    assert.equal(signed.status, 303, 'sign-in should redirect back');
    res = await jar.fetch(new URL(signed.headers.get('location') ?? '', baseUrl).href);
  }
  if (res.status === 200) {
    const page = await res.text();
    assert.match(page, /Allow/);
    const { action, fields } = formFields(page);
    res = await jar.fetch(new URL(action, baseUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, decision }),
    });
  }
  assert.ok([302, 303].includes(res.status), `expected a redirect, got ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location') ?? '');
}

/**
 * A user finishing a device authorization at /device: opens verification_uri_complete, signs in
 * when asked, confirms the pre-filled code, then answers the consent page.
 */
export async function approveDevice(
  jar: CookieJar,
  baseUrl: string,
  verificationUri: string,
  user: { username: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<string> {
  let res = await jar.fetch(verificationUri);
  if (res.status === 303) {
    const returnTo = new URL(res.headers.get('location') ?? '', baseUrl).searchParams.get('return_to') ?? '/';
    const signed = await signIn(jar, baseUrl, user.username, user.password, returnTo);
    assert.equal(signed.status, 303);
    res = await jar.fetch(new URL(signed.headers.get('location') ?? '', baseUrl).href);
  }
  assert.equal(res.status, 200);
  const codePage = await res.text();
  assert.match(codePage, /<label for="user_code">Code<\/label>/);
  const code = codePage.match(/id="user_code" name="user_code" value="([^"]*)"/)?.[1] ?? '';
  const csrf = codePage.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
  const confirm = await jar.fetch(`${baseUrl}/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, user_code: code }),
  });
  const consent = await confirm.text();
  assert.equal(confirm.status, 200, consent);
  const { action, fields } = formFields(consent);
  const done = await jar.fetch(new URL(action, baseUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, decision }),
  });
  assert.equal(done.status, 200);
  return done.text();
}

export interface Peer {
  app: App;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * A second Latchkey instance in this process over the same database and master key, with the same
 * public issuer — as behind a load balancer.
 */
export async function startPeer(t: TestServer, env: Record<string, string> = {}): Promise<Peer> {
  const port = await freePort();
  const config = loadConfig({
    LATCHKEY_PORT: String(port),
    LATCHKEY_HOST: '127.0.0.1',
    LATCHKEY_ISSUER: t.app.config.issuer,
    LATCHKEY_DATABASE_URL: t.app.config.databaseUrl,
    LATCHKEY_DATA_DIR: t.backend.dataDir,
    LATCHKEY_MASTER_KEY: t.app.config.masterKey ?? '',
    LATCHKEY_LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await openApp(config);
  const server = await buildServer(app);
  await server.listen({ port, host: '127.0.0.1' });
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await app.close();
    },
  };
}
