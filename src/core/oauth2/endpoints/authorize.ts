import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { randomToken } from '../../crypto/random.js';
import type { User } from '../../ports.js';
import { CODE_KIND, type OAuth2Deps } from '../deps.js';
import { AccessDenied, OAuth2Error, safeDescription } from '../errors.js';
import type { CodePayload } from '../grants/authorization-code.js';
import { newGrantId } from '../grants/grant.js';
import { mintAccessToken } from '../issue.js';
import { Params, type RawParams } from '../params.js';
import { markReauth } from '../reauth-marker.js';
import { grantedResources } from '../resource-indicators.js';
import type { GrantRecord } from '../storage.js';
import { type AuthorizeCheck, type AuthorizeState, NotRedirectable } from './authorize-checks.js';
import { oauth2Checks } from './authorize-table.js';
import type { ClientFamily } from './request.js';

/** Added to a request sent back to sign in again: when it was sent (ms). */
export const REAUTH_PARAM = 'latchkey_reauth';

/** The signed-in user as the authorization endpoint sees them. */
export interface AuthorizeSession {
  user: User;
  /** When the user authenticated (ms). */
  authTime: number;
  sid: string;
}

export interface AuthorizeInput {
  params: RawParams;
  session: AuthorizeSession | null;
  /** The user's answer on the consent page; absent on the first visit. */
  decision?: 'allow' | 'deny';
}

/** What the HTTP layer must do next. */
export type AuthorizeOutcome =
  /** The client or redirect URI cannot be trusted: show the error, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'error-page'; title: string; message: string }
  | { kind: 'redirect'; location: string }
  /** The user must sign in, then come back with the same parameters (`repeated`: those sent more than once, RFC 8707 `resource`). */
  | { kind: 'login'; params: Record<string, string>; repeated?: Record<string, string[]> }
  /** Ask the user; re-post `params` (and `repeated`) with decision=allow|deny. */
  | { kind: 'consent'; client: Client; scopes: { name: string; description: string }[]; params: Record<string, string>; repeated?: Record<string, string[]> }
  /** A response mode that renders a page (OIDC form_post), added by a later layer. */
  | { kind: 'page'; html: string };

/** What response parts see while building a successful authorization response. */
export interface ResponseContext {
  state: AuthorizeState;
  client: Client;
  session: AuthorizeSession;
  grant: GrantRecord;
  deps: OAuth2Deps;
}

/**
 * One member of a response type ("code", "token"; OIDC adds "id_token"). Parts run in the order
 * they are listed in `responseParts` and see what earlier parts produced (for c_hash / at_hash).
 */
export type ResponsePart = (ctx: ResponseContext, soFar: Record<string, string>) => Promise<Record<string, string>>;

/** Writes the response parameters to the redirect URI ("query", "fragment"; OIDC adds "form_post"). */
export type ResponseModeWriter = (redirectUri: string, params: Record<string, string>) => AuthorizeOutcome;

export interface AuthorizeOptions {
  family: ClientFamily;
  clientChecks: readonly AuthorizeCheck[];
  requestChecks: readonly AuthorizeCheck[];
  /**
   * Whether the user must (re-)authenticate although signed in (OIDC: prompt=login, max_age). The
   * request then comes back after sign-in carrying REAUTH_PARAM (the time it was sent away), so a
   * policy can tell that the new sign-in happened and not ask again.
   */
  loginPolicies: ReadonlyArray<(s: AuthorizeState, session: AuthorizeSession) => boolean>;
  /** Whether consent must be asked although remembered (OIDC: prompt=consent). */
  consentPolicies: ReadonlyArray<(s: AuthorizeState) => boolean>;
  /** May turn a needed interaction into an error (OIDC prompt=none → login_required …). */
  interactionGates: ReadonlyArray<(s: AuthorizeState, need: 'login' | 'consent') => void>;
  /** Last checks before anything is stored (OIDC: a replayed nonce); a refusal leaves no trace. */
  issueChecks?: ReadonlyArray<(s: AuthorizeState, client: Client) => Promise<void>>;
  responseParts: Readonly<Record<string, ResponsePart>>;
  responseModes: Readonly<Record<string, ResponseModeWriter>>;
}

/** RFC 6749 §4.1.2: a code bound to client, redirect URI and PKCE challenge, stored by its hash. */
export const codePart: ResponsePart = async ({ state, client, grant, deps }) => {
  const code = randomToken(deps.random, 256);
  const payload: CodePayload = {
    grantId: grant.id,
    clientKey: client.key,
    redirectUri: state.redirectUri ?? '',
    redirectUriSent: state.redirectUriSent,
    pkce: state.pkce,
  };
  const stored = await deps.codes.put(CODE_KIND, sha256Hex(code), { ...payload }, deps.clock.now() + deps.settings.codeTtl * 1000);
  if (!stored) throw new Error('authorization code collision');
  return { code };
};

/** RFC 6749 §4.2.2: implicit access token (never with a refresh token). */
export const tokenPart: ResponsePart = async ({ client, grant, deps }) => {
  const minted = await mintAccessToken(deps, client, grant, grant.scopes, grantedResources(grant));
  return {
    access_token: minted.token,
    token_type: 'Bearer',
    expires_in: String(minted.claims.exp - minted.claims.iat),
    scope: grant.scopes.join(' '),
  };
};

export function appendToUri(uri: string, params: Record<string, string>, where: 'query' | 'fragment'): string {
  const url = new URL(uri);
  if (where === 'query') {
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
    return url.href;
  }
  url.hash = new URLSearchParams(params).toString();
  return url.href;
}

export const OAUTH2_RESPONSE_MODES: Readonly<Record<string, ResponseModeWriter>> = {
  query: (uri, params) => ({ kind: 'redirect', location: appendToUri(uri, params, 'query') }),
  fragment: (uri, params) => ({ kind: 'redirect', location: appendToUri(uri, params, 'fragment') }),
};

export function oauth2AuthorizeOptions(): AuthorizeOptions {
  return {
    family: 'oauth2',
    ...oauth2Checks(),
    loginPolicies: [],
    consentPolicies: [],
    interactionGates: [],
    responseParts: { code: codePart, token: tokenPart },
    responseModes: OAUTH2_RESPONSE_MODES,
  };
}

/** Parameters sent more than once (RFC 8707 §2 `resource`), which a re-posted request must carry again. */
function repeatedOf(s: AuthorizeState): { repeated?: Record<string, string[]> } {
  const repeated = s.params.repeated();
  return Object.keys(repeated).length > 0 ? { repeated } : {};
}

function initialState(params: RawParams, family: ClientFamily): AuthorizeState {
  return {
    params: new Params(params),
    family,
    client: null,
    redirectUri: null,
    redirectUriSent: false,
    responseType: null,
    responseMode: null,
    scopes: [],
    state: undefined,
    pkce: null,
    extra: {},
  };
}

/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1): client checks, request checks,
 * sign-in, consent, then the response — each a small named step.
 */
export async function authorize(deps: OAuth2Deps, options: AuthorizeOptions, input: AuthorizeInput): Promise<AuthorizeOutcome> {
  const s = initialState(input.params, options.family);
  try {
    for (const check of options.clientChecks) await check.run(s, deps);
  } catch (err) {
    if (err instanceof NotRedirectable) return { kind: 'error-page', title: err.title, message: err.message };
    if (err instanceof OAuth2Error) return { kind: 'error-page', title: 'Invalid request', message: err.description };
    throw err;
  }
  try {
    for (const check of options.requestChecks) await check.run(s, deps);
    const client = s.client as Client;

    const session = input.session;
    if (!session) {
      for (const gate of options.interactionGates) gate(s, 'login');
      return { kind: 'login', params: s.params.toRecord(), ...repeatedOf(s) };
    }
    if (options.loginPolicies.some((p) => p(s, session))) {
      for (const gate of options.interactionGates) gate(s, 'login');
      return { kind: 'login', params: { ...s.params.toRecord(), [REAUTH_PARAM]: markReauth(deps.secrets, deps.clock.now(), client.key) }, ...repeatedOf(s) };
    }
    if (input.decision === 'deny') throw new AccessDenied('the user denied the request');
    if (input.decision === 'allow') {
      await deps.consents.grant(session.user.id, client.key, s.scopes);
    } else {
      const remembered = await deps.consents.get(session.user.id, client.key);
      const covered = remembered !== undefined && s.scopes.every((x) => remembered.includes(x));
      if (!covered || options.consentPolicies.some((p) => p(s))) {
        for (const gate of options.interactionGates) gate(s, 'consent');
        return { kind: 'consent', client, scopes: deps.scopes.describe(s.scopes), params: s.params.toRecord(), ...repeatedOf(s) };
      }
    }
    return await respond(deps, options, s, client, session);
  } catch (err) {
    if (!(err instanceof OAuth2Error)) throw err;
    return errorResponse(deps, options, s, err);
  }
}

async function respond(deps: OAuth2Deps, options: AuthorizeOptions, s: AuthorizeState, client: Client, session: AuthorizeSession): Promise<AuthorizeOutcome> {
  const members = (s.responseType ?? '').split(' ');
  const order = Object.keys(options.responseParts);
  members.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  for (const check of options.issueChecks ?? []) await check(s, client);
  const grant: GrantRecord = {
    id: newGrantId(deps),
    clientKey: client.key,
    userId: session.user.id,
    scopes: s.scopes,
    grantType: members.includes('code') ? 'authorization_code' : 'implicit',
    createdAt: deps.clock.now(),
    authTime: session.authTime,
    revokedAt: null,
    extra: s.extra,
    sid: session.sid,
  };
  await deps.grants.create(grant);
  let out: Record<string, string> = {};
  for (const m of members) {
    const part = options.responseParts[m];
    if (!part) throw new Error(`no response part for ${m}`);
    out = { ...out, ...(await part({ state: s, client, session, grant, deps }, out)) };
  }
  if (s.state !== undefined) out.state = s.state;
  // RFC 9207: the issuer identifies who answered (mix-up defence).
  out.iss = deps.settings.issuer;
  return writeResponse(options, s, out);
}

function errorResponse(deps: OAuth2Deps, options: AuthorizeOptions, s: AuthorizeState, err: OAuth2Error): AuthorizeOutcome {
  const params: Record<string, string> = { error: err.code, error_description: safeDescription(err.description) };
  if (s.state !== undefined) params.state = s.state;
  params.iss = deps.settings.issuer;
  return writeResponse(options, s, params);
}

/** Before response_type was accepted, errors follow what was asked: tokens imply the fragment. */
function defaultMode(s: AuthorizeState): string {
  const raw = s.responseType ?? s.params.toRecord().response_type ?? 'code';
  return raw.split(' ').some((m) => m === 'token' || m === 'id_token') ? 'fragment' : 'query';
}

function writeResponse(options: AuthorizeOptions, s: AuthorizeState, params: Record<string, string>): AuthorizeOutcome {
  const mode = s.responseMode ?? defaultMode(s);
  const writer = options.responseModes[mode] ?? options.responseModes.query;
  if (!writer || s.redirectUri === null) return { kind: 'error-page', title: 'Invalid request', message: params.error_description ?? 'invalid request' };
  return writer(s.redirectUri, params);
}
