import type { FastifyRequest } from 'fastify';
import { statusBodySchema, viewClient } from '../../admin/client-admin.js';
import { AdminError } from '../../admin/errors.js';
import { viewUser } from '../../admin/user-admin.js';
import type { Client } from '../../core/clients/client.js';
import { actorOf } from '../admin-actor.js';
import { ADMIN_API_ROUTES } from '../admin-api-routes.js';
import { parse, registerAdminRoute } from '../admin-route.js';
import type { HttpModule } from '../context.js';
import { ADMIN_OPENAPI } from '../openapi.js';

/** A stored row that could not be read is shown marked; its key and fields (never its content) are logged. */
function logUnreadable(req: FastifyRequest, c: Client): void {
  if (c.unreadableFields) req.log.warn({ client_key: c.key, fields: c.unreadableFields }, 'stored client fields could not be read and show as empty');
}

export const registerAdminApi: HttpModule = (server, ctx) => {
  const { app } = ctx;
  const R = ADMIN_API_ROUTES;
  const route = registerAdminRoute;

  server.get('/admin/api/openapi.json', async () => ADMIN_OPENAPI);

  route(server, ctx, R.listClients, async ({ req, query: q }) => {
    const [{ items, total }, pending] = await Promise.all([app.stores.clients.list(q), app.stores.clients.countPending()]);
    for (const c of items) logUnreadable(req, c);
    return { items: items.map(viewClient), total, limit: q.limit, offset: q.offset, pending_counts: pending };
  });

  route(server, ctx, R.createClient, async ({ req, reply, principal, body }) => {
    const { client, secret } = await app.clientAdmin.create(body, actorOf(req, principal));
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...viewClient(client), client_secret: secret });
  });

  route(server, ctx, R.getClient, async ({ req }) => {
    const client = await app.clientAdmin.get(req.params.key);
    logUnreadable(req, client);
    return viewClient(client);
  });

  route(server, ctx, R.updateClient, async ({ req, reply, principal, body }) => {
    const { client, secret } = await app.clientAdmin.update(req.params.key, body, actorOf(req, principal));
    return reply.header('cache-control', 'no-store').send({ ...viewClient(client), ...(secret !== null ? { client_secret: secret } : {}) });
  });

  route(server, ctx, R.rotateSecret, async ({ req, reply, principal }) => {
    const { client, secret } = await app.clientAdmin.rotateSecret(req.params.key, actorOf(req, principal));
    return reply.header('cache-control', 'no-store').send({ ...viewClient(client), client_secret: secret });
  });

  for (const [spec, status] of [
    [R.approveClient, 'approved'],
    [R.disapproveClient, 'disapproved'],
  ] as const) {
    route(server, ctx, spec, async ({ req, principal: p, body }) => {
      const { version } = parse(statusBodySchema, body);
      // The console approves only the version it showed; scripts and tokens may leave it out.
      if (status === 'approved' && version === undefined && p.via === 'session') {
        throw AdminError.invalid([{ field: 'version', message: 'is required from the console: the version of the client that was reviewed' }]);
      }
      return viewClient(await app.clientAdmin.setStatus(req.params.key, status, actorOf(req, p), undefined, version === undefined ? {} : { version }));
    });
  }

  route(server, ctx, R.removeClient, async ({ req, reply, principal }) => {
    await app.clientAdmin.remove(req.params.key, actorOf(req, principal));
    return reply.code(204).send();
  });

  route(server, ctx, R.listAudit, async ({ query: q }) => {
    const { items, total } = await app.stores.audit.list(q);
    return { items: items.map((e) => ({ ...e, at: new Date(e.at).toISOString() })), total, limit: q.limit, offset: q.offset };
  });

  // Users, for holders of manage_users; each use case applies the user administration rule.
  route(server, ctx, R.listUsers, async ({ req, principal, query: q }) => {
    const { directory, ...rest } = q;
    const { items, total } = await app.userAdmin.list({ ...rest, ...(directory === undefined ? {} : { directoryId: directory }) }, actorOf(req, principal));
    return { items: items.map(viewUser), total, limit: q.limit, offset: q.offset };
  });

  route(server, ctx, R.createUser, async ({ req, reply, principal, body }) => {
    return reply.code(201).send(viewUser(await app.userAdmin.create(body, actorOf(req, principal))));
  });

  route(server, ctx, R.getUser, async ({ req, principal }) => {
    return viewUser(await app.userAdmin.read(req.params.username, actorOf(req, principal)));
  });

  route(server, ctx, R.updateUser, async ({ req, principal, body }) => {
    const user = await app.userAdmin.getByUsername(req.params.username);
    return viewUser(await app.userAdmin.update(user, body, actorOf(req, principal)));
  });

  route(server, ctx, R.setPassword, async ({ req, reply, principal, body }) => {
    const user = await app.userAdmin.getByUsername(req.params.username);
    await app.userAdmin.setPassword(user, (body as { password?: unknown }).password, actorOf(req, principal));
    return reply.code(204).send();
  });
};
