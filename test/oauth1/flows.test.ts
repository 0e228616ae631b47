import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { ACTOR, authorizeAsUser, Browser, CALLBACK, createConsumer, type Method, signedGet, threeLegged, verifierFromPage } from './helpers.js';

const PYTHON_CLIENT = new URL('./requests_oauthlib_client.py', import.meta.url).pathname;

/** Runs the requests-oauthlib client, doing the user's part in between. */
async function pythonFlow(baseUrl: string, consumer: { key: string; secret: string }, callback: string, method: string) {
  const child = spawn('/usr/bin/python3', [PYTHON_CLIENT, baseUrl, consumer.key, consumer.secret, callback, method], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`python client ended early: ${stderr}`);
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const first = await next();
  assert.equal(first.confirmed, 'true');
  const answer = await authorizeAsUser(baseUrl, String(first.authorize));
  child.stdin.write(`${callback === 'oob' ? verifierFromPage(answer.page) : answer.callback}\n`);
  const result = await next();
  child.stdin.end();
  return result;
}

for (const backend of backendNames()) {
  describe(`OAuth 1.0a three-legged flows (${backend})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer({ backend });
    });
    after(async () => t.close());

    for (const method of ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1'] as Method[]) {
      it(`npm oauth-1.0a with ${method}: request token → sign in → Allow → access token → GET /api/me`, async () => {
        const consumer = await createConsumer(t.app, { rsa: method === 'RSA-SHA1', callbackUrl: CALLBACK });
        const { token, oauth } = await threeLegged(t.baseUrl, consumer, { method });
        const me = await signedGet(oauth, `${t.baseUrl}/api/me`, token);
        assert.equal(me.status, 200, me.body);
        const body = JSON.parse(me.body) as { username: string; client_id?: string };
        assert.equal(body.username, 'admin');
        assert.equal(body.client_id, consumer.key);
        // The admin API accepts the same credentials, with the admin's permissions.
        const clients = await signedGet(oauth, `${t.baseUrl}/admin/api/clients?type=oauth1&limit=5`, token);
        assert.equal(clients.status, 200, clients.body);
        assert.ok((JSON.parse(clients.body) as { total: number }).total >= 1);
      });
    }

    it('oob: the verifier is shown on the page and works once', async () => {
      const consumer = await createConsumer(t.app, { callbackUrl: 'oob' });
      const { token, oauth } = await threeLegged(t.baseUrl, consumer, { callback: 'oob' });
      const me = await signedGet(oauth, `${t.baseUrl}/api/me`, token);
      assert.equal(me.status, 200, me.body);
      assert.equal((JSON.parse(me.body) as { username: string }).username, 'admin');
    });

    it('requests-oauthlib (HMAC-SHA1, callback) ends in a signed GET /api/me; a resent request is a used nonce', async () => {
      const consumer = await createConsumer(t.app, { callbackUrl: CALLBACK });
      const r = await pythonFlow(t.baseUrl, consumer, CALLBACK, 'HMAC-SHA1');
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal((r.me as { username: string }).username, 'admin');
      assert.equal(r.replay_status, 401);
      assert.match(String(r.replay_challenge), /oauth_problem="nonce_used"/);
    });

    it('requests-oauthlib (HMAC-SHA256, oob)', async () => {
      const consumer = await createConsumer(t.app);
      const r = await pythonFlow(t.baseUrl, consumer, 'oob', 'HMAC-SHA256');
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal((r.me as { username: string }).username, 'admin');
    });

    it('a user without roles gets their profile but not the admin API (their own permissions only)', async () => {
      await t.app.userAdmin.create({ username: 'jane', display_name: 'Jane Doe', password: 'jane password 123', roles: [] }, ACTOR);
      const consumer = await createConsumer(t.app);
      const { token, oauth } = await threeLegged(t.baseUrl, consumer, { username: 'jane', password: 'jane password 123' });
      const me = await signedGet(oauth, `${t.baseUrl}/api/me`, token);
      assert.equal(me.status, 200, me.body);
      assert.equal((JSON.parse(me.body) as { username: string }).username, 'jane');
      const admin = await signedGet(oauth, `${t.baseUrl}/admin/api/clients`, token);
      assert.equal(admin.status, 403);
    });

    it('the consumer is listed under Authorized applications; revoking it cuts its tokens off at once', async () => {
      const consumer = await createConsumer(t.app, { name: 'Test manager' });
      const browser = new Browser(t.baseUrl);
      const { oauth, token } = await threeLegged(t.baseUrl, consumer, {});
      assert.equal((await signedGet(oauth, `${t.baseUrl}/api/me`, token)).status, 200);
      let page = await browser.request('/account/applications');
      page = await browser.signInIfAsked(page, 'admin', (await import('../support/server.js')).ADMIN_PASSWORD);
      assert.match(page.body, /Test manager/);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const revoked = await browser.request('/account/applications/revoke', { method: 'POST', form: { csrf_token: csrf, client_key: consumer.key } });
      assert.equal(revoked.status, 200);
      const me = await signedGet(oauth, `${t.baseUrl}/api/me`, token);
      assert.equal(me.status, 401);
      assert.match(me.headers.get('www-authenticate') ?? '', /oauth_problem="token_rejected"/);
    });

    it('Deny sends the user back with oauth_problem=user_refused and the temporary credentials die', async () => {
      const consumer = await createConsumer(t.app, { callbackUrl: CALLBACK });
      const { npmClient, authHeader, parseForm } = await import('./helpers.js');
      const oauth = npmClient(consumer.key, consumer.secret);
      const url = `${t.baseUrl}/oauth1/request_token`;
      const rt = await fetch(url, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url, method: 'POST' }, undefined, { oauth_callback: CALLBACK }) },
      });
      const temp = parseForm(await rt.text());
      const answer = await authorizeAsUser(t.baseUrl, `/oauth1/authorize?oauth_token=${temp.oauth_token}`, { decision: 'deny' });
      // The consent page names the consumer and where the user goes next.
      assert.match(answer.consent, /Requirements tool/);
      assert.match(answer.consent, /sent back to 127\.0\.0\.1:9/);
      assert.ok(answer.callback?.startsWith(`${CALLBACK}?`));
      assert.equal(new URL(answer.callback ?? '').searchParams.get('oauth_problem'), 'user_refused');
      const again = await authorizeAsUser(t.baseUrl, `/oauth1/authorize?oauth_token=${temp.oauth_token}`);
      assert.equal(again.status, 400);
    });
  });
}
