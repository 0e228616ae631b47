import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';

interface Json {
  [k: string]: unknown;
}

for (const backend of backendNames()) {
  describe(`admin REST API on ${backend}`, () => {
    let t: TestServer;
    let managerAuth: string;
    let plainAuth: string;

    const call = async (method: string, path: string, body?: unknown, auth = t.adminAuth, contentType = 'application/json') => {
      const init: RequestInit = { method, headers: { authorization: auth } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = contentType;
      }
      const res = await fetch(`${t.baseUrl}${path}`, init);
      const text = await res.text();
      let json: Json = {};
      try {
        json = text ? (JSON.parse(text) as Json) : {};
      } catch {
        json = { text };
      }
      return { status: res.status, json, headers: res.headers, text };
    };

    before(async () => {
      t = await startServer({ backend });
      const mk = async (username: string, roles: string[]) => {
        const r = await call('POST', '/admin/api/users', { username, password: 'a-good-password', roles });
        assert.equal(r.status, 201, r.text);
        return `Basic ${Buffer.from(`${username}:a-good-password`).toString('base64')}`;
      };
      managerAuth = await mk('manager', ['user_manager']);
      plainAuth = await mk('plain', []);
    });
    after(() => t.close());

    it('serves liveness, readiness and the OpenAPI document', async () => {
      assert.equal((await fetch(`${t.baseUrl}/healthz`)).status, 200);
      assert.deepEqual(await (await fetch(`${t.baseUrl}/readyz`)).json(), { status: 'ready' });
      const doc = (await (await fetch(`${t.baseUrl}/admin/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/admin/api/clients/{key}/approve']);
    });

    it('creates a client pending, returns the secret once, walks every status transition and audits each', async () => {
      const created = await call('POST', '/admin/api/clients', {
        type: 'oidc',
        name: 'Build dashboard',
        redirect_uris: ['https://app.example/cb'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const key = created.json.client_key as string;
      const secret = created.json.client_secret as string;
      assert.match(key, /^[A-Za-z0-9_-]{22,}$/);
      assert.ok(Buffer.from(secret, 'base64url').length >= 32, '256-bit generated secret');
      assert.equal(created.json.status, 'pending');

      const shown = await call('GET', `/admin/api/clients/${key}`);
      assert.equal(shown.json.client_secret, undefined, 'never readable afterwards');
      assert.ok(!shown.text.includes(secret));

      const transitions: Array<[string, string]> = [
        ['approve', 'approved'],
        ['disapprove', 'disapproved'],
        ['approve', 'approved'],
        ['approve', 'approved'],
        ['disapprove', 'disapproved'],
        ['disapprove', 'disapproved'],
      ];
      for (const [action, status] of transitions) {
        const r = await call('POST', `/admin/api/clients/${key}/${action}`);
        assert.equal(r.status, 200);
        assert.equal(r.json.status, status);
        assert.equal(r.json.status_changed_by, 'admin');
      }
      const audit = await call('GET', `/admin/api/audit?target=${key}`);
      const actions = (audit.json.items as Array<{ action: string; actor: string; source: string }>).map((e) => e.action).reverse();
      assert.deepEqual(actions, [
        'client.create',
        'client.approve',
        'client.disapprove',
        'client.approve',
        'client.approve',
        'client.disapprove',
        'client.disapprove',
      ]);
      assert.ok(!audit.text.includes(secret), 'no secret in the audit log');

      const removed = await call('DELETE', `/admin/api/clients/${key}`);
      assert.equal(removed.status, 204);
      assert.equal((await call('GET', `/admin/api/clients/${key}`)).status, 404);
      assert.equal((await call('POST', `/admin/api/clients/${key}/approve`)).status, 404);
    });

    it('changes name and secret but never the key; a chosen secret must be long enough', async () => {
      const created = await call('POST', '/admin/api/clients', {
        type: 'oauth1',
        name: 'Requirements tool',
        secret: 'consumer-secret-0001',
        callback_url: 'oob',
      });
      assert.equal(created.status, 201);
      assert.equal(created.json.client_secret, 'consumer-secret-0001');
      const key = created.json.client_key as string;
      const updated = await call('PATCH', `/admin/api/clients/${key}`, { name: 'Requirements tool 2', secret: 'consumer-secret-0002' });
      assert.equal(updated.status, 200);
      assert.equal(updated.json.client_key, key);
      assert.equal(updated.json.name, 'Requirements tool 2');
      assert.equal(updated.json.client_secret, 'consumer-secret-0002');
      const noKey = await call('PATCH', `/admin/api/clients/${key}`, { client_key: 'other' });
      assert.equal(noKey.status, 400);
      assert.match(JSON.stringify(noKey.json.fields), /client_key/);
      const short = await call('PATCH', `/admin/api/clients/${key}`, { secret: 'short' });
      assert.equal(short.status, 400);
      assert.match(JSON.stringify(short.json.fields), /at least 16/);
      const rotated = await call('POST', `/admin/api/clients/${key}/secret`);
      assert.ok(typeof rotated.json.client_secret === 'string' && rotated.json.client_secret !== 'consumer-secret-0002');
    });

    it('stores no plaintext secret anywhere in the database', async () => {
      const secret = 'plaintext-detector-secret-4242';
      const created = await call('POST', '/admin/api/clients', {
        type: 'oauth2',
        name: 'Detector',
        secret,
        grant_types: ['client_credentials'],
        response_types: [],
      });
      assert.equal(created.status, 201, created.text);
      const rows = await sql<Record<string, unknown>>`SELECT * FROM clients`.execute(t.app.database.db);
      assert.ok(rows.rows.length > 0);
      assert.ok(!JSON.stringify(rows.rows).includes(secret));
      const row = rows.rows.find((r) => r.key === created.json.client_key);
      assert.match(String(row?.secret_sealed), /^v1\./);
      if (backend === 'sqlite') {
        // The database file and its write-ahead log, byte for byte.
        for (const f of readdirSync(t.backend.dataDir).filter((n) => n.startsWith('latchkey.db'))) {
          assert.ok(!readFileSync(join(t.backend.dataDir, f)).includes(Buffer.from(secret)), f);
        }
      }
    });

    it('lists with filters, search, sort and paging, and counts pending per type', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await call('POST', '/admin/api/clients', { type: 'oauth2', name: `Paged ${i}`, redirect_uris: ['http://127.0.0.1:9/cb'] });
        assert.equal(r.status, 201);
      }
      const page = await call('GET', '/admin/api/clients?type=oauth2&search=paged&sort=name&order=asc&limit=2&offset=2');
      assert.equal(page.json.total, 5);
      assert.deepEqual(
        (page.json.items as Json[]).map((c) => c.name),
        ['Paged 2', 'Paged 3'],
      );
      const counts = page.json.pending_counts as Record<string, number>;
      assert.ok((counts.oauth2 ?? 0) >= 5);
    });

    it('answers 401 without credentials and 403 without configure_server on every client and audit endpoint', async () => {
      const created = await call('POST', '/admin/api/clients', { type: 'oauth2', name: 'Guarded', redirect_uris: ['https://a.example/cb'] });
      const key = created.json.client_key as string;
      const endpoints: Array<[string, string, unknown?]> = [
        ['GET', '/admin/api/clients'],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: ['https://a.example/cb'] }],
        ['GET', `/admin/api/clients/${key}`],
        ['PATCH', `/admin/api/clients/${key}`, { name: 'y' }],
        ['POST', `/admin/api/clients/${key}/approve`],
        ['POST', `/admin/api/clients/${key}/disapprove`],
        ['POST', `/admin/api/clients/${key}/secret`],
        ['DELETE', `/admin/api/clients/${key}`],
        ['GET', '/admin/api/audit'],
      ];
      for (const [method, path, body] of endpoints) {
        for (const auth of [managerAuth, plainAuth]) {
          const r = await call(method, path, body, auth);
          assert.equal(r.status, 403, `${method} ${path}`);
          assert.match(String(r.json.message), /configure_server/);
        }
        const anon = await call(method, path, body, '');
        assert.equal(anon.status, 401, `${method} ${path} anonymous`);
      }
      assert.equal((await call('GET', `/admin/api/clients/${key}`)).json.name, 'Guarded', 'nothing changed');
      // User administration needs manage_users instead.
      assert.equal((await call('GET', '/admin/api/users', undefined, managerAuth)).status, 200);
      assert.equal((await call('GET', '/admin/api/users', undefined, plainAuth)).status, 403);
    });

    it('answers bad input on every endpoint with a 4xx naming the fields, never a 500', async () => {
      const created = await call('POST', '/admin/api/clients', { type: 'oauth2', name: 'Target', redirect_uris: ['https://a.example/cb'] });
      const key = created.json.client_key as string;
      const huge = JSON.stringify({ type: 'oauth2', name: 'x'.repeat(1024 * 1024) });
      const cases: Array<[string, string, unknown, number, RegExp?]> = [
        ['POST', '/admin/api/clients', {}, 400, /type/],
        ['POST', '/admin/api/clients', { type: 'saml', name: 'x' }, 400, /type/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 42 }, 400, /name/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: 'https://a.example/cb' }, 400, /redirect_uris/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: ['javascript:alert(1)'] }, 400, /redirect_uris/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: ['http://evil.example/cb'] }, 400, /redirect_uris/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: ['not a uri'] }, 400, /redirect_uris/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', redirect_uris: ['https://a.example/cb'], grant_types: ['magic'] }, 400, /grant_types/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', public: true, grant_types: ['password'], response_types: [] }, 400, /grant_types/],
        ['POST', '/admin/api/clients', { type: 'oauth1', name: 'x', redirect_uris: ['https://a.example/cb'] }, 400, /redirect_uris/],
        ['POST', '/admin/api/clients', { type: 'oauth1', name: 'x', rsa_public_key: 'not a key' }, 400, /rsa_public_key/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'x', surprise: 1 }, 400, /surprise/],
        ['POST', '/admin/api/clients', '{"type":', 400, /JSON/],
        ['POST', '/admin/api/clients', '[1,2]', 400, /object/],
        ['POST', '/admin/api/clients', huge, 413, /too large/],
        ['PATCH', `/admin/api/clients/${key}`, { redirect_uris: [1] }, 400, /redirect_uris/],
        ['PATCH', `/admin/api/clients/${key}`, { public: true }, 400, /public/],
        ['PATCH', `/admin/api/clients/${key}`, huge, 413],
        ['PATCH', '/admin/api/clients/unknown-key', { name: 'z' }, 404],
        ['GET', '/admin/api/clients?limit=abc', undefined, 400, /limit/],
        ['GET', '/admin/api/clients?status=maybe', undefined, 400, /status/],
        ['GET', '/admin/api/clients?sort=password', undefined, 400, /sort/],
        ['GET', '/admin/api/clients?offset=-1', undefined, 400, /offset/],
        ['GET', '/admin/api/audit?limit=100000', undefined, 400, /limit/],
        ['DELETE', '/admin/api/clients/unknown-key', undefined, 404],
        ['POST', '/admin/api/clients/unknown-key/approve', undefined, 404],
        ['POST', '/admin/api/users', { username: 'bad name!', password: 'x' }, 400, /username|password/],
        ['POST', '/admin/api/users', { username: 'admin', password: 'a-good-password' }, 409, /taken/],
        ['POST', '/admin/api/users', { username: 'newbie', password: 'a-good-password', roles: ['god'] }, 400, /roles/],
        ['PATCH', '/admin/api/users/admin', { enabled: 'no' }, 400, /enabled/],
        ['POST', '/admin/api/users/admin/password', { password: 'short' }, 400, /password/],
        ['GET', '/admin/api/users/nobody', undefined, 404],
        ['GET', '/admin/api/clients?search=a%00b', undefined, 400, /NUL/],
        ['GET', '/admin/api/clients/a%00b', undefined, 400, /NUL/],
        ['POST', '/admin/api/clients', { type: 'oauth2', name: 'nul\u0000name' }, 400, /NUL/],
      ];
      for (const [method, path, body, status, message] of cases) {
        const r = await call(method, path, body);
        assert.equal(r.status, status, `${method} ${path} ${String(JSON.stringify(body)).slice(0, 80)} → ${r.text.slice(0, 200)}`);
        if (message) assert.match(r.text, message, `${method} ${path}`);
      }
      const nulUser = await call('GET', '/admin/api/clients', undefined, `Basic ${Buffer.from('adm\u0000in:x').toString('base64')}`);
      assert.equal(nulUser.status, 401);
      const wrongType = await call('POST', '/admin/api/clients', 'type=oauth2&name=x', t.adminAuth, 'application/x-www-form-urlencoded');
      assert.equal(wrongType.status, 400);
      assert.match(wrongType.text, /JSON/);
      const textType = await call('POST', '/admin/api/clients', 'hello', t.adminAuth, 'text/plain');
      assert.equal(textType.status, 400);
      const xmlType = await call('POST', '/admin/api/clients', '<client/>', t.adminAuth, 'application/xml');
      assert.equal(xmlType.status, 415);
      assert.match(xmlType.text, /unsupported content type/);
    });

    it('throttles repeated wrong Basic passwords with 429 and Retry-After', async () => {
      let last = 0;
      let retryAfter: string | null = null;
      for (let i = 0; i < 12; i++) {
        const r = await call('GET', '/admin/api/clients', undefined, `Basic ${Buffer.from('admin:wrong-password').toString('base64')}`);
        last = r.status;
        retryAfter = r.headers.get('retry-after');
      }
      assert.equal(last, 429);
      assert.ok(Number(retryAfter) > 0);
    });
  });
}
