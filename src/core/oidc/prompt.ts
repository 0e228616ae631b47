import type { AuthorizeSession } from '../oauth2/endpoints/authorize.js';
import { ConsentRequired, InvalidRequest, LoginRequired } from '../oauth2/errors.js';
import { isOneOf } from '../one-of.js';

/** OIDC Core §3.1.2.1 prompt values Latchkey honours. */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type PromptValue = (typeof PROMPT_VALUES)[number];

/** prompt: space-delimited; "none" must stand alone (§3.1.2.1). */
export function parsePrompt(raw: string | undefined): Set<PromptValue> {
  const out = new Set<PromptValue>();
  if (raw === undefined) return out;
  for (const v of raw.split(' ').filter((x) => x !== '')) {
    if (!isOneOf(PROMPT_VALUES, v)) throw new InvalidRequest(`prompt=${v.slice(0, 40)} is not supported (use ${PROMPT_VALUES.join(', ')})`);
    out.add(v as PromptValue);
  }
  if (out.has('none') && out.size > 1) throw new InvalidRequest('prompt=none cannot be combined with other prompt values');
  return out;
}

/** max_age: a non-negative number of seconds (§3.1.2.1). */
export function parseMaxAge(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw)) throw new InvalidRequest('max_age must be a non-negative integer number of seconds');
  return Number(raw);
}

/** What the OIDC checks learnt about one authorization request, beyond the OAuth 2.0 state. */
export interface OidcRequest {
  prompt: Set<PromptValue>;
  maxAge: number | undefined;
  /** The subject of a valid id_token_hint. */
  hintSub: string | undefined;
  /**
   * A sign-in at or after this time (ms) is the re-authentication this request asked for, so
   * coming back from /login does not ask again (prompt=login, max_age, id_token_hint).
   */
  reauthAfter: number | undefined;
}

export function newOidcRequest(): OidcRequest {
  return { prompt: new Set(), maxAge: undefined, hintSub: undefined, reauthAfter: undefined };
}

/** Whether this request asks for a (fresh) sign-in at all, so a re-authentication marker is needed. */
export function wantsReauthentication(r: OidcRequest): boolean {
  return r.prompt.has('login') || r.prompt.has('select_account') || r.maxAge !== undefined || r.hintSub !== undefined;
}

/**
 * Whether the signed-in user must sign in again (OIDC Core §3.1.2.1): prompt=login or
 * select_account (Latchkey has one account per browser, so choosing one is signing in), an
 * authentication older than max_age, or an id_token_hint naming someone else. A sign-in after the
 * request began satisfies all three; if it still is not the hinted user, the answer is
 * login_required (§3.1.2.1: "SHOULD return an error, such as login_required").
 */
export function needsLogin(r: OidcRequest, session: AuthorizeSession, now: number): boolean {
  const fresh = r.reauthAfter !== undefined && session.authTime >= r.reauthAfter;
  if (r.hintSub !== undefined && r.hintSub !== session.user.id) {
    if (fresh) throw new LoginRequired('the signed-in user is not the one named by id_token_hint');
    return true;
  }
  if (fresh) return false;
  if (r.prompt.has('login') || r.prompt.has('select_account')) return true;
  return r.maxAge !== undefined && now - session.authTime > r.maxAge * 1000;
}

/** prompt=consent asks again even when consent is remembered (§3.1.2.1). */
export function needsConsent(r: OidcRequest): boolean {
  return r.prompt.has('consent');
}

/** prompt=none: each interaction the request would need becomes its error (§3.1.2.6). */
export function promptNoneGate(r: OidcRequest, need: 'login' | 'consent'): void {
  if (!r.prompt.has('none')) return;
  if (need === 'login') throw new LoginRequired('prompt=none, but the user must sign in');
  throw new ConsentRequired('prompt=none, but the user has not consented to this request');
}
