import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEVICE_VERIFICATION_PATH } from '../../core/oauth2/endpoints/device-authorization.js';
import { decideUserCode, lookUpUserCode } from '../../core/oauth2/endpoints/device-verification.js';
import { formatUserCode } from '../../core/oauth2/user-code.js';
import type { HttpContext } from '../context.js';
import { html, layout, pageHeaders } from '../html.js';
import { renderConsentPage } from '../pages/consent.js';
import { toPlainRequest } from '../plain.js';
import { checkCsrf, csrfInput, requireSession, type SignInSession } from '../session.js';

function text(v: string | string[] | undefined): string {
  return typeof v === 'string' ? v : '';
}

function codeForm(session: SignInSession, code: string, error?: string): string {
  return layout(
    'Connect a device',
    html`<section class="card narrow" aria-labelledby="device-title">
  <h1 id="device-title">Connect a device</h1>
  <p>Enter the code shown on your device or in the application.</p>
  ${error ? html`<p class="error" role="alert" id="device-error">${error}</p>` : ''}
  <form method="post" action="${DEVICE_VERIFICATION_PATH}">
    ${csrfInput(session)}
    <label for="user_code">Code</label>
    <input type="text" id="user_code" name="user_code" value="${code}" autocomplete="off" autocapitalize="characters" spellcheck="false"
      required maxlength="20" placeholder="XXXX-XXXX"${error ? html` aria-describedby="device-error" aria-invalid="true"` : ''}>
    <button type="submit" class="primary">Continue</button>
  </form>
</section>`,
  );
}

function resultPage(title: string, message: string): string {
  return layout(title, html`<section class="card narrow" role="status"><h1>${title}</h1><p>${message}</p></section>`);
}

/**
 * /device (RFC 8628 §3.3): a signed-in user types the user code (pre-filled from
 * verification_uri_complete, but always confirmed), sees the application and what it asks for,
 * then allows or denies. Every step is a CSRF-protected POST.
 */
export function registerDevicePages(server: FastifyInstance, ctx: HttpContext): void {
  const service = ctx.app.oauth2;
  const deps = service.deps;
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(pageHeaders()).send(body);

  server.get(DEVICE_VERIFICATION_PATH, async (req, reply) => {
    const session = await requireSession(ctx, req, reply, req.url);
    if (!session) return reply;
    const code = text(toPlainRequest(req).query.user_code).slice(0, 20);
    return send(reply, 200, codeForm(session, code));
  });

  server.post(DEVICE_VERIFICATION_PATH, async (req, reply) => {
    const session = await requireSession(ctx, req, reply, DEVICE_VERIFICATION_PATH);
    if (!session) return reply;
    const body = toPlainRequest(req).body;
    const typed = text(body.user_code).slice(0, 40);
    if (!checkCsrf(session, body.csrf_token)) return send(reply, 400, codeForm(session, typed, 'The form expired. Please try again.'));
    const found = await lookUpUserCode(deps, typed, session.user, req.ip);
    if (found.outcome === 'throttled') return send(reply, 429, codeForm(session, '', found.message));
    if (found.outcome === 'invalid') return send(reply, 400, codeForm(session, typed, found.message));
    const shown = formatUserCode(found.record.userCode);
    return send(
      reply,
      200,
      renderConsentPage({
        session,
        client: found.client,
        scopes: found.scopes,
        action: `${DEVICE_VERIFICATION_PATH}/decision`,
        hidden: { user_code: shown },
        warning: `Only allow this if you started it yourself and your device shows the code ${shown}.`,
      }),
    );
  });

  server.post(`${DEVICE_VERIFICATION_PATH}/decision`, async (req, reply) => {
    const session = await requireSession(ctx, req, reply, DEVICE_VERIFICATION_PATH);
    if (!session) return reply;
    const body = toPlainRequest(req).body;
    if (!checkCsrf(session, body.csrf_token)) return send(reply, 400, codeForm(session, '', 'The form expired. Please enter the code again.'));
    const decision = body.decision === 'allow' ? true : body.decision === 'deny' ? false : null;
    if (decision === null) return send(reply, 400, codeForm(session, text(body.user_code), 'Choose Allow or Deny.'));
    const found = await lookUpUserCode(deps, text(body.user_code), session.user, req.ip);
    if (found.outcome !== 'found') return send(reply, found.outcome === 'throttled' ? 429 : 400, codeForm(session, '', found.message));
    const done = await decideUserCode(deps, found.record, session.user, session.authTime, decision);
    if (!done) return send(reply, 400, codeForm(session, '', 'That code was already used or has expired.'));
    return decision
      ? send(reply, 200, resultPage('Device connected', `${found.client.name} can now access your account. You can return to your device.`))
      : send(reply, 200, resultPage('Request denied', `${found.client.name} was not given access. You can close this page.`));
  });
}
