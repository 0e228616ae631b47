// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V3 Web Frontend Security: where the sign-in form sends a browser afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../console/browser.js';
import { CookieJar, formFields, makeUser } from '../oauth2/helpers.js';
import { startServer, type TestServer } from '../support/server.js';

const alice = { username: 'alice-v3', password: 'alice-v3-long-password' };

/** Every C0 control character and DEL. */
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), '\x7f'];

/**
 * return_to values a browser would follow off this server (or that are no URL of it at all). Each
 * must fall back to the home page.
 */
function offSite(origin: string): string[] {
  const host = new URL(origin).host;
  return [
    '/\t/evil.example/x',
    '/\n/evil.example/x',
    '/\r/evil.example/x',
    '\t//evil.example/x',
    '/\r\n/evil.example/x',
    '//evil.example/x',
    '///evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    '/\\/evil.example',
    '\\/evil.example',
    '/\t\\evil.example',
    ' //evil.example',
    '   /\\evil.example',
    '/.//evil.example',
    '/./\\evil.example',
    './/evil.example',
    'https://evil.example/',
    'http://evil.example/x',
    'HTTPS://evil.example',
    'https:evil.example',
    'https:/\\evil.example',
    'ftp://evil.example/',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.domain)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//user@evil.example/',
    '//user:pass@evil.example/',
    `//${host}@evil.example/`,
    `http://${host}@evil.example/`,
    `http://user@${host}/account/applications`,
    'https://xn--exmple-cua.example/',
    'https://еxample.com/',
    '//ｅｖｉｌ.example/',
    '//evil。example/',
    `/${'a'.repeat(5000)}`,
    '',
    // The URL parser drops C0 controls and spaces at either end (and TAB, CR, LF anywhere).
    // (NUL is refused at the edge with 400: see the control-character test.)
    ...CONTROLS.filter((c) => c !== '\x7f' && c !== '\x00').map((c) => `${c}//evil.example/x`),
  ];
}

/** Values that stay on this server: each is kept, re-serialized by the URL parser. */
function local(origin: string): Array<[string, string]> {
  return [
    ['/account/applications', '/account/applications'],
    ['/oauth2/authorize?client_id=abc&scope=openid%20email&state=x', '/oauth2/authorize?client_id=abc&scope=openid%20email&state=x'],
    [`${origin}/account/applications`, '/account/applications'],
    ['account/applications', '/account/applications'],
    ['/%09/evil.example/x', '/%09/evil.example/x'],
    ['/%5cevil.example', '/%5cevil.example'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/ok\x0bX', '/ok%0BX'],
    ['/ok\x01X', '/ok%01X'],
    ['/ok\u007fX', '/ok%7FX'],
    ['/a b', '/a%20b'],
    ['/ünï', '/%C3%BCn%C3%AF'],
    ['/a/../account/applications', '/account/applications'],
    ['/account/applications\r\nSet-Cookie: x=1', '/account/applicationsSet-Cookie:%20x=1'],
  ];
}

/** What a browser makes of a Location or form value: the URL it goes to next, from the login page. */
function browserTarget(value: string, origin: string): URL {
  return new URL(value, `${origin}/login`);
}

/** A value safe to put in a Location header: printable ASCII, one leading slash, no backslash. */
function assertHeaderSafe(value: string, origin: string, what: string): void {
  assert.match(value, /^\/(?![/\\])[\x21-\x7e]*$/, `${what}: ${JSON.stringify(value)} is a plain local path`);
  assert.equal(browserTarget(value, origin).origin, origin, `${what}: ${JSON.stringify(value)} stays on ${origin}`);
}

async function loginPage(t: TestServer, jar: CookieJar, returnTo: string): Promise<{ status: number; returnTo: string; csrf: string }> {
  const res = await jar.fetch(`${t.baseUrl}/login?${new URLSearchParams({ return_to: returnTo })}`);
  const { fields } = formFields(await res.text());
  return { status: res.status, returnTo: fields.return_to ?? '', csrf: fields.csrf_token ?? '' };
}

async function postLogin(t: TestServer, jar: CookieJar, csrf: string, returnTo: string): Promise<Response> {
  return jar.fetch(`${t.baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, return_to: returnTo, ...alice }),
  });
}

describe('V3 redirects after sign-in', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { LATCHKEY_LOGIN_THROTTLE_LIMIT: '1000' } });
    await makeUser(t, alice.username, alice.password);
  });
  after(() => t.close());

  test('V3.7.2 GET /login puts only a local path of this server into the form, whatever return_to says', async () => {
    const jar = new CookieJar();
    for (const value of offSite(t.baseUrl)) {
      const page = await loginPage(t, jar, value);
      assert.equal(page.status, 200, JSON.stringify(value));
      assert.equal(page.returnTo, '/', `return_to=${JSON.stringify(value)} falls back to the home page`);
    }
    for (const [value, kept] of local(t.baseUrl)) {
      const page = await loginPage(t, jar, value);
      assert.equal(page.returnTo, kept, JSON.stringify(value));
      assertHeaderSafe(page.returnTo, t.baseUrl, `form value for ${JSON.stringify(value)}`);
    }
  });

  test('V3.7.2 POST /login redirects only to a local path of this server, and never answers 500', async () => {
    const jar = new CookieJar();
    const { csrf } = await loginPage(t, jar, '/');
    for (const value of offSite(t.baseUrl)) {
      const res = await postLogin(t, jar, csrf, value);
      assert.equal(res.status, 303, `${JSON.stringify(value)}: ${res.status} ${await res.text()}`);
      assert.equal(res.headers.get('location'), '/', `return_to=${JSON.stringify(value)} falls back to the home page`);
    }
    for (const [value, kept] of local(t.baseUrl)) {
      const res = await postLogin(t, jar, csrf, value);
      assert.equal(res.status, 303, `${JSON.stringify(value)}: ${res.status}`);
      const location = res.headers.get('location') ?? '';
      assert.equal(location, kept, JSON.stringify(value));
      assertHeaderSafe(location, t.baseUrl, `Location for ${JSON.stringify(value)}`);
    }
  });

  test('V3.7.2 each C0 control character and DEL, inside or before return_to, leaves the browser on this server and never causes a 500', async () => {
    const jar = new CookieJar();
    const { csrf } = await loginPage(t, jar, '/');
    for (const c of CONTROLS) {
      for (const value of [`/${c}/evil.example/x`, `${c}//evil.example/x`, `/ok${c}`, `${c}/account/applications`]) {
        const what = JSON.stringify(value);
        const page = await loginPage(t, jar, value);
        const res = await postLogin(t, jar, csrf, value);
        if (c === '\x00') {
          // No parameter may hold NUL: refused at the edge, before any route.
          assert.equal(page.status, 400, what);
          assert.equal(res.status, 400, what);
          continue;
        }
        assert.equal(page.status, 200, what);
        assertHeaderSafe(page.returnTo, t.baseUrl, `form value for ${what}`);
        assert.equal(res.status, 303, `${what}: ${res.status}`);
        assertHeaderSafe(res.headers.get('location') ?? '', t.baseUrl, `Location for ${what}`);
      }
    }
  });

  test('V3.7.2 a return_to sent as raw bytes in the query (TAB, VT, SOH, DEL, backslash) is no open redirect either', async () => {
    // fetch would encode these; written as the percent-encoded bytes a link can carry.
    for (const raw of [
      '%2F%09%2Fevil.example%2Fx',
      '%2F%0B%2Fevil.example',
      '%2F%01%2Fevil.example',
      '%5C%5Cevil.example',
      '%2F%7F%2Fevil.example',
      '%20%2F%2Fevil.example',
    ]) {
      const res = await fetch(`${t.baseUrl}/login?return_to=${raw}`);
      assert.equal(res.status, 200, raw);
      const value = formFields(await res.text()).fields.return_to ?? '';
      assertHeaderSafe(value, t.baseUrl, raw);
      assert.equal(browserTarget(value, t.baseUrl).host, new URL(t.baseUrl).host, raw);
    }
  });
});

describe('V3 redirects after sign-in, with an issuer that has a path', () => {
  let t: TestServer;
  const issuer = 'https://sso.example.test/auth';
  before(async () => {
    t = await startServer({ env: { LATCHKEY_ISSUER: issuer, LATCHKEY_LOGIN_THROTTLE_LIMIT: '1000' } });
    await makeUser(t, alice.username, alice.password);
  });
  after(() => t.close());

  test('V3.7.2 return_to must resolve under the issuer path; anything else goes to the issuer home page', async () => {
    const jar = new CookieJar();
    const cases: Array<[string, string]> = [
      ['/auth/account/applications', '/auth/account/applications'],
      [`${issuer}/account/applications?x=1`, '/auth/account/applications?x=1'],
      ['account/applications', '/auth/account/applications'],
      ['/auth', '/auth'],
      ['/account/applications', '/auth/'],
      ['/authx/account', '/auth/'],
      ['/auth/../admin', '/auth/'],
      ['https://sso.example.test/other', '/auth/'],
      ['http://sso.example.test/auth/account', '/auth/'],
      ['//evil.example/auth/', '/auth/'],
      ['/\t/evil.example/auth/', '/auth/'],
    ];
    const { csrf } = await loginPage(t, jar, '/');
    for (const [value, expected] of cases) {
      assert.equal((await loginPage(t, jar, value)).returnTo, expected, `GET ${JSON.stringify(value)}`);
      const res = await postLogin(t, jar, csrf, value);
      assert.equal(res.status, 303, JSON.stringify(value));
      assert.equal(res.headers.get('location'), expected, `POST ${JSON.stringify(value)}`);
    }
  });
});

/** A loopback server answering every request with `answer`; records the paths it was asked for. */
async function loopback(
  answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/favicon.ico') hits.push(req.url ?? '');
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('V3 redirects after sign-in, in a real browser', () => {
  test('V3.7.2 Chromium signing in with return_to "/TAB/evil.example/x" stays on this server, though it reads such a Location as another host', async () => {
    const t = await startServer({ env: { LATCHKEY_LOGIN_THROTTLE_LIMIT: '1000' } });
    await makeUser(t, alice.username, alice.password);
    const evil = await loopback(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'evil' }));
    const bounce = await loopback(() => ({ status: 303, headers: { location: `/\t/evil.example:${evil.port}/control` } }));
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-v3-chromium-'));
    // evil.example resolves to the loopback receiver; every other name fails, so nothing leaves the machine.
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
      headless: true,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // The control: Chromium drops the TAB and follows "//evil.example:…" to the other host.
      await page.goto(`http://127.0.0.1:${bounce.port}/`);
      assert.deepEqual(evil.hits, ['/control'], 'Chromium followed the TAB trick of a naive server');

      await page.goto(`${t.baseUrl}/login?return_to=${encodeURIComponent(`/\t/evil.example:${evil.port}/x`)}`);
      await page.fill('#username', alice.username);
      await page.fill('#password', alice.password);
      await Promise.all([page.waitForURL((url) => url.pathname === '/'), page.click('button[type=submit]')]);
      assert.equal(new URL(page.url()).origin, t.baseUrl, 'the browser is still on Latchkey');
      assert.deepEqual(evil.hits, ['/control'], 'the sign-in never sent the browser to the other host');
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
      for (const s of [evil.server, bounce.server]) s.close();
      await t.close();
    }
  });
});
