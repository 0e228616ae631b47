import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { type Browser, launchBrowser } from '../console/browser.js';
import { httpSignIn } from '../console/http-session.js';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const SYSTEM = { name: 'operator', source: 'test', authority: OPERATOR };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('every user’s personal access tokens in the console', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  const values: Record<string, string> = {};

  async function makeToken(user: string, name: string, scopes: string[]): Promise<string> {
    const res = await fetch(`${srv.baseUrl}/admin/api/me/tokens`, {
      method: 'POST',
      headers: { authorization: basic(user, `${user}-password-long`), 'content-type': 'application/json' },
      body: JSON.stringify({ name, scopes }),
    });
    const body = (await res.json()) as { token: string; id: string };
    assert.equal(res.status, 201);
    values[name] = body.token;
    return body.id;
  }
  const me = (token: string) => fetch(`${srv.baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const rowOf = (name: string) => page.locator(`tbody tr:has(th:text-is("${name}"))`);

  before(async () => {
    srv = await startServer();
    for (const [username, roles] of [
      ['alice', []],
      ['bob', []],
      ['usermgr', ['user_manager']],
      ['secmgr', ['security_manager']],
    ] as const) {
      await srv.app.userAdmin.create({ username, password: `${username}-password-long`, roles: [...roles] }, SYSTEM);
    }
    await makeToken('alice', `deploy ${HOSTILE}`, ['profile']);
    await makeToken('alice', 'nightly', ['profile', 'latchkey:admin']);
    await makeToken('bob', 'bob-ci', ['profile']);
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${srv.baseUrl}/admin/tokens`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/tokens');
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('lists name, owner, scopes and dates of every token, never a value, hostile names as text', async () => {
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'Access tokens' }).getAttribute('aria-current'), 'page');
    await rowOf('bob-ci').waitFor();
    assert.equal(await page.locator('.table-summary').textContent(), '3 tokens');
    const hostile = rowOf(`deploy ${HOSTILE}`);
    assert.equal(await hostile.count(), 1, 'the hostile name is shown as text');
    assert.equal(await page.locator('tbody img').count(), 0);
    const cells = await rowOf('nightly').locator('td').allTextContents();
    assert.equal(cells[0], 'alice');
    assert.equal(cells[1], 'profilelatchkey:admin');
    assert.equal(cells[3], 'Never', 'not used yet');
    assert.match(cells[5] ?? '', /Active/);
    const html = await page.content();
    for (const value of Object.values(values)) assert.ok(!html.includes(value.slice(6, 20)), 'no token value in the page');
    assert.deepEqual(browser.alerts, []);
    assert.deepEqual(browser.errors, []);
  });

  it('shows the last use once it is recorded', async () => {
    const nightly = values.nightly ?? '';
    assert.equal((await me(nightly)).status, 200);
    await srv.app.pats.flushLastUse();
    await page.reload();
    await rowOf('nightly').waitFor();
    const used = await rowOf('nightly').locator('td').nth(3).textContent();
    assert.notEqual(used, 'Never');
  });

  it('filters by owner and says so when no such user exists', async () => {
    await page.getByLabel('Owner (exact username)').fill('bob');
    await page.waitForFunction(() => document.querySelector('.table-summary')?.textContent === '1 token');
    assert.equal(await rowOf('bob-ci').count(), 1);
    assert.equal(new URL(page.url()).searchParams.get('user'), 'bob');
    await page.getByLabel('Owner (exact username)').fill('carol');
    await page.getByText('No user is named “carol”.').waitFor();
    await page.getByLabel('Owner (exact username)').fill('');
    await page.waitForFunction(() => document.querySelector('.table-summary')?.textContent === '3 tokens');
  });

  it('revokes any token after confirming; it is refused at once and leaves the active list', async () => {
    const bobs = values['bob-ci'] ?? '';
    assert.equal((await me(bobs)).status, 200);
    const row = rowOf('bob-ci');
    await row.locator('.menu-button').click();
    await row.getByRole('menuitem', { name: 'Revoke', exact: true }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByRole('heading', { name: 'Revoke the token bob-ci of bob?' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await me(bobs)).status, 200, 'cancelling revokes nothing');
    await row.locator('.menu-button').click();
    await row.getByRole('menuitem', { name: 'Revoke', exact: true }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Revoke token' }).click();
    await rowOf('bob-ci').locator('td', { hasText: 'Revoked' }).waitFor();
    assert.match((await rowOf('bob-ci').locator('td').nth(5).textContent()) ?? '', /by admin/);
    assert.equal(await rowOf('bob-ci').locator('.menu-button').count(), 0, 'a revoked token offers no action');
    assert.equal((await me(bobs)).status, 401);
    await page.getByLabel('Active only').check();
    await page.waitForFunction(() => document.querySelector('.table-summary')?.textContent === '2 tokens');
    assert.equal(await rowOf('bob-ci').count(), 0);
    assert.deepEqual(browser.errors, []);
  });

  it('opens for holders of Manage Users only, as the API does', async () => {
    const table: Array<[string, number]> = [
      ['usermgr', 200],
      ['secmgr', 403],
      ['alice', 403],
    ];
    for (const [user, expected] of table) {
      const session = await httpSignIn(srv.baseUrl, user, `${user}-password-long`);
      const res = await session.get('/admin/tokens');
      assert.equal(res.status, expected, user);
      const nav = await res.text();
      assert.equal(/href="\/admin\/tokens"/.test(nav), expected === 200, `${user}: the navigation offers the page only when it opens`);
      assert.equal((await session.get('/admin/api/tokens')).status, expected, `${user}: the API agrees`);
    }
  });
});
