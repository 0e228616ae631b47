import type { Client } from '../clients/client.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import type { OAuth2Deps } from './deps.js';
import type { GrantLiveness } from './storage.js';

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
