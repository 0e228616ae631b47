import type { Client } from '../../clients/client.js';
import { randomToken } from '../../crypto/random.js';
import type { User } from '../../ports.js';
import { type CutOffReason, cutOffReason, grantUser } from '../cut-off.js';
import type { OAuth2Deps } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import type { Params } from '../params.js';
import type { GrantRecord } from '../storage.js';

const GRANT_CUT_OFF: Record<CutOffReason, string> = {
  unknown: 'the grant does not exist or belongs to another client',
  revoked: 'the authorization was revoked',
  client_not_approved: 'the client is no longer approved',
  user_disabled: 'the user cannot sign in',
};

/** One token request, after client authentication (RFC 6749 §3.2). */
export interface GrantRequest {
  client: Client;
  params: Params;
  remoteAddress: string;
}

/**
 * What a grant handler decides; the token endpoint turns it into tokens. The OpenID Connect layer
 * reads the same result (grant.extra, user, authTime) to add an id_token.
 */
export interface GrantResult {
  grant: GrantRecord;
  /** null for client_credentials. */
  user: User | null;
  /** Scopes of the access token to issue (may be narrower than the grant's, RFC 6749 §6). */
  scopes: string[];
  /** Whether a (new) refresh token goes with the access token. */
  refreshToken: boolean;
  /** RFC 8707: the resources the access token is for (its `aud`); absent or empty: Latchkey's own API. */
  resources?: string[];
}

/** A grant_type handler (one file per grant). `D` names only the dependencies it uses. */
export interface GrantHandler<D = OAuth2Deps> {
  /** Whether public clients may use it (RFC 6749 §4.3, §4.4 need a confidential client). */
  publicClients: boolean;
  handle(req: GrantRequest, deps: D): Promise<GrantResult>;
}

export function newGrantId(deps: Pick<OAuth2Deps, 'random'>): string {
  return randomToken(deps.random, 128);
}

/** A refresh token goes out only to clients registered for the refresh_token grant. */
export function wantsRefreshToken(client: Client): boolean {
  return client.grantTypes.includes('refresh_token');
}

/**
 * Loads a grant and checks it can still produce tokens: not revoked, its client approved, its user
 * enabled. One read, so a cut-off at any instance holds everywhere at once.
 */
export async function liveGrant(
  deps: Pick<OAuth2Deps, 'grants' | 'users'>,
  grantId: string,
  client: Client,
  /** Revocations from this time on do not refuse (they target what this request is issuing). */
  revokedBefore = Number.POSITIVE_INFINITY,
): Promise<{ grant: GrantRecord; user: User | null }> {
  const l = await deps.grants.liveness(grantId);
  const reason = cutOffReason(l, client.key, revokedBefore);
  if (reason !== null || !l) throw new InvalidGrant(GRANT_CUT_OFF[reason ?? 'unknown']);
  const user = await grantUser(deps, l);
  if (user === 'disabled') throw new InvalidGrant(GRANT_CUT_OFF.user_disabled);
  return { grant: l.grant, user };
}
