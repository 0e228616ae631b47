import { type AuthenticatedClient, authenticateClient } from '../client-auth/index.js';
import type { OAuth2Deps } from '../deps.js';
import { InvalidRequest, type OAuth2Error, serializeError, UnauthorizedClient } from '../errors.js';
import { Params, type RawParams } from '../params.js';

/** A framework-free request, as the HTTP layer hands it to an endpoint. */
export interface EndpointRequest {
  method: string;
  headers: Record<string, string | undefined>;
  query: RawParams;
  body: RawParams;
  remoteAddress: string;
  /** Told the client's key once client authentication succeeded (the request log names it). */
  onClientAuthenticated?: (clientKey: string) => void;
}

/** A framework-free JSON response. `unexpected` holds a bug to log (never sent). */
export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  unexpected?: unknown;
}

/** Which family of paths an endpoint serves: /…/oauth2/… or /…/oidc/… (same code, client type checked). */
export type ClientFamily = 'oauth2' | 'oidc';

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function json(body: Record<string, unknown>, status = 200): EndpointResponse {
  return { status, headers: { ...NO_STORE }, body };
}

/** Runs an endpoint body, turning any OAuth2Error into its JSON answer and anything else into server_error. */
export async function answer(fn: () => Promise<EndpointResponse>): Promise<EndpointResponse> {
  try {
    return await fn();
  } catch (err) {
    const s = serializeError(err);
    return { status: s.status, headers: s.headers, body: { ...s.body }, ...(s.unexpected ? { unexpected: s.unexpected } : {}) };
  }
}

/**
 * RFC 6749 §3.2: token-style endpoints take POST with an application/x-www-form-urlencoded body
 * whose parameters do not repeat.
 */
export function formParams(req: EndpointRequest): Params {
  if (req.method !== 'POST') throw new InvalidRequest('use POST');
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
  const params = new Params(req.body);
  params.rejectRepeated();
  return params;
}

export async function authenticate(deps: OAuth2Deps, req: EndpointRequest, params: Params): Promise<AuthenticatedClient> {
  const authenticated = await authenticateClient(deps, {
    authorization: req.headers.authorization,
    body: { client_id: params.optional('client_id', 512), client_secret: params.optional('client_secret', 1024) },
  });
  req.onClientAuthenticated?.(authenticated.client.key);
  return authenticated;
}

/** The oauth2 paths serve OAuth 2.0 clients, the oidc paths OpenID Connect clients. */
export function checkFamily(family: ClientFamily, type: string): void {
  if (type === family) return;
  const [name, path] = type === 'oidc' ? ['an OpenID Connect', 'oidc'] : ['an OAuth 2.0', 'oauth2'];
  throw new UnauthorizedClient(`this is ${name} client: use the /${path}/ endpoints`);
}

export type { OAuth2Error };
