// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

/** Headers that must match between the in-memory answer and the Fastify route (date and connection aside). */
const compared = (h: Headers) => Object.fromEntries([...h].filter(([k]) => k !== 'date' && k !== 'connection' && k !== 'keep-alive'));

const metric = async (s: TestServer, route: string) => {
  const text = s.app.metrics.render();
  const line = text.split('\n').find((l) => l.startsWith('latchkey_http_requests_total{') && l.includes(`route="${route}"`) && l.includes('status="2xx"'));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('discovery, metadata and JWKS answered before routing', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s.close());

  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks.json']) {
    it(`${path}: the same bytes and headers as the Fastify route, and counted in the metrics`, async () => {
      // Warm: the key ring is loaded, so the plain GET is answered from memory.
      await fetch(`${s.baseUrl}${path}?warm=1`);
      const before = await metric(s, path);
      const fast = await fetch(`${s.baseUrl}${path}`);
      // A query string always goes through Fastify.
      const routed = await fetch(`${s.baseUrl}${path}?via=fastify`);
      assert.equal(fast.status, 200);
      assert.equal(routed.status, 200);
      assert.deepEqual(compared(fast.headers), compared(routed.headers));
      assert.equal(await fast.text(), await routed.text());
      assert.equal(await metric(s, path), before + 2);
    });
  }

  it('serves a new JWK Set at once after a rotation at this instance', async () => {
    const before = (await (await fetch(`${s.baseUrl}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const rotated = await s.app.oauth2.keys.rotate();
    const afterRotation = (await (await fetch(`${s.baseUrl}/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    for (const k of rotated)
      assert.ok(
        afterRotation.keys.some((j) => j.kid === k.kid),
        `new key ${k.kid} is published`,
      );
    assert.ok(afterRotation.keys.length > before.keys.length);
  });

  it('leaves HEAD to Fastify, which answers it without a body', async () => {
    const r = await fetch(`${s.baseUrl}/jwks.json`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('the in-memory answers with the request log on (the default level, info)', () => {
  let s: TestServer;
  const log: string[] = [];
  before(async () => {
    s = await startServer({ log, env: { LATCHKEY_LOG_LEVEL: 'info' } });
  });
  after(async () => s.close());

  it('write one request line per answer, with the same fields as the Fastify route’s line', async () => {
    const path = '/.well-known/openid-configuration';
    await fetch(`${s.baseUrl}${path}?warm=1`);
    const before = await metric(s, path);
    const from = log.length;
    assert.equal((await fetch(`${s.baseUrl}${path}`)).status, 200);
    assert.equal((await fetch(`${s.baseUrl}${path}?via=fastify`)).status, 200);
    assert.equal(await metric(s, path), before + 2);
    const lines = log
      .slice(from)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request completed');
    assert.equal(lines.length, 2, 'one line for each request');
    const [fast, routed] = lines as [Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual(fast.req, { method: 'GET', url: path, remoteAddress: '127.0.0.1' });
    assert.deepEqual(routed.req, { method: 'GET', url: `${path}?via=[redacted]`, remoteAddress: '127.0.0.1' });
    for (const line of [fast, routed]) {
      assert.equal(line.level, 30);
      assert.deepEqual(line.res, { statusCode: 200 });
      assert.equal(line.outcome, 'ok');
      assert.equal(typeof line.responseTime, 'number');
      assert.match(String(line.reqId), /^[0-9a-f]{12}-[0-9a-z]+$/);
    }
    assert.notEqual(fast.reqId, routed.reqId, 'request ids stay unique');
  });
});
