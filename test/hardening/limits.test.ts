import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { LIMITS } from '../../src/http/request-limits.js';
import { CookieJar, makeClient, postForm, signIn, startPeer } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { rawRequest } from './raw-http.js';

/**
 * Limits everywhere: body size, header size, parameter counts, malformed HTTP, and rate limits on
 * the token, device, registration, consumer-key and login endpoints — configurable, counted across
 * instances, answering 429 with Retry-After.
 */
const FORM = 'application/x-www-form-urlencoded';

function expectJsonError(res: { status: number; headers: Record<string, string>; text: string }, status: number, error: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const body = JSON.parse(res.text) as Record<string, unknown>;
  assert.equal(body.error, error);
  assert.equal(typeof body.error_description, 'string');
}

describe('request limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.close());

  it(`refuses bodies over the limit: ${LIMITS.bodyBytes / 1024} KiB, 64 KiB on JSON APIs, 16 KiB for consumer keys`, async () => {
    const token = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/api/oauth2/token',
      headers: [['Content-Type', FORM]],
      body: Buffer.alloc(LIMITS.bodyBytes + 1, 0x61),
    });
    expectJsonError(token, 413, 'invalid_request');
    const json = (n: number) => JSON.stringify({ name: 'x'.repeat(n) });
    const adminApi = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/admin/api/clients',
      headers: [
        ['Content-Type', 'application/json'],
        ['Authorization', t.adminAuth],
      ],
      body: json(65 * 1024),
    });
    assert.equal(adminApi.status, 413);
    const registration = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/api/oauth2/register',
      headers: [['Content-Type', 'application/json']],
      body: json(65 * 1024),
    });
    expectJsonError(registration, 413, 'invalid_request');
    const consumerKey = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/oslc/consumer-key',
      headers: [['Content-Type', 'application/json']],
      body: json(17 * 1024),
    });
    assert.equal(consumerKey.status, 413);
  });

  it(`answers 431 when the request line and headers exceed ${LIMITS.headerBytes / 1024} KiB, and the client reads the answer`, async () => {
    const under = await rawRequest(t.baseUrl, {
      method: 'GET',
      target: '/api/me',
      headers: [['Authorization', `Bearer ${'a'.repeat(LIMITS.headerBytes - 1024)}`]],
    });
    assert.equal(under.status, 401);
    for (const [name, value] of [
      ['Authorization', `Bearer ${'a'.repeat(LIMITS.headerBytes)}`],
      ['Cookie', `latchkey_session=${'c'.repeat(LIMITS.headerBytes)}`],
    ] as const) {
      // A body follows the headers, as a client uploading would send it: the answer must still arrive.
      const res = await rawRequest(t.baseUrl, {
        method: 'POST',
        target: '/api/oauth2/token',
        headers: [
          [name, value],
          ['Content-Type', FORM],
        ],
        body: 'grant_type=x'.repeat(2000),
      });
      expectJsonError(res, 431, 'invalid_request');
    }
    const longUrl = await rawRequest(t.baseUrl, { method: 'GET', target: `/oauth2/authorize?state=${'s'.repeat(LIMITS.headerBytes)}`, headers: [] });
    expectJsonError(longUrl, 431, 'invalid_request');
  });

  it(`refuses more than ${LIMITS.parameters} query or form parameters`, async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
    expectJsonError(
      await rawRequest(t.baseUrl, { method: 'GET', target: `/oauth2/authorize?${many(LIMITS.parameters + 1)}`, headers: [] }),
      400,
      'invalid_request',
    );
    const form = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/api/oauth2/token',
      headers: [['Content-Type', FORM]],
      body: many(LIMITS.parameters + 1),
    });
    expectJsonError(form, 400, 'invalid_request');
    assert.match(form.text, new RegExp(`at most ${LIMITS.parameters} parameters`));
    // At the limit the request is read, and refused for what it is (no client authentication).
    const atLimit = await rawRequest(t.baseUrl, {
      method: 'POST',
      target: '/api/oauth2/token',
      headers: [['Content-Type', FORM]],
      body: many(LIMITS.parameters),
    });
    expectJsonError(atLimit, 401, 'invalid_client');
  });

  it('answers malformed HTTP and malformed URLs with a JSON invalid_request, never a 5xx', async () => {
    const cases: Array<[string, Parameters<typeof rawRequest>[1]]> = [
      ['bad percent-encoding in a path segment', { method: 'GET', target: '/admin/api/clients/%E0%A4%A', headers: [['Authorization', t.adminAuth]] }],
      ['a control character in a header value', { method: 'GET', target: '/api/me', headers: [['X-Test', 'a\u0001b']] }],
      ['a bare LF inside a header value', { method: 'GET', target: '/api/me', headers: [['X-Test', 'a\nb']] }],
      [
        'invalid chunked encoding',
        {
          method: 'POST',
          target: '/api/oauth2/token',
          headers: [
            ['Transfer-Encoding', 'chunked'],
            ['Content-Type', FORM],
          ],
          body: 'zz\r\nabc\r\n0\r\n\r\n',
        },
      ],
      ['a path segment over the length limit', { method: 'GET', target: `/admin/api/clients/${'k'.repeat(600)}`, headers: [['Authorization', t.adminAuth]] }],
    ];
    for (const [name, req] of cases) {
      const res = await rawRequest(t.baseUrl, req);
      assert.ok(res.status >= 400 && res.status < 500, `${name}: ${res.status}`);
      const body = JSON.parse(res.text) as Record<string, unknown>;
      assert.ok(['invalid_request', 'not_found'].includes(String(body.error)), `${name}: ${res.text}`);
    }
  });
});

for (const backend of backendNames()) {
  describe(`rate limits answer 429 with Retry-After and count across instances (${backend})`, () => {
    let t: TestServer;
    const env = {
      LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT: '4',
      LATCHKEY_REGISTRATION_RATE_LIMIT: '2',
      LATCHKEY_CONSUMER_KEY_RATE_LIMIT: '2',
      LATCHKEY_LOGIN_THROTTLE_LIMIT: '2',
    };
    before(async () => {
      t = await startServer({ backend, env });
    });
    after(() => t.close());

    /** Sends until refused; returns the refusal, asserting it came right after `limit` accepted calls. */
    async function exhaust(limit: number, call: () => Promise<Response>): Promise<Response> {
      for (let i = 0; i < limit; i++) assert.notEqual((await call()).status, 429, `call ${i + 1} of ${limit} is within the limit`);
      const refused = await call();
      assert.equal(refused.status, 429);
      assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After in seconds');
      return refused;
    }

    const basicOf = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
    /** A POST from a given source address, through an instance that trusts X-Forwarded-For. */
    const from = (base: string, address: string, path: string, body: string, authorization?: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': FORM, ...(address ? { 'x-forwarded-for': address } : {}), ...(authorization ? { authorization } : {}) },
        body,
      });
    const ccClient = () => makeClient(t, { redirect_uris: [], response_types: [], grant_types: ['client_credentials'] });

    it('failed client authentications at every client-authenticating endpoint (LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT per address)', async () => {
      const peer = await startPeer(t, { ...env, LATCHKEY_TRUST_PROXY: 'true' });
      try {
        const endpoints: Array<[string, string, (n: number) => [string, string | undefined]]> = [
          ['token', '/api/oauth2/token', (n) => ['grant_type=client_credentials', basicOf(`nobody-token-${n}`, 'wrong')]],
          ['introspection', '/api/oauth2/introspect', (n) => ['token=x', basicOf(`nobody-introspect-${n}`, 'wrong')]],
          ['revocation', '/api/oauth2/revoke', (n) => ['token=x', basicOf(`nobody-revoke-${n}`, 'wrong')]],
          ['device authorization by an unknown client', '/api/oauth2/device_code', (n) => [`client_id=nobody-device-${n}`, undefined]],
        ];
        for (const [i, [name, path, request]] of endpoints.entries()) {
          const address = `198.51.100.${10 + i}`;
          // A different client each time: only the address reaches the limit.
          let n = 0;
          const refused = await exhaust(4, () => from(peer.baseUrl, address, path, ...request(n++)));
          assert.equal(refused.headers.get('retry-after'), '60', name);
          assert.equal(refused.headers.get('cache-control'), 'no-store', name);
          assert.equal(((await refused.json()) as Record<string, unknown>).error, 'temporarily_unavailable', name);
        }
        // The token endpoint's address is refused even with good credentials; another address is not.
        const good = await ccClient();
        const withGood = (address: string) =>
          from(peer.baseUrl, address, '/api/oauth2/token', 'grant_type=client_credentials', basicOf(good.key, good.secret ?? ''));
        assert.equal((await withGood('198.51.100.10')).status, 429);
        assert.equal((await withGood('198.51.100.99')).status, 200);
        const metrics = await (await fetch(`${peer.baseUrl}/metrics`)).text();
        assert.match(metrics, /latchkey_security_events_total\{event="rate_limited"\} [1-9]/);
        assert.match(metrics, /latchkey_auth_failure_limited\{by="address"\} 4/);
      } finally {
        await peer.close();
      }
    });

    it('failed authentications of one client (LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT per client), from any address, shared with a second instance', async () => {
      const [a, b] = [await startPeer(t, { ...env, LATCHKEY_TRUST_PROXY: 'true' }), await startPeer(t, { ...env, LATCHKEY_TRUST_PROXY: 'true' })];
      try {
        const victim = await ccClient();
        const other = await ccClient();
        const token = (base: string, address: string, c: { key: string }, secret: string) =>
          from(base, address, '/api/oauth2/token', 'grant_type=client_credentials', basicOf(c.key, secret));
        // Each guess from its own address: only the client reaches the limit.
        let n = 0;
        const refused = await exhaust(4, () => token(a.baseUrl, `203.0.113.${n++}`, victim, 'wrong'));
        assert.match(String(((await refused.json()) as Record<string, unknown>).error_description), /this client/);
        const cases: Array<[string, () => Promise<Response>, number]> = [
          ['the right secret of the guessed client, from a fresh address', () => token(a.baseUrl, '203.0.113.200', victim, victim.secret ?? ''), 429],
          ['another client from that address', () => token(a.baseUrl, '203.0.113.200', other, other.secret ?? ''), 200],
        ];
        for (const [name, call, status] of cases) assert.equal((await call()).status, status, name);
        // The second instance learns the count within a flush (250 ms) of reading it.
        let peerStatus = 0;
        for (let i = 0; i < 3 && peerStatus !== 429; i++) {
          peerStatus = (await token(b.baseUrl, '203.0.113.201', victim, victim.secret ?? '')).status;
          if (peerStatus !== 429) await new Promise((r) => setTimeout(r, 600));
        }
        assert.equal(peerStatus, 429, 'the second instance counts the first one’s failures');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('successful token requests are not limited by default, nor refusals that are not client authentication failures', async () => {
      const c = await ccClient();
      const auth = basicOf(c.key, c.secret ?? '');
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await from(t.baseUrl, '', '/api/oauth2/token', 'grant_type=client_credentials', auth)).status);
      for (let i = 0; i < 6; i++)
        statuses.push((await from(t.baseUrl, '', '/api/oauth2/token', 'grant_type=client_credentials&scope=not-a-scope', auth)).status);
      statuses.push((await from(t.baseUrl, '', '/api/oauth2/token', 'grant_type=client_credentials', auth)).status);
      assert.deepEqual(statuses, [...Array(12).fill(200), ...Array(6).fill(400), 200], 'three times the failure limit, all answered');
      assert.equal(t.app.config.clientTokenRateLimit, 0, 'the default');
      assert.doesNotMatch(await (await fetch(`${t.baseUrl}/metrics`)).text(), /latchkey_client_token_requests/);
    });

    it('successful token requests per client (LATCHKEY_CLIENT_TOKEN_RATE_LIMIT per minute, when set), with the counts in /metrics', async () => {
      const peer = await startPeer(t, { ...env, LATCHKEY_CLIENT_TOKEN_RATE_LIMIT: '3' });
      try {
        const [busy, calm] = [await ccClient(), await ccClient()];
        const call = (c: { key: string; secret?: string | null }) =>
          from(peer.baseUrl, '', '/api/oauth2/token', 'grant_type=client_credentials', basicOf(c.key, c.secret ?? ''));
        const refused = await exhaust(3, () => call(busy));
        assert.equal(refused.headers.get('retry-after'), '60');
        assert.match(String(((await refused.json()) as Record<string, unknown>).error_description), /token requests of this client/);
        assert.equal((await call(calm)).status, 200, 'another client from the same address has its own budget');
        const metrics = await (await fetch(`${peer.baseUrl}/metrics`)).text();
        assert.match(metrics, new RegExp(`latchkey_client_token_requests\\{client="${busy.key}"\\} 3`));
        assert.match(metrics, new RegExp(`latchkey_client_token_requests\\{client="${calm.key}"\\} 1`));
      } finally {
        await peer.close();
      }
    });

    it('registration endpoint (LATCHKEY_REGISTRATION_RATE_LIMIT per window)', async () => {
      const refused = await exhaust(2, () =>
        fetch(`${t.baseUrl}/api/oauth2/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_name: 'Rate', redirect_uris: ['https://rate.example/cb'] }),
        }),
      );
      assert.equal(((await refused.json()) as Record<string, unknown>).error, 'temporarily_unavailable');
    });

    it('OSLC consumer-key endpoint (LATCHKEY_CONSUMER_KEY_RATE_LIMIT per hour)', async () => {
      await exhaust(2, () =>
        fetch(`${t.baseUrl}/oslc/consumer-key`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Jazz', secret: 'a-consumer-secret-1234' }),
        }),
      );
    });

    it('login form (LATCHKEY_LOGIN_THROTTLE_LIMIT failures per username), shared with a second instance', async () => {
      await t.app.userAdmin.create({ username: 'rita', password: 'rita-password-long-1' }, { name: 't', source: 't', authority: OPERATOR });
      const peer = await startPeer(t, env);
      try {
        assert.equal((await signIn(new CookieJar(), t.baseUrl, 'rita', 'wrong-1')).status, 401);
        assert.equal((await signIn(new CookieJar(), peer.baseUrl, 'rita', 'wrong-2')).status, 401);
        const refused = await signIn(new CookieJar(), t.baseUrl, 'rita', 'rita-password-long-1');
        assert.equal(refused.status, 429, 'even the right password waits once the failures of both instances reach the limit');
        assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
        const viaToken = await postForm(`${peer.baseUrl}/api/oauth2/token`, { grant_type: 'password', username: 'rita', password: 'rita-password-long-1' });
        assert.notEqual(viaToken.status, 200);
      } finally {
        await peer.close();
      }
    });
  });
}
