// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../scripts/services.mjs';
import { LOOPBACK_RECEIVERS, startServer, type TestServer } from '../support/server.js';
import { call } from './helpers.js';

const SECRET = 'webhook-signing-secret-0001';
const BODY = { client_name: 'Hooked app', redirect_uris: ['https://hooked.example/cb'], contacts: ['dev@hooked.example'] };

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver on 127.0.0.1: answers 204, or never answers when `hang` is set. */
async function receiver(hang = false): Promise<{ server: Server; url: string; received: Received[]; next(): Promise<Received> }> {
  const received: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const r = { headers: req.headers, body };
      received.push(r);
      waiters.shift()?.(r);
      if (!hang) res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let seen = 0;
  return {
    server,
    url: `http://127.0.0.1:${port}/hooks/latchkey`,
    received,
    next: () =>
      new Promise<Received>((resolve, reject) => {
        const index = seen++;
        const existing = received[index];
        if (existing) return resolve(existing);
        const timer = setTimeout(() => reject(new Error('no webhook call within 5 s')), 5000);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      }),
  };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('webhook for clients waiting for approval', () => {
  let hook: Awaited<ReturnType<typeof receiver>>;
  let server: TestServer;
  before(async () => {
    hook = await receiver();
    server = await startServer({ env: { ...LOOPBACK_RECEIVERS, LATCHKEY_REGISTRATION_WEBHOOK_URL: hook.url, LATCHKEY_REGISTRATION_WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    await server.close();
    await close(hook.server);
  });

  it('POSTs a signed JSON notification naming the client and who registered it, without secrets', async () => {
    const res = await call('POST', `${server.baseUrl}/api/oidc/register`, { body: BODY });
    assert.equal(res.status, 201);
    const got = await hook.next();
    assert.equal(got.headers['content-type'], 'application/json');
    const expected = `sha256=${createHmac('sha256', SECRET).update(got.body).digest('hex')}`;
    assert.equal(got.headers['x-latchkey-signature'], expected);
    const doc = JSON.parse(got.body) as { event: string; issuer: string; client: Record<string, unknown> };
    assert.equal(doc.event, 'client.pending');
    assert.equal(doc.issuer, server.app.config.issuer);
    assert.equal(doc.client.client_id, res.json.client_id);
    assert.equal(doc.client.name, 'Hooked app');
    assert.equal(doc.client.type, 'oidc');
    assert.equal(doc.client.status, 'pending');
    assert.equal(doc.client.created_via, 'registration');
    assert.equal(doc.client.source_address, '127.0.0.1');
    assert.deepEqual(doc.client.contacts, ['dev@hooked.example']);
    assert.ok(!got.body.includes(String(res.json.client_secret)), 'no client secret');
    assert.ok(!got.body.includes(String(res.json.registration_access_token)), 'no registration token');

    // Approved, then changed by its owner: it waits again, and the webhook hears of it again.
    const key = String(res.json.client_id);
    await server.app.clientAdmin.setStatus(key, 'approved', { name: 'admin', source: 'test' });
    const moved = await call('PUT', String(res.json.registration_client_uri), {
      token: String(res.json.registration_access_token),
      body: { ...BODY, client_id: key, redirect_uris: ['https://hooked.example/new'] },
    });
    assert.equal(moved.json.status, 'pending');
    const again = JSON.parse((await hook.next()).body) as { client: Record<string, unknown> };
    assert.equal(again.client.client_id, key);
    assert.deepEqual(again.client.redirect_uris, ['https://hooked.example/new']);
  });
});

describe('an unreachable or stalled webhook never holds up a registration', () => {
  it('registers at once while the webhook port is closed', async () => {
    const port = await freePort();
    const server = await startServer({ env: { ...LOOPBACK_RECEIVERS, LATCHKEY_REGISTRATION_WEBHOOK_URL: `http://127.0.0.1:${port}/down` } });
    try {
      const started = performance.now();
      const res = await call('POST', `${server.baseUrl}/api/oauth2/register`, { body: BODY });
      assert.equal(res.status, 201);
      assert.ok(performance.now() - started < 1000);
    } finally {
      await server.close();
    }
  });

  it('registers at once while the webhook accepts but never answers, and gives up after the timeout', async () => {
    const stalled = await receiver(true);
    const server = await startServer({
      env: { ...LOOPBACK_RECEIVERS, LATCHKEY_REGISTRATION_WEBHOOK_URL: stalled.url, LATCHKEY_REGISTRATION_WEBHOOK_TIMEOUT: '0.5' },
    });
    try {
      const started = performance.now();
      const res = await call('POST', `${server.baseUrl}/api/oauth2/register`, { body: BODY });
      const elapsed = performance.now() - started;
      assert.equal(res.status, 201);
      assert.ok(elapsed < 400, `registration took ${Math.round(elapsed)} ms`);
      await stalled.next();
      // The delivery is abandoned after 0.5 s, so draining it ends soon after.
      const webhook = server.app.registration.webhook;
      assert.ok(webhook);
      const drainStart = performance.now();
      await webhook.drain();
      assert.ok(performance.now() - drainStart < 1500);
    } finally {
      await server.close();
      await close(stalled.server);
    }
  });
});
