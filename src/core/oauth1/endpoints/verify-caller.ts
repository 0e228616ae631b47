import { secretContext } from '../../clients/client.js';
import { constantTimeEqual } from '../../crypto/constant-time.js';
import { clientSecretBasic } from '../../oauth2/client-auth/client-secret-basic.js';
import { InvalidClient } from '../../oauth2/errors.js';
import type { ThrottleStore } from '../../ports.js';
import { type CheckDeps, DUMMY_CONSUMER_KEY, lookupKey } from '../check.js';

/** Failed authentications per address before the verification endpoint answers 429. */
export const VERIFY_FAILURES = { limit: 20, windowMs: 15 * 60_000 };

export type VerifyCallerDeps = Pick<CheckDeps, 'clock' | 'clients' | 'sealer' | 'dummies'> & { throttle: ThrottleStore };

export type VerifyCaller = { key: string } | 'throttled' | 'not_allowed' | null;

/**
 * Authenticates a resource server at the OAuth 1.0a verification endpoint: HTTP Basic with the
 * client key and secret, read as at the token endpoint (RFC 6749 §2.3.1), of an approved,
 * confidential OAuth 2.0 or OpenID Connect client. Unknown keys and malformed credentials cost
 * the same decryption and comparison as known ones. Only a client an administrator marked as a
 * resource server may verify requests of other clients ('not_allowed', told only after its
 * secret matched), as at the introspection endpoint.
 */
export async function authenticateVerifyCaller(deps: VerifyCallerDeps, authorization: string | undefined, source: string): Promise<VerifyCaller> {
  const now = deps.clock.now();
  const throttleKey = `oauth1-verify:${source}`;
  if ((await deps.throttle.count(throttleKey, now, VERIFY_FAILURES.windowMs)) >= VERIFY_FAILURES.limit) return 'throttled';
  let presented: { clientId: string; secret: string } | null = null;
  try {
    presented = clientSecretBasic.extract({ authorization, body: {} });
  } catch (err) {
    if (!(err instanceof InvalidClient)) throw err;
  }
  const key = presented?.clientId ?? '';
  const secret = presented?.secret ?? '';
  const client = await deps.clients.get(lookupKey(key));
  const eligible = client !== undefined && client.key === key && client.type !== 'oauth1' && client.status === 'approved' && !client.isPublic;
  let expected = '';
  try {
    expected =
      eligible && client.secretSealed !== null
        ? deps.sealer.open(client.secretSealed, secretContext(client.key))
        : deps.sealer.open(deps.dummies.consumerSecret, secretContext(DUMMY_CONSUMER_KEY));
  } catch {
    expected = '';
  }
  const ok = constantTimeEqual(expected, secret) && eligible && client.secretSealed !== null && expected !== '';
  if (!ok) {
    await deps.throttle.hit(throttleKey, now, VERIFY_FAILURES.windowMs);
    return null;
  }
  if (!client.resourceServer) return 'not_allowed';
  return { key };
}
