import { entryView } from '../../admin/directory-import.js';
import { groupView } from '../../admin/group-admin.js';
import { viewUser } from '../../admin/user-admin.js';
import type { DirectoryEntry } from '../../core/directories/directory.js';
import { actorOf } from '../admin-actor.js';
import { ADMIN_API_ROUTES, directoryImportSchema, directoryMoveSchema, directoryTestUserSchema, memberBodySchema } from '../admin-api-routes.js';
import { parse, registerAdminRoute } from '../admin-route.js';
import type { HttpModule } from '../context.js';

/** Directories (configure_server) and groups (manage_users or manage_roles) in the admin API. */
export const registerAdminApiDirectories: HttpModule = (server, ctx) => {
  const { app } = ctx;
  const R = ADMIN_API_ROUTES;
  const route = registerAdminRoute;
  const admin = app.directories.admin;

  /** Which Latchkey user each entry already is. */
  const withImported = async (directoryId: string, entries: readonly DirectoryEntry[]) =>
    Promise.all(entries.map(async (e) => entryView(e, (await app.stores.users.findExternal(directoryId, e.uniqueId))?.username ?? null)));

  route(server, ctx, R.listDirectories, async () => ({ items: await admin.list() }));

  route(server, ctx, R.createDirectory, async ({ req, reply, principal, body }) => {
    const created = await admin.create(body, actorOf(req, principal));
    return reply.code(201).send(await admin.view(created.id));
  });

  route(server, ctx, R.getDirectory, async ({ req }) => admin.view(req.params.id));

  route(server, ctx, R.updateDirectory, async ({ req, principal, body }) => {
    await admin.update(req.params.id, body, actorOf(req, principal));
    return admin.view(req.params.id);
  });

  route(server, ctx, R.moveDirectory, async ({ req, principal, body }) => {
    const { position } = parse(directoryMoveSchema, body);
    await admin.move(req.params.id, position, actorOf(req, principal));
    return { items: await admin.list() };
  });

  route(server, ctx, R.removeDirectory, async ({ req, reply, principal }) => {
    await admin.remove(req.params.id, actorOf(req, principal));
    return reply.code(204).send();
  });

  route(server, ctx, R.testDirectory, async ({ req }) => {
    const r = await admin.test(req.params.id);
    return r.kind === 'ok' ? { ok: true } : { ok: false, reason: r.reason };
  });

  route(server, ctx, R.testDirectoryUser, async ({ req, reply, principal, body }) => {
    const { username, password } = parse(directoryTestUserSchema, body);
    const r = await admin.testUser(req.params.id, username, password ?? null, actorOf(req, principal));
    const entry = r.entry ? (await withImported(req.params.id, [r.entry]))[0] : undefined;
    return reply
      .header('cache-control', 'no-store')
      .send({ outcome: r.outcome, ...(r.reason !== undefined ? { reason: r.reason } : {}), ...(entry ? { entry } : {}) });
  });

  route(server, ctx, R.searchDirectoryUsers, async ({ req, query }) => ({
    items: await withImported(req.params.id, await admin.searchUsers(req.params.id, query.query, query.limit)),
  }));

  route(server, ctx, R.searchDirectoryGroups, async ({ req, query }) => {
    const found = await admin.searchGroups(req.params.id, query.query, query.limit);
    const items = await Promise.all(
      found.map(async (g) => ({
        dn: g.dn,
        name: g.name,
        members: g.memberDns.length,
        imported: (await app.stores.groups.findExternal(req.params.id, g.dn)) !== undefined,
      })),
    );
    return { items };
  });

  route(server, ctx, R.importFromDirectory, async ({ req, principal, body }) => {
    const input = parse(directoryImportSchema, body);
    const actor = actorOf(req, principal);
    const users = await app.directories.importer.importUsers(req.params.id, input.users ?? [], actor);
    const groups = await app.directories.importer.importGroups(req.params.id, input.groups ?? [], actor);
    return { users: users.users.map(viewUser), groups: groups.groups.map(groupView), not_found: [...users.notFound, ...groups.notFound] };
  });

  route(server, ctx, R.convertUserToExternal, async ({ req, principal, body }) => {
    const { username } = parse(memberBodySchema, body);
    return viewUser(await app.directories.importer.convertToExternal(req.params.id, username, actorOf(req, principal)));
  });

  route(server, ctx, R.listGroups, async ({ query: q }) => {
    const { items, total } = await app.groupAdmin.list(q);
    return { items: items.map(groupView), total, limit: q.limit, offset: q.offset };
  });

  route(server, ctx, R.createGroup, async ({ req, reply, principal, body }) =>
    reply.code(201).send(groupView(await app.groupAdmin.create(body, actorOf(req, principal)))),
  );

  route(server, ctx, R.getGroup, async ({ req }) => groupView(await app.groupAdmin.get(req.params.id)));

  route(server, ctx, R.updateGroup, async ({ req, principal, body }) => groupView(await app.groupAdmin.update(req.params.id, body, actorOf(req, principal))));

  route(server, ctx, R.removeGroup, async ({ req, reply, principal }) => {
    await app.groupAdmin.remove(req.params.id, actorOf(req, principal));
    return reply.code(204).send();
  });

  route(server, ctx, R.listGroupMembers, async ({ req, query: q }) => {
    const { items, total } = await app.groupAdmin.members(req.params.id, q);
    return { items: items.map(viewUser), total, limit: q.limit, offset: q.offset };
  });

  route(server, ctx, R.addGroupMember, async ({ req, reply, principal, body }) => {
    const { username } = parse(memberBodySchema, body);
    await app.groupAdmin.addMember(req.params.id, username, actorOf(req, principal));
    return reply.code(204).send();
  });

  route(server, ctx, R.removeGroupMember, async ({ req, reply, principal }) => {
    await app.groupAdmin.removeMember(req.params.id, req.params.username, actorOf(req, principal));
    return reply.code(204).send();
  });
};
