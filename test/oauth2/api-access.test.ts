// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { basic, CookieJar, makeClient, makeUser, postForm, signIn, type TestClient } from './helpers.js';

/** Latchkey's own API with tokens: /api/me and the admin API, RFC 6750 challenges, scopes. */
describe("Latchkey's API on a user's behalf", () => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  let pw: TestClient;

  const tokenFor = async (username: string, scope: string) => {
    const r = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'password', username, password: `${username}-password-1`, scope },
      { authorization: basic(pw.key, pw.secret ?? '') },
    );
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return String(r.json.access_token);
  };
  const call = (path: string, authorization?: string) => fetch(`${t.baseUrl}${path}`, { headers: authorization ? { authorization } : {} });

  before(async () => {
    t = await startServer({ clock });
    await makeUser(t, 'judy', 'judy-password-1', ['user_manager']);
    await makeUser(t, 'kim', 'kim-password-1');
    pw = await makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['password'] });
  });
  after(() => t.close());

  it('admits the admin API only with latchkey:admin, and never beyond the user’s permissions', async () => {
    const admin = await tokenFor('judy', 'profile latchkey:admin');
    assert.equal((await call('/admin/api/users', `Bearer ${admin}`)).status, 200);
    assert.equal((await call('/admin/api/users', `Token ${admin}`)).status, 200);
    // judy manages users but does not configure the server: clients stay out of reach.
    assert.equal((await call('/admin/api/clients', `Bearer ${admin}`)).status, 403);
    const profileOnly = await tokenFor('judy', 'profile');
    assert.equal((await call('/admin/api/users', `Bearer ${profileOnly}`)).status, 403);
    const kim = await tokenFor('kim', 'latchkey:admin profile');
    assert.equal((await call('/admin/api/users', `Bearer ${kim}`)).status, 403);
  });

  it('requires the profile scope at /api/me (RFC 6750 insufficient_scope)', async () => {
    const adminOnly = await tokenFor('judy', 'latchkey:admin');
    const res = await call('/api/me', `Bearer ${adminOnly}`);
    assert.equal(res.status, 403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="latchkey", error="insufficient_scope"/);
    assert.match(challenge, /scope="profile"/);
  });

  it('answers RFC 6750 challenges for missing, malformed, tampered and expired tokens', async () => {
    const none = await call('/api/me');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="latchkey"');

    const empty = await call('/api/me', 'Bearer ');
    assert.equal(empty.status, 400);
    assert.match(empty.headers.get('www-authenticate') ?? '', /error="invalid_request"/);

    const token = await tokenFor('kim', 'profile');
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    for (const bad of [forged, 'abc.def.ghi', 'opaque-token', `${token}x`]) {
      const res = await call('/api/me', `Bearer ${bad}`);
      assert.equal(res.status, 401, bad);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="latchkey", error="invalid_token", error_description="[^"]+"$/);
    }
    assert.equal((await call('/api/me', `Bearer ${token}`)).status, 200);
    clock.advance(901_000);
    const expired = await call('/api/me', `Bearer ${token}`);
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /expired/);
  });

  it('serves /api/me through the other schemes of the resolver chain too', async () => {
    const viaBasic = await call('/api/me', `Basic ${Buffer.from('kim:kim-password-1').toString('base64')}`);
    assert.equal(viaBasic.status, 200);
    assert.equal(((await viaBasic.json()) as { username: string }).username, 'kim');
    const jar = new CookieJar();
    await signIn(jar, t.baseUrl, 'kim', 'kim-password-1');
    const viaSession = await jar.fetch(`${t.baseUrl}/api/me`);
    assert.equal(viaSession.status, 200);
  });

  it('publishes the signing keys and never a private part', async () => {
    const res = await fetch(`${t.baseUrl}/jwks.json`);
    assert.match(res.headers.get('content-type') ?? '', /application\/jwk-set\+json/);
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
    assert.ok(keys.length >= 1);
    for (const k of keys) {
      assert.equal(k.use, 'sig');
      assert.ok(typeof k.kid === 'string' && typeof k.alg === 'string');
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[secret], undefined);
    }
  });

  it('signs with RS256 for a client that asks for it', async () => {
    const rs = await makeClient(t, {
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
      metadata: { access_token_signed_response_alg: 'RS256' },
    });
    const r = await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic(rs.key, rs.secret ?? '') });
    const header = JSON.parse(Buffer.from(String(r.json.access_token).split('.')[0] ?? '', 'base64url').toString()) as { alg: string };
    assert.equal(header.alg, 'RS256');
    const intro = await postForm(
      `${t.baseUrl}/api/oauth2/introspect`,
      { token: String(r.json.access_token) },
      { authorization: basic(rs.key, rs.secret ?? '') },
    );
    assert.equal(intro.json.active, true);
  });
});
