import type { Client } from '../clients/client.js';
import { sha256Hex } from '../crypto/constant-time.js';
import { type AuthorizeOptions, codePart, OAUTH2_RESPONSE_MODES, REAUTH_PARAM, type ResponsePart, tokenPart } from '../oauth2/endpoints/authorize.js';
import { type AuthorizeCheck, type AuthorizeState, NotRedirectable } from '../oauth2/endpoints/authorize-checks.js';
import { oidcChecks } from '../oauth2/endpoints/authorize-table.js';
import { AccessDenied, InvalidRequest, InvalidScope, OAuth2Error } from '../oauth2/errors.js';
import { Params, parseScope } from '../oauth2/params.js';
import { type MarkerKeys, markReauth, readReauth } from '../oauth2/reauth-marker.js';
import { isOneOf } from '../one-of.js';
import type { Clock, OneTimeStore } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import { ACR_PASSWORD, claimsRequestOf, idTokenClaimNames, parseClaimsRequest, scopeOfClaim, userClaims } from './claims.js';
import { RegistrationNotSupported, RequestNotSupported, RequestUriNotSupported } from './errors.js';
import { renderFormPost } from './form-post.js';
import type { IdTokens } from './id-token.js';
import { needsConsent, needsLogin, newOidcRequest, type OidcRequest, parseMaxAge, parsePrompt, promptNoneGate, wantsReauthentication } from './prompt.js';

/** OAuth 2.0 Multiple Response Types §2.1 and Form Post Response Mode §2. */
export const OIDC_RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;

/** A marker older than this no longer counts: the request starts over. */
const REAUTH_WINDOW_MS = 10 * 60_000;
/** One-time records of nonces already answered, per client. */
export const NONCE_KIND = 'oidc.nonce';

export interface OidcAuthorizeDeps {
  clock: Clock;
  /** Keys the re-authentication marker. */
  secrets: MarkerKeys;
  idTokens: IdTokens;
  oneTime: Pick<OneTimeStore, 'put'>;
  settings: { idTokenTtl: number };
  /** Where replayed nonces are reported (audit log, metrics). */
  events: SecurityEventSink;
}

const requests = new WeakMap<AuthorizeState, OidcRequest>();

/** The OIDC view of one authorization request (prompt, max_age, id_token_hint), kept beside its state. */
export function oidcRequestOf(s: AuthorizeState): OidcRequest {
  let r = requests.get(s);
  if (!r) {
    r = newOidcRequest();
    requests.set(s, r);
  }
  return r;
}

function must<T>(v: T | null): T {
  if (v === null) throw new Error('authorization check ran out of order');
  return v;
}

/** The acr to report: only when asked for, through acr_values or the claims parameter (OIDC Core §3.1.2.1, §5.5.1.1). */
export function acrOf(extra: Record<string, unknown>): string | undefined {
  return extra.acr === true || claimsRequestOf(extra)?.acr ? ACR_PASSWORD : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

// ── Client phase (error page, never a redirect) ──

/** OIDC Core §3.1.2.1: redirect_uri is REQUIRED, even when the client registered only one. */
export const redirectUriGiven: AuthorizeCheck = {
  name: 'redirect_uri given',
  run(s) {
    let given: string | undefined;
    try {
      given = s.params.optional('redirect_uri', 2000);
    } catch {
      throw new NotRedirectable('Bad redirect URI', 'redirect_uri was sent more than once or is too long.');
    }
    if (given === undefined) throw new NotRedirectable('Missing redirect URI', 'An OpenID Connect request must name its redirect_uri (OIDC Core §3.1.2.1).');
  },
};

// ── Request phase (errors go back to the verified redirect URI) ──

/** OIDC Core §6: request objects are not supported, and say so with their own error codes. */
export const requestObjectsRefused: AuthorizeCheck = {
  name: 'request objects refused',
  run(s) {
    if (s.params.has('request')) throw new RequestNotSupported('request objects are not supported here (request_parameter_supported is false)');
    if (s.params.has('request_uri')) throw new RequestUriNotSupported('request_uri is not supported here (request_uri_parameter_supported is false)');
    // OIDC Core §7.2.1 self-issued registration parameter.
    if (s.params.has('registration')) throw new RegistrationNotSupported('the registration parameter is not supported; register the client first');
  },
};

/** Query for "code" by default, fragment for anything carrying tokens, form_post on request; never tokens in a query. */
export const responseModeAllowed: AuthorizeCheck = {
  name: 'response_mode allowed',
  run(s) {
    const rt = must(s.responseType);
    const mode = s.params.optional('response_mode', 40) ?? (rt === 'code' ? 'query' : 'fragment');
    if (!isOneOf(OIDC_RESPONSE_MODES, mode)) {
      throw new InvalidRequest(`response_mode "${mode}" is not supported (${OIDC_RESPONSE_MODES.join(', ')})`);
    }
    if (mode === 'query' && rt !== 'code') throw new InvalidRequest('tokens are never returned in the query: use response_mode=fragment or form_post');
    s.responseMode = mode;
  },
};

/** prompt and max_age (OIDC Core §3.1.2.1); display, ui_locales, claims_locales and login_hint are accepted. */
export const promptRead: AuthorizeCheck = {
  name: 'prompt and max_age read',
  run(s) {
    const r = oidcRequestOf(s);
    r.prompt = parsePrompt(s.params.optional('prompt', 200));
    r.maxAge = parseMaxAge(s.params.optional('max_age', 20));
    // Accepted: the pages are in English and fit every display; /login pre-fills login_hint.
    for (const name of ['display', 'ui_locales', 'claims_locales', 'login_hint']) s.params.optional(name, 500);
  },
};

/** The claims parameter (§5.5) and acr_values (§3.1.2.1). */
export const claimsRead: AuthorizeCheck = {
  name: 'claims and acr_values read',
  run(s) {
    const claims = parseClaimsRequest(s.params.optional('claims'));
    const acrValues = (s.params.optional('acr_values', 500) ?? '').split(' ').filter((v) => v !== '');
    // §5.5.1.1: an essential acr that cannot be met fails the authentication.
    if (claims?.acr?.essential && claims.acr.values.length > 0 && !claims.acr.values.includes(ACR_PASSWORD)) {
      throw new AccessDenied(`the essential acr values cannot be met: Latchkey signs users in with a password (acr "${ACR_PASSWORD}")`);
    }
    if (claims) s.extra.claims = claims;
    if (acrValues.length > 0 || claims?.acr) s.extra.acr = true;
  },
};

/**
 * Scopes (OIDC Core §3.1.2.1): openid is required; values the server does not know are ignored;
 * claims asked for through the claims parameter are consented as the scope that releases them;
 * offline_access counts only with prompt=consent and a response type returning a code (§11).
 */
export const scopeResolved: AuthorizeCheck = {
  name: 'scope resolved',
  run(s, deps) {
    const client = must(s.client);
    const asked = parseScope(s.params.optional('scope', 1000)).filter((x) => deps.scopes.get(x) !== undefined);
    if (!asked.includes('openid')) throw new InvalidScope('an OpenID Connect request must include the openid scope');
    const claims = claimsRequestOf(s.extra);
    for (const name of [...(claims?.userinfo ?? []), ...(claims?.id_token ?? [])]) {
      const scope = scopeOfClaim(name);
      if (scope === undefined || asked.includes(scope)) continue;
      try {
        deps.scopes.resolve([scope], client);
        asked.push(scope);
      } catch (err) {
        if (!(err instanceof OAuth2Error)) throw err; // the client may not have it: the claim is simply not released
      }
    }
    let scopes = deps.scopes.resolve(asked, client);
    const returnsCode = must(s.responseType).split(' ').includes('code');
    if (scopes.includes('offline_access') && (!oidcRequestOf(s).prompt.has('consent') || !returnsCode)) {
      scopes = scopes.filter((x) => x !== 'offline_access');
    }
    s.scopes = scopes;
  },
};

/**
 * nonce: required whenever the authorization endpoint returns an ID token (OIDC Core §3.2.2.1 for
 * id_token and id_token token, §3.3.2.11 for code id_token and code id_token token); optional for
 * code and code token, whose ID token comes from the token endpoint. Echoed in every ID token.
 */
export const nonceRead: AuthorizeCheck = {
  name: 'nonce read',
  run(s) {
    const nonce = s.params.optional('nonce', 512);
    if (nonce === undefined && must(s.responseType).split(' ').includes('id_token')) {
      throw new InvalidRequest('nonce is required when the authorization response carries an ID token (OIDC Core §3.2.2.1, §3.3.2.11)');
    }
    if (nonce !== undefined) s.extra.nonce = nonce;
  },
};

/** id_token_hint (OIDC Core §3.1.2.1): an ID token Latchkey issued to this client, expired or not. */
export function idTokenHintRead(idTokens: Pick<IdTokens, 'readHint'>): AuthorizeCheck {
  return {
    name: 'id_token_hint read',
    async run(s) {
      const raw = s.params.optional('id_token_hint');
      if (raw === undefined) return;
      const hint = await idTokens.readHint(raw);
      if (hint.status === 'invalid') throw new InvalidRequest(`id_token_hint is not an ID token issued by this server (${hint.reason})`);
      // Signed by a key retired long ago: it is only a hint, so it is ignored.
      if (hint.status === 'unverifiable') return;
      if (!hint.aud.includes(must(s.client).key)) throw new InvalidRequest('id_token_hint was issued to another client');
      oidcRequestOf(s).hintSub = hint.sub;
    },
  };
}

/**
 * When a request needs a sign-in that happens after it began (prompt=login, max_age,
 * id_token_hint), it carries the time it began in REAUTH_PARAM through /login (the OAuth 2.0
 * endpoint adds the same when a login policy sends the user away). A session authenticated at
 * or after that time has re-authenticated for this request. A marker older than a few minutes,
 * or in the future, does not count. The marker only spares a second sign-in: an RP that needs a
 * recent authentication checks auth_time in the ID token (OIDC Core §3.1.2.1, max_age).
 */
export function reauthMarked(clock: Clock, secrets: MarkerKeys): AuthorizeCheck {
  return {
    name: 're-authentication marked',
    run(s) {
      const r = oidcRequestOf(s);
      if (!wantsReauthentication(r)) return;
      const now = clock.now();
      const clientId = s.params.optional('client_id', 200) ?? '';
      const marked = readReauth(secrets, s.params.optional(REAUTH_PARAM, 80), clientId);
      if (marked !== null && marked <= now && now - marked < REAUTH_WINDOW_MS) {
        r.reauthAfter = marked;
        return;
      }
      r.reauthAfter = now;
      s.params = new Params({ ...s.params.toRaw(), [REAUTH_PARAM]: markReauth(secrets, now, clientId) });
    },
  };
}

/**
 * OIDC Core §15.5.2: a nonce binds one authentication; the same one again for this client is a
 * replayed request. Checked as the response is about to be issued, before anything is stored.
 */
function nonceUnused(d: OidcAuthorizeDeps): (s: AuthorizeState, client: Client) => Promise<void> {
  return async (s, client) => {
    const nonce = text(s.extra.nonce);
    if (nonce === undefined) return;
    const ttl = Math.max(d.settings.idTokenTtl, 3600) * 1000;
    const first = await d.oneTime.put(NONCE_KIND, sha256Hex(`${client.key}\n${nonce}`), {}, d.clock.now() + ttl);
    if (!first) {
      await d.events({ kind: 'nonce_replayed', clientKey: client.key, details: { protocol: 'oidc' } });
      throw new InvalidRequest('this nonce was already used: send a fresh nonce with every authorization request');
    }
  };
}

/** Response parts of OIDC: OAuth 2.0's code and token, and the ID token. */
function responseParts(d: OidcAuthorizeDeps): Record<string, ResponsePart> {
  const idTokenPart: ResponsePart = async (ctx, soFar) => {
    // Parts run in the order listed below, so code and access token exist already (c_hash, at_hash).
    const accessToken = soFar.access_token;
    const issuesAccessToken = must(ctx.state.responseType)
      .split(' ')
      .some((part) => part === 'token' || part === 'code');
    const names = idTokenClaimNames(issuesAccessToken, ctx.grant.scopes, claimsRequestOf(ctx.grant.extra));
    const minted = await d.idTokens.mint({
      client: ctx.client,
      user: ctx.session.user,
      authTime: ctx.grant.authTime,
      nonce: text(ctx.grant.extra.nonce),
      sid: ctx.grant.sid ?? ctx.session.sid,
      acr: acrOf(ctx.grant.extra),
      accessToken,
      code: soFar.code,
      userClaims: userClaims(ctx.session.user, names),
    });
    return { id_token: minted.token };
  };

  return { code: codePart, token: tokenPart, id_token: idTokenPart };
}

/** The OIDC authorization endpoint: the OAuth 2.0 table of checks with OIDC's own steps. */
export function oidcAuthorizeOptions(d: OidcAuthorizeDeps): AuthorizeOptions {
  return {
    family: 'oidc',
    ...oidcChecks({
      'redirect_uri given': redirectUriGiven,
      'request objects refused': requestObjectsRefused,
      'response_mode allowed': responseModeAllowed,
      'prompt and max_age read': promptRead,
      'claims and acr_values read': claimsRead,
      'scope resolved': scopeResolved,
      'nonce read': nonceRead,
      'id_token_hint read': idTokenHintRead(d.idTokens),
      're-authentication marked': reauthMarked(d.clock, d.secrets),
    }),
    loginPolicies: [(s, session) => needsLogin(oidcRequestOf(s), session, d.clock.now())],
    consentPolicies: [(s) => needsConsent(oidcRequestOf(s))],
    interactionGates: [(s, need) => promptNoneGate(oidcRequestOf(s), need)],
    issueChecks: [nonceUnused(d)],
    responseParts: responseParts(d),
    responseModes: {
      ...OAUTH2_RESPONSE_MODES,
      form_post: (uri, params) => ({ kind: 'page', html: renderFormPost(uri, params) }),
    },
  };
}
