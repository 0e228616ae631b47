import type { Client } from '../../clients/client.js';
import { callbackMatches, redirectUriProblem } from '../../clients/redirect-uri.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { randomToken } from '../../crypto/random.js';
import { checkRequest, temporaryContext } from '../check.js';
import type { OAuth1Deps } from '../deps.js';
import { formResponse, OAuth1Problem, type OAuth1Response, problemResponse } from '../problems.js';
import type { SignedRequest } from '../request.js';

/**
 * Whether oauth_callback is acceptable for this consumer (§2.1): "oob" always; otherwise an
 * absolute URL that, when the consumer registered a callback, is that URL (extra query
 * parameters allowed, e.g. the consumer's own state); a consumer registered as "oob" only gets oob.
 */
export function callbackProblem(client: Pick<Client, 'callbackUrl'>, callback: string): OAuth1Problem | null {
  if (callback === 'oob') return null;
  const problem = redirectUriProblem(callback);
  if (problem) return OAuth1Problem.rejected(['oauth_callback'], `oauth_callback ${problem}`);
  const registered = client.callbackUrl;
  if (registered === null) return null;
  if (registered === 'oob') return OAuth1Problem.rejected(['oauth_callback'], 'this consumer is registered for out-of-band (oob) callbacks only');
  if (callbackMatches(registered, callback)) return null;
  return OAuth1Problem.rejected(['oauth_callback'], 'oauth_callback does not match the callback URL registered for this consumer');
}

/** POST /oauth1/request_token — temporary credentials (RFC 5849 §2.1). */
export async function requestToken(d: OAuth1Deps, req: SignedRequest): Promise<OAuth1Response> {
  try {
    const v = await checkRequest(d, req, 'none', {
      required: ['oauth_callback'],
      extra: ({ client, params }) => callbackProblem(client ?? { callbackUrl: null }, params.callback ?? ''),
    });
    const token = randomToken(d.random, 192);
    const secret = randomToken(d.random, 256);
    const tokenHash = sha256Hex(token);
    const now = d.clock.now();
    await d.temporaries.insert({
      tokenHash,
      clientKey: v.client.key,
      secretSealed: d.sealer.seal(secret, temporaryContext(tokenHash)),
      callback: v.params.callback ?? 'oob',
      createdAt: now,
      expiresAt: now + d.temporaryTtl * 1000,
      userId: null,
      verifierHash: null,
      authorizedAt: null,
      usedAt: null,
    });
    d.touchClient(v.client.key);
    return formResponse([
      ['oauth_token', token],
      ['oauth_token_secret', secret],
      ['oauth_callback_confirmed', 'true'],
    ]);
  } catch (err) {
    if (err instanceof OAuth1Problem) return problemResponse(err, d.realm);
    throw err;
  }
}
