// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';
import { authorizeInBrowser, CookieJar, formFields, makeClient, makeUser, signIn, type TestClient } from './helpers.js';

const REDIRECT = 'https://app.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B
const carol = { username: 'carol', password: 'carol-password-1' };

describe('authorization endpoint: errors and refusals', () => {
  let t: TestServer;
  let confidential: TestClient;
  let publicClient: TestClient;
  let jar: CookieJar;

  const url = (params: Record<string, string>) => `${t.baseUrl}/oauth2/authorize?${new URLSearchParams(params)}`;
  const base = (c: TestClient, extra: Record<string, string> = {}) => ({
    client_id: c.key,
    redirect_uri: REDIRECT,
    response_type: 'code',
    state: 's-1',
    ...extra,
  });

  /** The error page: 400, HTML, and no redirect anywhere. */
  async function expectErrorPage(u: string, text: RegExp): Promise<void> {
    const res = await jar.fetch(u);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(await res.text(), text);
  }

  /** An error sent back to the verified redirect URI, with state and iss. */
  async function expectRedirectError(u: string, error: string, where: 'query' | 'fragment' = 'query'): Promise<URLSearchParams> {
    const res = await jar.fetch(u);
    assert.equal(res.status, 302, await res.clone().text());
    const loc = new URL(res.headers.get('location') ?? '');
    assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
    const params = where === 'query' ? loc.searchParams : new URLSearchParams(loc.hash.slice(1));
    assert.equal(params.get('error'), error, params.get('error_description') ?? '');
    assert.equal(params.get('state'), 's-1');
    assert.equal(params.get('iss'), t.baseUrl);
    assert.ok((params.get('error_description') ?? '').length > 0);
    return params;
  }

  before(async () => {
    t = await startServer();
    await makeUser(t, carol.username, carol.password);
    confidential = await makeClient(t, { redirect_uris: [REDIRECT, 'https://app.example/other'] });
    publicClient = await makeClient(t, { public: true, redirect_uris: [REDIRECT] });
    jar = new CookieJar();
    assert.equal((await signIn(jar, t.baseUrl, carol.username, carol.password)).status, 303);
  });
  after(() => t.close());

  it('shows an error page (never a redirect) for unknown, pending, disapproved and removed clients', async () => {
    await expectErrorPage(url({ client_id: 'nope', redirect_uri: REDIRECT, response_type: 'code' }), /No application is registered/);
    await expectErrorPage(url({ redirect_uri: REDIRECT, response_type: 'code' }), /client_id is missing/);
    const pending = await makeClient(t, { redirect_uris: [REDIRECT] }, 'pending');
    await expectErrorPage(url(base(pending)), /waiting for an administrator/);
    const refused = await makeClient(t, { redirect_uris: [REDIRECT] }, 'disapproved');
    await expectErrorPage(url(base(refused)), /disapproved/);
    const removed = await makeClient(t, { redirect_uris: [REDIRECT] });
    await t.app.clientAdmin.remove(removed.key, { name: 'test', source: 'test' });
    await expectErrorPage(url(base(removed)), /No application is registered/);
  });

  it('requires an exact redirect URI match and shows the error page otherwise', async () => {
    for (const bad of ['https://app.example/cb/', 'https://app.example/cb?x=1', 'https://evil.example/cb', 'https://APP.example/cb#f']) {
      await expectErrorPage(url(base(confidential, { redirect_uri: bad })), /not registered/);
    }
    // Omitted while several are registered: nothing to fall back on.
    await expectErrorPage(url({ client_id: confidential.key, response_type: 'code' }), /redirect_uri is required/);
    // Sent twice: refused before anything else.
    await expectErrorPage(`${url(base(confidential))}&redirect_uri=${encodeURIComponent(REDIRECT)}`, /more than once/);
  });

  it('returns errors to a verified redirect URI with state and iss (RFC 9207)', async () => {
    await expectRedirectError(url(base(confidential, { response_type: 'id_token' })), 'unsupported_response_type', 'fragment');
    await expectRedirectError(url(base(confidential, { response_type: 'token' })), 'unauthorized_client', 'fragment');
    await expectRedirectError(url(base(confidential, { scope: 'profile launch-missiles' })), 'invalid_scope');
    await expectRedirectError(url(base(confidential, { response_mode: 'form_post' })), 'invalid_request');
    await expectRedirectError(`${url(base(confidential))}&scope=a&scope=b`, 'invalid_request');
    await expectRedirectError(url(base(confidential, { login_hint: 'x'.repeat(5000) })), 'invalid_request');
  });

  it('requires PKCE S256 from public clients and refuses plain', async () => {
    const missing = await expectRedirectError(url(base(publicClient)), 'invalid_request');
    assert.match(missing.get('error_description') ?? '', /PKCE/);
    const plain = await expectRedirectError(url(base(publicClient, { code_challenge: CHALLENGE, code_challenge_method: 'plain' })), 'invalid_request');
    assert.match(plain.get('error_description') ?? '', /S256/);
    await expectRedirectError(url(base(publicClient, { code_challenge: CHALLENGE })), 'invalid_request');
    await expectRedirectError(url(base(publicClient, { code_challenge: 'short', code_challenge_method: 'S256' })), 'invalid_request');
    // Confidential clients may skip PKCE unless they opted in.
    const strict = await makeClient(t, { redirect_uris: [REDIRECT], require_pkce: true });
    await expectRedirectError(url(base(strict)), 'invalid_request');
  });

  it('refuses an OpenID Connect client on the OAuth 2.0 path', async () => {
    const oidc = await makeClient(t, { type: 'oidc', redirect_uris: [REDIRECT] });
    await expectErrorPage(url(base(oidc)), /OpenID Connect client/);
  });

  it('sends the user to /login first, then back to the same request', async () => {
    const fresh = new CookieJar();
    const res = await fresh.fetch(url(base(confidential)));
    assert.equal(res.status, 303);
    const login = new URL(res.headers.get('location') ?? '', t.baseUrl);
    assert.equal(login.pathname, '/login');
    const back = login.searchParams.get('return_to') ?? '';
    assert.ok(back.startsWith('/oauth2/authorize?'));
    assert.equal(new URLSearchParams(back.split('?')[1]).get('client_id'), confidential.key);
  });

  it('answers access_denied when the user denies, and needs the CSRF token to decide', async () => {
    const c = await makeClient(t, { redirect_uris: [REDIRECT], name: 'Denied app' });
    const page = await (await jar.fetch(url(base(c, { scope: 'profile latchkey:admin' })))).text();
    assert.match(page, /Denied app/);
    assert.match(page, /latchkey:admin/);
    const { action, fields } = formFields(page);
    const forged = await jar.fetch(new URL(action, t.baseUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, csrf_token: 'forged', decision: 'allow' }),
    });
    assert.equal(forged.status, 400);
    const denied = await authorizeInBrowser(jar, t.baseUrl, url(base(c)), carol, 'deny');
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 's-1');
    assert.equal(await t.app.consents.get((await t.app.stores.users.findByUsername('carol'))?.id ?? '', c.key), undefined);
  });

  it('puts implicit tokens in the fragment for clients that enabled response_type=token', async () => {
    const c = await makeClient(t, { redirect_uris: [REDIRECT], response_types: ['code', 'token'] });
    const cb = await authorizeInBrowser(jar, t.baseUrl, url(base(c, { response_type: 'token' })), carol);
    assert.equal(cb.search, '');
    const f = new URLSearchParams(cb.hash.slice(1));
    assert.equal(f.get('token_type'), 'Bearer');
    assert.equal(f.get('state'), 's-1');
    assert.equal(f.get('iss'), t.baseUrl);
    assert.equal(f.get('refresh_token'), null);
    const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${f.get('access_token')}` } });
    assert.equal(me.status, 200);
    // Tokens are never put in a query string.
    await expectRedirectError(url(base(c, { response_type: 'token', response_mode: 'query' })), 'invalid_request', 'fragment');
  });
});
