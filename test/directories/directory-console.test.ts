// Settings → Directories, Groups and the Users page's sources in Debian's Chromium, against real
// slapd instances: add a directory through the form, order, test, import, disable and remove it;
// native and external groups; the Users filter and conversion. Each step is checked through the
// admin API or a real sign-in, not only by what the page shows.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { type Browser, launchBrowser } from '../console/browser.js';
import { signIn as formSignIn } from '../oauth2/helpers.js';
import { CookieJar } from '../oidc/helpers.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import { type Slapd, startSlapd } from '../support/slapd.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const OPERATOR_ACTOR = { name: 'operator', source: 'test', authority: OPERATOR };

describe('directories, groups and user sources in the console', { timeout: 240_000 }, () => {
  let ldap: Slapd;
  let lab: Slapd;
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  const log: string[] = [];

  async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${srv.baseUrl}${path}`, {
      method,
      headers: { authorization: srv.adminAuth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }
  type Dir = { id: string; name: string; domain: string; enabled: boolean; position: number; health: { last_success_at: string | null } };
  const directories = async () => (await api<{ items: Dir[] }>('GET', '/admin/api/directories')).body.items;
  const signsIn = async (username: string, password: string) => {
    const res = await formSignIn(new CookieJar(), srv.baseUrl, username, password, '/admin/account');
    return res.status === 303 && (res.headers.get('location') ?? '').includes('/admin/account');
  };
  const openDialog = () => page.locator('dialog[open]');
  const rowOf = (name: string) => page.locator(`tbody tr:has(th:has-text("${name}"))`);
  async function rowAction(row: Locator, action: string): Promise<Locator> {
    await row.locator('.menu-button').click();
    await row.getByRole('menuitem', { name: action, exact: true }).click();
    await openDialog().waitFor();
    return openDialog();
  }

  before(async () => {
    [ldap, lab] = await Promise.all([startSlapd(), startSlapd({ suffix: 'dc=lab,dc=test' })]);
    // Debug level: the last test greps every line for the passwords the flows handled.
    srv = await startServer({ env: { LATCHKEY_LOG_LEVEL: 'debug' }, log });
    // The lab directory comes in through the API; the corp one is added through the form below.
    const created = await api('POST', '/admin/api/directories', {
      name: 'Lab',
      domain: 'lab',
      host: '127.0.0.1',
      port: lab.port,
      bind_dn: lab.serviceDn,
      bind_password: lab.servicePassword,
      users: { base_dn: lab.peopleDn },
      connect_timeout_ms: 1000,
      read_timeout_ms: 2000,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${srv.baseUrl}/admin/directories`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/directories');
  });

  afterEach(async () => {
    while ((await page.locator('dialog[open]').count()) > 0) await page.keyboard.press('Escape');
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    await Promise.all([ldap?.cleanup(), lab?.cleanup()]);
  });

  it('the navigation offers Groups and Directories', async () => {
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Directories' }).getAttribute('aria-current'), 'page');
    assert.equal(await nav.getByRole('link', { name: 'Groups' }).count(), 1);
  });

  it('adds a directory through the form; field problems show on their fields; the password is never shown', async () => {
    await page.getByRole('button', { name: '+ Add directory' }).click();
    const d = openDialog();
    await d.getByLabel('Name', { exact: true }).fill(`Corp ${HOSTILE}`);
    await d.getByLabel('Domain', { exact: true }).fill('internal');
    await d.getByLabel('Server address').fill('ldap://127.0.0.1');
    await d.getByLabel('Port').fill(String(ldap.port));
    await d.getByLabel('Connection security').selectOption('none');
    await d.getByLabel('Bind DN').fill(ldap.serviceDn);
    await d.getByLabel('Bind password').fill(ldap.servicePassword);
    await d.getByLabel('User base DN').fill(ldap.peopleDn);
    await d.getByLabel('Connect timeout (ms)').fill('1000');
    await d.getByLabel('Read timeout (ms)').fill('2000');
    await d.getByRole('button', { name: 'Add directory' }).click();
    // The reserved domain and a host with a scheme are refused, each on its own field.
    await d.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await d.getByLabel('Domain', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await d.getByLabel('Server address').getAttribute('aria-invalid'), 'true');
    await d.getByLabel('Domain', { exact: true }).fill('corp');
    await d.getByLabel('Server address').fill('127.0.0.1');
    await d.getByRole('button', { name: 'Add directory' }).click();
    await d.waitFor({ state: 'detached' });
    await rowOf('Corp').waitFor();
    const list = await directories();
    assert.deepEqual(
      list.map((x) => [x.domain, x.position]),
      [
        ['lab', 0],
        ['corp', 1],
      ],
    );
    assert.equal(list[1]?.name, `Corp ${HOSTILE}`, 'the name is stored as typed');
    assert.ok(!(await page.content()).includes(ldap.servicePassword), 'the bind password is not in the page');
    assert.equal(browser.alerts.length, 0, 'the hostile name stays text');
    assert.equal(await signsIn('alice', 'alice-pw-1'), false, 'not created on sign-in: the form left that off');
  });

  it('moves a directory up with its arrow; the API shows the new order', async () => {
    await rowOf('Corp')
      .getByRole('button', { name: /^Move Corp .* up$/ })
      .click();
    await page.waitForFunction(() => document.querySelector('tbody tr th')?.textContent?.startsWith('Corp'));
    assert.deepEqual(
      (await directories()).map((x) => x.domain),
      ['corp', 'lab'],
    );
    // At the top the arrow is disabled and the focus moved on to the row's menu.
    assert.equal(await rowOf('Corp').getByRole('button', { name: /up$/ }).isDisabled(), true);
  });

  it('tests the connection, and a user’s sign-in showing the attributes and groups found', async () => {
    let d = await rowAction(rowOf('Corp'), 'Test connection');
    await d.getByText('The directory answered and the bind succeeded.').waitFor();
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    await page.waitForFunction(() => !/Not contacted yet/.test(document.querySelector('tbody tr')?.textContent ?? ''));
    assert.ok((await directories()).find((x) => x.domain === 'corp')?.health.last_success_at, 'health recorded');

    d = await rowAction(rowOf('Corp'), 'Test a user’s sign-in');
    await d.getByLabel('Username').fill('alice');
    await d.getByLabel('Password (optional)').fill('wrong-password');
    await d.getByRole('button', { name: 'Test', exact: true }).click();
    await d.getByText(/refused the password/).waitFor();
    await d.getByLabel('Password (optional)').fill('alice-pw-1');
    await d.getByRole('button', { name: 'Test', exact: true }).click();
    await d.getByText('this user can sign in', { exact: false }).waitFor();
    const text = (await d.textContent()) ?? '';
    for (const expected of ['Alice Liddell', 'alice@example.org', 'Liddell', 'backend', 'admins', ldap.userDn('alice')])
      assert.ok(text.includes(expected), expected);
    assert.equal(await d.getByLabel('Password (optional)').inputValue(), '', 'the password is not kept in the form');
    await d.getByLabel('Username').fill(')(uid=*');
    await d.getByLabel('Password (optional)').fill('');
    await d.getByRole('button', { name: 'Test', exact: true }).click();
    await d.getByText('does not know this user').waitFor();
    assert.equal(await srv.app.stores.users.findByUsername('alice'), undefined, 'testing creates no user');
  });

  it('imports users and groups with a preview; imported users sign in and appear as external', async () => {
    const d = await rowAction(rowOf('Corp'), 'Import users and groups');
    await d.getByText(/^Users \(\d+\)$/).waitFor();
    await d.getByLabel(/^alice — Alice Liddell/).check();
    await d.getByLabel(/^bob — Bob Builder/).check();
    await d.getByLabel('admins', { exact: true }).check();
    await d.getByRole('button', { name: 'Import selected' }).click();
    await d.getByText('Imported 2 users and 1 group.').waitFor();
    await d.getByText('imported as alice').waitFor();
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    const alice = await srv.app.stores.users.findByUsername('alice');
    assert.equal(alice?.source?.domain, 'corp');
    assert.equal(await signsIn('alice', 'alice-pw-1'), true);
    assert.equal(await signsIn('bob', 'bob-pw-2'), true);
  });

  it('external groups: members follow the directory and cannot be edited; roles given here reach the members', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Groups' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/groups');
    const admins = rowOf('admins');
    await admins.waitFor();
    assert.match((await admins.textContent()) ?? '', /External \(corp\)/);
    let d = await rowAction(admins, 'Members (from the directory)');
    await d.locator('.member-list li', { hasText: 'alice' }).waitFor();
    assert.equal(await d.getByLabel('Add a user by username').count(), 0, 'no way to add a member by hand');
    assert.equal(await d.getByRole('button', { name: /^Remove / }).count(), 0, 'no way to remove one');
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    await d.waitFor({ state: 'detached' });

    d = await rowAction(admins, 'Edit roles');
    assert.equal(await d.getByLabel('Name').isDisabled(), true, 'the directory names it');
    await d.getByLabel('Server Administrator').check();
    await d.getByRole('button', { name: 'Save' }).click();
    await d.waitFor({ state: 'detached' });
    const alice = await srv.app.stores.users.findByUsername('alice');
    assert.deepEqual(alice?.groupRoles, ['server_administrator']);
    // The API refuses a hand-made change to the membership too.
    const group = (await api<{ items: Array<{ id: string; name: string }> }>('GET', '/admin/api/groups?kind=external')).body.items.find(
      (g) => g.name === 'admins',
    );
    assert.equal((await api('POST', `/admin/api/groups/${group?.id}/members`, { username: 'bob' })).status, 409);
  });

  it('native groups: create one, add and remove members, give it a role', async () => {
    await page.getByRole('button', { name: '+ Create group' }).click();
    let d = openDialog();
    await d.getByLabel('Name').fill('Release managers');
    await d.getByLabel('Description (optional)').fill(HOSTILE);
    await d.getByLabel('User Manager').check();
    await d.getByRole('button', { name: 'Create group' }).click();
    await d.waitFor({ state: 'detached' });
    const row = rowOf('Release managers');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Native.*User Manager/s);

    d = await rowAction(row, 'Members');
    await d.getByLabel('Add a user by username').fill('nobody-here');
    await d.getByRole('button', { name: 'Add member' }).click();
    await d.locator('.form-error:not([hidden])').waitFor();
    await d.getByLabel('Add a user by username').fill('bob');
    await d.getByRole('button', { name: 'Add member' }).click();
    await d.getByRole('button', { name: 'Remove bob from Release managers' }).waitFor();
    assert.deepEqual((await srv.app.stores.users.findByUsername('bob'))?.groupRoles, ['user_manager']);
    await d.getByRole('button', { name: 'Remove bob from Release managers' }).click();
    await d.getByText('No members.').waitFor();
    assert.equal((await srv.app.stores.users.findByUsername('bob'))?.groupRoles, undefined, 'leaving the group takes its role away');
    assert.equal(browser.alerts.length, 0);
  });

  it('Users shows the source and filters by it; converts a user both ways', async () => {
    await srv.app.userAdmin.create({ username: 'dave', password: 'dave-password-1', roles: [] }, OPERATOR_ACTOR);
    await ldap.addUser({ uid: 'dave', cn: 'Dave Directory', givenName: 'Dave', sn: 'Directory', mail: 'dave@example.org', password: 'dave-ldap-pw' });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/users');
    await rowOf('alice').waitFor();
    assert.match((await rowOf('alice').textContent()) ?? '', /External.*Corp.*\(corp\)/s);
    assert.match((await rowOf('alice').textContent()) ?? '', /from groups: Server Administrator/);
    assert.match((await rowOf('dave').textContent()) ?? '', /Internal/);

    const names = async () => page.locator('tbody th').evaluateAll((ths) => ths.map((t) => t.firstChild?.textContent ?? ''));
    await page.getByLabel('Source').selectOption('external');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('source') === 'external');
    await page.waitForFunction(() => !document.querySelector('tbody')?.textContent?.includes('dave'));
    assert.deepEqual((await names()).sort(), ['alice', 'bob']);
    await page.getByLabel('Source').selectOption('internal');
    await page.waitForFunction(() => !document.querySelector('tbody')?.textContent?.includes('alice'));
    assert.deepEqual((await names()).sort(), ['admin', 'dave']);

    // Internal → external: dave signs in with the directory's password from now on.
    let d = await rowAction(rowOf('dave'), 'Make external…');
    await d.getByLabel(/^Corp/).check();
    await d.getByRole('button', { name: 'Make external' }).click();
    await d.waitFor({ state: 'detached' });
    assert.equal(await signsIn('dave', 'dave-password-1'), false);
    assert.equal(await signsIn('dave', 'dave-ldap-pw'), true);
    // External → internal: setting a password.
    await page.getByLabel('Source').selectOption('');
    await rowOf('dave').waitFor();
    await page.waitForFunction(() => /External/.test(document.querySelector('tbody tr:has(th) + tr, tbody')?.textContent ?? ''));
    d = await rowAction(rowOf('dave'), 'Set a password (make internal)');
    assert.match((await d.textContent()) ?? '', /becomes an internal user/);
    await d.getByLabel('New password').fill('dave-password-2');
    await d.getByLabel('Re-type password').fill('dave-password-2');
    await d.getByRole('button', { name: 'Reset password' }).click();
    await d.waitFor({ state: 'detached' });
    assert.equal((await srv.app.stores.users.findByUsername('dave'))?.source, undefined);
    assert.equal(await signsIn('dave', 'dave-password-2'), true);
  });

  it('disables and removes a directory from the console', async () => {
    await page.goto(`${srv.baseUrl}/admin/directories`);
    let d = await rowAction(rowOf('Corp'), 'Disable');
    assert.match((await d.textContent()) ?? '', /stay signed in until they sign out/);
    await d.getByRole('button', { name: 'Disable' }).click();
    await d.waitFor({ state: 'detached' });
    await page.waitForFunction(() => /Disabled/.test(document.querySelector('tbody')?.textContent ?? ''));
    assert.equal((await directories()).find((x) => x.domain === 'corp')?.enabled, false);
    assert.equal(await signsIn('alice', 'alice-pw-1'), false, 'nobody else knows alice');

    d = await rowAction(rowOf('Corp'), 'Remove');
    const confirm = d.getByRole('button', { name: 'Remove directory' });
    assert.equal(await confirm.isDisabled(), true, 'the domain must be typed');
    await d.getByLabel('Type the name to confirm').fill('corp');
    await confirm.click();
    await d.waitFor({ state: 'detached' });
    await page.waitForFunction(() => !/Corp/.test(document.querySelector('tbody')?.textContent ?? ''));
    assert.deepEqual(
      (await directories()).map((x) => x.domain),
      ['lab'],
    );
    const alice = await srv.app.stores.users.findByUsername('alice');
    assert.equal(alice?.enabled, false, 'its users are disabled, not deleted');
  });

  it('a User Manager sees Users and Groups but not Directories', async () => {
    await srv.app.userAdmin.create({ username: 'umgr', password: 'umgr-password-1', roles: ['user_manager'] }, OPERATOR_ACTOR);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${srv.baseUrl}/admin/groups`);
    await page.getByLabel('Username').fill('umgr');
    await page.getByLabel('Password').fill('umgr-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/groups');
    await rowOf('Release managers').waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Directories' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 1);
    const res = await page.goto(`${srv.baseUrl}/admin/directories`);
    assert.equal(res?.status(), 403);
  });

  it('logs none of the passwords it handled, at debug level', () => {
    assert.ok(log.length > 50, `the log was collected (${log.length} lines)`);
    const secrets = [
      ADMIN_PASSWORD,
      ldap.servicePassword,
      lab.servicePassword,
      'alice-pw-1',
      'bob-pw-2',
      'wrong-password',
      'dave-password-1',
      'dave-password-2',
      'dave-ldap-pw',
      'umgr-password-1',
    ];
    for (const secret of secrets) {
      const leaked = log.filter((line) => line.includes(secret) || line.includes(encodeURIComponent(secret)));
      assert.deepEqual(leaked, [], secret);
    }
  });

  it('raised no script errors and no JavaScript dialogs', () => {
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.alerts, []);
  });
});
