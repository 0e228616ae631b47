import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { clientInputSchema, clientViewSchema, statusBodySchema } from '../../src/admin/client-admin.js';
import { userPatchSchema } from '../../src/admin/user-admin.js';
import { ADMIN_API_ROUTES } from '../../src/http/admin-api-routes.js';
import { ADMIN_OPENAPI } from '../../src/http/openapi.js';
import { startServer, type TestServer } from '../support/server.js';

type Operation = {
  'x-permission'?: string | string[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, { content?: { 'application/json': { schema: Record<string, unknown> } } }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation | unknown>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Method and path (OpenAPI spelling) of every operation of the document. */
function documented(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => METHODS.includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

function operation(doc: Doc, method: string, path: string): Operation {
  const op = doc.paths[path]?.[method];
  assert.ok(op, `${method} ${path} is documented`);
  return op as Operation;
}

/**
 * Every route Fastify serves, read from its route tree (`printRoutes`): one line per node, four
 * characters of tree drawing per level, the node's path segment, then its methods.
 */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─ ]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(', ')) out.push(`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  }
  return out;
}

/** JSON Schema of a zod schema as the document carries it (without the dialect marker). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

describe('the OpenAPI document of the admin API', () => {
  let t: TestServer;
  let doc: Doc;
  let served: string[];

  before(async () => {
    t = await startServer();
    doc = (await (await fetch(`${t.baseUrl}/admin/api/openapi.json`)).json()) as Doc;
    served = servedRoutes(t.server.printRoutes({ commonPrefix: false }));
  });
  after(() => t.close());

  it('is the document generated from the route table, served as is', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc, JSON.parse(JSON.stringify(ADMIN_OPENAPI)));
  });

  it('describes every admin API route Fastify serves, and describes no other', () => {
    // The reading of the route tree itself works: it finds routes outside the admin API too.
    assert.ok(served.includes('GET /healthz') && served.includes('POST /api/oauth2/token'), 'the route tree was read');
    const adminApi = served
      .filter((r) => r.split(' ')[1]?.startsWith('/admin/api/'))
      // HEAD is Fastify's automatic twin of every GET; the document does not describe itself.
      .filter((r) => !r.startsWith('HEAD ') && r !== 'GET /admin/api/openapi.json');
    assert.ok(adminApi.length >= 15, `found ${adminApi.length} admin API routes`);
    assert.deepEqual([...new Set(adminApi)].sort(), documented(doc).sort());
    for (const route of Object.values(ADMIN_API_ROUTES)) {
      assert.ok(t.server.hasRoute({ method: route.method, url: route.path }), `${route.method} ${route.path} is registered`);
    }
  });

  it('refers only to schemas it names', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const name = ref.replace('#/components/schemas/', '');
      assert.ok(ref.startsWith('#/components/schemas/') && doc.components.schemas[name], `${ref} resolves`);
    }
  });

  it('takes its bodies, queries and answers from the schemas the routes validate with', () => {
    const create = operation(doc, 'post', '/admin/api/clients');
    assert.deepEqual(create.requestBody?.content['application/json'].schema, { $ref: '#/components/schemas/ClientInput' });
    assert.deepEqual(doc.components.schemas.ClientInput, jsonSchema(clientInputSchema, 'input'));
    assert.deepEqual(doc.components.schemas.UserPatch, jsonSchema(userPatchSchema, 'input'));
    assert.deepEqual(doc.components.schemas.Client, jsonSchema(clientViewSchema, 'output'));
    const approve = operation(doc, 'post', '/admin/api/clients/{key}/approve');
    assert.deepEqual(approve.requestBody?.content['application/json'].schema, jsonSchema(statusBodySchema, 'input'));
    assert.deepEqual(approve.responses['200']?.content?.['application/json'].schema, { $ref: '#/components/schemas/Client' });
    assert.deepEqual(approve.responses['400']?.content?.['application/json'].schema, { $ref: '#/components/schemas/Error' });

    const queries: Array<[string, z.ZodObject]> = [
      ['/admin/api/clients', ADMIN_API_ROUTES.listClients.query],
      ['/admin/api/audit', ADMIN_API_ROUTES.listAudit.query],
      ['/admin/api/users', ADMIN_API_ROUTES.listUsers.query],
    ];
    for (const [path, query] of queries) {
      const names = (operation(doc, 'get', path).parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      assert.deepEqual(names, Object.keys(query.shape), path);
    }
    const key = operation(doc, 'delete', '/admin/api/clients/{key}');
    assert.equal(key.parameters, undefined, 'path parameters sit on the path item');
    assert.deepEqual(doc.paths['/admin/api/clients/{key}']?.parameters, [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }]);
  });

  it('names the permission each route enforces', async () => {
    const created = await fetch(`${t.baseUrl}/admin/api/users`, {
      method: 'POST',
      headers: { authorization: t.adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody-special', password: 'a-good-password', roles: [] }),
    });
    assert.equal(created.status, 201);
    const plain = `Basic ${Buffer.from('nobody-special:a-good-password').toString('base64')}`;
    for (const entry of documented(doc)) {
      const [method = '', path = ''] = entry.split(' ');
      const permission: unknown = operation(doc, method.toLowerCase(), path)['x-permission'];
      // One permission, or a list of which any one will do.
      const anyOf = Array.isArray(permission) ? permission : [permission];
      assert.ok(
        anyOf.every((p) => p === 'configure_server' || p === 'manage_users' || p === 'manage_roles'),
        entry,
      );
      const res = await fetch(`${t.baseUrl}${path.replace(/\{[^}]+\}/g, 'x')}`, { method, headers: { authorization: plain } });
      if (anyOf.length === 0) {
        // No permission needed (one's own personal access tokens): any signed-in user gets past it.
        assert.ok(path.startsWith('/admin/api/me/'), `${entry}: only one's own things need no permission`);
        assert.ok([200, 400, 404].includes(res.status), `${entry}: ${res.status}`);
        continue;
      }
      assert.equal(res.status, 403, entry);
      assert.equal(((await res.json()) as { message: string }).message, `this needs the ${anyOf.join(' or the ')} permission`, entry);
    }
  });
});
