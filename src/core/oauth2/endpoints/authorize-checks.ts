import { type Client, normalizeResponseType, responseTypesFor } from '../../clients/client.js';
import { redirectUriMatches } from '../../clients/redirect-uri.js';
import { requiresPkce } from '../../clients/settings.js';
import type { OAuth2Deps } from '../deps.js';
import { InvalidRequest, UnauthorizedClient, UnsupportedResponseType } from '../errors.js';
import type { Params } from '../params.js';
import { parseScope } from '../params.js';
import { type PkceChallenge, readChallenge } from '../pkce.js';
import { checkClientResources, GRANT_RESOURCES, requestedResources } from '../resource-indicators.js';
import type { ClientFamily } from './request.js';

/** The authorization request as the checks build it up, step by step. */
export interface AuthorizeState {
  params: Params;
  family: ClientFamily;
  client: Client | null;
  /** Verified redirect URI; errors may be redirected only once it is set. */
  redirectUri: string | null;
  redirectUriSent: boolean;
  /** Normalised response type ("code", "token", later "code id_token" …). */
  responseType: string | null;
  responseMode: string | null;
  scopes: string[];
  state: string | undefined;
  pkce: PkceChallenge | null;
  /** Extension data carried into the grant (OIDC: nonce, max_age, claims …). */
  extra: Record<string, unknown>;
}

export type AuthorizeDeps = Pick<OAuth2Deps, 'clients' | 'scopes' | 'clock'>;

/** One named check. Throwing an OAuth2Error stops the request. */
export interface AuthorizeCheck {
  name: string;
  run(s: AuthorizeState, deps: AuthorizeDeps): void | Promise<void>;
}

export class NotRedirectable extends Error {
  override name = 'NotRedirectable';
  constructor(
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

// ── Client phase: a failure here shows an error page, never a redirect (RFC 6749 §4.1.2.1). ──

export const clientIdGiven: AuthorizeCheck = {
  name: 'client_id given',
  run(s) {
    try {
      if (s.params.optional('client_id', 200) === undefined)
        throw new NotRedirectable('Missing client', 'The request does not name an application (client_id is missing).');
    } catch (err) {
      if (err instanceof NotRedirectable) throw err;
      throw new NotRedirectable('Bad request', 'client_id was sent more than once or is too long.');
    }
  },
};

export const clientApproved: AuthorizeCheck = {
  name: 'client known and approved',
  async run(s, deps) {
    const client = await deps.clients.get(s.params.required('client_id', 200));
    if (!client || client.type === 'oauth1') throw new NotRedirectable('Unknown application', 'No application is registered with this client_id.');
    if (client.status === 'pending') {
      throw new NotRedirectable('Application not approved yet', `“${client.name}” is waiting for an administrator to approve it. Try again later.`);
    }
    if (client.status === 'disapproved') throw new NotRedirectable('Application disapproved', `An administrator disapproved “${client.name}”.`);
    s.client = client;
  },
};

export const clientTypeFitsEndpoint: AuthorizeCheck = {
  name: 'client type fits the endpoint',
  run(s) {
    const client = must(s.client);
    if (client.type !== s.family) {
      const path = client.type === 'oidc' ? '/oidc/authorize' : '/oauth2/authorize';
      throw new NotRedirectable(
        'Wrong endpoint',
        `“${client.name}” is ${client.type === 'oidc' ? 'an OpenID Connect' : 'an OAuth 2.0'} client: it must use ${path}.`,
      );
    }
  },
};

/**
 * RFC 6749 §3.1.2.3 with RFC 9700 §4.1.3: exact string match against a registered URI, except
 * that a loopback IP redirect may use any port (RFC 8252 §7.3). When omitted, the client's only
 * registered URI is used.
 */
export const redirectUriRegistered: AuthorizeCheck = {
  name: 'redirect_uri registered',
  run(s) {
    const client = must(s.client);
    let given: string | undefined;
    try {
      given = s.params.optional('redirect_uri', 2000);
    } catch {
      throw new NotRedirectable('Bad redirect URI', 'redirect_uri was sent more than once or is too long.');
    }
    if (given === undefined) {
      if (client.redirectUris.length !== 1 || client.redirectUris[0] === undefined) {
        throw new NotRedirectable('Missing redirect URI', 'redirect_uri is required because the application has several (or no) registered redirect URIs.');
      }
      s.redirectUri = client.redirectUris[0];
      s.redirectUriSent = false;
      return;
    }
    if (!client.redirectUris.some((r) => redirectUriMatches(r, given))) {
      throw new NotRedirectable(
        'Redirect URI not registered',
        'The redirect_uri of this request is not registered for the application, so Latchkey will not send you there.',
      );
    }
    s.redirectUri = given;
    s.redirectUriSent = true;
  },
};

// ── Request phase: the redirect URI is verified, so errors go back to the client. ──

export const noRepeatedParameters: AuthorizeCheck = {
  name: 'no repeated parameters',
  run(s) {
    s.params.rejectRepeated();
  },
};

export const stateReadable: AuthorizeCheck = {
  name: 'state readable',
  run(s) {
    s.state = s.params.optional('state', 2000);
  },
};

/** RFC 6749 §3.1.1: a response type the server supports for this family and the client registered. */
export const responseTypeAllowed: AuthorizeCheck = {
  name: 'response_type allowed',
  run(s) {
    const client = must(s.client);
    const raw = s.params.optional('response_type', 100);
    if (raw === undefined) throw new InvalidRequest('response_type is missing');
    const rt = normalizeResponseType(raw);
    if (!responseTypesFor(s.family).includes(rt)) throw new UnsupportedResponseType(`response_type "${raw.slice(0, 40)}" is not supported here`);
    if (!client.responseTypes.map(normalizeResponseType).includes(rt)) {
      throw new UnauthorizedClient(`this client is not registered for response_type "${rt}"`);
    }
    if (rt.split(' ').includes('code') && !client.grantTypes.includes('authorization_code')) {
      throw new UnauthorizedClient('this client is not registered for the authorization_code grant');
    }
    s.responseType = rt;
  },
};

/**
 * OAuth 2.0 Multiple Response Types §2.1: query for "code", fragment for anything carrying
 * tokens; tokens are never put in a query string.
 */
export const responseModeAllowed: AuthorizeCheck = {
  name: 'response_mode allowed',
  run(s) {
    const rt = must(s.responseType);
    const fallback = rt === 'code' ? 'query' : 'fragment';
    const mode = s.params.optional('response_mode', 40) ?? fallback;
    if (mode !== 'query' && mode !== 'fragment') throw new InvalidRequest(`response_mode "${mode}" is not supported (query or fragment)`);
    if (mode === 'query' && rt !== 'code') throw new InvalidRequest('tokens are never returned in the query: use response_mode=fragment');
    s.responseMode = mode;
  },
};

export const scopeKnown: AuthorizeCheck = {
  name: 'scope resolved',
  run(s, deps) {
    s.scopes = deps.scopes.resolve(parseScope(s.params.optional('scope', 1000)), must(s.client));
  },
};

/** RFC 7636 / RFC 9700 §2.1.1: PKCE S256, required for public clients and clients that ask for it. */
export const pkceAcceptable: AuthorizeCheck = {
  name: 'PKCE acceptable',
  run(s) {
    const client = must(s.client);
    const usesCode = must(s.responseType).split(' ').includes('code');
    const challenge = s.params.optional('code_challenge', 200);
    const method = s.params.optional('code_challenge_method', 20);
    if (!usesCode) {
      if (challenge !== undefined) throw new InvalidRequest('code_challenge applies to response types that return a code');
      return;
    }
    s.pkce = readChallenge(challenge, method, requiresPkce(client.isPublic, client.requirePkce));
  },
};

function must<T>(v: T | null): T {
  if (v === null) throw new Error('authorization check ran out of order');
  return v;
}

/**
 * RFC 8707 §2: each `resource` is an absolute URI without fragment and one the client is
 * registered for, else invalid_target (sent back to the redirect URI). The resources are kept
 * with the grant, so the token request can only narrow them (§2.2).
 */
export const resourcesAllowed: AuthorizeCheck = {
  name: 'resource indicators allowed',
  run(s) {
    if (!s.client) throw new Error('resource check before the client check');
    const resources = checkClientResources(requestedResources(s.params), s.client);
    if (resources.length > 0) s.extra[GRANT_RESOURCES] = resources;
  },
};
