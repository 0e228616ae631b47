// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { basic, CookieJar, makeClient, makeUser, signIn, type TestClient } from './helpers.js';

const REGISTERED = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
  'unsupported_response_type',
  // Rate limits on the token and device endpoints (429).
  'temporarily_unavailable',
]);
const NAMES = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'username',
  'password',
  'scope',
  'device_code',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
];
const VALUES = fc.oneof(
  fc.constantFrom('', 'authorization_code', 'password', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, 'code', 'token', 'S256', 'plain', 'profile'),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ minLength: 4000, maxLength: 5000 }),
);
const FORM = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 10 })), VALUES), { maxLength: 8 });

/** Whatever a client sends, the answer is a registered OAuth error or success — never a 500. */
describe('bad input never causes a 500', () => {
  let t: TestServer;
  let c: TestClient;
  let jar: CookieJar;

  before(async () => {
    t = await startServer();
    await makeUser(t, 'lee', 'lee-password-12');
    c = await makeClient(t, {
      redirect_uris: ['https://app.example/cb'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT],
    });
    jar = new CookieJar();
    await signIn(jar, t.baseUrl, 'lee', 'lee-password-12');
  });
  after(() => t.close());

  for (const path of ['/api/oauth2/token', '/api/oauth2/introspect', '/api/oauth2/revoke', '/api/oauth2/device_code']) {
    it(`${path} answers random forms with registered errors`, async () => {
      await fc.assert(
        fc.asyncProperty(FORM, fc.boolean(), async (pairs, authenticated) => {
          const body = new URLSearchParams(pairs);
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (authenticated) headers.authorization = basic(c.key, c.secret ?? '');
          const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers, body });
          const json = (await res.json()) as Record<string, unknown>;
          assert.ok(res.status < 500, `${res.status} ${JSON.stringify(json)}`);
          if (res.status >= 400) {
            assert.ok(REGISTERED.has(String(json.error)), String(json.error));
            assert.equal(typeof json.error_description, 'string');
            assert.ok(!JSON.stringify(json).includes(c.secret ?? '?'));
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('/oauth2/authorize answers random queries with a page or a redirect, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(FORM, fc.boolean(), async (pairs, withClient) => {
        const q = new URLSearchParams(pairs.filter(([, v]) => v.length < 1000));
        if (withClient) {
          q.set('client_id', c.key);
          q.set('redirect_uri', 'https://app.example/cb');
        }
        const res = await jar.fetch(`${t.baseUrl}/oauth2/authorize?${q}`);
        assert.ok([200, 302, 303, 400].includes(res.status), `${res.status}`);
        if (res.status === 302) {
          const loc = new URL(res.headers.get('location') ?? '');
          assert.equal(`${loc.origin}${loc.pathname}`, 'https://app.example/cb');
          const p = loc.searchParams.get('error') ? loc.searchParams : new URLSearchParams(loc.hash.slice(1));
          if (p.get('error')) assert.ok(REGISTERED.has(p.get('error') ?? ''), p.get('error') ?? '');
        }
        await res.arrayBuffer();
      }),
      { numRuns: 80 },
    );
  });
});
