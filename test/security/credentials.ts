// Everything a user's password opens, obtained over HTTP, and the checks that each still works:
// browser sessions, OAuth 2.0 access and refresh tokens, OAuth 1.0a token credentials.
import assert from 'node:assert/strict';
import type OAuth from 'oauth-1.0a';
import { createConsumer, signedGet, threeLegged } from '../oauth1/helpers.js';
import { authorizeInBrowser, basic, CookieJar, makeClient, postForm, signIn, type TestClient } from '../oauth2/helpers.js';
import type { TestServer } from '../support/server.js';

export const REDIRECT = 'https://app.example/cb';

export interface Apps {
  oauth2: TestClient;
  oauth1: { key: string; secret: string };
}

export async function makeApps(t: TestServer): Promise<Apps> {
  const oauth2 = await makeClient(t, { name: 'Cut-off app', redirect_uris: [REDIRECT] });
  const { key, secret } = await createConsumer(t.app, { name: 'Cut-off consumer' });
  return { oauth2, oauth1: { key, secret } };
}

export interface Held {
  /** A browser signed in through /login. */
  browser: CookieJar;
  access: string;
  refresh: string;
  oauth1: { oauth: OAuth; token: { key: string; secret: string } };
}

/** Signs the user in, runs an authorization-code flow and an OAuth 1.0a three-legged flow. */
export async function obtain(t: TestServer, apps: Apps, user: { username: string; password: string }, scope = 'profile'): Promise<Held> {
  const browser = new CookieJar();
  const signed = await signIn(browser, t.baseUrl, user.username, user.password);
  assert.equal(signed.status, 303, 'signed in');
  const q = new URLSearchParams({ client_id: apps.oauth2.key, redirect_uri: REDIRECT, response_type: 'code', scope });
  // A browser of its own, so that the code flow's session is not the one checked.
  const cb = await authorizeInBrowser(new CookieJar(), t.baseUrl, `${t.baseUrl}/oauth2/authorize?${q}`, user);
  const r = await postForm(
    `${t.baseUrl}/api/oauth2/token`,
    { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', redirect_uri: REDIRECT },
    { authorization: basic(apps.oauth2.key, apps.oauth2.secret ?? '') },
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(typeof r.json.refresh_token === 'string', 'a refresh token was issued');
  const oauth1 = await threeLegged(t.baseUrl, apps.oauth1, { username: user.username, password: user.password });
  return { browser, access: String(r.json.access_token), refresh: String(r.json.refresh_token), oauth1 };
}

/** Whether the browser session still opens My account (200) rather than the sign-in form (303). */
export async function sessionWorks(t: TestServer, browser: CookieJar): Promise<boolean> {
  const res = await browser.fetch(`${t.baseUrl}/admin/account`);
  await res.arrayBuffer();
  assert.ok([200, 303].includes(res.status), `My account answered ${res.status}`);
  return res.status === 200;
}

export async function accessWorks(t: TestServer, token: string): Promise<boolean> {
  const res = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  assert.ok([200, 401].includes(res.status), `/api/me answered ${res.status}`);
  return res.status === 200;
}

export async function oauth1Works(t: TestServer, held: Held['oauth1']): Promise<boolean> {
  const r = await signedGet(held.oauth, `${t.baseUrl}/api/me`, held.token);
  assert.ok([200, 401].includes(r.status), `/api/me (OAuth 1.0a) answered ${r.status}`);
  return r.status === 200;
}

/** Redeems the refresh token (RFC 6749 §6); returns the rotated pair, or null when refused with invalid_grant. */
export async function refresh(t: TestServer, apps: Apps, token: string): Promise<{ access: string; refresh: string } | null> {
  const r = await postForm(
    `${t.baseUrl}/api/oauth2/token`,
    { grant_type: 'refresh_token', refresh_token: token },
    { authorization: basic(apps.oauth2.key, apps.oauth2.secret ?? '') },
  );
  if (r.status === 200) return { access: String(r.json.access_token), refresh: String(r.json.refresh_token) };
  assert.equal(r.json.error, 'invalid_grant', JSON.stringify(r.json));
  return null;
}

/**
 * Proves each credential works now (the refresh token by redeeming it, so the rotated pair is what
 * is checked later) and returns what to check after the change.
 */
export async function provenBefore(t: TestServer, apps: Apps, held: Held): Promise<Held> {
  assert.equal(await sessionWorks(t, held.browser), true, 'the session works before');
  assert.equal(await accessWorks(t, held.access), true, 'the access token works before');
  assert.equal(await oauth1Works(t, held.oauth1), true, 'the OAuth 1.0a token works before');
  const rotated = await refresh(t, apps, held.refresh);
  assert.ok(rotated, 'the refresh token works before');
  assert.equal(await accessWorks(t, rotated.access), true);
  return { ...held, ...rotated };
}

/** Asserts that nothing the old state opened still works. */
export async function assertAllEnded(t: TestServer, apps: Apps, held: Held, what: string): Promise<void> {
  assert.equal(await sessionWorks(t, held.browser), false, `${what}: the session ended`);
  assert.equal(await accessWorks(t, held.access), false, `${what}: the access token stopped working`);
  assert.equal(await refresh(t, apps, held.refresh), null, `${what}: the refresh token was refused`);
  assert.equal(await oauth1Works(t, held.oauth1), false, `${what}: the OAuth 1.0a token stopped working`);
}
