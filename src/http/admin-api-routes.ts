import { z } from 'zod';
import { clientInputSchema, clientPatchSchema, clientViewSchema, statusBodySchema } from '../admin/client-admin.js';
import { directoryInputSchema, directoryPatchSchema, directoryViewSchema } from '../admin/directory-admin.js';
import { groupInputSchema, groupPatchSchema, groupViewSchema } from '../admin/group-admin.js';
import { passwordBodySchema, userInputSchema, userPatchSchema, userViewSchema } from '../admin/user-admin.js';
import { CLIENT_STATUSES, CLIENT_TYPES } from '../core/clients/client.js';
import { PAT_SCOPES } from '../core/tokens/personal-access-tokens.js';
import { READ_USERS } from '../core/users/authorization.js';
import type { AdminRoute } from './admin-route.js';
import { clientActivitySchema } from './console-activity.js';

/**
 * The admin API, one entry per route: what it takes, what it answers and the permission it needs.
 * The routes are registered from this table and the OpenAPI document is generated from it.
 */

const limit = z.coerce.number().int().min(1).max(500).default(50);

const listQuery = z
  .object({
    type: z.enum(CLIENT_TYPES).optional(),
    status: z.enum(CLIENT_STATUSES).optional(),
    search: z.string().max(200).optional(),
    sort: z.enum(['name', 'created_at', 'last_used_at', 'status']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    limit,
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  })
  .strict();

const auditQuery = z
  .object({
    action: z.string().max(100).optional(),
    target: z.string().max(200).optional(),
    actor: z.string().max(200).optional(),
    limit,
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const usersQuery = z
  .object({
    search: z.string().max(100).optional(),
    source: z.enum(['internal', 'external']).optional().describe('Internal users, or users from a directory'),
    directory: z.string().max(100).optional().describe('Users from this directory (its id)'),
    limit,
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const groupsQuery = z
  .object({
    search: z.string().max(100).optional(),
    kind: z.enum(['native', 'external']).optional(),
    limit,
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const pageQuery = z.object({ limit, offset: z.coerce.number().int().min(0).default(0) }).strict();

const directorySearchQuery = z.object({ query: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** A directory entry as the directory described it (import preview, test sign-in). */
const directoryEntrySchema = z.object({
  dn: z.string(),
  unique_id: z.string(),
  username: z.string(),
  display_name: z.string().nullable(),
  email: z.string().nullable(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  groups: z.array(z.object({ dn: z.string(), name: z.string() })),
  /** The Latchkey user this entry is, when imported or signed in before. */
  imported_as: z.string().nullable(),
});

const directoryGroupSchema = z.object({ dn: z.string(), name: z.string(), members: z.number().int().min(0), imported: z.boolean() });

export const directoryTestUserSchema = z
  .object({
    username: z.string().min(1).max(256),
    password: z.string().max(1024).optional().describe('Absent: look the user up only'),
  })
  .strict();

export const directoryImportSchema = z
  .object({
    users: z.array(z.string().min(1).max(256)).max(500).optional().describe('Usernames to import (their groups that are imported link up)'),
    groups: z.array(z.string().min(1).max(1024)).max(500).optional().describe('Group DNs to import as external groups'),
  })
  .strict();

export const directoryMoveSchema = z.object({ position: z.number().int().min(0).max(1000) }).strict();

export const memberBodySchema = z.object({ username: z.string().min(1).max(256) }).strict();

/** The body of every error answer the admin API writes itself. */
export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int().min(0), limit: z.number().int().min(1), offset: z.number().int().min(0) });

const count = z.number().int().min(0);

const clientWithSecretSchema = clientViewSchema.extend({ client_secret: z.string().describe('Shown once') });

const auditEntrySchema = z.object({
  id: z.number().int().optional(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  target: z.string().nullable(),
  source: z.string(),
  details: z.record(z.string(), z.unknown()),
});

/** A personal access token as the admin API shows it: never its value. */
export const patViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  user_id: z.string(),
  username: z.string().nullable().describe('The owner; null when the user no longer exists'),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'expired', 'revoked']),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable().describe('Recorded in batches: may lag by a few seconds'),
  revoked_at: z.iso.datetime().nullable(),
  revoked_by: z.string().nullable().describe('Who revoked it, or user_disabled / password_set'),
});

const patWithValueSchema = patViewSchema.extend({ token: z.string().describe('The token itself: shown once, never again') });

export const patInputSchema = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(PAT_SCOPES)).min(1).max(PAT_SCOPES.length),
    expires_in: z.number().int().min(1).optional().describe('Lifetime in seconds; absent: the configured default'),
  })
  .strict();

const patsQuery = z
  .object({
    user: z.string().max(256).optional().describe('Only this user’s tokens (username)'),
    active: z.enum(['true', 'false']).optional().describe('true: leave out revoked and expired tokens'),
    limit,
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const myPatsQuery = z
  .object({
    active: z.enum(['true', 'false']).optional().describe('true: leave out revoked and expired tokens'),
    limit,
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** Schemas the document names under components/schemas; the routes refer to them. */
export const ADMIN_API_COMPONENTS = {
  input: {
    ClientInput: clientInputSchema,
    ClientPatch: clientPatchSchema,
    UserInput: userInputSchema,
    UserPatch: userPatchSchema,
    DirectoryInput: directoryInputSchema,
    DirectoryPatch: directoryPatchSchema,
    GroupInput: groupInputSchema,
    GroupPatch: groupPatchSchema,
    PersonalAccessTokenInput: patInputSchema,
  },
  output: {
    Error: errorBodySchema,
    Client: clientViewSchema,
    ClientWithSecret: clientWithSecretSchema,
    User: userViewSchema,
    Directory: directoryViewSchema,
    DirectoryEntry: directoryEntrySchema,
    Group: groupViewSchema,
    PersonalAccessToken: patViewSchema,
    PersonalAccessTokenWithValue: patWithValueSchema,
  },
} as const;

const unknownDirectory = { '404': { description: 'Unknown directory', schema: errorBodySchema } };
const unknownGroup = { '404': { description: 'Unknown group', schema: errorBodySchema } };
const unknownClient = { '404': { description: 'Unknown key', schema: errorBodySchema } };
const changedSince = { '409': { description: 'The client changed since that version', schema: errorBodySchema } };

export const ADMIN_API_ROUTES = {
  listClients: {
    method: 'GET',
    path: '/admin/api/clients',
    summary: 'List clients',
    permission: 'configure_server',
    query: listQuery,
    responses: {
      '200': {
        description: 'A page of clients, the total and pending counts per type',
        schema: page(clientViewSchema).extend({ pending_counts: z.object({ oauth1: count, oauth2: count, oidc: count }) }),
      },
    },
  },
  createClient: {
    method: 'POST',
    path: '/admin/api/clients',
    summary: 'Create a client (starts pending); the secret is returned once',
    permission: 'configure_server',
    body: clientInputSchema,
    responses: { '201': { description: 'Created', schema: clientWithSecretSchema } },
  },
  getClient: {
    method: 'GET',
    path: '/admin/api/clients/:key',
    summary: 'Get a client',
    permission: 'configure_server',
    responses: { '200': { description: 'The client', schema: clientViewSchema }, ...unknownClient },
  },
  updateClient: {
    method: 'PATCH',
    path: '/admin/api/clients/:key',
    summary: 'Update name, secret, redirect URIs, grant and response types, PKCE, the resource server flag, callback or public key (never the key)',
    permission: 'configure_server',
    body: clientPatchSchema,
    responses: {
      '200': {
        description: 'Updated; client_secret only when a new secret was set',
        schema: clientViewSchema.extend({ client_secret: z.string().optional() }),
      },
      ...unknownClient,
    },
  },
  removeClient: {
    method: 'DELETE',
    path: '/admin/api/clients/:key',
    summary: 'Remove a client and cut off everything issued to it',
    permission: 'configure_server',
    responses: { '204': { description: 'Removed' }, ...unknownClient },
  },
  approveClient: {
    method: 'POST',
    path: '/admin/api/clients/:key/approve',
    summary: 'Approve the version of the client that was reviewed',
    description:
      '`version` is the `version` a GET of the client showed; when the client changed since (a registration update, an edit, a status change), nothing changes and the answer is 409. Required from a console session; scripts may leave it out to approve the client as it is.',
    permission: 'configure_server',
    body: statusBodySchema,
    responses: { '200': { description: 'Approved', schema: clientViewSchema }, ...unknownClient, ...changedSince },
  },
  disapproveClient: {
    method: 'POST',
    path: '/admin/api/clients/:key/disapprove',
    summary: 'Disapprove and cut off every token of the client',
    description: '`version` is optional: when given, the client is disapproved only if it is still at that version (409 otherwise).',
    permission: 'configure_server',
    body: statusBodySchema,
    responses: { '200': { description: 'Disapproved', schema: clientViewSchema }, ...unknownClient, ...changedSince },
  },
  clientActivity: {
    method: 'GET',
    path: '/admin/api/clients/:key/activity',
    summary: 'Status history, settings changes, recent sign-ins and failed requests of a client (from the audit log)',
    permission: 'configure_server',
    responses: { '200': { description: 'Grouped events, newest first', schema: clientActivitySchema }, ...unknownClient },
  },
  rotateSecret: {
    method: 'POST',
    path: '/admin/api/clients/:key/secret',
    summary: 'Generate a new secret (returned once)',
    permission: 'configure_server',
    responses: { '200': { description: 'Rotated', schema: clientWithSecretSchema }, ...unknownClient },
  },
  listAudit: {
    method: 'GET',
    path: '/admin/api/audit',
    summary: 'Audit log, newest first',
    permission: 'configure_server',
    query: auditQuery,
    responses: { '200': { description: 'A page of events', schema: page(auditEntrySchema) } },
  },
  listUsers: {
    method: 'GET',
    path: '/admin/api/users',
    summary: 'List users',
    permission: READ_USERS,
    query: usersQuery,
    responses: { '200': { description: 'A page of users', schema: page(userViewSchema) } },
  },
  createUser: {
    method: 'POST',
    path: '/admin/api/users',
    summary: 'Create a user',
    permission: 'manage_users',
    body: userInputSchema,
    responses: {
      '201': { description: 'Created', schema: userViewSchema },
      '403': {
        description: 'Missing permission (manage_users; manage_roles too for a user with roles), or a role carrying a permission the caller does not hold',
      },
      '409': { description: 'Username taken', schema: errorBodySchema },
    },
  },
  getUser: {
    method: 'GET',
    path: '/admin/api/users/:username',
    summary: 'Get a user',
    permission: READ_USERS,
    responses: { '200': { description: 'The user', schema: userViewSchema }, '404': { description: 'Unknown user', schema: errorBodySchema } },
  },
  updateUser: {
    method: 'PATCH',
    path: '/admin/api/users/:username',
    summary: 'Update display name, email, enabled flag or roles',
    description:
      'Changing roles needs manage_roles; changing the enabled flag or the profile needs manage_users. Grants only permissions the caller holds, and changes no user holding a permission the caller lacks. Disabling a user or removing a role ends their sessions and revokes their tokens.',
    permission: READ_USERS,
    body: userPatchSchema,
    responses: {
      '200': { description: 'Updated', schema: userViewSchema },
      '403': {
        description:
          'Missing permission (manage_roles for roles, manage_users for the rest), the user holds a permission the caller lacks, or the roles grant one',
      },
      '404': { description: 'Unknown user', schema: errorBodySchema },
      '409': {
        description: 'The last enabled holder of configure_server would be disabled or demoted, or the user changed meanwhile',
        schema: errorBodySchema,
      },
    },
  },
  setPassword: {
    method: 'POST',
    path: '/admin/api/users/:username/password',
    summary: 'Set a password',
    description: "Ends the user's sessions and revokes their tokens.",
    permission: 'manage_users',
    body: passwordBodySchema,
    responses: {
      '204': { description: 'Set' },
      '403': { description: 'Missing permission, or the user holds a permission the caller lacks' },
      '404': { description: 'Unknown user', schema: errorBodySchema },
      '409': { description: 'The user changed meanwhile', schema: errorBodySchema },
    },
  },
  listDirectories: {
    method: 'GET',
    path: '/admin/api/directories',
    summary: 'List the LDAP directories in sign-in order, with their health',
    permission: 'configure_server',
    responses: { '200': { description: 'The directories', schema: z.object({ items: z.array(directoryViewSchema) }) } },
  },
  createDirectory: {
    method: 'POST',
    path: '/admin/api/directories',
    summary: 'Add an LDAP directory at the end of the list',
    description: 'The bind password is write-only and stored encrypted under the master key.',
    permission: 'configure_server',
    body: directoryInputSchema,
    responses: {
      '201': { description: 'Added', schema: directoryViewSchema },
      '409': { description: 'Domain or host and port taken', schema: errorBodySchema },
    },
  },
  getDirectory: {
    method: 'GET',
    path: '/admin/api/directories/:id',
    summary: 'Get a directory',
    permission: 'configure_server',
    responses: { '200': { description: 'The directory', schema: directoryViewSchema }, ...unknownDirectory },
  },
  updateDirectory: {
    method: 'PATCH',
    path: '/admin/api/directories/:id',
    summary: 'Change a directory (enable or disable it with `enabled`)',
    description: 'Disabling keeps its users signed in until they sign out; other directories may still authenticate them.',
    permission: 'configure_server',
    body: directoryPatchSchema,
    responses: {
      '200': { description: 'Changed', schema: directoryViewSchema },
      ...unknownDirectory,
      '409': { description: 'Domain or host and port taken, or changed meanwhile', schema: errorBodySchema },
    },
  },
  moveDirectory: {
    method: 'POST',
    path: '/admin/api/directories/:id/move',
    summary: 'Move a directory in the sign-in order (0: first)',
    permission: 'configure_server',
    body: directoryMoveSchema,
    responses: { '200': { description: 'The list in its new order', schema: z.object({ items: z.array(directoryViewSchema) }) }, ...unknownDirectory },
  },
  removeDirectory: {
    method: 'DELETE',
    path: '/admin/api/directories/:id',
    summary: 'Remove a directory for good',
    description: 'Its external users are disabled, not deleted (their audit history stays); its external groups are removed.',
    permission: 'configure_server',
    responses: { '204': { description: 'Removed' }, ...unknownDirectory },
  },
  testDirectory: {
    method: 'POST',
    path: '/admin/api/directories/:id/test',
    summary: 'Connect and bind with the configured credentials',
    permission: 'configure_server',
    responses: {
      '200': { description: 'The outcome', schema: z.object({ ok: z.boolean(), reason: z.string().optional() }) },
      ...unknownDirectory,
    },
  },
  testDirectoryUser: {
    method: 'POST',
    path: '/admin/api/directories/:id/test-user',
    summary: "Check a user's sign-in against this directory alone: the attributes and groups found",
    description: 'Signs nobody in and creates no user.',
    permission: 'configure_server',
    body: directoryTestUserSchema,
    responses: {
      '200': {
        description: 'The outcome, and the entry found',
        schema: z.object({
          outcome: z.enum(['signed_in', 'found', 'wrong_password', 'unknown_user', 'unavailable']),
          reason: z.string().optional(),
          entry: directoryEntrySchema.optional(),
        }),
      },
      ...unknownDirectory,
    },
  },
  searchDirectoryUsers: {
    method: 'GET',
    path: '/admin/api/directories/:id/users',
    summary: 'Search the directory for users to import (preview)',
    permission: 'configure_server',
    query: directorySearchQuery,
    responses: {
      '200': { description: 'Entries found', schema: z.object({ items: z.array(directoryEntrySchema) }) },
      ...unknownDirectory,
      '409': { description: 'The directory could not be asked', schema: errorBodySchema },
    },
  },
  searchDirectoryGroups: {
    method: 'GET',
    path: '/admin/api/directories/:id/groups',
    summary: 'Search the directory for groups to import (preview)',
    permission: 'configure_server',
    query: directorySearchQuery,
    responses: {
      '200': { description: 'Groups found', schema: z.object({ items: z.array(directoryGroupSchema) }) },
      ...unknownDirectory,
      '409': { description: 'The directory could not be asked', schema: errorBodySchema },
    },
  },
  importFromDirectory: {
    method: 'POST',
    path: '/admin/api/directories/:id/import',
    summary: 'Import users and groups from the directory',
    permission: 'configure_server',
    body: directoryImportSchema,
    responses: {
      '200': {
        description: 'What was imported, and the names that were not found',
        schema: z.object({ users: z.array(userViewSchema), groups: z.array(groupViewSchema), not_found: z.array(z.string()) }),
      },
      ...unknownDirectory,
      '409': { description: 'The directory could not be asked', schema: errorBodySchema },
    },
  },
  convertUserToExternal: {
    method: 'POST',
    path: '/admin/api/directories/:id/convert',
    summary: 'Make an internal user external: link it to the entry of the same name in this directory',
    description:
      'The user keeps their id, roles and history, loses their own password and signs in through the directory; their sessions and tokens end. The reverse is setting a password.',
    permission: 'manage_users',
    body: memberBodySchema,
    responses: {
      '200': { description: 'Converted', schema: userViewSchema },
      ...unknownDirectory,
      '409': { description: 'Already external, the entry is another user, or the directory could not be asked', schema: errorBodySchema },
    },
  },
  listGroups: {
    method: 'GET',
    path: '/admin/api/groups',
    summary: 'List native and external groups',
    permission: ['manage_users', 'manage_roles'],
    query: groupsQuery,
    responses: { '200': { description: 'A page of groups', schema: page(groupViewSchema) } },
  },
  createGroup: {
    method: 'POST',
    path: '/admin/api/groups',
    summary: 'Create a native group',
    description: 'Roles need manage_roles and carry only permissions the caller holds.',
    permission: ['manage_users', 'manage_roles'],
    body: groupInputSchema,
    responses: { '201': { description: 'Created', schema: groupViewSchema }, '409': { description: 'Name taken', schema: errorBodySchema } },
  },
  getGroup: {
    method: 'GET',
    path: '/admin/api/groups/:id',
    summary: 'Get a group',
    permission: ['manage_users', 'manage_roles'],
    responses: { '200': { description: 'The group', schema: groupViewSchema }, ...unknownGroup },
  },
  updateGroup: {
    method: 'PATCH',
    path: '/admin/api/groups/:id',
    summary: "Change a group's name, description or roles",
    description: 'An external group keeps the name its directory gives it. Removing a role ends the members’ sessions and tokens.',
    permission: ['manage_users', 'manage_roles'],
    body: groupPatchSchema,
    responses: {
      '200': { description: 'Changed', schema: groupViewSchema },
      ...unknownGroup,
      '409': { description: 'Name taken, external, or changed meanwhile', schema: errorBodySchema },
    },
  },
  removeGroup: {
    method: 'DELETE',
    path: '/admin/api/groups/:id',
    summary: 'Remove a group (its members lose its roles)',
    permission: ['manage_users', 'manage_roles'],
    responses: { '204': { description: 'Removed' }, ...unknownGroup },
  },
  listGroupMembers: {
    method: 'GET',
    path: '/admin/api/groups/:id/members',
    summary: 'The members of a group',
    permission: ['manage_users', 'manage_roles'],
    query: pageQuery,
    responses: { '200': { description: 'A page of members', schema: page(userViewSchema) }, ...unknownGroup },
  },
  addGroupMember: {
    method: 'POST',
    path: '/admin/api/groups/:id/members',
    summary: 'Add a user to a native group',
    description: 'Joining a group with roles grants them: manage_roles, and only permissions the caller holds.',
    permission: ['manage_users', 'manage_roles'],
    body: memberBodySchema,
    responses: {
      '204': { description: 'Added' },
      ...unknownGroup,
      '409': { description: 'External group: its members follow the directory', schema: errorBodySchema },
    },
  },
  removeGroupMember: {
    method: 'DELETE',
    path: '/admin/api/groups/:id/members/:username',
    summary: 'Remove a user from a native group',
    permission: ['manage_users', 'manage_roles'],
    responses: {
      '204': { description: 'Removed' },
      ...unknownGroup,
      '409': { description: 'External group: its members follow the directory', schema: errorBodySchema },
    },
  },
  listMyTokens: {
    method: 'GET',
    path: '/admin/api/me/tokens',
    summary: 'Your personal access tokens',
    description: 'Any signed-in user; a token used to call needs the latchkey:admin scope.',
    permission: [],
    query: myPatsQuery,
    responses: { '200': { description: 'A page of tokens, newest first', schema: page(patViewSchema) } },
  },
  createMyToken: {
    method: 'POST',
    path: '/admin/api/me/tokens',
    summary: 'Create a personal access token',
    description:
      'Any signed-in user the token policy (LATCHKEY_PAT_CREATORS) allows, with a session or Basic credentials: a token cannot create tokens. The answer carries the token once.',
    permission: [],
    body: patInputSchema,
    responses: {
      '201': { description: 'Created; `token` is shown this once', schema: patWithValueSchema },
      '403': { description: 'The policy does not allow it, or the call was made with a token', schema: errorBodySchema },
    },
  },
  revokeMyToken: {
    method: 'DELETE',
    path: '/admin/api/me/tokens/:id',
    summary: 'Revoke one of your personal access tokens',
    description: 'Any signed-in user; a token used to call needs the latchkey:admin scope. Ends the token at once on every instance.',
    permission: [],
    responses: {
      '200': { description: 'Revoked (or already was)', schema: patViewSchema },
      '404': { description: 'No such token of yours', schema: errorBodySchema },
    },
  },
  listTokens: {
    method: 'GET',
    path: '/admin/api/tokens',
    summary: 'Every personal access token (never a value)',
    permission: 'manage_users',
    query: patsQuery,
    responses: {
      '200': { description: 'A page of tokens, newest first', schema: page(patViewSchema) },
      '404': { description: 'Unknown user', schema: errorBodySchema },
    },
  },
  revokeToken: {
    method: 'DELETE',
    path: '/admin/api/tokens/:id',
    summary: 'Revoke any personal access token',
    description: 'Ends the token at once on every instance.',
    permission: 'manage_users',
    responses: { '200': { description: 'Revoked (or already was)', schema: patViewSchema }, '404': { description: 'No such token', schema: errorBodySchema } },
  },
} as const satisfies Record<string, AdminRoute>;
