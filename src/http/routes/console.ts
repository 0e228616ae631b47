import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { READ_USERS } from '../../core/users/authorization.js';
import type { Permission } from '../../core/users/permissions.js';
import { userPermissions } from '../../core/users/permissions.js';
import type { HttpContext, HttpModule } from '../context.js';
import { html } from '../html.js';
import { redirectLocal } from '../local-redirect.js';
import { consoleHeaders, NAV, opens, pageData, renderNotPermitted, renderShell } from '../pages/console-shell.js';
import { requireSession, type SignInSession } from '../session.js';
import { registerAdminApiConsole } from './admin-api-console.js';
import { registerConsoleAccount } from './console-account.js';

/** Pages of the admin console under /admin, their scripts and styles, and its API additions. */

const CONSOLE_ASSETS = new URL('../../../assets/console/', import.meta.url);

/** Signed-in session holding the permission; otherwise a redirect to /login or the 403 page (returns null). */
async function gate(
  ctx: HttpContext,
  req: FastifyRequest,
  reply: FastifyReply,
  permission: Permission | readonly Permission[] | null,
  what: string,
): Promise<SignInSession | null> {
  const session = await requireSession(ctx, req, reply, req.url);
  if (!session) return null;
  if (permission && !opens(userPermissions(session.user), permission)) {
    void reply
      .code(403)
      .headers(consoleHeaders())
      .send(renderNotPermitted(session, what, permission));
    return null;
  }
  return session;
}

const ASSET_TYPES: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };

export const registerConsole: HttpModule = async (server, ctx) => {
  await registerAdminApiConsole(server, ctx);
  await registerConsoleAccount(server, ctx);

  // The console's modules and style sheet; ETags let the browser revalidate cheaply.
  server.get<{ Params: { file: string } }>('/assets/console/:file', async (req, reply) => {
    const file = req.params.file;
    const ext = /^[a-z0-9-]+\.(js|css|svg)$/.exec(file)?.[1];
    if (!ext) return reply.code(404).send({ error: 'not_found' });
    let body: Buffer;
    try {
      body = await readFile(new URL(file, CONSOLE_ASSETS));
    } catch {
      return reply.code(404).send({ error: 'not_found' });
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(`${ASSET_TYPES[ext]}; charset=utf-8`).send(body);
  });

  server.get('/admin', async (req, reply) => {
    const session = await requireSession(ctx, req, reply, '/admin');
    if (!session) return reply;
    const perms = userPermissions(session.user);
    const first = NAV.find((n) => opens(perms, n.needs));
    return redirectLocal(reply, ctx.app.config.issuer, first?.href ?? '/admin/account');
  });

  server.get('/admin/clients', async (req, reply) => {
    const session = await gate(ctx, req, reply, 'configure_server', 'the OAuth clients page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'clients',
        title: 'OAuth clients',
        data: pageData(ctx, session),
        body: html`<nav aria-label="Breadcrumb" class="breadcrumb"><ol><li>Settings</li><li aria-current="page">OAuth clients</li></ol></nav>
<h1>OAuth clients</h1>
<div id="view"><noscript><p class="error">The console needs JavaScript. The same actions are available through the admin API (<a href="/admin/api/openapi.json">OpenAPI</a>) and the <code>latchkey</code> command.</p></noscript><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  server.get<{ Params: { key: string } }>('/admin/clients/:key', async (req, reply) => {
    const session = await gate(ctx, req, reply, 'configure_server', 'the OAuth clients page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'client',
        title: 'Client',
        data: { ...pageData(ctx, session), clientKey: req.params.key },
        body: html`<nav aria-label="Breadcrumb" class="breadcrumb"><ol><li>Settings</li><li><a href="/admin/clients">OAuth clients</a></li><li aria-current="page">Client</li></ol></nav>
<div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  server.get('/admin/users', async (req, reply) => {
    const session = await gate(ctx, req, reply, READ_USERS, 'the Users page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'users',
        title: 'Users',
        data: { ...pageData(ctx, session), directories: await directoryNames() },
        body: html`<h1>Users</h1><div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  // Users and Groups name the directories users come from (for the filter and the Source column).
  const directoryNames = async () => (await ctx.app.stores.directories.list()).map((d) => ({ id: d.id, domain: d.domain, name: d.name }));

  server.get('/admin/groups', async (req, reply) => {
    const session = await gate(ctx, req, reply, READ_USERS, 'the Groups page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'groups',
        title: 'Groups',
        data: { ...pageData(ctx, session), directories: await directoryNames() },
        body: html`<h1>Groups</h1><div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  server.get('/admin/directories', async (req, reply) => {
    const session = await gate(ctx, req, reply, 'configure_server', 'the Directories page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'directories',
        title: 'Directories',
        data: pageData(ctx, session),
        body: html`<nav aria-label="Breadcrumb" class="breadcrumb"><ol><li>Settings</li><li aria-current="page">Directories</li></ol></nav>
<h1>Directories</h1>
<p class="lead">LDAP and Active Directory servers. A name that is not an internal user's is looked up in them in this order; <code>DOMAIN\\name</code> or <code>name@domain</code> asks one directory.</p>
<div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  server.get('/admin/tokens', async (req, reply) => {
    const session = await gate(ctx, req, reply, 'manage_users', 'the Access tokens page');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'tokens',
        title: 'Access tokens',
        data: pageData(ctx, session),
        body: html`<h1>Access tokens</h1>
<p class="lead">Every user's personal access tokens. Values are shown only to their owner, once, when made; revoking one refuses it at once.</p>
<div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });

  server.get('/admin/audit', async (req, reply) => {
    const session = await gate(ctx, req, reply, 'configure_server', 'the audit log');
    if (!session) return reply;
    return reply.headers(consoleHeaders()).send(
      renderShell({
        session,
        page: 'audit',
        title: 'Audit log',
        data: pageData(ctx, session),
        body: html`<h1>Audit log</h1><div id="view"><p class="muted loading">Loading…</p></div>`,
      }),
    );
  });
};
