// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';
import { authorizeInBrowser, basic, CookieJar, makeClient, makeUser, postForm } from './helpers.js';

const REDIRECT = 'https://app.example/cb';

/** What an administrator reads in a client's detail view: failed requests with their reason, and sign-ins. */
describe('client activity recorded by the OAuth 2.0 endpoints', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
    await makeUser(t, 'june', 'june-password-1');
  });
  after(() => t.close());

  const activity = async (key: string) => {
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${t.baseUrl}/admin/api/clients/${key}/activity`, { headers: { authorization: t.adminAuth } });
      const body = (await res.json()) as { failed_requests: Array<{ reason: string; details: Record<string, unknown> }>; sign_ins: Array<{ actor: string }> };
      if (body.failed_requests.length >= 2 && body.sign_ins.length >= 1) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('activity was not recorded');
  };

  it('shows a redirect URI mismatch and a wrong secret with their reasons, and the sign-in', async () => {
    const c = await makeClient(t, { redirect_uris: [REDIRECT] });
    const bad = new URLSearchParams({ client_id: c.key, redirect_uri: 'https://evil.example/cb', response_type: 'code' });
    assert.equal((await fetch(`${t.baseUrl}/oauth2/authorize?${bad}`)).status, 400);
    const wrong = await postForm(
      `${t.baseUrl}/api/oauth2/token`,
      { grant_type: 'authorization_code', code: 'x' },
      { authorization: basic(c.key, 'not-the-secret') },
    );
    assert.equal(wrong.status, 401);
    const good = new URLSearchParams({ client_id: c.key, redirect_uri: REDIRECT, response_type: 'code', scope: 'profile' });
    const cb = await authorizeInBrowser(new CookieJar(), t.baseUrl, `${t.baseUrl}/oauth2/authorize?${good}`, { username: 'june', password: 'june-password-1' });
    assert.ok(cb.searchParams.get('code'));

    const a = await activity(c.key);
    const reasons = a.failed_requests.map((f) => f.reason).join(' | ');
    assert.match(reasons, /redirect/i);
    assert.match(reasons, /secret|authenticat/i);
    assert.ok(!reasons.includes('not-the-secret'), 'the wrong secret itself is never recorded');
    assert.equal(a.sign_ins[0]?.actor, 'june');
  });

  it('records nothing for client ids that do not exist', async () => {
    await postForm(`${t.baseUrl}/api/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic('no-such-client', 'x') });
    await new Promise((r) => setTimeout(r, 100));
    const { total } = await t.app.stores.audit.list({ target: 'no-such-client', limit: 1, offset: 0 });
    assert.equal(total, 0);
  });
});
