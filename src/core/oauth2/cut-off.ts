/**
 * The cut-off, in one place: a token, code or grant counts only while its grant stands, its client
 * is approved and its user enabled. Every path that issues or accepts something asks here (the
 * grants, the resource check, introspection, client authentication), so disapproving a client or
 * disabling a user ends everything it holds at every instance at once: each check is one read.
 */
import type { Client } from '../clients/client.js';
import type { User } from '../ports.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import type { OAuth2Deps } from './deps.js';
import { InvalidClient } from './errors.js';
import type { GrantLiveness } from './storage.js';

/** Why something no longer counts; null when it stands. */
export type CutOffReason = 'unknown' | 'revoked' | 'client_not_approved' | 'user_disabled';

/**
 * client_credentials grants are not stored, so issuing such a token costs no write. Its `gid`
 * names the client and the moment of the client's last status change; any later change (a
 * disapproval, even if approved again since) no longer matches, which cuts the token off. A
 * single token is revoked through the deny list, by `jti`.
 */
const CLIENT_ONLY = 'client:';

export function clientOnlyGrantId(client: Pick<Client, 'key' | 'statusChangedAt'>): string {
  return `${CLIENT_ONLY}${client.key}:${client.statusChangedAt ?? 0}`;
}

export function isClientOnlyGrant(grantId: string): boolean {
  return grantId.startsWith(CLIENT_ONLY);
}

/** Only approved clients may obtain or use anything (the approval workflow). */
export function assertApproved(client: Client, basic = false): void {
  if (client.status === 'pending') throw new InvalidClient('this client is waiting for an administrator to approve it', { basic });
  if (client.status === 'disapproved') throw new InvalidClient('this client was disapproved by an administrator', { basic });
}

/**
 * The rule itself. `clientKey` is the client the presented thing belongs to; revocations at or
 * after `revokedBefore` do not count (they target what the current request is issuing).
 */
export function cutOffReason(l: GrantLiveness | undefined, clientKey: string, revokedBefore = Number.POSITIVE_INFINITY): CutOffReason | null {
  if (!l || l.grant.clientKey !== clientKey) return 'unknown';
  if (l.grant.revokedAt !== null && l.grant.revokedAt < revokedBefore) return 'revoked';
  if (!l.clientApproved) return 'client_not_approved';
  if (!l.userEnabled) return 'user_disabled';
  return null;
}

/** Whether a found token's grant stands (introspection). */
export function isLive(l: GrantLiveness | undefined): l is GrantLiveness {
  return l !== undefined && cutOffReason(l, l.grant.clientKey) === null;
}

/** The grant's user, read again: null for client-only grants, 'disabled' when gone or disabled. */
export async function grantUser(deps: Pick<OAuth2Deps, 'users'>, l: GrantLiveness): Promise<User | null | 'disabled'> {
  if (l.grant.userId === null) return null;
  const user = await deps.users.get(l.grant.userId);
  return user?.enabled ? user : 'disabled';
}

/** Whether the grant behind an access token stands: one read (stored grant) or two (client, deny list). */
export async function accessTokenLiveness(
  deps: Pick<OAuth2Deps, 'grants' | 'clients' | 'revokedTokens'>,
  claims: AccessTokenClaims,
): Promise<GrantLiveness | undefined> {
  if (!isClientOnlyGrant(claims.gid)) return deps.grants.liveness(claims.gid);
  const [client, revokedAt] = await Promise.all([deps.clients.get(claims.client_id), deps.revokedTokens.revokedAt(claims.jti)]);
  if (!client || !claims.gid.startsWith(`${CLIENT_ONLY}${client.key}:`)) return undefined;
  return {
    grant: {
      id: claims.gid,
      clientKey: claims.client_id,
      userId: null,
      scopes: claims.scope.split(' ').filter((s) => s !== ''),
      grantType: 'client_credentials',
      createdAt: claims.iat * 1000,
      authTime: null,
      revokedAt,
      extra: {},
    },
    clientApproved: client.status === 'approved' && claims.gid === clientOnlyGrantId(client),
    userEnabled: true,
  };
}
