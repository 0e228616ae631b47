import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { signedGet, threeLegged } from './helpers.js';

const run = promisify(execFile);
const JFS = 'http://jazz.net/xmlns/prod/jazz/jfs/1.0/';

/** `latchkey client approve KEY` as a separate process, with the running server's configuration. */
async function cliApprove(t: TestServer, key: string): Promise<string> {
  const c = t.app.config;
  const env = {
    ...process.env,
    LATCHKEY_DATABASE_URL: c.databaseUrl,
    LATCHKEY_DATA_DIR: c.dataDir,
    LATCHKEY_MASTER_KEY: c.masterKey ?? '',
    LATCHKEY_LOG_LEVEL: 'silent',
  };
  const root = new URL('../../', import.meta.url).pathname;
  // The built CLI when `npm test` built it; the same sources through tsx otherwise (quick runs).
  const cli = existsSync(`${root}dist/cli/main.js`) ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const { stdout } = await run(process.execPath, [...cli, 'client', 'approve', key], { env, cwd: root });
  return stdout;
}

/** The rdf:resource (or text) of a jfs: property. */
function jfs(doc: string, name: string): string | undefined {
  const m = new RegExp(`<jfs:${name}(?: rdf:resource="([^"]*)"\\s*/>|>([^<]*)</jfs:${name}>)`).exec(doc);
  return m?.[1] ?? m?.[2];
}

for (const backend of backendNames()) {
  describe(`OSLC consumer-key handshake (${backend})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer({ backend });
    });
    after(async () => t.close());

    it('root services → request a key → pending → approved by the CLI → three-legged flow → GET /api/me', async () => {
      // 1. Root services.
      const rs = await fetch(`${t.baseUrl}/oslc/rootservices`);
      assert.equal(rs.status, 200);
      assert.match(rs.headers.get('content-type') ?? '', /^application\/rdf\+xml/);
      const doc = await rs.text();
      assert.ok(doc.includes(`xmlns:jfs="${JFS}"`));
      const issuer = t.app.config.issuer;
      assert.equal(jfs(doc, 'oauthRealmName'), issuer);
      assert.equal(jfs(doc, 'oauthDomain'), issuer);
      assert.equal(jfs(doc, 'oauthRequestTokenUrl'), `${issuer}/oauth1/request_token`);
      assert.equal(jfs(doc, 'oauthUserAuthorizationUrl'), `${issuer}/oauth1/authorize`);
      assert.equal(jfs(doc, 'oauthAccessTokenUrl'), `${issuer}/oauth1/access_token`);
      assert.match(jfs(doc, 'oauthApprovalModuleUrl') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/admin\/clients/);
      const requestKeyUrl = jfs(doc, 'oauthRequestConsumerKeyUrl') ?? '';
      assert.ok(requestKeyUrl.startsWith(issuer));

      // 2. Request a consumer key.
      const secret = 'oslc tool shared secret 42';
      const res = await fetch(requestKeyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Test management tool', secret, trusted: true }),
      });
      assert.equal(res.status, 200);
      const { key } = (await res.json()) as { key: string };
      assert.ok(key.length >= 20);

      // 3. It is pending, created via OSLC, audited with "oslc" and the source address; it cannot be used yet.
      const view = (await (await fetch(`${t.baseUrl}/admin/api/clients/${key}`, { headers: { authorization: t.adminAuth } })).json()) as Record<
        string,
        unknown
      >;
      assert.equal(view.status, 'pending');
      assert.equal(view.type, 'oauth1');
      assert.equal(view.created_via, 'oslc');
      assert.deepEqual(view.metadata, { oslc: { trusted_requested: true } });
      const audit = await t.app.stores.audit.list({ action: 'client.create', target: key, limit: 5, offset: 0 });
      assert.equal(audit.items[0]?.actor, 'oslc');
      assert.equal(audit.items[0]?.source, '127.0.0.1');
      await assert.rejects(threeLegged(t.baseUrl, { key, secret }), /consumer_key_rejected/);

      // 4. An administrator approves it with the CLI.
      assert.match(await cliApprove(t, key), /approved/);

      // 5. The OSLC tool completes the flow with the secret it chose.
      const { token, oauth } = await threeLegged(t.baseUrl, { key, secret });
      const me = await signedGet(oauth, `${t.baseUrl}/api/me`, token);
      assert.equal(me.status, 200, me.body);
      assert.equal((JSON.parse(me.body) as { username: string }).username, 'admin');
    });

    it('refuses malformed requests and rate-limits the unauthenticated endpoint (429 with Retry-After)', async () => {
      const url = `${t.baseUrl}/oslc/consumer-key`;
      const post = (body: string, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      const short = await post(JSON.stringify({ name: 'x', secret: 'short' }));
      assert.equal(short.status, 400);
      assert.match(JSON.stringify(await short.json()), /secret/);
      assert.equal((await post(JSON.stringify({ name: 'x' }))).status, 400);
      assert.equal((await post(JSON.stringify({ name: 'x', secret: 'long enough secret', admin: true }))).status, 400);
      assert.equal((await post('{not json')).status, 400);
      assert.equal((await post('name=x', 'application/x-www-form-urlencoded')).status, 415);
      // The first test made one request; 10 per hour per address are allowed.
      let last: Response | undefined;
      for (let i = 0; i < 6; i++) last = await post(JSON.stringify({ name: `tool ${i}`, secret: 'long enough secret' }));
      assert.equal(last?.status, 429);
      assert.equal(last?.headers.get('retry-after'), '3600');
    });
  });
}
