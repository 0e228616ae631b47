import type { FastifyRequest } from 'fastify';
import { AdminError } from '../../admin/errors.js';
import type { UserActor } from '../../admin/user-admin.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../core/users/password.js';
import { ROLES, userPermissions } from '../../core/users/permissions.js';
import type { HttpModule } from '../context.js';
import { DEVICE_COOKIE, setDeviceCookie } from '../device-cookie.js';
import { html } from '../html.js';
import { redirectLocal } from '../local-redirect.js';
import { PROFILE_FIELD_NAMES, profileFieldLabel, profilePatch, profileValues, renderProfileFields, submittedProfile } from '../pages/account-profile-form.js';
import { consoleHeaders, renderShell } from '../pages/console-shell.js';
import { checkCsrf, csrfInput, currentSession, loginUrl, renewSession, type SignInSession } from '../session.js';

/**
 * "My account", for every signed-in user: profile, change password (with the current one), and
 * the way to Authorized applications. Plain forms, so it works without JavaScript.
 */

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
function renderAccount(session: SignInSession, notice?: Notice, profile?: Record<string, string>): string {
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

  server.get('/admin/account', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const q = req.query as Record<string, unknown>;
    const notice: Notice | undefined =
      q.done === 'password'
        ? { kind: 'ok', text: 'Your password was changed.' }
        : q.done === 'profile'
          ? { kind: 'ok', text: 'Your profile was saved.' }
          : undefined;
    return reply.headers(consoleHeaders()).send(renderAccount(session, notice));
  });

  server.post('/account/profile', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/admin/account'), 303);
    const body = bodyOf(req);
    const submitted = submittedProfile(body);
    const again = (n: Notice) =>
      reply
        .code(400)
        .headers(consoleHeaders())
        .send(renderAccount(session, n, submitted));
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
    const again = (status: number, n: Notice) => reply.code(status).headers(consoleHeaders()).send(renderAccount(session, n));
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
};
