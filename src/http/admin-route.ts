import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AdminError } from '../admin/errors.js';
import { anyPermissionOf, needsText, type Permission } from '../core/users/permissions.js';
import { zodProblems } from '../core/validation.js';
import { type HttpContext, sendUnauthenticated } from './context.js';
import type { Principal } from './principal.js';

/**
 * One admin API route, declared once: the route is registered from it and the OpenAPI document
 * is generated from it, so both describe the same schemas.
 */
export interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify's spelling: `/admin/api/clients/:key`. */
  path: string;
  summary: string;
  description?: string;
  /** The permission the route needs, or a list of which any one will do; empty list: every signed-in user. */
  permission: Permission | readonly Permission[];
  /** Parsed after authorization; the handler receives the result. */
  query?: z.ZodType;
  /**
   * A JSON object body (Content-Type: application/json, at most 64 KiB). The use case or the
   * handler validates it with this schema.
   */
  body?: z.ZodType;
  /** Answers besides the ones every route may give (400, 401, 403). */
  responses: Record<string, { description: string; schema?: z.ZodType }>;
}

/** `/a/:key/b/:name` → `'key' | 'name'`. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

export type AdminRequest<R extends AdminRoute> = FastifyRequest<{ Params: Record<PathParams<R['path']>, string> }>;

export interface AdminCall<R extends AdminRoute> {
  req: AdminRequest<R>;
  reply: FastifyReply;
  principal: Principal;
  query: R['query'] extends z.ZodType ? z.output<R['query']> : undefined;
  /** The JSON body, `{}` when none was sent. */
  body: unknown;
}

/** What a handler may return itself: the body of a 2xx answer of the table, or the reply it sent. */
export type AdminAnswer<R extends AdminRoute> =
  | FastifyReply
  | {
      [S in keyof R['responses']]: S extends `2${string}` ? (R['responses'][S] extends { schema: infer T extends z.ZodType } ? z.output<T> : never) : never;
    }[keyof R['responses']];

export const JSON_BODY_LIMIT = 64 * 1024;

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
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

/**
 * Authenticates and authorizes an admin API call. Session callers must also send the CSRF
 * header on mutations (checked by the session module's resolver).
 */
export async function requirePermission(
  ctx: HttpContext,
  req: FastifyRequest,
  reply: FastifyReply,
  permission: Permission | readonly Permission[],
): Promise<Principal | null> {
  const r = await ctx.authenticate(req);
  if (r.kind !== 'ok') {
    sendUnauthenticated(reply, r);
    return null;
  }
  const anyOf = anyPermissionOf(permission);
  if (anyOf.length > 0 && !anyOf.some((p) => r.principal.permissions.has(p))) {
    void reply.code(403).send({ error: 'forbidden', message: needsText(anyOf) });
    return null;
  }
  return r.principal;
}

/** Registers a route of the table: authorization, then the body check or the query, then the handler. */
export function registerAdminRoute<R extends AdminRoute>(
  server: FastifyInstance,
  ctx: HttpContext,
  route: R,
  handler: (call: AdminCall<R>) => Promise<AdminAnswer<R>>,
): void {
  server.route({
    method: route.method,
    url: route.path,
    ...(route.body ? { bodyLimit: JSON_BODY_LIMIT } : {}),
    handler: async (req, reply) => {
      const principal = await requirePermission(ctx, req, reply, route.permission);
      if (!principal) return reply;
      if (route.body) requireJson(req);
      const query = (route.query ? parse(route.query, req.query) : undefined) as AdminCall<R>['query'];
      return handler({ req: req as AdminRequest<R>, reply, principal, query, body: bodyObject(req) });
    },
  });
}
