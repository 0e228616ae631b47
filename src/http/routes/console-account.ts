import type { FastifyRequest } from 'fastify';
import { AdminError } from '../../admin/errors.js';
import type { UserActor } from '../../admin/user-admin.js';
import { DAY_MS, mayCreatePats, PAT_SCOPES, PatError, type PersonalAccessToken, patStatus } from '../../core/tokens/personal-access-tokens.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../core/users/password.js';
import { ROLES, userPermissions } from '../../core/users/permissions.js';
import type { HttpModule } from '../context.js';
import { DEVICE_COOKIE, setDeviceCookie } from '../device-cookie.js';
import { html, type Raw } from '../html.js';
import { redirectLocal } from '../local-redirect.js';
import { PROFILE_FIELD_NAMES, profileFieldLabel, profilePatch, profileValues, renderProfileFields, submittedProfile } from '../pages/account-profile-form.js';
import { consoleHeaders, renderShell } from '../pages/console-shell.js';
import { checkCsrf, csrfInput, currentSession, loginUrl, renewSession, type SignInSession } from '../session.js';

/**
 * "My account", for every signed-in user: profile, change password (with the current one),
 * personal access tokens, and the way to Authorized applications. Plain forms, so it works without
 * JavaScript.
 */

/** The personal access tokens section: the user's live tokens, and the one just created (shown once). */
interface TokensSection {
  items: PersonalAccessToken[];
  now: number;
  mayCreate: boolean;
  /** Lifetimes offered, in days (within the policy's maximum). */
  lifetimes: number[];
  defaultDays: number;
  created?: { name: string; value: string };
}

const SCOPE_TEXT: Record<string, string> = {
  profile: 'Read your profile (GET /api/me)',
  'latchkey:admin': 'Use the admin API with your permissions',
};

function renderTokens(session: SignInSession, t: TokensSection, err: (field: Notice['field']) => Raw | ''): Raw {
  const rows = t.items.map(
    (p) =>
      html`<tr><td>${p.name}</td><td>${p.scopes.join(' ')}</td><td>${when(p.createdAt)}</td><td>${when(p.lastUsedAt)}</td><td>${when(p.expiresAt)}</td><td>${patStatus(p, t.now)}</td><td><form method="post" action="/account/tokens/${p.id}/revoke">${csrfInput(session)}<button type="submit" class="danger-outline" aria-label="Revoke ${p.name}">Revoke</button></form></td></tr>`,
  );
  const created = t.created
    ? html`<div class="notice ok" role="status"><p>✓ Token “${t.created.name}” created. Copy it now: it is shown only once.</p><p><label for="new-token">Your new token</label><input type="text" id="new-token" readonly value="${t.created.value}" autocomplete="off" spellcheck="false"></p></div>`
    : '';
  const form = t.mayCreate
    ? html`<form method="post" action="/account/tokens">
    ${csrfInput(session)}
    <label for="token_name">Name</label>
    <input type="text" id="token_name" name="name" maxlength="100" required${err('token_name') ? html` aria-describedby="token_name-error" aria-invalid="true"` : ''}>
    ${err('token_name')}
    <fieldset><legend>Scopes</legend>
    ${PAT_SCOPES.map((sc) => html`<label class="checkbox"><input type="checkbox" name="scope" value="${sc}"${sc === 'profile' ? ' checked' : ''}> <code>${sc}</code>: ${SCOPE_TEXT[sc] ?? sc}</label>`)}
    </fieldset>
    ${err('scope')}
    <label for="token_lifetime">Expires after</label>
    <select id="token_lifetime" name="expires_in_days">${t.lifetimes.map((d) => html`<option value="${String(d)}"${d === t.defaultDays ? ' selected' : ''}>${String(d)} days</option>`)}</select>
    <div class="actions"><button type="submit">Create token</button></div>
  </form>`
    : html`<p>The token policy does not let you create tokens.</p>`;
  return html`<section class="card" aria-labelledby="tokens-title">
  <h2 id="tokens-title">Personal access tokens</h2>
  <p>Tokens for scripts, sent as <code>Authorization: Bearer lkpat_…</code>. A token acts as you, within its scopes and your current permissions.</p>
  ${created}
  ${t.items.length === 0 ? html`<p>No active tokens.</p>` : html`<table><thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>${rows}</tbody></table>`}
  ${form}
</section>`;
}

interface Notice {
  kind: 'ok' | 'error';
  text: string;
  /** A field of the forms, or one of the profile fields (PROFILE_FIELD_NAMES). */
  field?: 'current_password' | 'new_password' | 'confirm_password' | 'display_name' | 'email' | (string & {});
}

function bodyOf(req: FastifyRequest): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The signed-in user acting on their own account, from this session. */
function accountActor(session: SignInSession, req: FastifyRequest): UserActor {
  const u = session.user;
  return { name: u.username, source: req.ip, authority: { kind: 'user', userId: u.id, permissions: userPermissions(u) }, sessionSid: session.sid };
}

function when(ms: number | null): string {
  return ms === null ? 'never' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `profile`: the profile values to show (what was just submitted, when it was refused). */
function renderAccount(session: SignInSession, notice?: Notice, profile?: Record<string, string>, tokens?: TokensSection): string {
  const u = session.user;
  const profileError =
    notice?.kind === 'error' && notice.field !== undefined && PROFILE_FIELD_NAMES.includes(notice.field)
      ? { field: notice.field, text: notice.text }
      : undefined;
  const roleNames = u.roles.map((id) => ROLES.find((r) => r.id === id)?.name ?? id);
  const err = (field: Notice['field']) =>
    notice?.kind === 'error' && notice.field === field ? html`<p class="field-error" id="${field}-error">${notice.text}</p>` : '';
  const described = (field: Notice['field']) =>
    notice?.kind === 'error' && notice.field === field ? html` aria-describedby="${field}-error" aria-invalid="true"` : '';
  return renderShell({
    session,
    page: 'account',
    title: 'My account',
    scripts: false,
    body: html`<h1>My account</h1>
${notice && (notice.kind === 'ok' || !notice.field) ? html`<p class="${notice.kind === 'ok' ? 'notice ok' : 'notice error'}" role="${notice.kind === 'ok' ? 'status' : 'alert'}">${notice.kind === 'ok' ? '✓ ' : '⚠ '}${notice.text}</p>` : ''}
<div class="account-grid">
<section class="card" aria-labelledby="profile-title">
  <h2 id="profile-title">Profile</h2>
  <dl class="settings">
    <dt>Username</dt><dd>${u.username}</dd>
    <dt>Roles</dt><dd>${roleNames.length ? roleNames.join(', ') : 'none'}</dd>
    <dt>Member since</dt><dd>${when(u.createdAt)}</dd>
    <dt>This sign-in</dt><dd>${when(session.authTime)}</dd>
  </dl>
  <form method="post" action="/account/profile">
    ${csrfInput(session)}
    <label for="display_name">Display name</label>
    <input type="text" id="display_name" name="display_name" maxlength="200" required value="${u.displayName}" autocomplete="name"${described('display_name')}>
    ${err('display_name')}
    <label for="email">Email</label>
    <input type="text" inputmode="email" id="email" name="email" maxlength="320" value="${u.email ?? ''}" autocomplete="email"${described('email')}>
    ${err('email')}
    ${renderProfileFields(profile ?? profileValues(u), profileError)}
    <div class="actions"><button type="submit">Save profile</button></div>
  </form>
</section>
<section class="card" aria-labelledby="password-title">
  <h2 id="password-title">Change password</h2>
  <form method="post" action="/account/password">
    ${csrfInput(session)}
    <input type="text" name="username" value="${u.username}" autocomplete="username" class="visually-hidden" tabindex="-1" aria-hidden="true" readonly>
    <label for="current_password">Current password</label>
    <input type="password" id="current_password" name="current_password" required autocomplete="current-password"${described('current_password')}>
    ${err('current_password')}
    <label for="new_password">New password</label>
    <input type="password" id="new_password" name="new_password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password" aria-describedby="new-password-hint${notice?.field === 'new_password' ? ' new_password-error' : ''}">
    <p class="hint" id="new-password-hint">At least ${MIN_PASSWORD_LENGTH} characters. Your other sessions are signed out, and applications you authorized lose their access.</p>
    ${err('new_password')}
    <label for="confirm_password">Re-type new password</label>
    <input type="password" id="confirm_password" name="confirm_password" required autocomplete="new-password"${described('confirm_password')}>
    ${err('confirm_password')}
    <div class="actions"><button type="submit" class="primary">Change password</button></div>
  </form>
</section>
${tokens ? renderTokens(session, tokens, err) : ''}
<section class="card" aria-labelledby="apps-title">
  <h2 id="apps-title">Authorized applications</h2>
  <p>Applications you allowed to act on your behalf, and revoking their access.</p>
  <p><a class="button" href="/account/applications">Open Authorized applications</a></p>
</section>
</div>`,
  });
}

export const registerConsoleAccount: HttpModule = (server, ctx) => {
  const { app } = ctx;

  const tokensFor = async (session: SignInSession, created?: TokensSection['created']): Promise<TokensSection> => {
    const now = app.clock.now();
    const { policy } = app.pats;
    const maxDays = Math.floor(policy.maxLifetimeMs / DAY_MS);
    const defaultDays = Math.floor(policy.defaultLifetimeMs / DAY_MS);
    const lifetimes = [...new Set([7, 30, 90, 365, defaultDays, maxDays])].filter((d) => d >= 1 && d <= maxDays).sort((a, b) => a - b);
    const { items } = await app.pats.list({ userId: session.user.id, activeAt: now, limit: 100, offset: 0 });
    return { items, now, mayCreate: mayCreatePats(session.user, policy), lifetimes, defaultDays, ...(created ? { created } : {}) };
  };

  server.get('/admin/account', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const q = req.query as Record<string, unknown>;
    const notice: Notice | undefined =
      q.done === 'password'
        ? { kind: 'ok', text: 'Your password was changed.' }
        : q.done === 'profile'
          ? { kind: 'ok', text: 'Your profile was saved.' }
          : q.done === 'token_revoked'
            ? { kind: 'ok', text: 'The token was revoked.' }
            : undefined;
    return reply.headers(consoleHeaders()).send(renderAccount(session, notice, undefined, await tokensFor(session)));
  });

  server.post('/account/profile', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const body = bodyOf(req);
    const submitted = submittedProfile(body);
    const again = async (n: Notice) =>
      reply
        .code(400)
        .headers(consoleHeaders())
        .send(renderAccount(session, n, submitted, await tokensFor(session)));
    if (!checkCsrf(session, body.csrf_token)) return again({ kind: 'error', text: 'The form expired; please try again.' });
    const email = str(body.email).trim();
    const displayName = str(body.display_name).trim();
    if (displayName === '') return again({ kind: 'error', field: 'display_name', text: 'Display name: enter the name others see.' });
    try {
      await app.userAdmin.update(
        session.user,
        { display_name: displayName, email: email === '' ? null : email, ...profilePatch(submitted) },
        accountActor(session, req),
      );
    } catch (err) {
      if (err instanceof AdminError) {
        const f = err.fields[0];
        const profileLabel = f ? profileFieldLabel(f.field) : undefined;
        if (f && profileLabel) return again({ kind: 'error', field: f.field, text: `${profileLabel}: ${f.message}` });
        const field = f?.field === 'email' ? 'email' : 'display_name';
        return again({ kind: 'error', field, text: f ? `${f.field === 'email' ? 'Email' : 'Display name'}: ${f.message}` : err.message });
      }
      throw err;
    }
    return redirectLocal(reply, app.config.issuer, '/admin/account?done=profile');
  });

  server.post('/account/password', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const body = bodyOf(req);
    const again = async (status: number, n: Notice) =>
      reply
        .code(status)
        .headers(consoleHeaders())
        .send(renderAccount(session, n, undefined, await tokensFor(session)));
    if (!checkCsrf(session, body.csrf_token)) return again(400, { kind: 'error', text: 'The form expired; please try again.' });
    const current = str(body.current_password);
    const next = str(body.new_password);
    const confirm = str(body.confirm_password);
    if (next.length < MIN_PASSWORD_LENGTH || next.length > MAX_PASSWORD_LENGTH) {
      return again(400, {
        kind: 'error',
        field: 'new_password',
        text: `The new password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
      });
    }
    if (next !== confirm) return again(400, { kind: 'error', field: 'confirm_password', text: 'The two new passwords differ.' });

    // The current password goes through the one password check, counted with every other channel
    // (against this browser's device cookie when it has one).
    const outcome = await app.passwords.check({
      username: session.user.username,
      password: current,
      channel: 'account',
      source: req.ip,
      device: req.cookies[DEVICE_COOKIE],
    });
    if (outcome.kind === 'locked') {
      reply.header('retry-after', String(outcome.retryAfterSeconds));
      return again(429, { kind: 'error', field: 'current_password', text: 'Too many wrong attempts. Try again in 15 minutes.' });
    }
    if (outcome.kind === 'wrong' || outcome.user.id !== session.user.id) {
      return again(400, { kind: 'error', field: 'current_password', text: 'The current password is wrong.' });
    }
    const { user } = outcome;
    setDeviceCookie(app, reply, outcome.device);
    // Every other session, grant and token ends with the old password (UserAdmin's cut-off);
    // this browser goes on in a fresh session that keeps its sid.
    await app.userAdmin.setPassword(user, next, accountActor(session, req));
    await renewSession(app, req, reply, session, user);
    return redirectLocal(reply, app.config.issuer, '/admin/account?done=password');
  });
  server.post('/account/tokens', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const body = bodyOf(req);
    const again = async (status: number, n: Notice) =>
      reply
        .code(status)
        .headers(consoleHeaders())
        .send(renderAccount(session, n, undefined, await tokensFor(session)));
    if (!checkCsrf(session, body.csrf_token)) return again(400, { kind: 'error', text: 'The form expired; please try again.' });
    const name = str(body.name).trim();
    if (name === '') return again(400, { kind: 'error', field: 'token_name', text: 'Name: say what the token is for.' });
    const scopes = (Array.isArray(body.scope) ? body.scope : [body.scope]).filter((x): x is string => typeof x === 'string');
    if (scopes.length === 0) return again(400, { kind: 'error', field: 'scope', text: 'Choose at least one scope.' });
    const days = Number(str(body.expires_in_days));
    if (!Number.isInteger(days) || days < 1) return again(400, { kind: 'error', text: 'Choose when the token expires.' });
    try {
      const { value, token } = await app.pats.create(
        session.user,
        { name, scopes, expiresInMs: days * DAY_MS },
        { name: session.user.username, source: req.ip },
      );
      // Shown in this answer only: never in a URL, never stored.
      return reply
        .headers(consoleHeaders())
        .header('cache-control', 'no-store')
        .send(renderAccount(session, undefined, undefined, await tokensFor(session, { name: token.name, value })));
    } catch (err) {
      if (err instanceof PatError) return again(err.status, { kind: 'error', text: err.message });
      throw err;
    }
  });

  server.post('/account/tokens/:id/revoke', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const body = bodyOf(req);
    const again = async (status: number, n: Notice) =>
      reply
        .code(status)
        .headers(consoleHeaders())
        .send(renderAccount(session, n, undefined, await tokensFor(session)));
    if (!checkCsrf(session, body.csrf_token)) return again(400, { kind: 'error', text: 'The form expired; please try again.' });
    const { id } = req.params as { id: string };
    try {
      await app.pats.revoke(id, { name: session.user.username, source: req.ip }, session.user.id);
    } catch (err) {
      if (err instanceof PatError) return again(err.status, { kind: 'error', text: 'No such token.' });
      throw err;
    }
    return redirectLocal(reply, app.config.issuer, '/admin/account?done=token_revoked');
  });
};
