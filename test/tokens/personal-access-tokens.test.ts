import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { freePort } from '../../scripts/services.mjs';
import { type App, openApp, SYSTEM_ACTOR } from '../../src/compose.js';
import { base62 } from '../../src/core/tokens/personal-access-tokens.js';
import { buildServer } from '../../src/http/server.js';
import { httpSignIn } from '../console/http-session.js';
import { latchkey } from '../registration/helpers.js';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;
const PASSWORD = 'alice-has-a-good-password';

interface Answer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

for (const backend of backendNames()) {
  describe(`personal access tokens (${backend})`, () => {
    let t: TestServer;
    const clock = new ManualClock(Date.now());
    const log: string[] = [];
    let second: { app: App; baseUrl: string; close(): Promise<void> };
    const alice = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
    const seenValues: string[] = [];

    const call = async (base: string, method: string, path: string, authorization: string, body?: unknown): Promise<Answer> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: res.headers };
    };
    const api = (method: string, path: string, authorization: string, body?: unknown) => call(t.baseUrl, method, path, authorization, body);

    const create = async (body: Record<string, unknown>, auth = alice): Promise<{ token: string; id: string; json: Record<string, unknown> }> => {
      const r = await api('POST', '/admin/api/me/tokens', auth, body);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const token = String(r.json.token);
      seenValues.push(token);
      return { token, id: String(r.json.id), json: r.json };
    };

    /** RFC 6750 §3.1: 401 invalid_token, with the challenge, and nothing said about why. */
    const assertInvalidToken = (r: Answer) => {
      assert.equal(r.status, 401);
      assert.equal(r.json.error, 'invalid_token');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
      assert.equal(r.json.message, 'the token is invalid, revoked or expired');
    };

    before(async () => {
      t = await startServer({ backend, clock, log, env: { LATCHKEY_LOG_LEVEL: 'debug' } });
      const made = await api('POST', '/admin/api/users', t.adminAuth, {
        username: 'alice',
        password: PASSWORD,
        roles: ['server_administrator', 'user_manager'],
      });
      assert.equal(made.status, 201);
      // A second instance on the same database, as in a cluster.
      const app = await openApp(t.app.config, { clock });
      const server = await buildServer(app, { logStream: { write: (line) => void log.push(line) } });
      const port = await freePort();
      await server.listen({ port, host: '127.0.0.1' });
      second = {
        app,
        baseUrl: `http://127.0.0.1:${port}`,
        close: async () => {
          await server.close();
          await app.close();
        },
      };
    });
    after(async () => {
      await second.close();
      await t.close();
    });

    it('creates a token shown once, in the lkpat_ format with a CRC-32 checksum', async () => {
      const { token, json } = await create({ name: 'laptop', scopes: ['profile'] });
      assert.match(token, /^lkpat_[0-9A-Za-z]{38}$/);
      const body = token.slice(0, -6);
      assert.equal(token.slice(-6), base62(crc32(body), 6), 'the last six digits are the base62 CRC-32 of what precedes');
      assert.equal(json.status, 'active');
      assert.equal(json.username, 'alice');
      assert.deepEqual(json.scopes, ['profile']);
      assert.equal(Date.parse(String(json.expires_at)) - Date.parse(String(json.created_at)), 90 * DAY, 'the default lifetime');
      const listed = await api('GET', '/admin/api/me/tokens', alice);
      assert.equal(listed.status, 200);
      assert.ok(!JSON.stringify(listed.json).includes(token), 'never shown again');
      const items = listed.json.items as Array<Record<string, unknown>>;
      assert.deepEqual(
        items.map((i) => i.name),
        ['laptop'],
      );
      assert.equal(items[0]?.token, undefined);
    });

    it('is accepted as Bearer and as Token at /api/me, and refuses a tampered checksum', async () => {
      const { token } = await create({ name: 'script', scopes: ['profile'] });
      for (const scheme of ['Bearer', 'Token', 'bearer']) {
        const me = await api('GET', '/api/me', `${scheme} ${token}`);
        assert.equal(me.status, 200, scheme);
        assert.equal(me.json.username, 'alice');
        assert.equal(me.json.scope, 'profile');
      }
      const flipped = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${flipped}`));
      assertInvalidToken(await api('GET', '/api/me', 'Bearer lkpat_short'));
    });

    it('enforces its scopes: no admin API without latchkey:admin, even for an administrator', async () => {
      const profileOnly = await create({ name: 'profile only', scopes: ['profile'] });
      const r = await api('GET', '/admin/api/clients', `Bearer ${profileOnly.token}`);
      assert.equal(r.status, 403);
      assert.equal((await api('GET', '/admin/api/me/tokens', `Bearer ${profileOnly.token}`)).status, 403);
      const adminOnly = await create({ name: 'admin only', scopes: ['latchkey:admin'] });
      assert.equal((await api('GET', '/admin/api/clients', `Token ${adminOnly.token}`)).status, 200);
      const me = await api('GET', '/api/me', `Bearer ${adminOnly.token}`);
      assert.equal(me.status, 403, 'GET /api/me needs the profile scope');
      assert.match(me.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="profile"$/);
      // A token cannot make tokens.
      const minted = await api('POST', '/admin/api/me/tokens', `Bearer ${adminOnly.token}`, { name: 'x', scopes: ['profile'] });
      assert.equal(minted.status, 403);
    });

    it('follows its owner’s permissions at once: a role removed is gone at the next use', async () => {
      const { token, id } = await create({ name: 'ops', scopes: ['latchkey:admin', 'profile'] });
      assert.equal((await api('GET', '/admin/api/clients', `Bearer ${token}`)).status, 200);
      assert.equal((await api('GET', '/admin/api/users', `Bearer ${token}`)).status, 200);
      const changed = await api('PATCH', '/admin/api/users/alice', t.adminAuth, { roles: ['user_manager'] });
      assert.equal(changed.status, 200, JSON.stringify(changed.json));
      assert.equal((await api('GET', '/admin/api/clients', `Bearer ${token}`)).status, 403, 'configure_server is gone');
      assert.equal((await api('GET', '/admin/api/users', `Bearer ${token}`)).status, 200, 'manage_users stays');
      // Revoked: 401 here and, at once, on the other instance.
      assert.equal((await call(second.baseUrl, 'GET', '/api/me', `Bearer ${token}`)).status, 200);
      const revoked = await api('DELETE', `/admin/api/me/tokens/${id}`, alice);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.json.status, 'revoked');
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${token}`));
      assertInvalidToken(await call(second.baseUrl, 'GET', '/api/me', `Bearer ${token}`));
      await api('PATCH', '/admin/api/users/alice', t.adminAuth, { roles: ['server_administrator', 'user_manager'] });
    });

    it('ends at its expiry, and refuses a lifetime beyond the maximum', async () => {
      const { token } = await create({ name: 'brief', scopes: ['profile'], expires_in: 3600 });
      assert.equal((await api('GET', '/api/me', `Bearer ${token}`)).status, 200);
      clock.advance(3_600_000);
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${token}`));
      // Expired tokens are purged in the background (30 days after their expiry), the others kept.
      const purge = t.app.purgeTasks.find((p) => p.name === 'personal_access_tokens');
      assert.equal(purge?.keepFor, 30 * DAY);
      const before = (await t.app.stores.pats.list({ limit: 500, offset: 0 })).total;
      assert.equal(await purge?.run(clock.now() + 1, 1000), 1);
      assert.equal((await t.app.stores.pats.list({ limit: 500, offset: 0 })).total, before - 1);
      const tooLong = await api('POST', '/admin/api/me/tokens', alice, { name: 'forever', scopes: ['profile'], expires_in: 366 * 86_400 });
      assert.equal(tooLong.status, 400);
      assert.match(String(tooLong.json.message), /at most 365 days/);
      const unknownScope = await api('POST', '/admin/api/me/tokens', alice, { name: 'x', scopes: ['openid'] });
      assert.equal(unknownScope.status, 400);
    });

    it('is answered by introspection to a resource server only', async () => {
      const { token } = await create({ name: 'for a resource server', scopes: ['profile'] });
      const introspect = async (client: { key: string; secret: string | null }, value: string) => {
        const res = await fetch(`${t.baseUrl}/api/oauth2/introspect`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.key)}:${encodeURIComponent(client.secret ?? '')}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token: value }).toString(),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      const made = async (resourceServer: boolean) => {
        const { client, secret } = await t.app.clientAdmin.create(
          { type: 'oauth2', name: `client ${resourceServer}`, redirect_uris: ['https://rs.example.test/cb'], resource_server: resourceServer },
          SYSTEM_ACTOR,
        );
        await t.app.clientAdmin.setStatus(client.key, 'approved', SYSTEM_ACTOR);
        return { key: client.key, secret };
      };
      const rs = await made(true);
      const plain = await made(false);
      const aliceUser = await t.app.stores.users.findByUsername('alice');
      // RFC 7662 §2.2.
      const active = await introspect(rs, token);
      assert.equal(active.active, true);
      assert.equal(active.scope, 'profile');
      assert.equal(active.sub, aliceUser?.id);
      assert.equal(active.username, 'alice');
      assert.equal(active.token_type, 'personal_access_token');
      assert.equal(active.exp, Math.floor((clock.now() + 90 * DAY) / 1000));
      // §4: a client that is not a resource server learns nothing.
      assert.deepEqual(await introspect(plain, token), { active: false });
      assert.deepEqual(await introspect(rs, `${token.slice(0, -1)}x`), { active: false });
    });

    it('lets a User Manager see every token (never a value) and revoke any; records last use in batches', async () => {
      const bobMade = await api('POST', '/admin/api/users', t.adminAuth, { username: 'bob', password: 'bob-has-a-good-password', roles: [] });
      assert.equal(bobMade.status, 201);
      const bob = `Basic ${Buffer.from('bob:bob-has-a-good-password').toString('base64')}`;
      const { token, id } = await create({ name: 'bob laptop', scopes: ['profile'] }, bob);
      assert.equal((await api('GET', '/admin/api/tokens', bob)).status, 403, 'bob holds no manage_users');
      assert.equal((await api('DELETE', `/admin/api/me/tokens/${id}`, alice)).status, 404, "alice cannot revoke bob's token as her own");
      clock.advance(1000);
      const usedAt = clock.now();
      assert.equal((await api('GET', '/api/me', `Bearer ${token}`)).status, 200);
      assert.equal((await t.app.stores.pats.get(id))?.lastUsedAt, null, 'no write per request');
      await t.app.pats.flushLastUse();
      assert.equal((await t.app.stores.pats.get(id))?.lastUsedAt, usedAt);
      const all = await api('GET', '/admin/api/tokens?user=bob', alice);
      assert.equal(all.status, 200);
      const items = all.json.items as Array<Record<string, unknown>>;
      assert.equal(items.length, 1);
      assert.equal(items[0]?.username, 'bob');
      assert.equal(items[0]?.name, 'bob laptop');
      assert.equal(items[0]?.last_used_at, new Date(usedAt).toISOString());
      const everyone = await api('GET', '/admin/api/tokens?limit=500', alice);
      assert.ok((everyone.json.total as number) >= 6);
      for (const v of seenValues) assert.ok(!JSON.stringify(everyone.json).includes(v));
      assert.equal((await api('DELETE', `/admin/api/tokens/${id}`, alice)).json.revoked_by, 'alice');
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${token}`));
      assert.equal((await api('DELETE', '/admin/api/tokens/pat_unknown', alice)).status, 404);
    });

    it('ends when its user is disabled or has a password set', async () => {
      const carol = await api('POST', '/admin/api/users', t.adminAuth, { username: 'carol', password: 'carol-has-a-good-password', roles: [] });
      assert.equal(carol.status, 201);
      const auth = `Basic ${Buffer.from('carol:carol-has-a-good-password').toString('base64')}`;
      const first = await create({ name: 'one', scopes: ['profile'] }, auth);
      assert.equal((await call(second.baseUrl, 'GET', '/api/me', `Bearer ${first.token}`)).status, 200);
      assert.equal((await api('PATCH', '/admin/api/users/carol', t.adminAuth, { enabled: false })).status, 200);
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${first.token}`));
      assertInvalidToken(await call(second.baseUrl, 'GET', '/api/me', `Bearer ${first.token}`));
      // Enabled again, the token stays revoked.
      assert.equal((await api('PATCH', '/admin/api/users/carol', t.adminAuth, { enabled: true })).status, 200);
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${first.token}`));
      assert.equal((await t.app.stores.pats.get(first.id))?.revokedBy, 'user_disabled');
      const next = await create({ name: 'two', scopes: ['profile'] }, auth);
      assert.equal((await api('GET', '/api/me', `Bearer ${next.token}`)).status, 200);
      const reset = await api('POST', '/admin/api/users/carol/password', t.adminAuth, { password: 'carol-has-another-password' });
      assert.equal(reset.status, 204);
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${next.token}`));
      assertInvalidToken(await call(second.baseUrl, 'GET', '/api/me', `Bearer ${next.token}`));
    });

    it('is made, listed and revoked with the CLI', async () => {
      const made = await latchkey(t, 'token', 'create', '--user', 'alice', '--name', 'from the cli', '--scope', 'profile', '--expires-in', '30d', '--json');
      assert.equal(made.code, 0, made.stderr);
      const created = JSON.parse(made.stdout) as Record<string, unknown>;
      const token = String(created.token);
      seenValues.push(token);
      assert.match(token, /^lkpat_/);
      assert.equal(Date.parse(String(created.expires_at)) - Date.parse(String(created.created_at)), 30 * DAY);
      assert.equal((await api('GET', '/api/me', `Token ${token}`)).json.username, 'alice');
      const listed = await latchkey(t, 'token', 'list', '--user', 'alice', '--json');
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(!listed.stdout.includes(token));
      const items = (JSON.parse(listed.stdout) as { items: Array<{ id: string; name: string }> }).items;
      assert.ok(items.some((i) => i.id === created.id && i.name === 'from the cli'));
      const revoked = await latchkey(t, 'token', 'revoke', String(created.id));
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /revoked pat_/);
      await new Promise((r) => setTimeout(r, 5));
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${token}`));
      const bad = await latchkey(t, 'token', 'create', '--user', 'alice', '--name', 'x', '--scope', 'profile', '--expires-in', '400d');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /at most 365 days/);
      const noUser = await latchkey(t, 'token', 'create', '--user', 'nobody', '--name', 'x', '--scope', 'profile');
      assert.equal(noUser.code, 2);
      assert.match(noUser.stderr, /no user "nobody"/);
    });

    it('is made and revoked on My account, the value shown once', async () => {
      const web = await httpSignIn(t.baseUrl, 'alice', PASSWORD);
      const csrf = await web.csrf();
      const page = await (await web.get('/admin/account')).text();
      assert.match(page, /<h2 id="tokens-title">Personal access tokens<\/h2>/);
      assert.equal((await web.postForm('/account/tokens', { csrf_token: 'wrong', name: 'x', scope: 'profile', expires_in_days: '30' })).status, 400);
      const res = await fetch(`${t.baseUrl}/account/tokens`, {
        method: 'POST',
        headers: { cookie: web.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: `csrf_token=${encodeURIComponent(csrf)}&name=from+the+console&scope=profile&scope=latchkey%3Aadmin&expires_in_days=30`,
        redirect: 'manual',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const shown = await res.text();
      const token = /id="new-token" readonly value="(lkpat_[0-9A-Za-z]{38})"/.exec(shown)?.[1] ?? '';
      assert.notEqual(token, '', 'the new token is on the page');
      seenValues.push(token);
      const me = await api('GET', '/api/me', `Bearer ${token}`);
      assert.equal(me.json.scope, 'profile latchkey:admin');
      const again = await (await web.get('/admin/account')).text();
      assert.ok(again.includes('from the console'));
      assert.ok(!again.includes(token), 'shown only once');
      const id = (await t.app.pats.list({ userId: String((await t.app.stores.users.findByUsername('alice'))?.id), limit: 1, offset: 0 })).items[0]?.id ?? '';
      assert.equal((await web.postForm(`/account/tokens/${id}/revoke`, { csrf_token: 'wrong' })).status, 400);
      assert.equal((await api('GET', '/api/me', `Bearer ${token}`)).status, 200, 'a forged revocation does nothing');
      const revoked = await web.postForm(`/account/tokens/${id}/revoke`, { csrf_token: csrf });
      assert.equal(revoked.status, 303);
      assert.equal(revoked.headers.get('location'), '/admin/account?done=token_revoked');
      assertInvalidToken(await api('GET', '/api/me', `Bearer ${token}`));
      const tooLong = await web.postForm('/account/tokens', { csrf_token: csrf, name: 'x', scope: 'profile', expires_in_days: '400' });
      assert.equal(tooLong.status, 400);
      assert.match(await tooLong.text(), /at most 365 days/);
    });

    it('audits each creation and revocation, and no token value reaches the audit log or a debug log', async () => {
      const audit = await t.app.stores.audit.list({ limit: 500, offset: 0 });
      const actions = audit.items.map((e) => e.action);
      assert.ok(actions.filter((a) => a === 'pat.create').length >= seenValues.length);
      assert.ok(actions.includes('pat.revoke'));
      assert.ok(actions.includes('pat.revoke_all'));
      assert.ok(log.length > 0, 'the debug log was written');
      const everything = JSON.stringify(audit.items) + log.join('\n');
      assert.ok(seenValues.length >= 8);
      // The random part alone: no log may carry any part of a token that identifies it.
      for (const v of seenValues) assert.ok(!everything.includes(v.slice(6, 38)), 'a token value was written');
    });
  });
}

describe('personal access token policy', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({
      backend: 'sqlite',
      env: { LATCHKEY_PAT_CREATORS: 'user_manager', LATCHKEY_PAT_DEFAULT_LIFETIME: '7', LATCHKEY_PAT_MAX_LIFETIME: '30' },
    });
  });
  after(() => t.close());

  it('lets only the listed roles create tokens, within the configured lifetimes', async () => {
    const post = (auth: string, body: unknown) =>
      fetch(`${t.baseUrl}/admin/api/me/tokens`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const [username, roles] of [
      ['plain', []],
      ['manager', ['user_manager']],
    ] as const) {
      const made = await fetch(`${t.baseUrl}/admin/api/users`, {
        method: 'POST',
        headers: { authorization: t.adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: `${username}-good-password`, roles }),
      });
      assert.equal(made.status, 201);
    }
    const basic = (u: string) => `Basic ${Buffer.from(`${u}:${u}-good-password`).toString('base64')}`;
    const refused = await post(basic('plain'), { name: 'x', scopes: ['profile'] });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /policy/);
    const made = await post(basic('manager'), { name: 'x', scopes: ['profile'] });
    assert.equal(made.status, 201);
    const body = (await made.json()) as { created_at: string; expires_at: string };
    assert.equal(Date.parse(body.expires_at) - Date.parse(body.created_at), 7 * DAY);
    assert.equal((await post(basic('manager'), { name: 'y', scopes: ['profile'], expires_in: 31 * 86_400 })).status, 400);
  });
});
