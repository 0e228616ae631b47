import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../../core/crypto/constant-time.js';
import { randomToken } from '../../core/crypto/random.js';
import type { HttpContext, HttpModule } from '../context.js';
import { DEVICE_COOKIE, setDeviceCookie } from '../device-cookie.js';
import { html, layout, pageHeaders } from '../html.js';
import { checkCsrf, csrfInput, currentSession, endSession, loginUrl, replaceSession, safeReturnTo, sessionResolver, startSession } from '../session.js';

const LOGIN_CSRF_COOKIE = 'latchkey_login_csrf';
const ASSETS = new URL('../../../assets/', import.meta.url);

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function bodyOf(req: FastifyRequest): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
}

function renderLogin(opts: { returnTo: string; csrf: string; username?: string; error?: string; status?: string }): string {
  return layout(
    'Sign in',
    html`
<section class="card narrow" aria-labelledby="login-title">
  <h1 id="login-title">Sign in</h1>
  ${opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : ''}
  ${opts.status ? html`<p role="status">${opts.status}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="csrf_token" value="${opts.csrf}">
    <input type="hidden" name="return_to" value="${opts.returnTo}">
    <label for="username">Username</label>
    <input type="text" id="username" name="username" autocomplete="username" required autofocus value="${opts.username ?? ''}"${opts.error ? html` aria-describedby="login-error"` : ''}>
    <label for="password">Password</label>
    <input type="password" id="password" name="password" autocomplete="current-password" required>
    <label class="checkbox"><input type="checkbox" name="remember" value="1"> Stay signed in</label>
    <div class="actions"><button type="submit" class="primary">Sign in</button></div>
  </form>
</section>`,
  );
}

function loginCsrf(ctx: HttpContext, req: FastifyRequest, reply: FastifyReply): string {
  const existing = req.cookies[LOGIN_CSRF_COOKIE];
  if (existing && existing.length <= 64) return existing;
  const token = randomToken(ctx.app.random, 128);
  void reply.setCookie(LOGIN_CSRF_COOKIE, token, { path: '/login', httpOnly: true, sameSite: 'lax', secure: ctx.app.config.issuer.startsWith('https:') });
  return token;
}

export const registerSignIn: HttpModule = async (server, ctx) => {
  const { app } = ctx;
  ctx.resolvers.push(sessionResolver(ctx));

  server.get('/assets/:file', async (req, reply) => {
    const file = (req.params as { file: string }).file;
    if (!/^[a-z0-9-]+\.(css|js|svg)$/.test(file)) return reply.code(404).send({ error: 'not_found' });
    try {
      const body = await readFile(new URL(file, ASSETS));
      const type = file.endsWith('.css') ? 'text/css' : file.endsWith('.js') ? 'text/javascript' : 'image/svg+xml';
      return reply.type(`${type}; charset=utf-8`).header('cache-control', 'public, max-age=300').send(body);
    } catch {
      return reply.code(404).send({ error: 'not_found' });
    }
  });

  server.get('/', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect('/login', 303);
    const page = layout(
      'Home',
      html`<section class="card narrow"><h1>Signed in as ${session.user.displayName}</h1>
      <ul><li><a href="/admin">Admin console</a></li><li><a href="/account/applications">Authorized applications</a></li></ul>
      <form method="post" action="/logout">${csrfInput(session)}<button type="submit">Sign out</button></form></section>`,
    );
    return reply.headers(pageHeaders()).send(page);
  });

  server.get('/login', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const returnTo = safeReturnTo(app.config.issuer, q.return_to);
    const csrf = loginCsrf(ctx, req, reply);
    // OIDC Core §3.1.2.1 login_hint: the authorization request being signed in for may name the user.
    const hint = new URL(returnTo, 'http://x').searchParams.get('login_hint')?.slice(0, 200);
    return reply.headers(pageHeaders()).send(renderLogin({ returnTo, csrf, ...(hint ? { username: hint } : {}) }));
  });

  server.post('/login', async (req, reply) => {
    const body = bodyOf(req);
    const returnTo = safeReturnTo(app.config.issuer, body.return_to);
    const username = str(body.username).trim().slice(0, 200);
    const password = str(body.password);
    const cookieCsrf = req.cookies[LOGIN_CSRF_COOKIE] ?? '';
    const csrf = loginCsrf(ctx, req, reply);
    const again = (status: number, error: string) => reply.code(status).headers(pageHeaders()).send(renderLogin({ returnTo, csrf, username, error }));

    if (!cookieCsrf || !constantTimeEqual(str(body.csrf_token), cookieCsrf)) {
      return again(400, 'Your sign-in form expired. Please try again.');
    }
    if (username === '' || password === '') return again(400, 'Enter your username and password.');

    const outcome = await app.signIn.run('password', { username, password, source: req.ip, device: req.cookies[DEVICE_COOKIE] });
    if (outcome.kind === 'locked') {
      reply.header('retry-after', String(outcome.retryAfterSeconds));
      return again(429, `Too many failed sign-in attempts. Try again in ${Math.ceil(outcome.retryAfterSeconds / 60)} minutes.`);
    }
    if (outcome.kind === 'wrong') return again(401, 'Wrong username or password.');
    const { user } = outcome;
    setDeviceCookie(app, reply, outcome.device);
    const sid = await replaceSession(app, await currentSession(ctx, req), user);
    await startSession(app, reply, user, body.remember === '1' || body.remember === 'on', sid);
    return reply.redirect(returnTo, 303);
  });

  server.get('/logout', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect('/login', 303);
    const page = layout(
      'Sign out',
      html`<section class="card narrow"><h1>Sign out of Latchkey?</h1>
      <form method="post" action="/logout" class="actions">${csrfInput(session)}<button type="submit" class="primary">Sign out</button></form></section>`,
    );
    return reply.headers(pageHeaders()).send(page);
  });

  server.post('/logout', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (session && !checkCsrf(session, bodyOf(req).csrf_token)) {
      return reply.code(400).headers(pageHeaders()).send(layout('Sign out', html`<p class="error">The form expired; go back and try again.</p>`));
    }
    await endSession(app, req, reply);
    return reply.redirect('/login', 303);
  });

  server.get('/account/applications', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect(loginUrl(app.config.issuer, '/account/applications'), 303);
    const consents = await app.applications.list(session.user.id);
    const rows = consents.map(({ consent: c, client }) => {
      return html`<tr>
        <td>${client?.name ?? '(removed application)'}</td>
        <td><code>${c.clientKey}</code></td>
        <td>${client ? { oauth1: 'OAuth 1.0a', oauth2: 'OAuth 2.0', oidc: 'OpenID Connect' }[client.type] : ''}</td>
        <td>${c.scopes.join(' ') || '(none)'}</td>
        <td>${new Date(c.grantedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
        <td><form method="post" action="/account/applications/revoke">${csrfInput(session)}
          <input type="hidden" name="client_key" value="${c.clientKey}">
          <button type="submit" class="danger" aria-label="Revoke access of ${client?.name ?? c.clientKey}">Revoke</button></form></td>
      </tr>`;
    });
    const page = layout(
      'Authorized applications',
      html`<section class="card"><h1>Authorized applications</h1>
      <p class="muted">Applications you allowed to act on your behalf. Revoking one ends its access at once.</p>
      ${
        consents.length === 0
          ? html`<p>You have not authorized any application.</p>`
          : html`<table><thead><tr><th scope="col">Application</th><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Access</th><th scope="col">Granted</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>${rows}</tbody></table>`
      }
      </section>`,
    );
    return reply.headers(pageHeaders()).send(page);
  });

  server.post('/account/applications/revoke', async (req, reply) => {
    const session = await currentSession(ctx, req);
    if (!session) return reply.redirect('/login', 303);
    const body = bodyOf(req);
    if (!checkCsrf(session, body.csrf_token)) return reply.code(400).headers(pageHeaders()).send(layout('Error', html`<p class="error">The form expired.</p>`));
    const clientKey = str(body.client_key);
    await app.applications.revoke(session.user.id, clientKey, { name: session.user.username, source: req.ip });
    return reply.redirect('/account/applications', 303);
  });
};
