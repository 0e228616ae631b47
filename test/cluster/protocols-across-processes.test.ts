import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { authHeader, threeLegged } from '../oauth1/helpers.js';
import { approveDevice, authorizeInBrowser, basic, postForm } from '../oauth2/helpers.js';
import { type Backend, postgresBackend } from '../support/backends.js';
import { CookieJar, clusterKey, type Instance, startInstances } from '../support/instances.js';
import { ADMIN_PASSWORD } from '../support/server.js';

const run = promisify(execFile);
const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const REDIRECT = 'https://app.example/cb';
const ivy = { username: 'ivy', password: 'ivy-password-123' };

interface Created {
  key: string;
  secret: string;
}

/** Two `latchkey serve` processes behind one public issuer, sharing one PostgreSQL database. */
describe('OAuth 2.0 and OAuth 1.0a across two server processes on one PostgreSQL', { skip: !process.env.LATCHKEY_TEST_PG_URL }, () => {
  let backend: Backend;
  let a: Instance;
  let b: Instance;
  let masterKey: string;
  let web: Created;
  let rs: Created;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${a.baseUrl}${path}`, {
      method,
      headers: { authorization: adminAuth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const client = async (input: Record<string, unknown>): Promise<Created> => {
    const c = await admin('POST', '/admin/api/clients', { type: 'oauth2', name: 'App', ...input });
    await admin('POST', `/admin/api/clients/${String(c.client_key)}/approve`);
    return { key: String(c.client_key), secret: String(c.client_secret) };
  };
  const token = (at: Instance, c: Created, form: Record<string, string>) =>
    postForm(`${at.baseUrl}/api/oauth2/token`, form, { authorization: basic(c.key, c.secret) });
  const active = async (at: Instance, t: string) =>
    (await postForm(`${at.baseUrl}/api/oauth2/introspect`, { token: t }, { authorization: basic(rs.key, rs.secret) })).json.active;

  /** A fresh code for ivy, minted through the real sign-in and consent pages at A. */
  async function codeAtA(jar: CookieJar): Promise<string> {
    const q = new URLSearchParams({ client_id: web.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile', state: 's' });
    const cb = await authorizeInBrowser(jar, a.baseUrl, `${a.baseUrl}/oauth2/authorize?${q}`, ivy);
    return cb.searchParams.get('code') ?? '';
  }

  before(async () => {
    backend = await postgresBackend();
    masterKey = clusterKey();
    const shared = { databaseUrl: backend.url, dataDir: backend.dataDir, masterKey };
    [a] = (await startInstances(['A'], shared)) as [Instance];
    // Both instances publish A's address as the one issuer, as behind a load balancer.
    [b] = (await startInstances(['B'], { ...shared, env: { LATCHKEY_ISSUER: a.baseUrl } })) as [Instance];
    await admin('POST', '/admin/api/users', { username: ivy.username, password: ivy.password });
    web = await client({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'] });
    rs = await client({ grant_types: ['client_credentials'], response_types: [], resource_server: true });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await backend?.cleanup();
  });

  it('redeems at B a code issued by A; of 50 simultaneous redemptions at A and B exactly one wins and the loser revokes its tokens', async () => {
    const jar = new CookieJar();
    const first = await token(b, web, { grant_type: 'authorization_code', code: await codeAtA(jar), redirect_uri: REDIRECT });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    for (let round = 0; round < 50; round++) {
      const code = await codeAtA(jar);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
      const results = await Promise.all([token(a, web, form), token(b, web, form)]);
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.json))}`);
      const loser = results.find((r) => r.status !== 200);
      assert.equal(loser?.json.error, 'invalid_grant');
      const access = String(winners[0]?.json.access_token);
      // The replay revoked what the winner received, at both instances.
      assert.equal(await active(a, access), false, `round ${round}`);
      assert.equal(await active(b, access), false, `round ${round}`);
    }
  });

  it('revokes the family when a rotated refresh token is replayed at A and B at once', async () => {
    const got = await token(a, web, { grant_type: 'authorization_code', code: await codeAtA(new CookieJar()), redirect_uri: REDIRECT });
    const rt = String(got.json.refresh_token);
    const rotated = await token(b, web, { grant_type: 'refresh_token', refresh_token: rt });
    assert.equal(rotated.status, 200);
    const replays = await Promise.all([
      token(a, web, { grant_type: 'refresh_token', refresh_token: rt }),
      token(b, web, { grant_type: 'refresh_token', refresh_token: rt }),
    ]);
    assert.deepEqual(
      replays.map((r) => r.json.error),
      ['invalid_grant', 'invalid_grant'],
    );
    assert.equal(await active(a, String(rotated.json.access_token)), false);
    const next = await token(a, web, { grant_type: 'refresh_token', refresh_token: String(rotated.json.refresh_token) });
    assert.equal(next.json.error, 'invalid_grant', 'the newest token of the family is dead too');
  });

  it('shares device codes: approved at A, polled at B, slow_down counted across both', async () => {
    const start = await postForm(`${a.baseUrl}/api/oauth2/device_code`, { scope: 'profile' }, { authorization: basic(web.key, web.secret) });
    assert.equal(start.status, 200);
    const deviceCode = String(start.json.device_code);
    const poll = (at: Instance) => token(at, web, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode });
    assert.equal((await poll(b)).json.error, 'authorization_pending');
    assert.equal((await poll(a)).json.error, 'slow_down', 'A knows B was just polled');
    await approveDevice(new CookieJar(), a.baseUrl, String(start.json.verification_uri_complete), ivy);
    const interval = Number(start.json.interval) + 5;
    await new Promise((r) => setTimeout(r, interval * 1000 + 200));
    const done = await poll(b);
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.ok(done.json.access_token);
  });

  it('rejects at B, within a second, the token of a client disapproved at A', async () => {
    const got = await token(a, web, { grant_type: 'authorization_code', code: await codeAtA(new CookieJar()), redirect_uri: REDIRECT });
    const access = String(got.json.access_token);
    const me = (at: Instance) => fetch(`${at.baseUrl}/api/me`, { headers: { authorization: `Bearer ${access}` } }).then((r) => r.status);
    assert.equal(await me(b), 200);
    await admin('POST', `/admin/api/clients/${web.key}/disapprove`);
    const t0 = Date.now();
    let status = await me(b);
    while (status === 200 && Date.now() - t0 < 1000) status = await me(b);
    assert.equal(status, 401);
    assert.ok(Date.now() - t0 < 1000);
    await admin('POST', `/admin/api/clients/${web.key}/approve`);
  });

  it('refuses at B an OAuth 1.0a nonce already used at A', async () => {
    const created = await admin('POST', '/admin/api/clients', { type: 'oauth1', name: 'Test tool', secret: 'consumer-secret-cluster-1', callback_url: 'oob' });
    const consumer = { key: String(created.client_key), secret: 'consumer-secret-cluster-1' };
    await admin('POST', `/admin/api/clients/${consumer.key}/approve`);
    const { token: creds, oauth } = await threeLegged(a.baseUrl, consumer, { callback: 'oob', username: ivy.username, password: ivy.password });
    // One signed request (one nonce), for the public URL, sent first to A and then replayed to B.
    const header = authHeader(oauth, { url: `${a.baseUrl}/api/me`, method: 'GET' }, creds);
    const atA = await fetch(`${a.baseUrl}/api/me`, { headers: { authorization: header } });
    assert.equal(atA.status, 200);
    const atB = await fetch(`${b.baseUrl}/api/me`, { headers: { authorization: header } });
    assert.equal(atB.status, 401);
    assert.match(atB.headers.get('www-authenticate') ?? '', /oauth_problem="nonce_used"/);
  });

  it('publishes and signs with a key rotated by the CLI within a few seconds, without restart', async () => {
    const cc = await client({ grant_types: ['client_credentials'], response_types: [] });
    const kidAt = async (at: Instance) => decodeProtectedHeader(String((await token(at, cc, { grant_type: 'client_credentials' })).json.access_token)).kid;
    const before = await kidAt(b);
    const out = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'rotate', '--alg', 'ES256', '--json'], {
      env: {
        ...process.env,
        LATCHKEY_DATABASE_URL: backend.url,
        LATCHKEY_DATA_DIR: backend.dataDir,
        LATCHKEY_MASTER_KEY: masterKey,
        LATCHKEY_LOG_LEVEL: 'silent',
      },
    });
    const added = (JSON.parse(out.stdout) as { added: Array<{ kid: string }> }).added[0]?.kid;
    assert.ok(added && added !== before);
    const deadline = Date.now() + 10_000;
    let published = false;
    let signing: Array<string | undefined> = [before, before];
    while ((!published || signing.some((k) => k !== added)) && Date.now() < deadline) {
      const jwks = (await (await fetch(`${b.baseUrl}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      published = jwks.keys.some((k) => k.kid === added);
      signing = [await kidAt(a), await kidAt(b)];
      if (!published || signing.some((k) => k !== added)) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(published, 'B publishes the new key');
    assert.deepEqual(signing, [added, added], 'A and B sign with the new key');
  });
});
