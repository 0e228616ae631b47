// The admin console in Debian's Chromium: the whole client key life cycle through the UI, checked
// against the real token endpoint and API; users, audit log, permissions, escaping, keyboard use.
// One browser for the whole file. Screenshots go to docs/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ADMIN_PASSWORD, ManualClock, type TestServer } from '../support/server.js';
import { type Browser, launchBrowser } from './browser.js';
import { startDeterministicServer } from './deterministic.js';

const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;
const XSS_NAME = '<img src=x onerror=alert(1)>';
const NARROW = { width: 390, height: 844 };
const WIDE = { width: 1280, height: 900 };

/** Fixed time and seeded keys: the screenshots only change when the console's looks do. */
const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 30));
let srv: TestServer;
let browser: Browser;
let page: Page;
/** Whether the OAuth 2.0 token endpoint and /api/me exist in this build (they come from the OAuth 2.0 module). */
let hasTokenEndpoint = false;
let hasApiMe = false;

const keys: Record<'oauth1' | 'oauth2' | 'oidc', string> = { oauth1: '', oauth2: '', oidc: '' };
let oauth2Secret = '';

async function signIn(p: Page, username: string, password: string, path = '/admin/clients'): Promise<void> {
  await p.goto(`${srv.baseUrl}${path}`);
  assert.match(new URL(p.url()).pathname, /^\/login$/, 'an anonymous visit goes to the sign-in page');
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL((u) => u.pathname !== '/login');
}

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out' }).click();
  await p.waitForURL(/\/login/);
}

/**
 * Writes a screenshot that is the same on every run: no hover, no caret, no animation, and focus
 * left in place only inside a dialog (where it shows which field is active).
 */
async function shoot(name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.mouse.move(0, 0);
  await page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    if (active && !active.closest('dialog')) active.blur();
  });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: options.fullPage ?? false, caret: 'hide', animations: 'disabled' });
}

const openDialog = () => page.locator('dialog[open]');
const row = (key: string) => page.locator(`tr[data-key="${key}"]`);

async function rowAction(key: string, action: string): Promise<void> {
  await row(key).locator('.menu-button').click();
  await row(key).getByRole('menuitem', { name: action, exact: true }).click();
  await openDialog().waitFor();
}

async function waitTable(): Promise<void> {
  await page.locator('#table-summary:not(:empty)').waitFor();
  await page.waitForFunction(() => !document.querySelector('.table-host[aria-busy]'));
}

async function showTab(type: 'oauth1' | 'oauth2' | 'oidc'): Promise<void> {
  await page.locator(`#tab-${type}`).click();
  await page.waitForFunction((t) => new URL(location.href).searchParams.get('type') === t, type);
  await waitTable();
}

/** Reads the key and secret shown once after Save, then closes the dialog with Done. */
async function readCreated(dialog: Locator): Promise<{ key: string; secret: string }> {
  await dialog.locator('.created-key').waitFor();
  const key = (await dialog.locator('.created-key').textContent()) ?? '';
  const secret = (await dialog.locator('.created-secret').count()) ? ((await dialog.locator('.created-secret').textContent()) ?? '') : '';
  const snippet = (await dialog.locator('.snippet').textContent()) ?? '';
  assert.ok(snippet.includes(key), 'the configuration snippet carries the key');
  if (secret) assert.ok(snippet.includes(secret), 'the configuration snippet carries the secret');
  return { key, secret };
}

async function token(clientKey: string, secret: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${srv.baseUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientKey)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function routeExists(method: string, path: string): Promise<boolean> {
  const res = await fetch(`${srv.baseUrl}${path}`, { method });
  const body = (await res.json().catch(() => ({}))) as { error_description?: string };
  return !(res.status === 404 && /^no route/.test(body.error_description ?? ''));
}

describe('admin console in Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    srv = await startDeterministicServer(clock, 'latchkey-console-suite');
    browser = await launchBrowser();
    page = browser.page;
    hasTokenEndpoint = await routeExists('POST', '/api/oauth2/token');
    hasApiMe = await routeExists('GET', '/api/me');
    // A few keys in every state, so the table and its screenshots look like a real registry.
    const actor = { name: 'admin', source: '127.0.0.1' };
    const seed = [
      { type: 'oauth2', name: 'Payroll portal', redirect_uris: ['https://payroll.example.com/oauth/callback'], status: 'approved' },
      { type: 'oauth2', name: 'Release dashboard', redirect_uris: ['https://release.example.com/cb', 'http://127.0.0.1:8765/cb'], status: 'pending' },
      {
        type: 'oauth2',
        name: 'Legacy importer',
        redirect_uris: ['https://import.example.com/cb'],
        grant_types: ['authorization_code', 'password'],
        status: 'disapproved',
      },
      { type: 'oidc', name: 'Team wiki', redirect_uris: ['https://wiki.example.com/login/callback'], status: 'approved' },
      { type: 'oauth1', name: 'OSLC bridge', callback_url: 'https://oslc.example.com/callback', status: 'approved' },
    ] as const;
    for (const { status, ...input } of seed) {
      clock.advance(5 * 3600_000);
      const { client } = await srv.app.clientAdmin.create(input, actor);
      if (status !== 'pending') await srv.app.clientAdmin.setStatus(client.key, status, actor);
    }
  });

  // A failed step must not leave a dialog over the page for the next one.
  afterEach(async () => {
    clock.advance(7 * 60_000);
    while ((await page.locator('dialog[open]').count()) > 0) await page.keyboard.press('Escape');
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('signs in as admin through /login and lands on Settings → OAuth clients', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/admin/clients');
    await waitTable();
    assert.equal(await page.getByRole('tab', { selected: true }).getAttribute('id'), 'tab-oauth2');
    assert.equal(await page.locator('#keys-title').textContent(), 'Client keys');
    assert.match((await page.locator('#tab-oauth2').textContent()) ?? '', /1 pending/, 'the tab counts pending keys');
  });

  it('creates an OAuth 1.0a consumer, shown once, then pending in Consumer keys', async () => {
    await page.getByRole('button', { name: 'Create client' }).click();
    const dialog = openDialog();
    await dialog.getByLabel('OAuth 1.0a').check();
    await dialog.getByLabel('Consumer name').fill('Build server');
    await dialog.getByLabel('Consumer secret').fill('consumer-secret-0123456789');
    await dialog.getByLabel('Re-type secret').fill('consumer-secret-01234567');
    await dialog.getByRole('button', { name: 'Save' }).click();
    assert.match((await dialog.locator('.field-error:visible').allTextContents()).join(' '), /two secrets differ/, 'mismatched secrets are caught');
    await dialog.getByLabel('Re-type secret').fill('consumer-secret-0123456789');
    await dialog.getByLabel('Callback URL (optional)').fill('https://build.example.com/oauth/callback');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const { key, secret } = await readCreated(dialog);
    assert.equal(secret, 'consumer-secret-0123456789');
    assert.match((await dialog.textContent()) ?? '', /shown only this once/);
    keys.oauth1 = key;
    await dialog.getByRole('button', { name: 'Done' }).click();
    await waitTable();
    assert.equal(await page.locator('#keys-title').textContent(), 'Consumer keys', 'the table switched to the new key type');
    assert.match((await row(key).textContent()) ?? '', /Pending/);
    assert.match((await row(key).textContent()) ?? '', /build\.example\.com/);
    assert.match((await page.locator('#tab-oauth1').textContent()) ?? '', /1 pending/);
  });

  it('creates an OpenID Connect client with live redirect URI checks and BCP warnings', async () => {
    await page.getByRole('button', { name: 'Create client' }).click();
    const dialog = openDialog();
    await dialog.getByLabel('OpenID Connect').check();
    await dialog.getByLabel('Client name').fill('Wiki single sign-on');
    await dialog.getByLabel('Client secret').fill('wiki-sso-secret-2026-03');
    await dialog.getByLabel('Re-type secret').fill('wiki-sso-secret-2026-03');
    const uris = dialog.getByLabel('Redirect URIs', { exact: true });
    await uris.fill('https://wiki.example.com/cb\nhttp://wiki.example.com/cb');
    await dialog.locator('.uri-problems li').first().waitFor();
    assert.match(
      (await dialog.locator('.uri-problems').textContent()) ?? '',
      /Line 2: "http:\/\/wiki\.example\.com\/cb" uses http on a host that is not loopback/,
    );
    assert.equal(await uris.getAttribute('aria-invalid'), 'true');
    await uris.fill('https://wiki.example.com/cb\nhttp://127.0.0.1:9000/cb');
    assert.equal(await dialog.locator('.uri-problems li').count(), 0, 'fixed URIs clear the problems as you type');
    // Response types come from the OIDC table; token-returning ones carry the BCP warning.
    const responseLabels = await dialog.locator('fieldset:has(legend:text("Response types")) label').allTextContents();
    assert.deepEqual(responseLabels, ['code', 'code id_token', 'code id_token token', 'code token', 'id_token', 'id_token token']);
    assert.match(
      (await dialog.locator('fieldset:has(legend:text("Grant types"))').textContent()) ?? '',
      /password⚠ .*RFC 9700 §2\.4\) says not to use this grant/,
    );
    const warned = await dialog.locator('.warning-inline').allTextContents();
    assert.equal(warned.filter((w) => /RFC 9700 §2\.1\.2/.test(w)).length, 3, 'code token, id_token token and code id_token token are warned about');
    await shoot('create-dialog-1280');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const { key, secret } = await readCreated(dialog);
    assert.equal(secret, 'wiki-sso-secret-2026-03');
    assert.match((await dialog.locator('.snippet').textContent()) ?? '', /openid-configuration/);
    keys.oidc = key;
    await page.keyboard.press('Escape');
    await openDialog().waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'create-client', 'focus returns to Create client');
    await waitTable();
    assert.match((await row(key).textContent()) ?? '', /Pending/);
  });

  it('creates an OAuth 2.0 client for the token endpoint checks', async () => {
    await page.getByRole('button', { name: 'Create client' }).click();
    const dialog = openDialog();
    await dialog.getByLabel('OAuth 2.0').check();
    await dialog.getByLabel('Client name').fill('Reports');
    await dialog.getByLabel('Client secret').fill('first-secret-of-reports-0001');
    await dialog.getByLabel('Re-type secret').fill('first-secret-of-reports-0001');
    await dialog.getByLabel('Redirect URIs', { exact: true }).fill('https://reports.example.com/callback');
    await dialog.getByLabel('password', { exact: true }).check();
    await dialog.getByLabel('client_credentials', { exact: true }).check();
    // RFC 8707 resources: a relative value is refused on its field, by the server's rule.
    const resources = dialog.getByLabel('Resources (optional)');
    await resources.fill('reports-api');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('textarea[aria-invalid="true"]').waitFor();
    assert.equal(await resources.getAttribute('aria-invalid'), 'true');
    await resources.fill('https://reports-api.example.com/\nhttps://archive.example.com/v1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const { key, secret } = await readCreated(dialog);
    keys.oauth2 = key;
    oauth2Secret = secret;
    await dialog.getByRole('button', { name: 'Done' }).click();
    await showTab('oauth2');
    assert.match((await row(key).textContent()) ?? '', /Pending/);
    assert.match((await row(key).textContent()) ?? '', /password, refresh_token, client_credentials/);
    const api = (await (await fetch(`${srv.baseUrl}/admin/api/clients/${key}`, { headers: { authorization: srv.adminAuth } })).json()) as {
      status: string;
      resources: string[];
    };
    assert.equal(api.status, 'pending');
    assert.deepEqual(api.resources, ['https://reports-api.example.com/', 'https://archive.example.com/v1']);
    if (hasTokenEndpoint) {
      const r = await token(key, secret, { grant_type: 'client_credentials' });
      assert.equal(r.status, 401, 'a pending key cannot obtain tokens');
      assert.equal(r.body.error, 'invalid_client');
    }
  });

  it('approves each key through the row menu behind a confirmation dialog', async () => {
    for (const type of ['oauth1', 'oidc', 'oauth2'] as const) {
      await showTab(type);
      await rowAction(keys[type], 'Approve');
      const dialog = openDialog();
      assert.match((await dialog.textContent()) ?? '', /usable at once/);
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await dialog.waitFor({ state: 'detached' });
      await waitTable();
      assert.match((await row(keys[type]).textContent()) ?? '', /✓ Approved/);
      assert.equal(
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.focusKey),
        `menu:${keys[type]}`,
        'focus returns to the row menu',
      );
    }
    assert.doesNotMatch((await page.locator('#tab-oidc').textContent()) ?? '', /pending/);
    await shoot('clients-table-1280', { fullPage: true });
    await page.setViewportSize(NARROW);
    await shoot('clients-table-390', { fullPage: true });
    await page.getByRole('button', { name: 'Create client' }).click();
    await openDialog().getByLabel('Client name').fill('Mobile app');
    await shoot('create-dialog-390');
    await page.keyboard.press('Escape');
    await page.setViewportSize(WIDE);
  });

  it('edits an OAuth 1.0a consumer and creates a public client without a secret', async () => {
    await showTab('oauth1');
    await rowAction(keys.oauth1, 'Edit');
    let dialog = openDialog();
    assert.equal(await dialog.getByLabel('Callback URL (optional)').inputValue(), 'https://build.example.com/oauth/callback');
    await dialog.getByLabel('Callback URL (optional)').fill('http://build.example.com/cb');
    await dialog.getByRole('button', { name: 'Save' }).click();
    assert.match((await dialog.locator('.field-error:visible').allTextContents()).join(' '), /not loopback/);
    await dialog.getByLabel('Callback URL (optional)').fill('oob');
    await dialog.getByRole('button', { name: 'Save' }).click();
    assert.match((await dialog.locator('.confirm-changes').textContent()) ?? '', /Callback URL: "oob"/);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitTable();
    assert.match((await row(keys.oauth1).textContent()) ?? '', /oob/);

    await page.getByRole('button', { name: 'Create client' }).click();
    dialog = openDialog();
    await dialog.getByLabel('OAuth 2.0').check();
    await dialog.getByLabel('Public').check();
    assert.equal(await dialog.getByLabel('Client secret').count(), 0, 'a public client has no secret field');
    assert.equal(await dialog.getByLabel('password', { exact: true }).isDisabled(), true, 'nor the password grant');
    assert.equal(await dialog.getByLabel('Require PKCE').isChecked(), true);
    await dialog.getByLabel('Client name').fill('Command-line tool');
    await dialog.getByLabel('Redirect URIs', { exact: true }).fill('http://127.0.0.1/callback');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.locator('.created-key').waitFor();
    assert.match((await dialog.textContent()) ?? '', /none \(public client\)/);
    assert.match((await dialog.locator('.snippet').textContent()) ?? '', /"token_endpoint_auth_method": "none"/);
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('edits the name and secret: the old secret stops working at the token endpoint', async (t) => {
    const key = keys.oauth2;
    if (hasTokenEndpoint) {
      const before = await token(key, oauth2Secret, { grant_type: 'client_credentials' });
      assert.equal(before.status, 200, `the approved client obtains a token: ${JSON.stringify(before.body)}`);
    } else t.diagnostic('no /api/oauth2/token in this build: secret change checked through the UI only');
    await rowAction(key, 'Edit');
    const dialog = openDialog();
    const editableKey = await dialog.evaluate((d, k) => [...d.querySelectorAll('input, textarea')].some((i) => (i as HTMLInputElement).value === k), key);
    assert.equal(editableKey, false, 'the key is not an editable field');
    await dialog.getByLabel('Client name').fill('Reports v2');
    await dialog.getByRole('button', { name: 'Generate' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    const summary = (await dialog.locator('.confirm-changes').textContent()) ?? '';
    assert.match(summary, /Name: "Reports" becomes "Reports v2"/);
    assert.match(summary, /old secret stops working at once/);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.locator('.created-secret').waitFor();
    const newSecret = (await dialog.locator('.created-secret').textContent()) ?? '';
    assert.notEqual(newSecret, oauth2Secret);
    assert.match(newSecret, /^[A-Za-z0-9_-]{43}$/, 'Generate makes a 256-bit base64url secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await waitTable();
    assert.match((await row(key).textContent()) ?? '', /Reports v2/);
    if (hasTokenEndpoint) {
      const old = await token(key, oauth2Secret, { grant_type: 'client_credentials' });
      assert.equal(old.status, 401, 'the old secret is refused');
      assert.equal(old.body.error, 'invalid_client');
      const fresh = await token(key, newSecret, { grant_type: 'client_credentials' });
      assert.equal(fresh.status, 200, 'the new secret works');
    }
    oauth2Secret = newSecret;
  });

  it('disapproves it: an access token it already holds is rejected by /api/me', async (t) => {
    const key = keys.oauth2;
    let accessToken = '';
    if (hasTokenEndpoint && hasApiMe) {
      const r = await token(key, oauth2Secret, { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD, scope: 'profile' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      accessToken = String(r.body.access_token);
      const me = await fetch(`${srv.baseUrl}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(me.status, 200);
    } else t.diagnostic('no token endpoint or /api/me in this build: cut-off checked through the UI only');
    await rowAction(key, 'Disapprove');
    const dialog = openDialog();
    assert.match((await dialog.textContent()) ?? '', /every access token, refresh token, authorization code and grant/);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'a destructive dialog starts on Cancel');
    await dialog.getByRole('button', { name: 'Disapprove and cut off' }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitTable();
    assert.match((await row(key).textContent()) ?? '', /✕ Disapproved/);
    if (accessToken) {
      const me = await fetch(`${srv.baseUrl}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(me.status, 401, 'the token was cut off');
    }
  });

  it('shows the detail view: settings, status history, failed requests with their reason', async () => {
    const key = keys.oauth2;
    // The protocol modules record refused requests like this (targetType client, details.reason).
    await srv.app.stores.audit.append({
      at: clock.now(),
      actor: 'anonymous',
      source: '192.0.2.10',
      action: 'client.request_failed',
      targetType: 'client',
      target: key,
      details: { reason: 'redirect_uri not registered: https://evil.example/cb', endpoint: '/oauth2/authorize' },
    });
    await row(key).getByRole('link', { name: 'Reports v2' }).click();
    await page.waitForURL(`**/admin/clients/${key}`);
    await page.locator('#history-title').waitFor();
    const history = (await page.locator('section:has(#history-title)').textContent()) ?? '';
    assert.match(history, /Created \(pending approval\)/);
    assert.match(history, /Approved.*admin/s);
    assert.match(history, /Disapproved.*admin/s);
    const failures = (await page.locator('section:has(#failures-title)').textContent()) ?? '';
    assert.match(failures, /redirect_uri not registered: https:\/\/evil\.example\/cb/);
    const settings = (await page.locator('section:has(#settings-title)').textContent()) ?? '';
    assert.match(settings, /https:\/\/reports\.example\.com\/callback/);
    assert.match(settings, /password, refresh_token, client_credentials/);
    assert.match((await page.locator('section:has(#changes-title)').textContent()) ?? '', /name, secret/);
    await shoot('client-detail-1280', { fullPage: true });
    await page.setViewportSize(NARROW);
    await shoot('client-detail-390', { fullPage: true });
    await page.setViewportSize(WIDE);
  });

  it('removes it only after the name is typed, and the key is gone', async () => {
    const key = keys.oauth2;
    await page.getByRole('button', { name: 'Remove' }).click();
    const dialog = openDialog();
    assert.match((await dialog.textContent()) ?? '', /cannot be undone/);
    const confirm = dialog.getByRole('button', { name: 'Remove for good' });
    assert.equal(await confirm.isDisabled(), true, 'Remove stays disabled until the name is typed');
    await dialog.getByLabel('Type the name to confirm').fill('Reports');
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel('Type the name to confirm').fill('Reports v2');
    await confirm.click();
    await page.waitForURL(/\/admin\/clients\?type=oauth2/);
    await waitTable();
    assert.equal(await row(key).count(), 0);
    const res = await fetch(`${srv.baseUrl}/admin/api/clients/${key}`, { headers: { authorization: srv.adminAuth } });
    assert.equal(res.status, 404);
  });

  it('the audit log shows every step, newest first, filterable', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/\/admin\/audit/);
    await page.getByLabel('Target (client key or username)').fill(keys.oauth2);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => /newest first/.test(document.querySelector('.table-summary')?.textContent ?? ''));
    const actions = await page.locator('.audit-table code.action').allTextContents();
    const lifeCycle = ['client.create', 'client.approve', 'client.update', 'client.disapprove', 'client.remove'];
    const steps = actions.filter((a) => lifeCycle.includes(a));
    assert.deepEqual(steps, ['client.remove', 'client.disapprove', 'client.update', 'client.approve', 'client.create']);
    await page.getByLabel('Action').fill('client.approve');
    await page.getByLabel('Target (client key or username)').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('action') === 'client.approve');
    await page.waitForFunction(() => [...document.querySelectorAll('.audit-table code.action')].every((c) => c.textContent === 'client.approve'));
    assert.ok((await page.locator('.audit-table tbody tr').count()) >= 3);
  });

  it('creates a client with the keyboard alone; its hostile name shows as text everywhere', async () => {
    await page.goto(`${srv.baseUrl}/admin/clients?type=oauth2`);
    await waitTable();
    await page.locator('body').focus();
    for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.id)) !== 'create-client'; i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'create-client', 'Create client is reachable with Tab');
    await page.keyboard.press('Enter');
    await openDialog().waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.field')?.querySelector('label')?.textContent), 'Client name');
    await page.keyboard.type(XSS_NAME);
    // Tab through the form: kind, secret, re-type, Generate, …, Redirect URIs.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent ?? '');
      if (label === 'Generate') break;
    }
    await page.keyboard.press('Enter'); // Generate a secret
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.tagName)) !== 'TEXTAREA'; i++) await page.keyboard.press('Tab');
    await page.keyboard.type('https://xss.example.com/cb');
    for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Save'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const dialog = openDialog();
    await dialog.locator('.created-key').waitFor();
    const key = (await dialog.locator('.created-key').textContent()) ?? '';
    assert.equal(await dialog.locator('h2').textContent(), 'Client created');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'create-client');
    await waitTable();

    // The name is text in the table, the menu, the dialogs and the detail view; no <img> ever.
    assert.equal(await row(key).locator('.client-name').textContent(), XSS_NAME);
    await rowAction(key, 'Remove');
    assert.equal(await openDialog().locator('.typed-name').textContent(), XSS_NAME);
    await page.keyboard.press('Escape');
    await page.goto(`${srv.baseUrl}/admin/clients/${key}`);
    await page.locator('h1 .client-name').waitFor();
    assert.equal(await page.locator('h1 .client-name').textContent(), XSS_NAME);
    assert.equal(await page.title(), `${XSS_NAME} · Latchkey admin`);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(browser.alerts, [], 'no script ran');
  });

  it('the consent and device pages show the hostile name as text too', async (t) => {
    const actor = { name: 'admin', source: 'test' };
    const { client } = await srv.app.clientAdmin.create({ type: 'oauth2', name: XSS_NAME, redirect_uris: ['https://xss.example.com/cb'] }, actor);
    await srv.app.clientAdmin.setStatus(client.key, 'approved', actor);
    if (await routeExists('GET', '/oauth2/authorize')) {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: client.key,
        redirect_uri: 'https://xss.example.com/cb',
        scope: 'profile',
        state: 'xyz',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      await page.goto(`${srv.baseUrl}/oauth2/authorize?${query}`);
      await page.locator('.app-name').first().waitFor();
      assert.equal(await page.locator('.app-name').first().textContent(), XSS_NAME);
      assert.equal(await page.locator('img').count(), 0);
    } else t.diagnostic('no /oauth2/authorize in this build: the consent page is checked by console-pages.test.ts');

    if (await routeExists('POST', '/api/oauth2/device_code')) {
      const device = await srv.app.clientAdmin.create(
        { type: 'oauth2', name: XSS_NAME, public: true, grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [] },
        actor,
      );
      await srv.app.clientAdmin.setStatus(device.client.key, 'approved', actor);
      const res = await fetch(`${srv.baseUrl}/api/oauth2/device_code`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: device.client.key, scope: 'profile' }).toString(),
      });
      const body = (await res.json()) as { user_code?: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      await page.goto(`${srv.baseUrl}/device?user_code=${encodeURIComponent(body.user_code ?? '')}`);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('.app-name').first().waitFor();
      assert.equal(await page.locator('.app-name').first().textContent(), XSS_NAME);
      assert.equal(await page.locator('img').count(), 0);
    } else t.diagnostic('no /api/oauth2/device_code in this build');
    assert.deepEqual(browser.alerts, []);
  });

  it('manages users: create, reset password, assign roles, disable and enable', async () => {
    await page.goto(`${srv.baseUrl}/admin/users`);
    await page.getByRole('button', { name: 'Create user' }).click();
    let dialog = openDialog();
    await dialog.getByLabel('Username').fill('viewer');
    await dialog.getByLabel('Display name').fill('Vera Viewer');
    await dialog.getByLabel('Password', { exact: true }).fill('initial-password-0');
    await dialog.getByLabel('Re-type password').fill('initial-password-0');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    const viewerRow = page.locator('tr:has(th:text-is("viewer"))');
    await viewerRow.waitFor();
    assert.match((await viewerRow.textContent()) ?? '', /none.*Enabled/s);

    const menu = async (item: string) => {
      await viewerRow.locator('.menu-button').click();
      await viewerRow.getByRole('menuitem', { name: item, exact: true }).click();
      dialog = openDialog();
      await dialog.waitFor();
    };
    await menu('Reset password');
    await dialog.getByLabel('New password').fill('viewer-password-1');
    await dialog.getByLabel('Re-type password').fill('viewer-password-1');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await dialog.waitFor({ state: 'detached' });

    await menu('Assign roles');
    await dialog.getByLabel('User Manager').check();
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => /viewer.*User Manager/s.test(document.querySelector('.users-table')?.textContent ?? ''));

    await menu('Disable');
    assert.match((await dialog.textContent()) ?? '', /sessions end/);
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => /Disabled/.test(document.querySelector('.users-table')?.textContent ?? ''));
    await menu('Enable');
    await dialog.getByRole('button', { name: 'Enable' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => !/Disabled/.test(document.querySelector('.users-table')?.textContent ?? ''));
  });

  it('a user without configure_server cannot reach the clients page or API', async () => {
    await signOut(page);
    await signIn(page, 'viewer', 'viewer-password-1', '/admin');
    assert.equal(new URL(page.url()).pathname, '/admin/users', '/admin leads to what the user may use');
    const nav = await page.locator('.console-nav a').allTextContents();
    assert.deepEqual(nav, ['Users', 'Groups', 'Access tokens', 'My account'], 'the navigation offers only permitted pages');
    const res = await page.goto(`${srv.baseUrl}/admin/clients`);
    assert.equal(res?.status(), 403);
    assert.match((await page.locator('h1').textContent()) ?? '', /Not permitted$/);
    assert.match((await page.locator('main').textContent()) ?? '', /Configure Server.*Server Administrator/s);
    const api = await page.evaluate(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const list = await fetch('/admin/api/clients');
      const create = await fetch('/admin/api/clients', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ type: 'oauth2', name: 'sneaky', redirect_uris: ['https://a.example/cb'] }),
      });
      const audit = await fetch('/admin/api/audit');
      return [list.status, create.status, audit.status];
    });
    assert.deepEqual(api, [403, 403, 403]);
  });

  it('My account: changes the own password with the current one', async () => {
    await page.goto(`${srv.baseUrl}/admin/account`);
    await page.getByLabel('Current password').fill('wrong-password');
    await page.getByLabel('New password', { exact: true }).fill('viewer-password-2');
    await page.getByLabel('Re-type new password').fill('viewer-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    assert.match((await page.locator('.field-error').textContent()) ?? '', /current password is wrong/);
    await page.getByLabel('Current password').fill('viewer-password-1');
    await page.getByLabel('New password', { exact: true }).fill('viewer-password-2');
    await page.getByLabel('Re-type new password').fill('viewer-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Open Authorized applications' }).getAttribute('href'), '/account/applications');
    await signOut(page);
    await signIn(page, 'viewer', 'viewer-password-2', '/admin/account');
    assert.equal(new URL(page.url()).pathname, '/admin/account');
  });

  it('pages through thousands of keys on the server, quickly', async () => {
    const { db } = srv.app.database;
    const now = clock.now();
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      key: `bulk-${String(i).padStart(5, '0')}`,
      type: 'oauth2',
      name: `Bulk client ${String(i).padStart(4, '0')}`,
      status: i % 3 === 0 ? 'pending' : 'approved',
      secret_sealed: null,
      is_public: 1,
      require_pkce: 1,
      redirect_uris: '["https://bulk.example.com/cb"]',
      post_logout_redirect_uris: '[]',
      grant_types: '["authorization_code"]',
      response_types: '["code"]',
      callback_url: null,
      rsa_public_key: null,
      metadata: '{}',
      created_via: 'admin',
      created_at: now - i * 1000,
      updated_at: now,
      status_changed_at: null,
      status_changed_by: null,
      last_used_at: null,
      version: 1,
      resource_server: 0,
    }));
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto('clients')
        .values(rows.slice(i, i + 200))
        .execute();

    await signOut(page);
    await signIn(page, 'admin', ADMIN_PASSWORD, '/admin/clients?type=oauth2');
    await waitTable();
    assert.match((await page.locator('#table-summary').textContent()) ?? '', /Showing 1–50 of 3,00\d/);
    assert.match((await page.locator('#tab-oauth2').textContent()) ?? '', /1,?00\d pending/);
    let started = Date.now();
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.waitForFunction(() => /Showing 51–100/.test(document.getElementById('table-summary')?.textContent ?? ''));
    const nextMs = Date.now() - started;
    started = Date.now();
    await page.getByLabel('Search by name or key').fill('Bulk client 2718');
    await page.waitForFunction(() => /of 1 matching/.test(document.getElementById('table-summary')?.textContent ?? ''));
    const searchMs = Date.now() - started - 250; // the search waits 250 ms for typing to pause
    assert.equal(await page.locator('.clients-table tbody tr').count(), 1);
    await page.getByLabel('Search by name or key').fill('');
    await page.getByLabel('Status').selectOption('pending');
    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'name');
    await waitTable();
    const names = await page.locator('.clients-table .client-name').allTextContents();
    assert.deepEqual(
      names,
      [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)),
      'sorted by name',
    );
    const started2 = Date.now();
    const api = await fetch(`${srv.baseUrl}/admin/api/clients?type=oauth2&sort=name&offset=2900&limit=50`, { headers: { authorization: srv.adminAuth } });
    assert.equal(api.status, 200);
    const apiMs = Date.now() - started2;
    console.log(`# 3,000 keys: next page ${nextMs} ms, search ${searchMs} ms (UI, round trip); deep page API ${apiMs} ms`);
    assert.ok(nextMs < 1500 && searchMs < 1500, 'paging and search stay interactive');
  });

  it('raised no script errors and no JavaScript dialogs', () => {
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.alerts, []);
  });
});
