import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { authHeader, Browser, CALLBACK, createConsumer, hiddenInputs, npmClient, parseForm, threeLegged } from '../oauth1/helpers.js';
import { authorizeInBrowser, basic, CookieJar, formFields, makeClient, makeUser, postForm, signIn, type TestClient } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';

/**
 * RFC 9700 (OAuth 2.0 Security Best Current Practice), OpenID Connect Core §16 and RFC 5849 §4:
 * the requirements not already proven by the feature suites, one test each. SECURITY.md maps
 * every requirement to the test that proves it — here or elsewhere.
 */
const REDIRECT = 'https://app.example/cb';
const alice = { username: 'alice', password: 'alice-password-long-1' };

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

for (const backend of backendNames())
  describe(`security best current practice: RFC 9700, OIDC Core §16, RFC 5849 §4 (${backend})`, () => {
    let t: TestServer;
    let clock: ManualClock;
    let app: TestClient;
    let jar: CookieJar;

    const authorizeUrl = (params: Record<string, string>) =>
      `${t.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: app.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile', ...params })}`;

    before(async () => {
      clock = new ManualClock(Date.now());
      t = await startServer({ backend, clock });
      await makeUser(t, alice.username, alice.password);
      app = await makeClient(t, {
        name: 'BCP app',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
      });
      jar = new CookieJar();
    });
    after(() => t.close());

    it('RFC 9700 §4.2.4, §4.16: pages and redirects carrying codes send no Referer and cannot be framed', async () => {
      const fresh = new CookieJar();
      const { challenge } = pkce();
      const first = await fresh.fetch(authorizeUrl({ state: 's', code_challenge: challenge, code_challenge_method: 'S256' }));
      const loginUrl = new URL(first.headers.get('location') ?? '', t.baseUrl);
      const pages: Array<[string, Response]> = [['login page', await fresh.fetch(loginUrl.href)]];
      const signed = await signIn(fresh, t.baseUrl, alice.username, alice.password, loginUrl.searchParams.get('return_to') ?? '/');
      const consent = await fresh.fetch(new URL(signed.headers.get('location') ?? '', t.baseUrl).href);
      const consentPage = await consent.clone().text();
      pages.push(['consent page', consent]);
      const { action, fields } = formFields(consentPage);
      const decided = await fresh.fetch(new URL(action, t.baseUrl).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, decision: 'allow' }),
      });
      assert.ok(new URL(decided.headers.get('location') ?? '').searchParams.get('code'), 'the redirect carries the code');
      pages.push(['device page', await fresh.fetch(`${t.baseUrl}/device?user_code=BCDF-GHJK`)]);

      // OAuth 1.0a: the consent page and the out-of-band verifier page.
      const consumer = await createConsumer(t.app, { name: 'BCP consumer' });
      const oauth = npmClient(consumer.key, consumer.secret);
      const rtUrl = `${t.baseUrl}/oauth1/request_token`;
      const rt = await fetch(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      const temp = parseForm(await rt.text());
      const oauth1Consent = await fresh.fetch(`${t.baseUrl}/oauth1/authorize?oauth_token=${encodeURIComponent(temp.oauth_token ?? '')}`);
      const oauth1Fields = hiddenInputs(await oauth1Consent.clone().text());
      pages.push(['OAuth 1.0a consent page', oauth1Consent]);
      const oob = await fresh.fetch(`${t.baseUrl}/oauth1/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...oauth1Fields, decision: 'allow' }),
      });
      assert.match(await oob.clone().text(), /oauth-verifier/);
      pages.push(['OAuth 1.0a verifier page', oob]);

      for (const [name, res] of pages) {
        assert.equal(res.status, 200, name);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${name}: Referrer-Policy`);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', `${name}: X-Frame-Options`);
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${name}: CSP frame-ancestors`);
        assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /unsafe-inline|unsafe-eval/, `${name}: no inline script`);
        assert.equal(res.headers.get('cache-control'), 'no-store', `${name}: not cached`);
      }
      assert.equal(decided.headers.get('referrer-policy'), 'no-referrer', 'the redirect with the code');
      assert.equal(decided.headers.get('cache-control'), 'no-store', 'the redirect with the code');
    });

    it('RFC 9700 §4.7: state comes back to the client byte for byte, on success and on error', async () => {
      assert.equal((await signIn(jar, t.baseUrl, alice.username, alice.password)).status, 303);
      await authorizeInBrowser(jar, t.baseUrl, authorizeUrl({ state: 'first' }), alice); // remembers consent
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), fc.boolean(), async (raw, fail) => {
          const state = raw.replace(/[\ud800-\udfff]/g, 'x');
          const res = await jar.fetch(authorizeUrl({ state, ...(fail ? { scope: 'no-such-scope' } : {}) }));
          assert.equal(res.status, 302);
          const back = new URL(res.headers.get('location') ?? '');
          assert.equal(back.searchParams.get('state'), state);
          assert.equal(back.searchParams.get('iss'), t.baseUrl, 'RFC 9207 iss beside it (RFC 9700 §4.4.2)');
          assert.ok(back.searchParams.has(fail ? 'error' : 'code'));
        }),
        { seed: 9700, numRuns: 40 },
      );
    });

    it('RFC 9700 §4.7, RFC 5849 §4.13: every form that grants or signs in needs its CSRF token', async () => {
      // Login CSRF: the form's token must match the cookie set with the form.
      const stranger = new CookieJar();
      const forgedLogin = await stranger.fetch(`${t.baseUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: alice.username, password: alice.password, csrf_token: 'guess', return_to: '/' }),
      });
      assert.equal(forgedLogin.status, 400);
      assert.equal(
        forgedLogin.headers.getSetCookie().some((c) => c.startsWith('latchkey_session=')),
        false,
        'no session from a forged login',
      );

      const post = (path: string, form: Record<string, string>) =>
        jar.fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
      const consumer = await createConsumer(t.app, { name: 'CSRF consumer' });
      const oauth = npmClient(consumer.key, consumer.secret);
      const rtUrl = `${t.baseUrl}/oauth1/request_token`;
      const rt = await fetch(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      const temp = parseForm(await rt.text());
      const attempts: Array<[string, Response]> = [
        ['OAuth 1.0a consent', await post('/oauth1/authorize', { oauth_token: temp.oauth_token ?? '', decision: 'allow', csrf_token: 'forged' })],
        ['device code entry', await post('/device', { user_code: 'BCDF-GHJK', csrf_token: 'forged' })],
        ['device decision', await post('/device/decision', { user_code: 'BCDF-GHJK', decision: 'allow', csrf_token: 'forged' })],
        ['application revocation', await post('/account/applications/revoke', { client_key: app.key, csrf_token: 'forged' })],
        ['sign-out', await post('/logout', { csrf_token: 'forged' })],
      ];
      for (const [name, res] of attempts) assert.equal(res.status, 400, name);
      // The session survived the forged sign-out, and the forged revocation revoked nothing.
      assert.equal((await jar.fetch(`${t.baseUrl}/`)).status, 200);
      const user = await t.app.stores.users.findByUsername(alice.username);
      assert.ok(await t.app.consents.get(user?.id ?? '', app.key));
    });

    it('RFC 9700 §4.11.2: the sign-in form is no open redirector', async () => {
      for (const target of [
        'https://evil.example/',
        '//evil.example/',
        '/\\evil.example',
        '\\\\evil.example',
        'javascript:alert(1)',
        '/\t/evil.example/',
        '',
      ]) {
        const res = await signIn(new CookieJar(), t.baseUrl, alice.username, alice.password, target);
        assert.equal(res.status, 303, target);
        assert.equal(res.headers.get('location'), '/', `return_to=${JSON.stringify(target)} falls back to /`);
      }
      // The URL parser drops CR and LF (as a browser does): a local path, with no header injected.
      const injected = await signIn(new CookieJar(), t.baseUrl, alice.username, alice.password, '/ok\r\nLocation: https://evil.example');
      assert.equal(injected.headers.get('location'), '/okLocation:%20https://evil.example');
      const local = await signIn(new CookieJar(), t.baseUrl, alice.username, alice.password, '/account/applications');
      assert.equal(local.headers.get('location'), '/account/applications');
    });

    it('RFC 9700 §4.12: after a POST carrying credentials or a decision the redirect is 303, never 307', async () => {
      const fresh = new CookieJar();
      const login = await signIn(fresh, t.baseUrl, alice.username, alice.password, '/');
      assert.equal(login.status, 303);
      const page = await (await fresh.fetch(authorizeUrl({ state: 'x', scope: 'profile latchkey:admin' }))).text();
      const { action, fields } = formFields(page);
      const decided = await fresh.fetch(new URL(action, t.baseUrl).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, decision: 'allow' }),
      });
      assert.equal(decided.status, 303);
      // The authorization endpoint reached by POST (OIDC allows it) answers 303 as well.
      const posted = await fresh.fetch(`${t.baseUrl}/oauth2/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: app.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile', state: 'p' }),
      });
      assert.equal(posted.status, 303);
      const consumer = await createConsumer(t.app, { name: '303 consumer' });
      const oauth = npmClient(consumer.key, consumer.secret);
      const rtUrl = `${t.baseUrl}/oauth1/request_token`;
      const rt = await fetch(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: CALLBACK }) },
      });
      const temp = parseForm(await rt.text());
      const shown = await (await fresh.fetch(`${t.baseUrl}/oauth1/authorize?oauth_token=${encodeURIComponent(temp.oauth_token ?? '')}`)).text();
      const raw = await fresh.fetch(`${t.baseUrl}/oauth1/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...hiddenInputs(shown), decision: 'allow' }),
      });
      assert.equal(raw.status, 303);
      assert.ok((raw.headers.get('location') ?? '').startsWith(CALLBACK));
      for (const res of [login, decided, posted, raw]) assert.notEqual(res.status, 307);
    });

    it('RFC 9700 §4.13: X-Forwarded-* headers are ignored unless a trusted proxy is configured', async () => {
      assert.equal(t.app.config.trustProxy, false, 'the default');
      const spoofed = new CookieJar();
      const page = await (await spoofed.fetch(`${t.baseUrl}/login`)).text();
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] ?? '';
      await spoofed.fetch(`${t.baseUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.77', 'x-forwarded-proto': 'https' },
        body: new URLSearchParams({ username: 'mallory-probe', password: 'wrong', csrf_token: csrf, return_to: '/' }),
      });
      const { items } = await t.app.stores.audit.list({ action: 'signin.failed', target: 'mallory-probe', limit: 5, offset: 0 });
      assert.equal(items[0]?.source, '127.0.0.1', 'the connection address, not the forged header');
      // Nor does a forged address escape a rate limit: all of these count for 127.0.0.1.
      const limited = await startServer({ env: { LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT: '3' } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await postForm(`${limited.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, { 'x-forwarded-for': `198.51.100.${i}` });
          statuses.push(r.status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      } finally {
        await limited.close();
      }
    });

    it('RFC 9700 §4.5: a code presented with the wrong client, redirect URI or verifier is refused and not burned', async () => {
      const { verifier, challenge } = pkce();
      const res = await jar.fetch(authorizeUrl({ state: 'b', code_challenge: challenge, code_challenge_method: 'S256' }));
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const token = (form: Record<string, string>, auth: string) =>
        postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'authorization_code', code, ...form }, { authorization: auth });
      const other = await makeClient(t, { redirect_uris: [REDIRECT] });
      const own = basic(app.key, app.secret ?? '');
      const before = await t.app.stores.oneTime.peek('oauth2.code', createHash('sha256').update(code).digest('hex'));
      assert.equal(before?.usedAt, null);
      for (const [form, auth] of [
        [{ redirect_uri: REDIRECT, code_verifier: verifier }, basic(other.key, other.secret ?? '')],
        [{ redirect_uri: `${REDIRECT}/x`, code_verifier: verifier }, own],
        [{ redirect_uri: REDIRECT, code_verifier: pkce().verifier }, own],
        [{ redirect_uri: REDIRECT }, own],
      ] as const) {
        assert.equal((await token(form, auth)).json.error, 'invalid_grant');
      }
      const after = await t.app.stores.oneTime.peek('oauth2.code', createHash('sha256').update(code).digest('hex'));
      assert.equal(after?.usedAt, null, 'the code was not consumed by the refused requests');
      const good = await token({ redirect_uri: REDIRECT, code_verifier: verifier }, own);
      assert.equal(good.status, 200, 'its client still redeems it');
      assert.equal((await token({ redirect_uri: REDIRECT, code_verifier: verifier }, own)).json.error, 'invalid_grant', 'once');
    });

    it('RFC 9700 §4.14.2: refresh tokens expire, and are bound to the client they were issued to', async () => {
      const issued = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'password', username: alice.username, password: alice.password },
        { authorization: basic(app.key, app.secret ?? '') },
      );
      assert.equal(issued.status, 200);
      const refresh = String(issued.json.refresh_token);
      const other = await makeClient(t, { redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
      const stolen = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'refresh_token', refresh_token: refresh },
        { authorization: basic(other.key, other.secret ?? '') },
      );
      assert.equal(stolen.json.error, 'invalid_grant', 'another client cannot use it');
      const ttl = (t.app.config.refreshTokenTtl + 1) * 1000;
      clock.advance(ttl);
      try {
        const late = await postForm(
          `${t.baseUrl}/api/oauth2/token`,
          { grant_type: 'refresh_token', refresh_token: refresh },
          { authorization: basic(app.key, app.secret ?? '') },
        );
        assert.equal(late.status, 400);
        assert.equal(late.json.error, 'invalid_grant');
      } finally {
        clock.advance(-ttl); // OAuth 1.0a timestamps in later tests come from the real clock
      }
    });

    it('RFC 9700 §4.15: a client can neither choose its client_id nor act as a resource owner', async () => {
      const reg = await fetch(`${t.baseUrl}/api/oauth2/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: alice.username, client_name: 'Impostor', redirect_uris: ['https://impostor.example/cb'] }),
      });
      const body = (await reg.json()) as Record<string, unknown>;
      if (reg.status === 201) assert.notEqual(body.client_id, alice.username, 'the server assigns the client_id');
      else assert.equal(body.error, 'invalid_client_metadata');
      const cc = await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.key, app.secret ?? '') });
      assert.equal(cc.status, 200);
      const claims = JSON.parse(Buffer.from(String(cc.json.access_token).split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.sub, app.key, 'RFC 9068 §2.2: a client acting for itself is its own subject');
      assert.equal(await t.app.stores.users.get(String(claims.sub)), undefined, 'no user has that id');
      const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${cc.json.access_token}` } });
      assert.equal(me.status, 401, "a client's own token does not act for a user");
    });

    it('RFC 5849 §4.5, §4.9: no credential is stored in the clear, and generated ones carry 256 random bits', async () => {
      const consumer = await createConsumer(t.app, { name: 'Storage consumer' });
      const { token } = await threeLegged(t.baseUrl, consumer, { username: alice.username, password: alice.password });
      const issued = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'password', username: alice.username, password: alice.password },
        { authorization: basic(app.key, app.secret ?? '') },
      );
      const device = await makeClient(t, {
        public: true,
        redirect_uris: [],
        response_types: [],
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      });
      const started = await postForm(`${t.baseUrl}/api/oauth2/device_code`, { client_id: device.key });
      const reg = await fetch(`${t.baseUrl}/api/oauth2/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Stored', redirect_uris: ['https://stored.example/cb'] }),
      });
      const registered = (await reg.json()) as Record<string, string>;
      const { challenge } = pkce();
      const code = new URL(
        (await jar.fetch(authorizeUrl({ state: 'c', code_challenge: challenge, code_challenge_method: 'S256' }))).headers.get('location') ?? '',
      ).searchParams.get('code');
      const session = /latchkey_session=([^;]+)/.exec(jar.header())?.[1];
      const secrets: Record<string, string | null | undefined> = {
        'client secret': app.secret,
        'consumer secret': consumer.secret,
        'OAuth 1.0a token': token.key,
        'OAuth 1.0a token secret': token.secret,
        'access token': String(issued.json.access_token),
        'refresh token': String(issued.json.refresh_token),
        'device code': String(started.json.device_code),
        'authorization code': code,
        'registered client secret': registered.client_secret,
        'registration access token': registered.registration_access_token,
        'session id': session,
        'user password': alice.password,
      };
      const { db, dialect } = t.app.database;
      const tables =
        dialect === 'sqlite'
          ? (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(db)).rows
          : (await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db)).rows;
      let dump = '';
      for (const { name } of tables) dump += JSON.stringify((await sql`SELECT * FROM ${sql.table(name)}`.execute(db)).rows);
      assert.ok(dump.length > 1000);
      // RFC 5849 §4.9, OIDC Core §16.19: generated secrets carry at least 256 random bits (43 base64url characters).
      for (const generated of [app.secret, token.secret, String(issued.json.refresh_token), registered.client_secret, session]) {
        assert.match(generated ?? '', /^[A-Za-z0-9_-]{43,}$/);
      }
      for (const [name, value] of Object.entries(secrets)) {
        assert.ok(value && value.length >= 8, `${name} was obtained`);
        assert.equal(dump.includes(value), false, `${name} is not stored in the clear`);
      }
    });

    it('RFC 5849 §4.15: a repeated authorization is shown to the user again, never granted silently', async () => {
      const consumer = await createConsumer(t.app, { name: 'Repeat consumer' });
      const browser = new Browser(t.baseUrl);
      for (let round = 0; round < 2; round++) {
        const oauth = npmClient(consumer.key, consumer.secret);
        const rtUrl = `${t.baseUrl}/oauth1/request_token`;
        const rt = await fetch(rtUrl, {
          method: 'POST',
          headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: CALLBACK }) },
        });
        const temp = parseForm(await rt.text());
        let page = await browser.request(`/oauth1/authorize?oauth_token=${encodeURIComponent(temp.oauth_token ?? '')}`);
        page = await browser.signInIfAsked(page, alice.username, alice.password);
        assert.equal(page.leftTo, undefined, `round ${round}: no silent redirect to the consumer`);
        assert.match(page.body, /name="decision" value="allow"/, `round ${round}: the consent page is shown`);
        const answered = await browser.request('/oauth1/authorize', { method: 'POST', form: { ...hiddenInputs(page.body), decision: 'allow' } });
        assert.ok(answered.leftTo?.startsWith(CALLBACK));
      }
    });

    it('RFC 9700 §2.6 / RFC 6797: HSTS and Secure cookies when the issuer is https, neither on plain http', async () => {
      const secure = await startServer({ env: { LATCHKEY_ISSUER: 'https://auth.example.test' } });
      try {
        const res = await fetch(`${secure.baseUrl}/login`);
        assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/);
        assert.ok(
          res.headers.getSetCookie().every((c) => /;\s*Secure/i.test(c)),
          'cookies are Secure',
        );
      } finally {
        await secure.close();
      }
      const plain = await fetch(`${t.baseUrl}/login`);
      assert.equal(plain.headers.get('strict-transport-security'), null);
    });
  });
