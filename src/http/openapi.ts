import { z } from 'zod';
import { anyPermissionOf } from '../core/users/permissions.js';
import { ADMIN_API_COMPONENTS, ADMIN_API_ROUTES, errorBodySchema } from './admin-api-routes.js';
import type { AdminRoute } from './admin-route.js';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * Converts the named schemas and every schema the routes use in one pass per direction (request
 * schemas as input, answers as output), so that a route's schema refers to a named one by $ref.
 */
function convert(
  named: Record<string, z.ZodType>,
  anonymous: z.ZodType[],
  io: Io,
): { components: Record<string, JsonSchema>; of: (s: z.ZodType) => JsonSchema } {
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(named)) {
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  for (const schema of anonymous) {
    if (ids.has(schema)) continue;
    const id = `route-schema-${ids.size}`;
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `${COMPONENT_PREFIX}${id}` });
  const clean = (id: string): JsonSchema => {
    const { $schema: _schema, $id: _id, ...rest } = schemas[id] ?? {};
    return rest;
  };
  const components = Object.fromEntries(Object.keys(named).map((id) => [id, clean(id)]));
  return {
    components,
    of(schema) {
      const id = ids.get(schema);
      if (id === undefined) throw new Error('schema missing from the conversion');
      return id in named ? { $ref: `${COMPONENT_PREFIX}${id}` } : clean(id);
    },
  };
}

/** `/admin/api/clients/:key` → `/admin/api/clients/{key}` and its path parameters. */
function openApiPath(path: string): { path: string; parameters: JsonSchema[] } {
  const names = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
  return {
    path: path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
    parameters: names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
  };
}

/** The query object's members, one parameter each. */
function queryParameters(schema: JsonSchema): JsonSchema[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({ name, in: 'query', ...(required.has(name) ? { required: true } : {}), schema: s }));
}

/** OpenAPI 3.1 description of the given admin API routes. */
export function adminOpenApi(routes: readonly AdminRoute[]) {
  const requests = convert(
    ADMIN_API_COMPONENTS.input,
    routes.flatMap((r) => [r.query, r.body].filter((s) => s !== undefined)),
    'input',
  );
  const answers = convert(
    ADMIN_API_COMPONENTS.output,
    routes.flatMap((r) => Object.values(r.responses).flatMap((x) => (x.schema ? [x.schema] : []))),
    'output',
  );
  const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
  const error = answers.of(errorBodySchema);

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { path, parameters } = openApiPath(route.path);
    const item = paths[path] ?? (parameters.length > 0 ? { parameters } : {});
    paths[path] = item;
    const responses: Record<string, unknown> = {
      '400': { description: 'Invalid input; `fields` names each offending field', content: json(error) },
      '401': { description: 'Not authenticated' },
      '403': {
        description: anyPermissionOf(route.permission).length > 0 ? `Missing permission (${anyPermissionOf(route.permission).join(' or ')})` : 'Refused',
      },
    };
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = { description: r.description, ...(r.schema ? { content: json(answers.of(r.schema)) } : {}) };
    }
    item[route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      'x-permission': route.permission,
      ...(route.query ? { parameters: queryParameters(requests.of(route.query)) } : {}),
      ...(route.body ? { requestBody: { content: json(requests.of(route.body)) } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey admin API',
      version: '1',
      description:
        'Manage client keys, users and the audit log. Needs configure_server (clients, audit), manage_users (users) or manage_roles (reading users, changing their roles).',
    },
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token carrying the latchkey:admin scope' },
        session: { type: 'apiKey', in: 'cookie', name: 'latchkey_session', description: 'Browser session; mutations also need the X-CSRF-Token header' },
      },
      schemas: { ...answers.components, ...requests.components },
    },
    security: [{ basic: [] }, { bearer: [] }, { session: [] }],
    paths,
  };
}

/** OpenAPI 3.1 description of the admin REST API, served at /admin/api/openapi.json. */
export const ADMIN_OPENAPI = adminOpenApi(Object.values(ADMIN_API_ROUTES));
