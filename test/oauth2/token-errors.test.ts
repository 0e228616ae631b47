// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { authorizeInBrowser, basic, CookieJar, formFields, makeClient, makeUser, postForm, signIn, type TestClient } from './helpers.js';

const REDIRECT = 'https://app.example/cb';
const dave = { username: 'dave', password: 'dave-password-1' };

describe('token endpoint: errors, PKCE, expiry, device polling and throttling', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  let app: TestClient;
  let jar: CookieJar;
  const tokenUrl = () => `${t.baseUrl}/api/oauth2/token`;

  async function code(c: TestClient, extra: Record<string, string> = {}): Promise<string> {
    const q = new URLSearchParams({ client_id: c.key, redirect_uri: REDIRECT, response_type: 'code', ...extra });
    const cb = await authorizeInBrowser(jar, t.baseUrl, `${t.baseUrl}/oauth2/authorize?${q}`, dave);
    return cb.searchParams.get('code') ?? '';
  }

  before(async () => {
    t = await startServer({ clock, env: { LATCHKEY_LOGIN_THROTTLE_LIMIT: '3' } });
    await makeUser(t, dave.username, dave.password);
    app = await makeClient(t, { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token', 'password'] });
    jar = new CookieJar();
    await signIn(jar, t.baseUrl, dave.username, dave.password);
  });
  after(() => t.close());

  it('refuses pending and disapproved clients and wrong secrets with invalid_client (401)', async () => {
    const form = { grant_type: 'password', username: 'dave', password: dave.password };
    for (const status of ['pending', 'disapproved'] as const) {
      const c = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['password'] }, status);
      const r = await postForm(tokenUrl(), form, { authorization: basic(c.key, c.secret ?? '') });
      assert.equal(r.status, 401);
      assert.equal(r.json.error, 'invalid_client');
      assert.match(String(r.json.error_description), status === 'pending' ? /waiting/ : /disapproved/);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="latchkey"/);
    }
    const wrong = await postForm(tokenUrl(), form, { authorization: basic(app.key, 'not-the-secret-at-all') });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, 'invalid_client');
    assert.ok(wrong.headers.get('www-authenticate'));
    assert.ok(!JSON.stringify(wrong.json).includes(app.secret ?? '?'));
    const post = await postForm(tokenUrl(), { ...form, client_id: app.key, client_secret: 'wrong' });
    assert.equal(post.status, 401);
    assert.equal(post.headers.get('www-authenticate'), null);
    const unknown = await postForm(tokenUrl(), form, { authorization: basic('no-such-client', 'x') });
    assert.equal(unknown.status, 401);
    const none = await postForm(tokenUrl(), { ...form, client_id: app.key });
    assert.equal(none.json.error, 'invalid_client');
    assert.match(String(none.json.error_description), /confidential/);
  });

  it('answers malformed, repeated, oversized and mistyped requests with invalid_request, never 500', async () => {
    const auth = { authorization: basic(app.key, app.secret ?? '') };
    const cases: Array<[RequestInit, string]> = [
      [{ method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"grant_type":"password"}' }, 'invalid_request'],
      [
        { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&grant_type=password' },
        'invalid_request',
      ],
      [
        { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&username=${'u'.repeat(5000)}` },
        'invalid_request',
      ],
      [{ method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: '' }, 'invalid_request'],
      [{ method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=urn:made:up' }, 'unsupported_grant_type'],
      [
        { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' },
        'unauthorized_client',
      ],
      [
        { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=dave' },
        'invalid_request',
      ],
      [
        { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&client_secret=x` },
        'invalid_request',
      ],
      [
        { method: 'POST', headers: { authorization: 'Basic %%%', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' },
        'invalid_client',
      ],
      [{ method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'x'.repeat(300 * 1024) }, 'invalid_request'],
      [{ method: 'GET', headers: auth }, 'invalid_request'],
    ];
    for (const [init, error] of cases) {
      const res = await fetch(tokenUrl(), init);
      const body = (await res.json()) as Record<string, string>;
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${String(init.body).slice(0, 40)}`);
      assert.equal(body.error, error, `${String(init.body).slice(0, 40)}: ${body.error_description}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.ok(body.error_description);
    }
  });

  it('binds codes to PKCE, redirect URI and client, and expires them after 60 s', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const auth = { authorization: basic(app.key, app.secret ?? '') };
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };

    let r = await postForm(tokenUrl(), { grant_type: 'authorization_code', code: await code(app, pkce), redirect_uri: REDIRECT }, auth);
    assert.equal(r.json.error, 'invalid_grant');
    assert.match(String(r.json.error_description), /code_verifier is required/);
    r = await postForm(
      tokenUrl(),
      { grant_type: 'authorization_code', code: await code(app, pkce), redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) },
      auth,
    );
    assert.equal(r.json.error, 'invalid_grant');
    r = await postForm(tokenUrl(), { grant_type: 'authorization_code', code: await code(app), redirect_uri: REDIRECT, code_verifier: verifier }, auth);
    assert.equal(r.json.error, 'invalid_grant', 'a verifier without a challenge is refused (RFC 9700 §2.1.1)');
    r = await postForm(
      tokenUrl(),
      { grant_type: 'authorization_code', code: await code(app, pkce), redirect_uri: `${REDIRECT}x`, code_verifier: verifier },
      auth,
    );
    assert.equal(r.json.error, 'invalid_grant');
    const other = await makeClient(t, { redirect_uris: [REDIRECT] });
    r = await postForm(
      tokenUrl(),
      { grant_type: 'authorization_code', code: await code(app), redirect_uri: REDIRECT },
      { authorization: basic(other.key, other.secret ?? '') },
    );
    assert.equal(r.json.error, 'invalid_grant');

    const late = await code(app, pkce);
    clock.advance(61_000);
    r = await postForm(tokenUrl(), { grant_type: 'authorization_code', code: late, redirect_uri: REDIRECT, code_verifier: verifier }, auth);
    assert.equal(r.json.error, 'invalid_grant');
    assert.match(String(r.json.error_description), /expired/);

    const good = await code(app, pkce);
    r = await postForm(tokenUrl(), { grant_type: 'authorization_code', code: good, redirect_uri: REDIRECT, code_verifier: verifier }, auth);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  it('throttles password guessing per username, with one generic error', async () => {
    const auth = { authorization: basic(app.key, app.secret ?? '') };
    const wrong = await postForm(tokenUrl(), { grant_type: 'password', username: 'dave', password: 'nope' }, auth);
    const unknownUser = await postForm(tokenUrl(), { grant_type: 'password', username: 'nobody-here', password: 'nope' }, auth);
    assert.equal(wrong.json.error, 'invalid_grant');
    assert.equal(wrong.json.error_description, unknownUser.json.error_description);
    await postForm(tokenUrl(), { grant_type: 'password', username: 'dave', password: 'nope2' }, auth);
    await postForm(tokenUrl(), { grant_type: 'password', username: 'dave', password: 'nope3' }, auth);
    // Over the limit: even the right password is not checked until the window ends.
    const blocked = await postForm(tokenUrl(), { grant_type: 'password', username: 'dave', password: dave.password }, auth);
    assert.equal(blocked.json.error, 'invalid_grant');
    assert.match(String(blocked.json.error_description), /too many/);
    // The /login form counts the same failures.
    const jar2 = new CookieJar();
    assert.equal((await signIn(jar2, t.baseUrl, 'dave', dave.password)).status, 429);
    clock.advance(16 * 60_000);
    const ok = await postForm(tokenUrl(), { grant_type: 'password', username: 'dave', password: dave.password }, auth);
    assert.equal(ok.status, 200);
    // A disabled user gets the same generic answer as a wrong password.
    const erin = await t.app.userAdmin.create({ username: 'erin', password: 'erin-password-1' }, { name: 't', source: 't', authority: OPERATOR });
    await t.app.userAdmin.setEnabled(erin, false, { name: 't', source: 't', authority: OPERATOR });
    const disabled = await postForm(tokenUrl(), { grant_type: 'password', username: 'erin', password: 'erin-password-1' }, auth);
    assert.equal(disabled.json.error_description, wrong.json.error_description);
  });

  it('answers device polling with authorization_pending, slow_down (raising the interval) and expired_token', async () => {
    const c = await makeClient(t, { public: true, redirect_uris: [], response_types: [], grant_types: [DEVICE_CODE_GRANT] });
    const start = await postForm(`${t.baseUrl}/api/oauth2/device_code`, { client_id: c.key });
    assert.equal(start.status, 200);
    const deviceCode = String(start.json.device_code);
    const poll = () => postForm(tokenUrl(), { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: c.key });
    assert.equal((await poll()).json.error, 'authorization_pending');
    const fast = await poll();
    assert.equal(fast.json.error, 'slow_down');
    assert.match(String(fast.json.error_description), /10 seconds/);
    clock.advance(6_000);
    const again = await poll();
    assert.equal(again.json.error, 'slow_down', 'the raised interval (10 s) holds for later polls');
    assert.match(String(again.json.error_description), /15 seconds/);
    clock.advance(15_000);
    assert.equal((await poll()).json.error, 'authorization_pending');
    clock.advance(600_000);
    assert.equal((await poll()).json.error, 'expired_token');
    // Someone else's device code is useless.
    const other = await makeClient(t, { public: true, redirect_uris: [], response_types: [], grant_types: [DEVICE_CODE_GRANT] });
    const r = await postForm(tokenUrl(), { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: other.key });
    assert.equal(r.json.error, 'invalid_grant');
  });

  it('limits user-code guessing at /device', async () => {
    const guesser = new CookieJar();
    await signIn(guesser, t.baseUrl, 'dave', dave.password);
    const page = await (await guesser.fetch(`${t.baseUrl}/device`)).text();
    const { fields } = formFields(page);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await guesser.fetch(`${t.baseUrl}/device`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf_token: fields.csrf_token ?? '', user_code: 'BCDF-GHJK' }),
      });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(400));
    assert.deepEqual(statuses.slice(10), [429, 429]);
  });
});
