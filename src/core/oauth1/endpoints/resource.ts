import type { Client } from '../../clients/client.js';
import type { User } from '../../ports.js';
import { checkRequest } from '../check.js';
import type { OAuth1Deps } from '../deps.js';
import type { SignedRequest } from '../request.js';

export interface ResourceAccess {
  user: User;
  client: Client;
  /** SHA-256 of the token, to tell grants apart in logs without the token itself. */
  tokenHash: string;
}

/**
 * A request for a protected resource signed with token credentials (RFC 5849 §3): the consumer
 * approved, the token issued to it and not revoked, its user enabled. Throws OAuth1Problem.
 */
export async function authenticateResource(d: OAuth1Deps, req: SignedRequest, options: { recordNonce?: boolean } = {}): Promise<ResourceAccess> {
  const v = await checkRequest(d, req, 'token', { required: ['oauth_token'], recordNonce: options.recordNonce ?? true });
  if (!v.user || !v.token) throw new Error('unreachable: verified token without user');
  d.touchClient(v.client.key);
  return { user: v.user, client: v.client, tokenHash: v.token.tokenHash };
}
