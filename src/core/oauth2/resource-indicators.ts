import type { Client } from '../clients/client.js';
import { clientResources, MAX_RESOURCES, resourceUriProblem } from '../clients/resources.js';
import { InvalidTarget } from './errors.js';
import type { Params } from './params.js';
import type { GrantRecord } from './storage.js';

/** Where the resources granted at the authorization endpoint are kept with the grant. */
export const GRANT_RESOURCES = 'resources';

/**
 * RFC 8707 §2: the `resource` parameters of a request (may repeat), each an absolute URI without a
 * fragment, else invalid_target.
 */
export function requestedResources(params: Params): string[] {
  const values = params.all('resource');
  if (values.length > MAX_RESOURCES) throw new InvalidTarget(`at most ${MAX_RESOURCES} resource parameters`);
  for (const v of values) {
    const problem = resourceUriProblem(v);
    if (problem) throw new InvalidTarget(`the resource ${problem}`);
  }
  return [...new Set(values)];
}

/** RFC 8707 §2: a resource the client is not registered for is refused with invalid_target. */
export function checkClientResources(requested: readonly string[], client: Client): string[] {
  if (requested.length === 0) return [];
  const allowed = clientResources(client);
  for (const r of requested) {
    if (!allowed.includes(r)) throw new InvalidTarget('the resource is not one this client may request tokens for');
  }
  return [...requested];
}

/** The resources granted at the authorization endpoint, as stored with the grant. */
export function grantedResources(grant: Pick<GrantRecord, 'extra'>): string[] {
  const v = grant.extra[GRANT_RESOURCES];
  return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : [];
}

/**
 * RFC 8707 §2.2: at the token endpoint for a code or refresh token, the requested resources must be
 * among those granted at authorization; none requested means all that were granted. The client's
 * current setting is checked again, so a resource an administrator removed is no longer issued.
 */
export function narrowResources(params: Params, grant: Pick<GrantRecord, 'extra'>, client: Client): string[] {
  const requested = requestedResources(params);
  const granted = grantedResources(grant);
  if (requested.length === 0) return granted;
  for (const r of requested) {
    if (!granted.includes(r)) throw new InvalidTarget('the resource was not granted in the authorization request');
  }
  return checkClientResources(requested, client);
}

/** RFC 8707 §2: for grants without an authorization request, the resources come from the token request alone. */
export function tokenRequestResources(params: Params, client: Client): string[] {
  return checkClientResources(requestedResources(params), client);
}
