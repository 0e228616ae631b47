import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import {
  approveDevice,
  authorizeInBrowser,
  basic,
  CookieJar,
  formFields,
  makeClient,
  makeUser,
  type Peer,
  postForm,
  startPeer,
  type TestClient,
} from './helpers.js';

const REDIRECT = 'https://app.example/cb';
const frank = { username: 'frank', password: 'frank-password-1' };
const ACTOR = { name: 'test', source: 'test', authority: OPERATOR };

for (const backend of backendNames()) {
  describe(`cut-off across two instances sharing one ${backend} database`, () => {
    let t: TestServer;
    let b: Peer;
    let rs: TestClient;

    /** Tokens for frank through the code flow at instance A. */
    async function tokensFor(c: TestClient, jar = new CookieJar()) {
      const q = new URLSearchParams({ client_id: c.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile' });
      const cb = await authorizeInBrowser(jar, t.baseUrl, `${t.baseUrl}/oauth2/authorize?${q}`, frank);
      const r = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', redirect_uri: REDIRECT },
        { authorization: basic(c.key, c.secret ?? '') },
      );
      assert.equal(r.status, 200);
      return { access: String(r.json.access_token), refresh: String(r.json.refresh_token) };
    }
    const meAt = (base: string, token: string) => fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const activeAt = async (base: string, token: string) =>
      (await postForm(`${base}/api/oauth2/introspect`, { token }, { authorization: basic(rs.key, rs.secret ?? '') })).json.active;

    before(async () => {
      t = await startServer({ backend });
      b = await startPeer(t);
      await makeUser(t, frank.username, frank.password);
      rs = await makeClient(t, { name: 'Resource server', redirect_uris: [], response_types: [], grant_types: ['client_credentials'], resource_server: true });
    });
    after(async () => {
      await b?.close();
      await t?.close();
    });

    it('disapproving a client at B kills its tokens and codes at A at once, even after re-approval', async () => {
      const c = await makeClient(t, { redirect_uris: [REDIRECT] });
      const jar = new CookieJar();
      const tokens = await tokensFor(c, jar);
      assert.equal(await meAt(t.baseUrl, tokens.access), 200);
      assert.equal(await activeAt(b.baseUrl, tokens.access), true);
      // An unredeemed code, waiting in the browser.
      const q = new URLSearchParams({ client_id: c.key, redirect_uri: REDIRECT, response_type: 'code' });
      const pendingCode = (await authorizeInBrowser(jar, t.baseUrl, `${t.baseUrl}/oauth2/authorize?${q}`, frank)).searchParams.get('code') ?? '';

      const res = await fetch(`${b.baseUrl}/admin/api/clients/${c.key}/disapprove`, { method: 'POST', headers: { authorization: t.adminAuth } });
      assert.equal(res.status, 200);
      assert.equal(await meAt(t.baseUrl, tokens.access), 401);
      assert.equal(await meAt(b.baseUrl, tokens.access), 401);
      assert.equal(await activeAt(t.baseUrl, tokens.access), false);
      assert.equal(await activeAt(t.baseUrl, tokens.refresh), false);
      const refused = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh },
        { authorization: basic(c.key, c.secret ?? '') },
      );
      assert.equal(refused.json.error, 'invalid_client');

      await t.app.clientAdmin.setStatus(c.key, 'approved', ACTOR);
      assert.equal(await meAt(t.baseUrl, tokens.access), 401, 're-approval does not bring old tokens back');
      const r = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh },
        { authorization: basic(c.key, c.secret ?? '') },
      );
      assert.equal(r.json.error, 'invalid_grant');
      const late = await postForm(
        `${t.baseUrl}/api/oauth2/token`,
        { grant_type: 'authorization_code', code: pendingCode, redirect_uri: REDIRECT },
        { authorization: basic(c.key, c.secret ?? '') },
      );
      assert.equal(late.json.error, 'invalid_grant');
    });

    it('removing a client cuts off its tokens', async () => {
      const c = await makeClient(t, { redirect_uris: [REDIRECT] });
      const tokens = await tokensFor(c);
      await t.app.clientAdmin.remove(c.key, ACTOR);
      assert.equal(await meAt(b.baseUrl, tokens.access), 401);
      assert.equal(await activeAt(b.baseUrl, tokens.access), false);
    });

    it('disabling a user at A makes their tokens fail at B', async () => {
      await makeUser(t, 'gina', 'gina-password-1');
      const pw = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['password', 'refresh_token'] });
      const r = await postForm(
        `${b.baseUrl}/api/oauth2/token`,
        { grant_type: 'password', username: 'gina', password: 'gina-password-1' },
        { authorization: basic(pw.key, pw.secret ?? '') },
      );
      assert.equal(r.status, 200);
      assert.equal(await meAt(b.baseUrl, String(r.json.access_token)), 200);
      const gina = await t.app.userAdmin.getByUsername('gina');
      await t.app.userAdmin.setEnabled(gina, false, ACTOR);
      assert.equal(await meAt(b.baseUrl, String(r.json.access_token)), 401);
      assert.equal(await activeAt(b.baseUrl, String(r.json.access_token)), false);
      const again = await postForm(
        `${b.baseUrl}/api/oauth2/token`,
        { grant_type: 'refresh_token', refresh_token: String(r.json.refresh_token) },
        { authorization: basic(pw.key, pw.secret ?? '') },
      );
      assert.equal(again.json.error, 'invalid_grant');
      // Enabling again does not resurrect what was cut off.
      await t.app.userAdmin.setEnabled(await t.app.userAdmin.getByUsername('gina'), true, ACTOR);
      assert.equal(await meAt(b.baseUrl, String(r.json.access_token)), 401);
    });

    it('revoking an application on the Authorized applications page at B ends its tokens from A', async () => {
      const c = await makeClient(t, { redirect_uris: [REDIRECT], name: 'Revocable app' });
      const jar = new CookieJar();
      const tokens = await tokensFor(c, jar);
      const page = await (await jar.fetch(`${b.baseUrl}/account/applications`)).text();
      assert.match(page, /Revocable app/);
      const forms = [...page.matchAll(/<form method="post" action="\/account\/applications\/revoke">([\s\S]*?)<\/form>/g)].map((m) => m[1] ?? '');
      const mine = forms.find((f) => f.includes(c.key)) ?? '';
      const { fields } = formFields(`<form method="post" action="x">${mine}`);
      const res = await jar.fetch(`${b.baseUrl}/account/applications/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      });
      assert.equal(res.status, 303);
      assert.equal(await meAt(t.baseUrl, tokens.access), 401);
      assert.equal(await activeAt(t.baseUrl, tokens.refresh), false);
    });

    it('a device code approved before a disapproval yields no tokens', async () => {
      const c = await makeClient(t, { public: true, redirect_uris: [], response_types: [], grant_types: [DEVICE_CODE_GRANT] });
      const start = await postForm(`${t.baseUrl}/api/oauth2/device_code`, { client_id: c.key });
      await approveDevice(new CookieJar(), b.baseUrl, String(start.json.verification_uri_complete).replace(t.baseUrl, b.baseUrl), frank);
      await t.app.clientAdmin.setStatus(c.key, 'disapproved', ACTOR);
      await t.app.clientAdmin.setStatus(c.key, 'approved', ACTOR);
      const r = await postForm(`${b.baseUrl}/api/oauth2/token`, {
        grant_type: DEVICE_CODE_GRANT,
        device_code: String(start.json.device_code),
        client_id: c.key,
      });
      assert.equal(r.json.error, 'access_denied');
    });

    it('client_credentials tokens: revoked one by one, and ended by a disapproval even after re-approval', async () => {
      const cc = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['client_credentials'] });
      const auth = { authorization: basic(cc.key, cc.secret ?? '') };
      const issue = async () => String((await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, auth)).json.access_token);
      const [one, two] = [await issue(), await issue()];
      assert.equal((await postForm(`${b.baseUrl}/api/oauth2/revoke`, { token: one }, auth)).status, 200);
      assert.equal(await activeAt(t.baseUrl, one), false);
      assert.equal(await activeAt(t.baseUrl, two), true);
      // Another client may not revoke it; it is told nothing (RFC 7009 §2.2).
      const other = await postForm(`${b.baseUrl}/api/oauth2/revoke`, { token: two }, { authorization: basic(rs.key, rs.secret ?? '') });
      assert.equal(other.status, 200);
      assert.equal(await activeAt(t.baseUrl, two), true);
      await t.app.clientAdmin.setStatus(cc.key, 'disapproved', ACTOR);
      assert.equal(await activeAt(b.baseUrl, two), false);
      await new Promise((r) => setTimeout(r, 5));
      await t.app.clientAdmin.setStatus(cc.key, 'approved', ACTOR);
      assert.equal(await activeAt(b.baseUrl, two), false);
      assert.equal(await activeAt(b.baseUrl, await issue()), true);
    });

    it('a key rotation at A is used by B within seconds; tokens of the old key keep validating', async () => {
      const cc = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['client_credentials'] });
      const tokenAt = async (base: string) =>
        String(
          (await postForm(`${base}/api/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic(cc.key, cc.secret ?? '') })).json
            .access_token,
        );
      const old = await tokenAt(b.baseUrl);
      const oldKid = decodeProtectedHeader(old).kid;
      const [rotated] = await t.app.oauth2.keys.rotate(['ES256']);
      // A token from A's new key validates at B at once (unknown kid → B re-reads the keys).
      const fresh = await tokenAt(t.baseUrl);
      assert.equal(decodeProtectedHeader(fresh).kid, rotated?.kid);
      // B re-reads its keys on an unknown kid (at most once a second), so allow it that second.
      let activeAtB = await activeAt(b.baseUrl, fresh);
      for (let i = 0; i < 20 && activeAtB !== true; i++) {
        await new Promise((r) => setTimeout(r, 150));
        activeAtB = await activeAt(b.baseUrl, fresh);
      }
      assert.equal(activeAtB, true);
      // B signs with the new key within its refresh period (5 s).
      const deadline = Date.now() + 8_000;
      let kid = oldKid;
      while (kid !== rotated?.kid && Date.now() < deadline) {
        kid = decodeProtectedHeader(await tokenAt(b.baseUrl)).kid;
        if (kid !== rotated?.kid) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(kid, rotated?.kid);
      assert.equal(await activeAt(t.baseUrl, old), true);
      assert.equal(await activeAt(b.baseUrl, old), true);
      const jwks = (await (await fetch(`${b.baseUrl}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      assert.ok(jwks.keys.some((k) => k.kid === oldKid));
      assert.ok(jwks.keys.some((k) => k.kid === rotated?.kid));
    });
  });
}

describe('refresh-token reuse grace window', () => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startServer({ clock, env: { LATCHKEY_REFRESH_REUSE_GRACE: '30' } });
    await makeUser(t, 'hank', 'hank-password-1');
  });
  after(() => t.close());

  it('accepts a concurrent retry inside the window and revokes the family after it', async () => {
    const c = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['password', 'refresh_token'] });
    const auth = { authorization: basic(c.key, c.secret ?? '') };
    const url = `${t.baseUrl}/api/oauth2/token`;
    const first = await postForm(url, { grant_type: 'password', username: 'hank', password: 'hank-password-1' }, auth);
    const rt = String(first.json.refresh_token);
    const [a, b] = await Promise.all([
      postForm(url, { grant_type: 'refresh_token', refresh_token: rt }, auth),
      postForm(url, { grant_type: 'refresh_token', refresh_token: rt }, auth),
    ]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    clock.advance(31_000);
    const replay = await postForm(url, { grant_type: 'refresh_token', refresh_token: rt }, auth);
    assert.equal(replay.json.error, 'invalid_grant');
    const me = await fetch(`${t.baseUrl}/api/me`, { headers: { authorization: `Bearer ${String(a.json.access_token)}` } });
    assert.equal(me.status, 401);
    const next = await postForm(url, { grant_type: 'refresh_token', refresh_token: String(b.json.refresh_token) }, auth);
    assert.equal(next.json.error, 'invalid_grant');
  });
});
