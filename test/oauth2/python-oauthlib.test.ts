// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer, type TestServer } from '../support/server.js';
import { authorizeInBrowser, CookieJar, makeClient, makeUser } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('./requests-oauthlib-flow.py', import.meta.url));
const REDIRECT = 'http://127.0.0.1:9/py-callback';

describe("authorization code flow with Python's requests-oauthlib (OAuth2Session)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await makeUser(t, 'ivy', 'ivy-password-12');
  });
  after(() => t.close());

  it('gets, uses and refreshes tokens', async () => {
    const c = await makeClient(t, { name: 'Python app', redirect_uris: [REDIRECT] });
    const child = spawn('/usr/bin/python3', [SCRIPT, t.baseUrl, c.key, c.secret ?? '', REDIRECT], {
      // oauthlib insists on https unless told this is a loopback test.
      env: { ...process.env, OAUTHLIB_INSECURE_TRANSPORT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    assert.ok(!first.done, stderr);
    const { url, state } = JSON.parse(String(first.value)) as { url: string; state: string };
    const callback = await authorizeInBrowser(new CookieJar(), t.baseUrl, url, { username: 'ivy', password: 'ivy-password-12' });
    assert.equal(callback.searchParams.get('state'), state);
    child.stdin.write(`${callback.href}\n`);
    const second = await lines.next();
    assert.ok(!second.done, stderr);
    const out = JSON.parse(String(second.value)) as {
      token: { access_token: string; refresh_token: string; token_type: string };
      me_status: number;
      me: { username: string };
      refreshed: { access_token: string; refresh_token: string };
    };
    assert.equal(out.token.token_type, 'Bearer');
    assert.equal(out.me_status, 200);
    assert.equal(out.me.username, 'ivy');
    assert.notEqual(out.refreshed.refresh_token, out.token.refresh_token);
    assert.notEqual(out.refreshed.access_token, out.token.access_token);
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(child.exitCode, 0, stderr);
  });
});
