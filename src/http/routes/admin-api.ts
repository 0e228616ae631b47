import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { statusBodySchema, viewClient } from '../../admin/client-admin.js';
import { AdminError } from '../../admin/errors.js';
import { type UserActor, viewUser } from '../../admin/user-admin.js';
import type { Client } from '../../core/clients/client.js';
import type { Permission } from '../../core/users/permissions.js';
import { zodProblems } from '../../core/validation.js';
import { type HttpContext, type HttpModule, sendUnauthenticated } from '../context.js';
import { ADMIN_OPENAPI } from '../openapi.js';
import type { Principal } from '../principal.js';

const listQuery = z
  .object({
    type: z.enum(['oauth1', 'oauth2', 'oidc']).optional(),
    status: z.enum(['pending', 'approved', 'disapproved']).optional(),
    search: z.string().max(200).optional(),
    sort: z.enum(['name', 'created_at', 'last_used_at', 'status']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  })
  .strict();

const auditQuery = z
  .object({
    action: z.string().max(100).optional(),
    target: z.string().max(200).optional(),
    actor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const usersQuery = z
  .object({
    search: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw AdminError.invalid(zodProblems(r.error));
  return r.data;
}

function bodyObject(req: FastifyRequest): unknown {
  if (req.body === undefined || req.body === null) return {};
  return req.body;
}

/** Bodies of the admin API are JSON objects; anything else is refused before any work. */
function requireJson(req: FastifyRequest): void {
  const type = req.headers['content-type'] ?? '';
  if (req.body !== undefined && !type.toLowerCase().startsWith('application/json')) {
    throw new AdminError(400, 'invalid_request', 'the body must be JSON (Content-Type: application/json)');
  }
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
    throw new AdminError(400, 'invalid_request', 'the body must be a JSON object');
  }
}

/** A stored row that could not be read is shown marked; its key and fields (never its content) are logged. */
function logUnreadable(req: FastifyRequest, c: Client): void {
  if (c.unreadableFields) req.log.warn({ client_key: c.key, fields: c.unreadableFields }, 'stored client fields could not be read and show as empty');
}

/** The caller as an actor: its permissions are this request's (a token's scopes narrow them). */
export function actorOf(req: FastifyRequest, p: Principal): UserActor {
  return {
    name: p.user.username,
    source: req.ip,
    authority: { kind: 'user', userId: p.user.id, permissions: p.permissions },
    ...(p.via === 'session' && p.sessionId !== undefined ? { sessionSid: p.sessionId } : {}),
  };
}

/**
 * Authenticates and authorizes an admin API call. Session callers must also send the CSRF
 * header on mutations (checked by the session module's resolver).
 */
export async function requirePermission(ctx: HttpContext, req: FastifyRequest, reply: FastifyReply, permission: Permission): Promise<Principal | null> {
  const r = await ctx.authenticate(req);
  if (r.kind !== 'ok') {
    sendUnauthenticated(reply, r);
    return null;
  }
  if (!r.principal.permissions.has(permission)) {
    void reply.code(403).send({ error: 'forbidden', message: `this needs the ${permission} permission` });
    return null;
  }
  return r.principal;
}

export const registerAdminApi: HttpModule = (server, ctx) => {
  const { app } = ctx;
  const json = { bodyLimit: 64 * 1024 };

  server.get('/admin/api/openapi.json', async () => ADMIN_OPENAPI);

  server.get('/admin/api/clients', async (req, reply) => {
    if (!(await requirePermission(ctx, req, reply, 'configure_server'))) return reply;
    const q = parse(listQuery, req.query);
    const [{ items, total }, pending] = await Promise.all([app.stores.clients.list(q), app.stores.clients.countPending()]);
    for (const c of items) logUnreadable(req, c);
    return { items: items.map(viewClient), total, limit: q.limit, offset: q.offset, pending_counts: pending };
  });

  server.post('/admin/api/clients', json, async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'configure_server');
    if (!p) return reply;
    requireJson(req);
    const { client, secret } = await app.clientAdmin.create(bodyObject(req), actorOf(req, p));
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...viewClient(client), client_secret: secret });
  });

  server.get<{ Params: { key: string } }>('/admin/api/clients/:key', async (req, reply) => {
    if (!(await requirePermission(ctx, req, reply, 'configure_server'))) return reply;
    const client = await app.clientAdmin.get(req.params.key);
    logUnreadable(req, client);
    return viewClient(client);
  });

  server.patch<{ Params: { key: string } }>('/admin/api/clients/:key', json, async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'configure_server');
    if (!p) return reply;
    requireJson(req);
    const { client, secret } = await app.clientAdmin.update(req.params.key, bodyObject(req), actorOf(req, p));
    return reply.header('cache-control', 'no-store').send({ ...viewClient(client), ...(secret !== null ? { client_secret: secret } : {}) });
  });

  server.post<{ Params: { key: string } }>('/admin/api/clients/:key/secret', async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'configure_server');
    if (!p) return reply;
    const { client, secret } = await app.clientAdmin.rotateSecret(req.params.key, actorOf(req, p));
    return reply.header('cache-control', 'no-store').send({ ...viewClient(client), client_secret: secret });
  });

  for (const [action, status] of [
    ['approve', 'approved'],
    ['disapprove', 'disapproved'],
  ] as const) {
    server.post<{ Params: { key: string } }>(`/admin/api/clients/:key/${action}`, json, async (req, reply) => {
      const p = await requirePermission(ctx, req, reply, 'configure_server');
      if (!p) return reply;
      requireJson(req);
      const { version } = parse(statusBodySchema, bodyObject(req));
      // The console approves only the version it showed; scripts and tokens may leave it out.
      if (status === 'approved' && version === undefined && p.via === 'session') {
        throw AdminError.invalid([{ field: 'version', message: 'is required from the console: the version of the client that was reviewed' }]);
      }
      return viewClient(await app.clientAdmin.setStatus(req.params.key, status, actorOf(req, p), undefined, version === undefined ? {} : { version }));
    });
  }

  server.delete<{ Params: { key: string } }>('/admin/api/clients/:key', async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'configure_server');
    if (!p) return reply;
    await app.clientAdmin.remove(req.params.key, actorOf(req, p));
    return reply.code(204).send();
  });

  server.get('/admin/api/audit', async (req, reply) => {
    if (!(await requirePermission(ctx, req, reply, 'configure_server'))) return reply;
    const q = parse(auditQuery, req.query);
    const { items, total } = await app.stores.audit.list(q);
    return { items: items.map((e) => ({ ...e, at: new Date(e.at).toISOString() })), total, limit: q.limit, offset: q.offset };
  });

  // Users, for holders of manage_users; each use case applies the user administration rule.
  server.get('/admin/api/users', async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'manage_users');
    if (!p) return reply;
    const q = parse(usersQuery, req.query);
    const { items, total } = await app.userAdmin.list(q, actorOf(req, p));
    return { items: items.map(viewUser), total, limit: q.limit, offset: q.offset };
  });

  server.post('/admin/api/users', json, async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'manage_users');
    if (!p) return reply;
    requireJson(req);
    return reply.code(201).send(viewUser(await app.userAdmin.create(bodyObject(req), actorOf(req, p))));
  });

  server.get<{ Params: { username: string } }>('/admin/api/users/:username', async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'manage_users');
    if (!p) return reply;
    return viewUser(await app.userAdmin.read(req.params.username, actorOf(req, p)));
  });

  server.patch<{ Params: { username: string } }>('/admin/api/users/:username', json, async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'manage_users');
    if (!p) return reply;
    requireJson(req);
    const user = await app.userAdmin.getByUsername(req.params.username);
    return viewUser(await app.userAdmin.update(user, bodyObject(req), actorOf(req, p)));
  });

  server.post<{ Params: { username: string } }>('/admin/api/users/:username/password', json, async (req, reply) => {
    const p = await requirePermission(ctx, req, reply, 'manage_users');
    if (!p) return reply;
    requireJson(req);
    const user = await app.userAdmin.getByUsername(req.params.username);
    const body = bodyObject(req) as { password?: unknown };
    await app.userAdmin.setPassword(user, body.password, actorOf(req, p));
    return reply.code(204).send();
  });
};
