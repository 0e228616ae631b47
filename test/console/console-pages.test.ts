// The console's server side without a browser: page gating and the "not permitted" page, headers,
// the assets route, escaping in the page shell and on the consent page, the client activity
// endpoint, and the My account forms. Runs on every backend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bundleConsoleRules } from '../../scripts/console-rules.mjs';
import type { Client } from '../../src/core/clients/client.js';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { renderConsentPage } from '../../src/http/pages/consent.js';
import type { SignInSession } from '../../src/http/session.js';
import { backendNames } from '../support/backends.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import { type HttpSession, httpSignIn, sessionFromCookie } from './http-session.js';

const XSS = '<img src=x onerror=alert(1)>';
const SCRIPT_BREAK = '</script><script>alert(1)</script>';
const SYSTEM = { name: 'admin', source: 'test', authority: OPERATOR };

for (const backend of backendNames()) {
  describe(`console pages (${backend})`, () => {
    let srv: TestServer;
    let admin: HttpSession;
    let nobody: HttpSession;
    let userManager: HttpSession;

    before(async () => {
      srv = await startServer({ backend });
      await srv.app.userAdmin.create({ username: 'nobody', password: 'nobody-password', display_name: SCRIPT_BREAK }, SYSTEM);
      await srv.app.userAdmin.create({ username: 'usermgr', password: 'usermgr-password', roles: ['user_manager'] }, SYSTEM);
      await srv.app.userAdmin.create({ username: 'guesser', password: 'guesser-password' }, SYSTEM);
      admin = await httpSignIn(srv.baseUrl, 'admin', ADMIN_PASSWORD);
      nobody = await httpSignIn(srv.baseUrl, 'nobody', 'nobody-password');
      userManager = await httpSignIn(srv.baseUrl, 'usermgr', 'usermgr-password');
    });
    after(() => srv.close());

    it('sends anonymous visitors to /login and back', async () => {
      const res = await fetch(`${srv.baseUrl}/admin/clients?type=oidc`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/login?return_to=%2Fadmin%2Fclients%3Ftype%3Doidc');
    });

    it('serves the clients page with a strict CSP that admits only its own scripts and API calls', async () => {
      const res = await admin.get('/admin/clients');
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const page = await res.text();
      assert.match(page, /<script type="module" src="\/assets\/console\/main\.js"><\/script>/);
      assert.doesNotMatch(page, /<script>|<script type="module">/, 'no inline script');
      const data = JSON.parse(/<script type="application\/json" id="console-data">([^<]*)<\/script>/.exec(page)?.[1] ?? 'null');
      assert.equal(data.page, 'clients');
      assert.deepEqual(data.responseTypes.oauth2, ['code', 'token']);
      // The client form's rules are the server's own code, bundled (see client-settings-bundle.test.ts).
      const rules = await fetch(`${srv.baseUrl}/assets/console/client-settings.js`);
      assert.equal(rules.status, 200);
      assert.equal(await rules.text(), await bundleConsoleRules());
      assert.equal(/<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1], await admin.csrf());
    });

    it('keeps hostile display names inert in the page shell', async () => {
      const page = await (await nobody.get('/admin/account')).text();
      assert.ok(!page.includes(SCRIPT_BREAK), 'the raw text never reaches the page');
      assert.ok(page.includes('&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;'));
      // The JSON data block of a scripted page cannot be closed early either.
      await srv.app.userAdmin.update((await srv.app.stores.users.findByUsername('admin'))!, { display_name: SCRIPT_BREAK }, SYSTEM);
      const shell = await (await admin.get('/admin/audit')).text();
      const block = /<script type="application\/json" id="console-data">([\s\S]*?)<\/script>/.exec(shell)?.[1] ?? '';
      assert.ok(!block.includes('<'), 'no "<" inside the data block');
      assert.equal(JSON.parse(block).user.displayName, SCRIPT_BREAK);
      await srv.app.userAdmin.update((await srv.app.stores.users.findByUsername('admin'))!, { display_name: 'Administrator' }, SYSTEM);
    });

    it('shows a clear "not permitted" page (403) and the API refuses too', async () => {
      for (const path of [
        '/admin/clients',
        '/admin/clients/some-key',
        '/admin/audit',
        '/admin/users',
        '/admin/groups',
        '/admin/directories',
        '/admin/tokens',
      ]) {
        const res = await nobody.get(path);
        assert.equal(res.status, 403, path);
        const page = await res.text();
        assert.match(page, /<h1 id="np-title">.*Not permitted<\/h1>/);
        assert.match(page, /signed in as <strong>nobody<\/strong>/);
        assert.doesNotMatch(page, /href="\/admin\/clients"/, 'the navigation offers only what the user may use');
      }
      assert.equal((await nobody.get('/admin/api/clients')).status, 403);
      assert.equal((await nobody.get('/admin/api/clients/x/activity')).status, 403);
      const home = await nobody.get('/admin');
      assert.equal(home.headers.get('location'), '/admin/account');
      assert.equal((await userManager.get('/admin')).headers.get('location'), '/admin/users');
      assert.equal((await userManager.get('/admin/users')).status, 200);
      const usersPage = await (await userManager.get('/admin/users')).text();
      const usersData = JSON.parse(/<script type="application\/json" id="console-data">([^<]*)<\/script>/.exec(usersPage)?.[1] ?? 'null');
      assert.equal(usersData.page, 'users');
      assert.equal((await userManager.get('/admin/clients')).status, 403);
      // Groups open with Users; Directories are server configuration.
      assert.equal((await userManager.get('/admin/groups')).status, 200);
      assert.equal((await userManager.get('/admin/directories')).status, 403);
      assert.equal((await admin.get('/admin/directories')).status, 200);
      assert.doesNotMatch(usersPage, /href="\/admin\/directories"/, 'a User Manager is not offered Directories');
      assert.match(usersPage, /href="\/admin\/groups"/);
      assert.equal((await admin.get('/admin')).headers.get('location'), '/admin/clients');
      // A Security Manager reads users and changes their roles: the Users page opens, with its roles and permissions.
      await srv.app.userAdmin.create({ username: 'secmgr', password: 'secmgr-password', roles: ['security_manager'] }, SYSTEM);
      const securityManager = await httpSignIn(srv.baseUrl, 'secmgr', 'secmgr-password');
      assert.equal((await securityManager.get('/admin')).headers.get('location'), '/admin/users');
      const secPage = await securityManager.get('/admin/users');
      assert.equal(secPage.status, 200);
      const secData = JSON.parse(/<script type="application\/json" id="console-data">([^<]*)<\/script>/.exec(await secPage.text())?.[1] ?? 'null');
      assert.deepEqual(secData.permissions, ['manage_roles']);
      assert.ok(secData.roles.some((r: { id: string; name: string }) => r.id === 'security_manager' && r.name === 'Security Manager'));
      const denied = await (await nobody.get('/admin/users')).text();
      assert.match(denied, /<strong>Manage Users or Manage Roles<\/strong> permission/);
      assert.match(denied, /<strong>User Manager or Security Manager<\/strong> role/);
    });

    it('serves the console modules with ETags and nothing outside its folder', async () => {
      const res = await fetch(`${srv.baseUrl}/assets/console/main.js`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
      const etag = res.headers.get('etag') ?? '';
      assert.ok(etag);
      assert.equal((await fetch(`${srv.baseUrl}/assets/console/main.js`, { headers: { 'if-none-match': etag } })).status, 304);
      for (const bad of ['..%2F..%2Fpackage.json', '%2e%2e%2flatchkey.css', 'Main.js', 'missing.js', 'main.ts']) {
        assert.equal((await fetch(`${srv.baseUrl}/assets/console/${bad}`)).status, 404, bad);
      }
    });

    it('groups a client’s audit events into status history, changes, use and failures', async () => {
      const { client } = await srv.app.clientAdmin.create({ type: 'oauth2', name: 'Activity', redirect_uris: ['https://a.example/cb'] }, SYSTEM);
      await srv.app.clientAdmin.setStatus(client.key, 'approved', SYSTEM);
      await srv.app.clientAdmin.update(client.key, { name: 'Activity 2' }, SYSTEM);
      const audit = srv.app.stores.audit;
      const at = Date.now();
      await audit.append({
        at,
        actor: 'bob',
        source: '192.0.2.1',
        action: 'consent.grant',
        targetType: 'client',
        target: client.key,
        details: { scopes: ['profile'] },
      });
      for (let i = 0; i < 30; i++) {
        await audit.append({
          at,
          actor: 'anonymous',
          source: '192.0.2.2',
          action: 'client.request_failed',
          targetType: 'client',
          target: client.key,
          details: { reason: `redirect_uri not registered: https://evil.example/${i}` },
        });
      }
      // An event about a user who happens to share the name is not the client's.
      await audit.append({ at, actor: 'x', source: 'x', action: 'user.update', targetType: 'user', target: client.key, details: {} });
      await srv.app.clientAdmin.setStatus(client.key, 'disapproved', SYSTEM);

      const res = await fetch(`${srv.baseUrl}/admin/api/clients/${client.key}/activity`, { headers: { authorization: srv.adminAuth } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, Array<{ action: string; actor: string; reason: string | null }>>;
      assert.deepEqual(
        body.status_history?.map((e) => e.action),
        ['client.disapprove', 'client.approve', 'client.create'],
      );
      assert.deepEqual(
        body.changes?.map((e) => e.action),
        ['client.update'],
      );
      assert.deepEqual(
        body.sign_ins?.map((e) => [e.action, e.actor]),
        [['consent.grant', 'bob']],
      );
      assert.equal(body.failed_requests?.length, 25, 'the newest 25 failures');
      assert.equal(body.failed_requests?.[0]?.reason, 'redirect_uri not registered: https://evil.example/29');
      assert.equal((await fetch(`${srv.baseUrl}/admin/api/clients/${client.key}/activity`)).status, 401);
    });

    it('My account: saves the profile and changes the password with the current one', async () => {
      const elsewhere = await httpSignIn(srv.baseUrl, 'nobody', 'nobody-password');
      const csrf = await nobody.csrf();
      let res = await nobody.postForm('/account/profile', { csrf_token: csrf, display_name: XSS, email: 'not an email' });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /Email: /);
      res = await nobody.postForm('/account/profile', { csrf_token: csrf, display_name: XSS, email: 'nobody@example.com' });
      assert.equal(res.status, 303);
      const page = await (await nobody.get('/admin/account')).text();
      assert.ok(!page.includes(XSS) && page.includes('&#60;img src=x onerror=alert(1)&#62;'), 'the new name is escaped');

      res = await nobody.postForm('/account/password', {
        current_password: 'nobody-password',
        new_password: 'new-password-1',
        confirm_password: 'new-password-1',
      });
      assert.equal(res.status, 400, 'no CSRF token, no change');
      res = await nobody.postForm('/account/password', {
        csrf_token: csrf,
        current_password: 'nobody-password',
        new_password: 'new-password-1',
        confirm_password: 'new-password-2',
      });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /two new passwords differ/);
      const before = nobody.cookie;
      res = await nobody.postForm('/account/password', {
        csrf_token: csrf,
        current_password: 'nobody-password',
        new_password: 'new-password-1',
        confirm_password: 'new-password-1',
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/admin/account?done=password');
      assert.notEqual(nobody.cookie, before, 'this browser gets a fresh session');
      assert.equal((await nobody.get('/admin/account')).status, 200);
      assert.equal((await elsewhere.get('/admin/account')).status, 303, 'other sessions end');
      assert.equal((await sessionFromCookie(srv.baseUrl, before).get('/admin/account')).status, 303, 'the old session ends');
      await httpSignIn(srv.baseUrl, 'nobody', 'new-password-1');
      const events = await srv.app.stores.audit.list({ action: 'user.set_password', target: 'nobody', limit: 5, offset: 0 });
      assert.equal(events.items[0]?.actor, 'nobody');
    });

    it('throttles guessing of the current password', async () => {
      const guesser = await httpSignIn(srv.baseUrl, 'guesser', 'guesser-password');
      const csrf = await guesser.csrf();
      const attempt = (current: string) =>
        guesser.postForm('/account/password', { csrf_token: csrf, current_password: current, new_password: 'whatever-123', confirm_password: 'whatever-123' });
      for (let i = 0; i < 5; i++) assert.equal((await attempt(`wrong-${i}`)).status, 400);
      const blocked = await attempt('guesser-password');
      assert.equal(blocked.status, 429, 'even the right password waits once the limit is reached');
      assert.ok(blocked.headers.get('retry-after'));
    });
  });
}

describe('consent page', () => {
  it('shows a hostile client name as text', () => {
    const session: SignInSession = {
      id: 'x',
      sid: 's',
      csrfToken: 'c',
      authTime: 0,
      expiresAt: 1,
      user: {
        id: 'u',
        username: 'alice',
        displayName: XSS,
        email: null,
        passwordHash: null,
        enabled: true,
        roles: [],
        createdAt: 0,
        updatedAt: 0,
        lastSignInAt: null,
      },
    };
    const client: Pick<Client, 'name' | 'key' | 'type'> = { name: XSS, key: 'k"><script>', type: 'oauth2' };
    const page = renderConsentPage({
      session,
      client,
      scopes: [{ name: 'profile', description: XSS }],
      action: '/oauth2/authorize/decision',
      hidden: { state: '"><img src=x>' },
    });
    assert.ok(!page.includes('<img'), 'no element can be injected');
    assert.ok(!page.includes('"><script>'));
    assert.match(page, /<span class="app-name">&#60;img src=x onerror=alert\(1\)&#62;<\/span>/);
  });
});
