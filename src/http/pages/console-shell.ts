import { CLIENT_SETTINGS_RULES, MIN_SECRET_LENGTH } from '../../core/clients/settings.js';
import { READ_USERS } from '../../core/users/authorization.js';
import { MIN_PASSWORD_LENGTH } from '../../core/users/password.js';
import { anyPermissionOf, type Permission, ROLES, userPermissions } from '../../core/users/permissions.js';
import type { HttpContext } from '../context.js';
import { html, PAGE_CSP, pageHeaders, type Raw, raw } from '../html.js';
import { csrfInput, type SignInSession } from '../session.js';

/**
 * The admin console's page shell: server-rendered frames under /admin whose content is drawn by plain ES
 * modules from /assets/console/ talking to the admin API with the session cookie and CSRF header.
 * Pages a user may not use answer with a "not permitted" page (403), never an empty shell.
 */

/** The console's pages call the admin API, so its CSP adds connect-src 'self' to the strict page policy. */
export const CONSOLE_CSP = `${PAGE_CSP}; connect-src 'self'`;

export function consoleHeaders(): Record<string, string> {
  return { ...pageHeaders(), 'content-security-policy': CONSOLE_CSP };
}

type PageId = 'clients' | 'client' | 'users' | 'groups' | 'directories' | 'tokens' | 'audit' | 'account' | 'denied';

interface NavItem {
  id: PageId;
  href: string;
  label: string;
  /** The permission the page needs, or a list of which any one will do. */
  needs?: Permission | readonly Permission[];
}

export const NAV: NavItem[] = [
  { id: 'clients', href: '/admin/clients', label: 'OAuth clients', needs: 'configure_server' },
  { id: 'users', href: '/admin/users', label: 'Users', needs: READ_USERS },
  { id: 'groups', href: '/admin/groups', label: 'Groups', needs: READ_USERS },
  { id: 'directories', href: '/admin/directories', label: 'Directories', needs: 'configure_server' },
  { id: 'tokens', href: '/admin/tokens', label: 'Access tokens', needs: 'manage_users' },
  { id: 'audit', href: '/admin/audit', label: 'Audit log', needs: 'configure_server' },
  { id: 'account', href: '/admin/account', label: 'My account' },
];

const PERMISSION_LABEL: Record<Permission, string> = { configure_server: 'Configure Server', manage_users: 'Manage Users', manage_roles: 'Manage Roles' };

/** Whether these permissions open a page that needs any one of `needs`. */
export function opens(perms: ReadonlySet<Permission>, needs: Permission | readonly Permission[] | undefined): boolean {
  return needs === undefined || anyPermissionOf(needs).some((p) => perms.has(p));
}

function rolesWith(anyOf: readonly Permission[]): string {
  return ROLES.filter((r) => r.permissions.some((p) => anyOf.includes(p)))
    .map((r) => r.name)
    .join(' or ');
}

/** JSON for a non-executed <script type="application/json"> block: "<" cannot close the element. */
function jsonBlock(value: unknown): Raw {
  const text = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return raw(text);
}

interface ShellOptions {
  session: SignInSession;
  page: PageId;
  title: string;
  /** Heading and any server-rendered content. */
  body: Raw;
  /** Data for the page's module, read from #console-data. */
  data?: Record<string, unknown>;
  /** Load the console's scripts (pages rendered entirely on the server do not). */
  scripts?: boolean;
}

export function renderShell(o: ShellOptions): string {
  const perms = userPermissions(o.session.user);
  const nav = NAV.filter((n) => opens(perms, n.needs));
  const current = o.page === 'client' ? 'clients' : o.page;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${o.session.csrfToken}">
<title>${o.title} · Latchkey admin</title>
<link rel="stylesheet" href="/assets/latchkey.css">
<link rel="stylesheet" href="/assets/console/console.css">
${o.scripts === false ? '' : html`<script type="module" src="/assets/console/main.js"></script>`}
</head>
<body class="console">
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar console-topbar">
  <a class="brand" href="/admin">Latchkey <span class="brand-sub">admin</span></a>
  <nav aria-label="Console" class="console-nav">
    <ul>
      ${nav.map((n) => html`<li><a href="${n.href}"${n.id === current ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}
    </ul>
  </nav>
  <div class="who">
    <span class="who-name" title="Signed in as ${o.session.user.username}">${o.session.user.displayName}</span>
    <form method="post" action="/logout">${csrfInput(o.session)}<button type="submit" class="link-button">Sign out</button></form>
  </div>
</header>
<main id="main" tabindex="-1" data-page="${o.page}">
${o.body}
</main>
<div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
<script type="application/json" id="console-data">${jsonBlock({ page: o.page, ...(o.data ?? {}) })}</script>
</body>
</html>`.html;
}

/** The page a signed-in user without the needed permission sees (status 403). */
export function renderNotPermitted(session: SignInSession, what: string, permission: Permission | readonly Permission[]): string {
  const anyOf = anyPermissionOf(permission);
  const perms = userPermissions(session.user);
  const open = NAV.filter((n) => opens(perms, n.needs));
  return renderShell({
    session,
    page: 'denied',
    title: 'Not permitted',
    scripts: false,
    body: html`<section class="card narrow not-permitted" aria-labelledby="np-title">
  <h1 id="np-title"><span aria-hidden="true">⛔ </span>Not permitted</h1>
  <p>You are signed in as <strong>${session.user.username}</strong>, who does not have the
  <strong>${anyOf.map((p) => PERMISSION_LABEL[p]).join(' or ')}</strong> permission needed for ${what}.</p>
  <p>That permission comes with the <strong>${rolesWith(anyOf)}</strong> role. Ask an administrator to assign it to you
  if you need this page; nothing here was changed.</p>
  <p>You can go to:</p>
  <ul>${open.map((n) => html`<li><a href="${n.href}">${n.label}</a></li>`)}</ul>
</section>`,
  });
}

export function pageData(ctx: HttpContext, session: SignInSession): Record<string, unknown> {
  const perms = userPermissions(session.user);
  return {
    issuer: ctx.app.config.issuer,
    user: { username: session.user.username, displayName: session.user.displayName },
    permissions: [...perms],
    grantTypes: [...CLIENT_SETTINGS_RULES.grantTypes],
    responseTypes: { oauth2: [...CLIENT_SETTINGS_RULES.responseTypes.oauth2], oidc: [...CLIENT_SETTINGS_RULES.responseTypes.oidc] },
    roles: ROLES.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions })),
    minSecretLength: MIN_SECRET_LENGTH,
    minPasswordLength: MIN_PASSWORD_LENGTH,
  };
}
