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
