import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { DEVICE_CODE_GRANT, OIDC_RESPONSE_TYPES } from '../../src/core/clients/client.js';
import { type CookieJar, formFields, makeClient, signIn, type TestClient } from '../oauth2/helpers.js';
import type { TestServer } from '../support/server.js';

export { CookieJar, makeUser, postForm, startPeer } from '../oauth2/helpers.js';

export const REDIRECT = 'http://127.0.0.1:9/cb';
export const POST_LOGOUT = 'http://127.0.0.1:9/signed-out';
export const alice = { username: 'alice', password: 'alice-password-1' };
export const bob = { username: 'bob', password: 'bob-password-12' };

/** An approved OpenID Connect client registered for all six response types and the four grants. */
export function makeOidcClient(t: TestServer, input: Record<string, unknown> = {}): Promise<TestClient> {
  return makeClient(t, {
    type: 'oidc',
    name: 'Team wiki',
    redirect_uris: [REDIRECT],
    post_logout_redirect_uris: [POST_LOGOUT],
    response_types: [...OIDC_RESPONSE_TYPES],
    grant_types: ['authorization_code', 'refresh_token', 'password', DEVICE_CODE_GRANT],
    ...input,
  });
}

/** openid-client configured from /.well-known/openid-configuration (client_secret_basic). */
export async function discover(t: TestServer, c: TestClient, metadata: Partial<client.ClientMetadata> = {}): Promise<client.Configuration> {
  const secret = c.secret ?? '';
  return client.discovery(new URL(t.baseUrl), c.key, { client_secret: secret, ...metadata }, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  });
}

export type AuthorizeResult =
  | { kind: 'redirect'; url: URL; signedIn: boolean; consented: boolean }
  | { kind: 'form_post'; action: string; fields: Record<string, string>; signedIn: boolean; consented: boolean };

/**
 * Walks an authorization request like a browser that keeps cookies: signs in through the real
 * /login form when sent there (only when `user` is given), answers the consent page, and stops
 * at the redirect to the client or at a form_post page.
 */
export async function walk(
  jar: CookieJar,
  t: TestServer,
  url: string,
  user?: { username: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<AuthorizeResult> {
  let res = await jar.fetch(url);
  let signedIn = false;
  let consented = false;
  for (let step = 0; step < 6; step++) {
    const location = res.headers.get('location') ?? '';
    if ([302, 303].includes(res.status) && location.startsWith('/login')) {
      assert.ok(user, `sent to sign in, but no user was given: ${location}`);
      const returnTo = new URL(location, t.baseUrl).searchParams.get('return_to') ?? '/';
      const signed = await signIn(jar, t.baseUrl, user.username, user.password, returnTo);
      assert.equal(signed.status, 303, 'sign-in should redirect back');
      signedIn = true;
      res = await jar.fetch(new URL(signed.headers.get('location') ?? '', t.baseUrl).href);
      continue;
    }
    if ([302, 303].includes(res.status)) return { kind: 'redirect', url: new URL(location), signedIn, consented };
    const page = await res.text();
    assert.equal(res.status, 200, `unexpected ${res.status}: ${page.slice(0, 300)}`);
    if (page.includes('data-auto-submit')) return { kind: 'form_post', ...formFields(page), signedIn, consented };
    assert.match(page, /name="decision" value="allow"/, 'expected a consent page');
    const { action, fields } = formFields(page);
    consented = true;
    res = await jar.fetch(new URL(action, t.baseUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, decision }),
    });
  }
  throw new Error('too many steps');
}

/** The redirect of a walk, asserting there was one. */
export function redirected(r: AuthorizeResult): URL {
  assert.equal(r.kind, 'redirect');
  return (r as Extract<AuthorizeResult, { kind: 'redirect' }>).url;
}

/** The parameters of an authorization response in the query or fragment. */
export function responseParams(url: URL): URLSearchParams {
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** The Request a browser would send to the client for a form_post page. */
export function formPostRequest(r: AuthorizeResult): Request {
  assert.equal(r.kind, 'form_post');
  const f = r as Extract<AuthorizeResult, { kind: 'form_post' }>;
  return new Request(f.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(f.fields),
  });
}

/** OIDC Core §3.1.3.6 / §3.3.2.11: left half of SHA-256, base64url (computed here independently). */
export function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

/** Verifies an ID token against /jwks.json with jose: signature, issuer, audience, expiry. */
export async function verifyIdToken(t: TestServer, token: string, audience: string): Promise<JWTPayload & Record<string, unknown>> {
  const jwks = createRemoteJWKSet(new URL(`${t.baseUrl}/jwks.json`));
  const { payload } = await jwtVerify(token, jwks, { issuer: t.baseUrl, audience, algorithms: ['RS256', 'ES256'] });
  return payload as JWTPayload & Record<string, unknown>;
}

export function header(token: string): { alg: string; kid: string; typ?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { alg: string; kid: string; typ?: string };
}

/** A small HTTP receiver on 127.0.0.1 that records back-channel logout requests. */
export interface LogoutReceiver {
  uri: string;
  received: Array<{ contentType: string; body: URLSearchParams }>;
  /** Waits until `n` requests have arrived (or fails after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLogoutReceiver(options: { delayMs?: number; status?: number } = {}): Promise<LogoutReceiver> {
  const received: LogoutReceiver['received'] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (d: Buffer) => {
        text += d.toString();
      });
      req.on('end', () => resolve(text));
    });
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    received.push({ contentType: req.headers['content-type'] ?? '', body: new URLSearchParams(body) });
    setTimeout(() => {
      res.writeHead(options.status ?? 200, { 'cache-control': 'no-store' });
      res.end();
    }, options.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/backchannel_logout`,
    received,
    async waitFor(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} back-channel requests, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
