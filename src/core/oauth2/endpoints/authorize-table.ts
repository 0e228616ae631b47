/**
 * The authorization endpoint's checks as one table: a row per step, in the order they run, with
 * the OAuth 2.0 column (RFC 6749 §4.1.1, §4.2.1) and the OpenID Connect column (OIDC Core
 * §3.1.2.2). A cell is the check that runs, `skip`, or `extension`: a step only the OpenID Connect
 * layer defines, which it hands in by the step's name when it composes its endpoint.
 */
import {
  type AuthorizeCheck,
  clientApproved,
  clientIdGiven,
  clientTypeFitsEndpoint,
  noRepeatedParameters,
  pkceAcceptable,
  redirectUriRegistered,
  resourcesAllowed,
  responseModeAllowed,
  responseTypeAllowed,
  scopeKnown,
  stateReadable,
} from './authorize-checks.js';

type Cell = AuthorizeCheck | 'skip' | 'extension';

interface Row {
  /** client: failures show an error page (RFC 6749 §4.1.2.1); request: they go back to the client. */
  phase: 'client' | 'request';
  step: string;
  oauth2: Cell;
  oidc: Cell;
}

function row<const S extends string, const O extends Cell>(phase: Row['phase'], step: S, oauth2: Cell, oidc: O) {
  return { phase, step, oauth2, oidc };
}

export const AUTHORIZATION_CHECKS = [
  //   phase       step                              OAuth 2.0                OpenID Connect
  row('client', 'client_id given', clientIdGiven, clientIdGiven),
  row('client', 'client known and approved', clientApproved, clientApproved),
  row('client', 'client type fits the endpoint', clientTypeFitsEndpoint, clientTypeFitsEndpoint),
  row('client', 'redirect_uri given', 'skip', 'extension'), // OIDC Core §3.1.2.1: always required
  row('client', 'redirect_uri registered', redirectUriRegistered, redirectUriRegistered),
  row('request', 'state readable', stateReadable, stateReadable),
  row('request', 'no repeated parameters', noRepeatedParameters, noRepeatedParameters),
  row('request', 'request objects refused', 'skip', 'extension'), // OIDC Core §6
  row('request', 'response_type allowed', responseTypeAllowed, responseTypeAllowed),
  row('request', 'response_mode allowed', responseModeAllowed, 'extension'), // + form_post
  row('request', 'prompt and max_age read', 'skip', 'extension'),
  row('request', 'claims and acr_values read', 'skip', 'extension'), // OIDC Core §5.5
  row('request', 'scope resolved', scopeKnown, 'extension'), // openid required, offline_access rules
  row('request', 'PKCE acceptable', pkceAcceptable, pkceAcceptable),
  row('request', 'resource indicators allowed', resourcesAllowed, resourcesAllowed), // RFC 8707 §2
  row('request', 'nonce read', 'skip', 'extension'),
  row('request', 'id_token_hint read', 'skip', 'extension'),
  row('request', 're-authentication marked', 'skip', 'extension'),
] as const satisfies readonly Row[];

/** The steps that only the OpenID Connect layer defines. */
export type OidcAuthorizeStep = Extract<(typeof AUTHORIZATION_CHECKS)[number], { oidc: 'extension' }>['step'];

export interface AuthorizeChecks {
  clientChecks: readonly AuthorizeCheck[];
  requestChecks: readonly AuthorizeCheck[];
}

function column(pick: (r: Row) => AuthorizeCheck | null): AuthorizeChecks {
  const rows = AUTHORIZATION_CHECKS as readonly Row[];
  const take = (phase: Row['phase']) =>
    rows
      .filter((r) => r.phase === phase)
      .flatMap((r) => {
        const check = pick(r);
        return check ? [check] : [];
      });
  return { clientChecks: take('client'), requestChecks: take('request') };
}

export function oauth2Checks(): AuthorizeChecks {
  return column((r) => (typeof r.oauth2 === 'string' ? null : r.oauth2));
}

export function oidcChecks(extension: Readonly<Record<OidcAuthorizeStep, AuthorizeCheck>>): AuthorizeChecks {
  const own: Readonly<Record<string, AuthorizeCheck>> = extension;
  return column((r) => {
    if (r.oidc === 'skip') return null;
    if (r.oidc !== 'extension') return r.oidc;
    const check = own[r.step];
    if (!check) throw new Error(`no OpenID Connect check for "${r.step}"`);
    return check;
  });
}
