import type { Client } from '../clients/client.js';
import { postLogoutRedirectUriMatches } from '../clients/redirect-uri.js';
import { appendToUri } from '../oauth2/endpoints/authorize.js';
import { OAuth2Error } from '../oauth2/errors.js';
import { Params, type RawParams } from '../oauth2/params.js';
import type { ClientStore } from '../ports.js';
import type { IdTokens } from './id-token.js';

/** Parameters of the end-session request (RP-Initiated Logout 1.0 §2). */
const LOGOUT_PARAMS = ['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales'] as const;

export interface EndSessionDeps {
  idTokens: Pick<IdTokens, 'readHint'>;
  clients: Pick<ClientStore, 'get'>;
}

export interface EndSessionInput {
  params: RawParams;
  /** The browser's sign-in session, if any. */
  session: { sid: string; userId: string } | null;
  /** The user confirmed on Latchkey's own page (CSRF-checked by the caller). */
  confirmed: boolean;
}

export type EndSessionDecision =
  /** Something cannot be trusted: explain, never redirect. */
  | { kind: 'error'; title: string; message: string }
  /** The request may not come from the user's RP: ask them first (§2 "SHOULD ask the End-User"). */
  | { kind: 'confirm'; clientName: string | null; params: Record<string, string> }
  /** End the session, then redirect (or show the signed-out page when redirect is null). */
  | { kind: 'end'; redirect: string | null; clientName: string | null }
  /** No session to end. */
  | { kind: 'done'; redirect: string | null; clientName: string | null };

function error(title: string, message: string): EndSessionDecision {
  return { kind: 'error', title, message };
}

/**
 * RP-Initiated Logout 1.0 §2–§3. The id_token_hint, when sent, must be an ID token Latchkey
 * issued (expired ones count); client_id, when both are sent, must be among its audiences. A
 * post_logout_redirect_uri is followed only when it exactly matches one the client registered,
 * with `state` appended. Logout happens at once only when the hint names the signed-in user (and
 * session); otherwise the user confirms on a Latchkey page.
 */
export async function decideEndSession(deps: EndSessionDeps, input: EndSessionInput): Promise<EndSessionDecision> {
  const p = new Params(input.params);
  const values: Partial<Record<(typeof LOGOUT_PARAMS)[number], string>> = {};
  try {
    p.rejectRepeated();
    for (const name of LOGOUT_PARAMS) values[name] = p.optional(name, name === 'id_token_hint' ? 8192 : 2000);
  } catch (err) {
    if (err instanceof OAuth2Error) return error('Sign-out request not valid', err.description);
    throw err;
  }

  let hinted: { sub: string; aud: string[]; sid: string | undefined } | null = null;
  if (values.id_token_hint !== undefined) {
    const hint = await deps.idTokens.readHint(values.id_token_hint);
    if (hint.status === 'invalid') {
      return error('Sign-out request not valid', `The application sent an ID token that Latchkey did not issue or that was altered (${hint.reason}).`);
    }
    if (hint.status === 'valid') hinted = hint;
  }
  if (values.client_id !== undefined && hinted !== null && !hinted.aud.includes(values.client_id)) {
    return error('Sign-out request not valid', 'The ID token in this request was issued to another application than the one named by client_id.');
  }

  const key = values.client_id ?? hinted?.aud[0];
  const found = key === undefined ? undefined : await deps.clients.get(key);
  const client: Client | undefined = found?.type === 'oidc' ? found : undefined;
  const clientName = client?.name ?? null;

  let redirect: string | null = null;
  const uri = values.post_logout_redirect_uri;
  if (uri !== undefined) {
    if (!client) {
      return error(
        'Cannot return to the application',
        'The sign-out request does not identify its application (id_token_hint or client_id), so Latchkey cannot check where to send you afterwards.',
      );
    }
    // §3: exact match with a registered URI, else no redirection.
    if (!postLogoutRedirectUriMatches(client.postLogoutRedirectUris, uri)) {
      return error('Return address not registered', `“${client.name}” asked to send you to an address it has not registered for after sign-out.`);
    }
    if (client.status !== 'approved') return error('Application not approved', `“${client.name}” is not approved, so Latchkey will not send you there.`);
    redirect = appendToUri(uri, values.state === undefined ? {} : { state: values.state }, 'query');
  }

  if (!input.session) return { kind: 'done', redirect, clientName };
  const trusted = hinted !== null && hinted.sub === input.session.userId && (hinted.sid === undefined || hinted.sid === input.session.sid);
  if (trusted || input.confirmed) return { kind: 'end', redirect, clientName };
  const carried: Record<string, string> = {};
  for (const name of LOGOUT_PARAMS) {
    const v = values[name];
    if (v !== undefined) carried[name] = v;
  }
  return { kind: 'confirm', clientName, params: carried };
}
