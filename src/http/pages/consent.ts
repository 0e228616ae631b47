import type { Client } from '../../core/clients/client.js';
import { html, layout, type Raw } from '../html.js';
import { csrfInput, type SignInSession } from '../session.js';

export interface ScopeDescription {
  name: string;
  description: string;
}

export interface ConsentPage {
  session: SignInSession;
  client: Pick<Client, 'name' | 'key' | 'type'>;
  scopes: ScopeDescription[];
  /** Where Allow / Deny are POSTed. */
  action: string;
  /** Fields carried through the form (the pending request). */
  hidden: Record<string, string>;
  /** Parameters sent more than once (RFC 8707 `resource`): one hidden field per value. */
  repeated?: Record<string, string[]>;
  /** A plain warning shown above the buttons (e.g. the application is asking for offline access). */
  warning?: string;
}

const TYPE_LABEL = { oauth1: 'OAuth 1.0a', oauth2: 'OAuth 2.0', oidc: 'OpenID Connect' } as const;

/** The consent page: names the application and what it asks for, with Allow and Deny. */
export function renderConsentPage(p: ConsentPage): string {
  const body: Raw = html`
<section class="card narrow" aria-labelledby="consent-title">
  <h1 id="consent-title">Allow <span class="app-name">${p.client.name}</span> to access your account?</h1>
  <p class="muted">Signed in as <strong>${p.session.user.displayName}</strong> (${p.session.user.username}).
  This ${TYPE_LABEL[p.client.type]} application, key <code>${p.client.key}</code>, asks to:</p>
  <ul class="scopes">
    ${p.scopes.length === 0 ? html`<li>act on your behalf</li>` : p.scopes.map((s) => html`<li><strong>${s.name}</strong>: ${s.description}</li>`)}
  </ul>
  ${p.warning ? html`<p class="warning" role="note">${p.warning}</p>` : ''}
  <form method="post" action="${p.action}" class="actions">
    ${csrfInput(p.session)}
    ${Object.entries(p.hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    ${Object.entries(p.repeated ?? {}).flatMap(([k, vs]) => vs.map((v) => html`<input type="hidden" name="${k}" value="${v}">`))}
    <button type="submit" name="decision" value="allow" class="primary">Allow</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </form>
  <p class="muted small">You can withdraw this at any time under <a href="/account/applications">Authorized applications</a>.</p>
</section>`;
  return layout(`Allow ${p.client.name}?`, body);
}

/** A page explaining an error without redirecting anywhere (unverified client or redirect URI). */
export function renderErrorPage(title: string, message: string, detail?: string): string {
  return layout(
    title,
    html`<section class="card narrow" role="alert"><h1>${title}</h1><p>${message}</p>${detail ? html`<p class="muted"><code>${detail}</code></p>` : ''}</section>`,
  );
}
