import type { FastifyInstance } from 'fastify';
import { sendInsufficientScope } from '../bearer.js';
import { type HttpContext, sendUnauthenticated } from '../context.js';
import { API_SCOPES } from '../principal.js';

/**
 * GET /api/me: the caller's own profile. Authenticates through the resolver chain, so a bearer
 * token (scope `profile`), an OAuth 1.0a signed request, a session or Basic credentials all work.
 */
export function registerApiMe(server: FastifyInstance, ctx: HttpContext): void {
  server.get('/api/me', async (req, reply) => {
    const r = await ctx.authenticate(req);
    if (r.kind !== 'ok') return sendUnauthenticated(reply, r);
    const p = r.principal;
    if (p.scopes !== undefined && !p.scopes.includes(API_SCOPES.profile)) return sendInsufficientScope(reply, API_SCOPES.profile);
    const u = p.user;
    return reply.header('cache-control', 'no-store').send({
      id: u.id,
      username: u.username,
      display_name: u.displayName,
      email: u.email,
      roles: u.roles,
      ...(p.clientKey ? { client_id: p.clientKey } : {}),
      ...(p.scopes ? { scope: p.scopes.join(' ') } : {}),
    });
  });
}
