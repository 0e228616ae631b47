// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OAuth from 'oauth-1.0a';
import { startServer, type TestServer } from '../support/server.js';
import { ACTOR, authHeader, createConsumer, npmClient, threeLegged } from './helpers.js';

const RS_URL = 'https://rs.example.test/api/things?id=7&tag=a%20b';

describe('POST /api/oauth1/verify (for other resource servers)', () => {
  let t: TestServer;
  let rsAuth = '';
  let oauth: OAuth;
  let token: { key: string; secret: string };
  let consumerKey = '';

  before(async () => {
    t = await startServer();
    // The resource server authenticates as an approved confidential OAuth 2.0 client.
    const { client, secret } = await t.app.clientAdmin.create(
      { type: 'oauth2', name: 'Resource server', redirect_uris: ['https://rs.example.test/cb'], resource_server: true },
      ACTOR,
    );
    await t.app.clientAdmin.setStatus(client.key, 'approved', ACTOR);
    rsAuth = `Basic ${Buffer.from(`${encodeURIComponent(client.key)}:${encodeURIComponent(secret ?? '')}`).toString('base64')}`;
    const consumer = await createConsumer(t.app);
    consumerKey = consumer.key;
    ({ oauth, token } = await threeLegged(t.baseUrl, consumer));
  });
  after(async () => t.close());

  const verify = async (body: Record<string, unknown>, authorization = rsAuth) => {
    const res = await fetch(`${t.baseUrl}/api/oauth1/verify`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };

  it('answers who signed a valid request, then refuses the same request replayed', async () => {
    const authorization = authHeader(oauth, { url: RS_URL, method: 'GET' }, token);
    const r = await verify({ method: 'GET', url: RS_URL, authorization });
    assert.equal(r.status, 200);
    assert.equal(r.json.valid, true, JSON.stringify(r.json));
    assert.equal((r.json.user as { username: string }).username, 'admin');
    assert.equal((r.json.consumer as { key: string }).key, consumerKey);
    assert.equal(r.json.nonce_recorded, true);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const again = await verify({ method: 'GET', url: RS_URL, authorization });
    assert.equal(again.json.valid, false);
    assert.equal(again.json.oauth_problem, 'nonce_used');
    assert.equal(again.json.status, 401);
    assert.match(String(again.json.www_authenticate), /^OAuth realm="[^"]+", oauth_problem="nonce_used"/);
  });

  it('with consume_nonce false it only checks, leaving replay protection to the resource server', async () => {
    const authorization = authHeader(oauth, { url: RS_URL, method: 'GET' }, token);
    for (let i = 0; i < 2; i++) {
      const r = await verify({ method: 'GET', url: RS_URL, authorization, consume_nonce: false });
      assert.equal(r.json.valid, true);
      assert.equal(r.json.nonce_recorded, false);
    }
    assert.equal((await verify({ method: 'GET', url: RS_URL, authorization })).json.valid, true);
    assert.equal((await verify({ method: 'GET', url: RS_URL, authorization })).json.oauth_problem, 'nonce_used');
  });

  it('detects tampering with the URL, the method or a form body', async () => {
    const authorization = authHeader(oauth, { url: RS_URL, method: 'GET' }, token);
    assert.equal((await verify({ method: 'GET', url: RS_URL.replace('id=7', 'id=8'), authorization })).json.oauth_problem, 'signature_invalid');
    assert.equal((await verify({ method: 'DELETE', url: RS_URL, authorization })).json.oauth_problem, 'signature_invalid');
    const postUrl = 'https://rs.example.test/api/things';
    const signed = authHeader(oauth, { url: postUrl, method: 'POST', data: { name: 'x y' } }, token);
    const form = 'application/x-www-form-urlencoded; charset=utf-8';
    assert.equal(
      (await verify({ method: 'POST', url: postUrl, authorization: signed, body: 'name=x+z', content_type: form })).json.oauth_problem,
      'signature_invalid',
    );
    assert.equal((await verify({ method: 'POST', url: postUrl, authorization: signed, body: 'name=x+y', content_type: form })).json.valid, true);
  });

  it('PLAINTEXT is accepted for https resource servers only', async () => {
    const plain = npmClient(consumerKey, '', 'PLAINTEXT');
    // The consumer secret is unknown here: a wrong PLAINTEXT signature over https is signature_invalid...
    const https = await verify({ method: 'GET', url: RS_URL, authorization: authHeader(plain, { url: RS_URL, method: 'GET' }, token) });
    assert.equal(https.json.oauth_problem, 'signature_invalid');
    // ...while over plain http the method itself is refused.
    const http = await verify({
      method: 'GET',
      url: 'http://rs.example.test/x',
      authorization: authHeader(plain, { url: 'http://rs.example.test/x', method: 'GET' }, token),
    });
    assert.equal(http.json.oauth_problem, 'signature_method_rejected');
    assert.equal(http.json.status, 400);
  });

  it('authenticates the resource server; refuses users, consumers, pending clients and bad input', async () => {
    const authorization = authHeader(oauth, { url: RS_URL, method: 'GET' }, token);
    const body = { method: 'GET', url: RS_URL, authorization };
    const none = await fetch(`${t.baseUrl}/api/oauth1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await verify(body, t.adminAuth)).status, 401);
    const consumer = await createConsumer(t.app);
    assert.equal((await verify(body, `Basic ${Buffer.from(`${consumer.key}:${encodeURIComponent(consumer.secret)}`).toString('base64')}`)).status, 401);
    const { client, secret } = await t.app.clientAdmin.create(
      { type: 'oauth2', name: 'Pending RS', redirect_uris: ['https://rs.example.test/cb'], resource_server: true },
      ACTOR,
    );
    assert.equal((await verify(body, `Basic ${Buffer.from(`${client.key}:${secret}`).toString('base64')}`)).status, 401);
    assert.equal((await verify({ ...body, url: '/relative' })).status, 400);
    assert.equal((await verify({ url: RS_URL })).status, 400);
    assert.equal((await verify({ ...body, extra: 1 })).status, 400);
  });
});
