import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawParams } from '../../core/oauth2/params.js';
import { OIDC_PATHS } from '../../core/oidc/discovery.js';
import { decideEndSession } from '../../core/oidc/end-session.js';
import type { HttpContext } from '../context.js';
import { html, layout, pageHeaders } from '../html.js';
import { renderErrorPage } from '../pages/consent.js';
import { toPlainRequest } from '../plain.js';
import { checkCsrf, csrfInput, currentSession, endSession, type SignInSession } from '../session.js';

const CONFIRM_PATH = `${OIDC_PATHS.endSession}/confirm`;
/** Fields of Latchkey's own confirmation form, not of the RP's request. */
const FORM_FIELDS = new Set(['csrf_token', 'decision']);

function page(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(pageHeaders()).send(body);
}

function renderConfirm(session: SignInSession, clientName: string | null, params: Record<string, string>): string {
  return layout(
    'Sign out?',
    html`<section class="card narrow" aria-labelledby="logout-title">
  <h1 id="logout-title">Sign out of Latchkey?</h1>
  <p>${clientName ? html`<strong>${clientName}</strong> asks to sign you out.` : 'An application asks to sign you out.'}
  You are signed in as <strong>${session.user.displayName}</strong> (${session.user.username}).</p>
  <p class="muted">Latchkey could not confirm that this request comes from an application you are signed in to, so it asks you first.</p>
  <form method="post" action="${CONFIRM_PATH}" class="actions">
    ${csrfInput(session)}
    ${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    <button type="submit" name="decision" value="logout" class="primary">Sign out</button>
    <button type="submit" name="decision" value="stay">Stay signed in</button>
  </form>
</section>`,
  );
}

function renderSignedOut(clientName: string | null): string {
  return layout(
    'Signed out',
    html`<section class="card narrow" role="status" aria-labelledby="signed-out-title">
  <h1 id="signed-out-title">You are signed out</h1>
  <p>${clientName ? html`You signed out of Latchkey from <strong>${clientName}</strong>.` : 'You are signed out of Latchkey.'} You can close this page.</p>
  <p><a href="/login">Sign in again</a></p>
</section>`,
  );
}

function redirect(reply: FastifyReply, method: string, location: string): FastifyReply {
  return reply
    .code(method === 'GET' ? 302 : 303)
    .header('location', location)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send();
}

/**
 * RP-Initiated Logout 1.0 at /oidc/logout (GET and POST, §2). A request Latchkey can trust ends
 * the session at once; any other asks the user on a CSRF-protected page posting to
 * /oidc/logout/confirm. Ending the session runs the sessionEnded hooks (back-channel logout).
 */
export function registerEndSession(server: FastifyInstance, ctx: HttpContext): void {
  const { app } = ctx;
  const deps = { idTokens: app.oidc.idTokens, clients: app.stores.clients };

  const handle = async (req: FastifyRequest, reply: FastifyReply, params: RawParams, confirmed: boolean) => {
    const session = await currentSession(ctx, req);
    const decision = await decideEndSession(deps, { params, session: session ? { sid: session.sid, userId: session.user.id } : null, confirmed });
    switch (decision.kind) {
      case 'error':
        return page(reply, 400, renderErrorPage(decision.title, decision.message));
      case 'confirm':
        if (!session) return page(reply, 200, renderSignedOut(decision.clientName));
        return page(reply, 200, renderConfirm(session, decision.clientName, decision.params));
      case 'end':
        await endSession(app, req, reply);
        return decision.redirect ? redirect(reply, req.method, decision.redirect) : page(reply, 200, renderSignedOut(decision.clientName));
      case 'done':
        return decision.redirect ? redirect(reply, req.method, decision.redirect) : page(reply, 200, renderSignedOut(decision.clientName));
    }
  };

  server.get(OIDC_PATHS.endSession, async (req, reply) => handle(req, reply, toPlainRequest(req).query, false));
  server.post(OIDC_PATHS.endSession, async (req, reply) => handle(req, reply, toPlainRequest(req).body, false));
  server.post(CONFIRM_PATH, async (req, reply) => {
    const body = toPlainRequest(req).body;
    const params: RawParams = {};
    for (const [k, v] of Object.entries(body)) if (!FORM_FIELDS.has(k)) params[k] = v;
    const session = await currentSession(ctx, req);
    if (!session) return handle(req, reply, params, false);
    if (!checkCsrf(session, body.csrf_token)) return page(reply, 400, renderErrorPage('The form expired', 'Go back to the application and sign out again.'));
    if (body.decision !== 'logout') {
      return page(
        reply,
        200,
        layout(
          'Still signed in',
          html`<section class="card narrow" role="status"><h1>You are still signed in</h1><p>Nothing changed. You can close this page.</p></section>`,
        ),
      );
    }
    return handle(req, reply, params, true);
  });
}
