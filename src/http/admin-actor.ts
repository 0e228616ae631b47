import type { FastifyRequest } from 'fastify';
import type { UserActor } from '../admin/user-admin.js';
import type { Principal } from './principal.js';

/** The caller as an actor: its permissions are this request's (a token's scopes narrow them). */
export function actorOf(req: FastifyRequest, p: Principal): UserActor {
  return {
    name: p.user.username,
    source: req.ip,
    authority: { kind: 'user', userId: p.user.id, permissions: p.permissions },
    ...(p.via === 'session' && p.sessionId !== undefined ? { sessionSid: p.sessionId } : {}),
  };
}
