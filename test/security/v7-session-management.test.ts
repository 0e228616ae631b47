// Runs again on PostgreSQL: @backends sqlite postgres
// ASVS 5.0 V7 Session Management: a changed password or a disabled account ends what the old state
// opened — browser sessions, OAuth 2.0 refresh and access tokens, OAuth 1.0a token credentials.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, makeUser, signIn } from '../oauth2/helpers.js';
import { startServer, type TestServer } from '../support/server.js';
import { type Apps, accessWorks, assertAllEnded, makeApps, obtain, provenBefore, sessionWorks } from './credentials.js';

describe('V7 credential changes end what the credential opened', () => {
  let t: TestServer;
  let apps: Apps;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { authorization: t.adminAuth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  before(async () => {
    t = await startServer();
    apps = await makeApps(t);
  });
  after(() => t?.close());

  test('V7.4.3 an administrator setting a password ends the user’s sessions, refresh and access tokens and OAuth 1.0a tokens', async () => {
    const user = { username: 'reset-me', password: 'reset-me-password-1' };
    await makeUser(t, user.username, user.password);
    const held = await provenBefore(t, apps, await obtain(t, apps, user));

    const r = await admin('POST', `/admin/api/users/${user.username}/password`, { password: 'a-brand-new-password-2' });
    assert.equal(r.status, 204, r.text);
    await assertAllEnded(t, apps, held, 'after an administrator set the password');
    // The new password works and opens new things.
    const fresh = await obtain(t, apps, { username: user.username, password: 'a-brand-new-password-2' });
    assert.equal(await accessWorks(t, fresh.access), true);
  });

  test('V7.4.3 changing one’s own password on My account keeps this session and ends the others and every token', async () => {
    const user = { username: 'change-mine', password: 'change-mine-password-1' };
    await makeUser(t, user.username, user.password);
    const held = await provenBefore(t, apps, await obtain(t, apps, user));
    const here = new CookieJar();
    assert.equal((await signIn(here, t.baseUrl, user.username, user.password)).status, 303);

    const page = await (await here.fetch(`${t.baseUrl}/admin/account`)).text();
    const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    const res = await here.fetch(`${t.baseUrl}/account/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: csrf, current_password: user.password, new_password: 'changed-by-me-2', confirm_password: 'changed-by-me-2' }),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/admin/account?done=password');

    assert.equal(await sessionWorks(t, here), true, 'the session that changed the password goes on');
    await assertAllEnded(t, apps, held, 'after changing one’s own password');
  });

  test('V7.4.3 an administrator setting their own password from a console session keeps that session and ends their others', async () => {
    const user = { username: 'self-reset', password: 'self-reset-password-1' };
    await makeUser(t, user.username, user.password, ['user_manager']);
    const held = await provenBefore(t, apps, await obtain(t, apps, user));
    const desk = new CookieJar();
    assert.equal((await signIn(desk, t.baseUrl, user.username, user.password)).status, 303);
    const page = await (await desk.fetch(`${t.baseUrl}/admin/account`)).text();
    const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    const res = await desk.fetch(`${t.baseUrl}/admin/api/users/${user.username}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ password: 'self-reset-password-2' }),
    });
    assert.equal(res.status, 204, await res.text());
    assert.equal(await sessionWorks(t, desk), true, 'the console session that made the change goes on');
    await assertAllEnded(t, apps, held, 'after setting one’s own password through the admin API');
  });

  test('V7.4.2 disabling a user ends their sessions and tokens for good: enabling them again brings nothing back', async () => {
    const user = { username: 'disable-me', password: 'disable-me-password-1' };
    await makeUser(t, user.username, user.password);
    const held = await provenBefore(t, apps, await obtain(t, apps, user));

    assert.equal((await admin('PATCH', `/admin/api/users/${user.username}`, { enabled: false })).status, 200);
    await assertAllEnded(t, apps, held, 'while disabled');
    assert.equal((await admin('PATCH', `/admin/api/users/${user.username}`, { enabled: true })).status, 200);
    await assertAllEnded(t, apps, held, 'enabled again');
  });
});
