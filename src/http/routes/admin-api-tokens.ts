import { AdminError } from '../../admin/errors.js';
import { viewPat, viewPats } from '../../admin/personal-access-tokens.js';
import { ADMIN_API_ROUTES, patInputSchema } from '../admin-api-routes.js';
import { parse, registerAdminRoute } from '../admin-route.js';
import { sendInsufficientScope } from '../bearer.js';
import type { HttpModule } from '../context.js';
import { API_SCOPES } from '../principal.js';

/**
 * Personal access tokens in the admin API: each user's own (any signed-in user), and every token
 * for User Managers (manage_users). The value is in the creation answer only.
 */
export const registerAdminApiTokens: HttpModule = (server, ctx) => {
  const { app } = ctx;
  const R = ADMIN_API_ROUTES;
  const route = registerAdminRoute;
  const now = () => app.clock.now();
  /** A token used to call reaches one's own tokens only with the admin scope (RFC 6750 §3.1). */
  const lacksAdminScope = (scopes: string[] | undefined) => scopes !== undefined && !scopes.includes(API_SCOPES.admin);

  route(server, ctx, R.listMyTokens, async ({ reply, principal, query }) => {
    if (lacksAdminScope(principal.scopes)) return sendInsufficientScope(reply, API_SCOPES.admin);
    const r = await app.pats.list({
      userId: principal.user.id,
      ...(query.active === 'true' ? { activeAt: now() } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    return { items: r.items.map((t) => viewPat(t, principal.user.username, now())), total: r.total, limit: query.limit, offset: query.offset };
  });

  route(server, ctx, R.createMyToken, async ({ req, reply, principal, body }) => {
    if (principal.via !== 'session' && principal.via !== 'basic') {
      throw new AdminError(403, 'forbidden', 'tokens are created with a session or Basic credentials, not with a token');
    }
    const input = parse(patInputSchema, body);
    const { value, token } = await app.pats.create(
      principal.user,
      { name: input.name, scopes: input.scopes, ...(input.expires_in !== undefined ? { expiresInMs: input.expires_in * 1000 } : {}) },
      { name: principal.user.username, source: req.ip },
    );
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...viewPat(token, principal.user.username, now()), token: value });
  });

  route(server, ctx, R.revokeMyToken, async ({ req, reply, principal }) => {
    if (lacksAdminScope(principal.scopes)) return sendInsufficientScope(reply, API_SCOPES.admin);
    const t = await app.pats.revoke(req.params.id, { name: principal.user.username, source: req.ip }, principal.user.id);
    return viewPat(t, principal.user.username, now());
  });

  route(server, ctx, R.listTokens, async ({ query }) => {
    let userId: string | undefined;
    if (query.user !== undefined) {
      const owner = await app.stores.users.findByUsername(query.user);
      if (!owner) throw AdminError.notFound('user');
      userId = owner.id;
    }
    const r = await app.pats.list({
      ...(userId !== undefined ? { userId } : {}),
      ...(query.active === 'true' ? { activeAt: now() } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    return { items: await viewPats(r.items, app.stores.users, now()), total: r.total, limit: query.limit, offset: query.offset };
  });

  route(server, ctx, R.revokeToken, async ({ req, principal }) => {
    const t = await app.pats.revoke(req.params.id, { name: principal.user.username, source: req.ip });
    const [view] = await viewPats([t], app.stores.users, now());
    if (!view) throw AdminError.notFound('token');
    return view;
  });
};
