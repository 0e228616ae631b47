import { z } from 'zod';
import { clientInputSchema, clientPatchSchema, statusBodySchema } from '../admin/client-admin.js';
import { userInputSchema, userPatchSchema } from '../admin/user-admin.js';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const error = { $ref: '#/components/schemas/Error' };
const keyParam = { name: 'key', in: 'path', required: true, schema: { type: 'string' } };
const userParam = { name: 'username', in: 'path', required: true, schema: { type: 'string' } };
const responses = (ok: Record<string, unknown>) => ({
  ...ok,
  '400': { description: 'Invalid input; `fields` names each offending field', content: { 'application/json': { schema: error } } },
  '401': { description: 'Not authenticated' },
  '403': { description: 'Missing permission' },
});

/** OpenAPI 3.1 description of the admin REST API, served at /admin/api/openapi.json. */
export const ADMIN_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Latchkey admin API',
    version: '1',
    description: 'Manage client keys, users and the audit log. Needs configure_server (clients, audit) or manage_users (users).',
  },
  components: {
    securitySchemes: {
      basic: { type: 'http', scheme: 'basic' },
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token carrying the latchkey:admin scope' },
      session: { type: 'apiKey', in: 'cookie', name: 'latchkey_session', description: 'Browser session; mutations also need the X-CSRF-Token header' },
    },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          error: { type: 'string' },
          message: { type: 'string' },
          fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      Client: {
        type: 'object',
        description: 'A client as shown (never its secret)',
        properties: {
          client_key: { type: 'string' },
          type: { enum: ['oauth1', 'oauth2', 'oidc'] },
          name: { type: 'string' },
          status: { enum: ['pending', 'approved', 'disapproved'] },
          public: { type: 'boolean' },
          require_pkce: { type: 'boolean' },
          resource_server: {
            type: 'boolean',
            description:
              'May introspect access tokens issued to other clients (RFC 7662 §4) and verify OAuth 1.0a requests; otherwise the client introspects only its own tokens',
          },
          has_secret: { type: 'boolean' },
          redirect_uris: { type: 'array', items: { type: 'string' } },
          post_logout_redirect_uris: { type: 'array', items: { type: 'string' } },
          grant_types: { type: 'array', items: { type: 'string' } },
          response_types: { type: 'array', items: { type: 'string' } },
          callback_url: { type: ['string', 'null'] },
          rsa_public_key: { type: ['string', 'null'] },
          metadata: { type: 'object' },
          created_via: { type: 'string' },
          created_at: { type: 'string', format: 'date-time' },
          updated_at: { type: 'string', format: 'date-time' },
          status_changed_at: { type: ['string', 'null'], format: 'date-time' },
          status_changed_by: { type: ['string', 'null'] },
          last_used_at: { type: ['string', 'null'], format: 'date-time' },
          unreadable_fields: {
            type: 'array',
            items: { type: 'string' },
            description:
              'Stored fields that could not be read back (damaged, too deeply nested) and show as empty; the server log names the client. Saving the client writes the empty values.',
          },
        },
      },
      ClientInput: schema(clientInputSchema),
      ClientPatch: schema(clientPatchSchema),
      UserInput: schema(userInputSchema),
      UserPatch: schema(userPatchSchema),
    },
  },
  security: [{ basic: [] }, { bearer: [] }, { session: [] }],
  paths: {
    '/admin/api/clients': {
      get: {
        summary: 'List clients',
        parameters: ['type', 'status', 'search', 'sort', 'order', 'limit', 'offset'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: responses({ '200': { description: 'A page of clients, the total and pending counts per type' } }),
      },
      post: {
        summary: 'Create a client (starts pending); the secret is returned once',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ClientInput' } } } },
        responses: responses({ '201': { description: 'Created' } }),
      },
    },
    '/admin/api/clients/{key}': {
      parameters: [keyParam],
      get: {
        summary: 'Get a client',
        responses: responses({
          '200': { description: 'The client', content: { 'application/json': { schema: { $ref: '#/components/schemas/Client' } } } },
          '404': { description: 'Unknown key' },
        }),
      },
      patch: {
        summary: 'Update name, secret, redirect URIs, grant and response types, PKCE, the resource server flag, callback or public key (never the key)',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ClientPatch' } } } },
        responses: responses({ '200': { description: 'Updated' }, '404': { description: 'Unknown key' } }),
      },
      delete: {
        summary: 'Remove a client and cut off everything issued to it',
        responses: responses({ '204': { description: 'Removed' }, '404': { description: 'Unknown key' } }),
      },
    },
    '/admin/api/clients/{key}/approve': {
      parameters: [keyParam],
      post: {
        summary: 'Approve the version of the client that was reviewed',
        description:
          '`version` is the `version` a GET of the client showed; when the client changed since (a registration update, an edit, a status change), nothing changes and the answer is 409. Required from a console session; scripts may leave it out to approve the client as it is.',
        requestBody: { content: { 'application/json': { schema: schema(statusBodySchema) } } },
        responses: responses({
          '200': { description: 'Approved' },
          '404': { description: 'Unknown key' },
          '409': { description: 'The client changed since that version' },
        }),
      },
    },
    '/admin/api/clients/{key}/disapprove': {
      parameters: [keyParam],
      post: {
        summary: 'Disapprove and cut off every token of the client',
        description: '`version` is optional: when given, the client is disapproved only if it is still at that version (409 otherwise).',
        requestBody: { content: { 'application/json': { schema: schema(statusBodySchema) } } },
        responses: responses({
          '200': { description: 'Disapproved' },
          '404': { description: 'Unknown key' },
          '409': { description: 'The client changed since that version' },
        }),
      },
    },
    '/admin/api/clients/{key}/activity': {
      parameters: [keyParam],
      get: {
        summary: 'Status history, settings changes, recent sign-ins and failed requests of a client (from the audit log)',
        responses: responses({ '200': { description: 'Grouped events, newest first' }, '404': { description: 'Unknown key' } }),
      },
    },
    '/admin/api/clients/{key}/secret': {
      parameters: [keyParam],
      post: { summary: 'Generate a new secret (returned once)', responses: responses({ '200': { description: 'Rotated' } }) },
    },
    '/admin/api/audit': {
      get: {
        summary: 'Audit log, newest first',
        parameters: ['action', 'target', 'actor', 'limit', 'offset'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: responses({ '200': { description: 'A page of events' } }),
      },
    },
    '/admin/api/users': {
      get: { summary: 'List users', responses: responses({ '200': { description: 'A page of users' } }) },
      post: {
        summary: 'Create a user',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/UserInput' } } } },
        responses: responses({
          '201': { description: 'Created' },
          '403': { description: 'Missing permission, or a role carrying a permission the caller does not hold' },
          '409': { description: 'Username taken' },
        }),
      },
    },
    '/admin/api/users/{username}': {
      parameters: [userParam],
      get: { summary: 'Get a user', responses: responses({ '200': { description: 'The user' } }) },
      patch: {
        summary: 'Update display name, email, enabled flag or roles',
        description:
          'Grants only permissions the caller holds, and changes no user holding a permission the caller lacks. Disabling a user or removing a role ends their sessions and revokes their tokens.',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/UserPatch' } } } },
        responses: responses({
          '200': { description: 'Updated' },
          '403': { description: 'Missing permission, the user holds a permission the caller lacks, or the roles grant one' },
          '409': { description: 'The last enabled holder of configure_server would be disabled or demoted, or the user changed meanwhile' },
        }),
      },
    },
    '/admin/api/users/{username}/password': {
      parameters: [userParam],
      post: {
        summary: 'Set a password',
        description: "Ends the user's sessions and revokes their tokens.",
        responses: responses({
          '204': { description: 'Set' },
          '403': { description: 'Missing permission, or the user holds a permission the caller lacks' },
          '409': { description: 'The user changed meanwhile' },
        }),
      },
    },
  },
} as const;
