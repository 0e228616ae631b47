import { constantTimeEqual, sha256Hex } from '../../crypto/constant-time.js';
import { randomToken } from '../../crypto/random.js';
import { checkRequest, tokenContext } from '../check.js';
import type { OAuth1Deps } from '../deps.js';
import { formResponse, OAuth1Problem, type OAuth1Response, problemResponse } from '../problems.js';
import type { SignedRequest } from '../request.js';

/**
 * POST /oauth1/access_token — token credentials (RFC 5849 §2.3) for authorized temporary
 * credentials and their verifier. The exchange is atomic: of two racing requests, one wins.
 */
export async function accessToken(d: OAuth1Deps, req: SignedRequest): Promise<OAuth1Response> {
  try {
    const v = await checkRequest(d, req, 'temporary', {
      required: ['oauth_token', 'oauth_verifier'],
      extra: ({ temporary, user, params }) => {
        // Compared in constant time whatever the state, so the order of answers leaks nothing.
        const verifierOk = constantTimeEqual(sha256Hex(params.verifier ?? ''), temporary?.verifierHash ?? '');
        if (!temporary?.userId) return OAuth1Problem.of('permission_unknown', 'the user has not authorized these temporary credentials yet');
        if (!user?.enabled) return OAuth1Problem.of('token_revoked', 'the user who authorized this request is disabled');
        if (!verifierOk) return OAuth1Problem.rejected(['oauth_verifier'], 'oauth_verifier does not match', 401);
        return null;
      },
    });
    const temporary = v.temporary;
    const user = v.user;
    if (!temporary || !user) throw OAuth1Problem.of('token_rejected', 'unknown temporary credentials');
    // §2.3: temporary credentials are used once.
    if (!(await d.temporaries.consume(temporary.tokenHash, d.clock.now()))) {
      throw OAuth1Problem.of('token_used', 'these temporary credentials were already exchanged');
    }
    const token = randomToken(d.random, 192);
    const secret = randomToken(d.random, 256);
    const tokenHash = sha256Hex(token);
    await d.tokens.insert({
      tokenHash,
      clientKey: v.client.key,
      userId: user.id,
      secretSealed: d.sealer.seal(secret, tokenContext(tokenHash)),
      createdAt: d.clock.now(),
    });
    d.touchClient(v.client.key);
    return formResponse([
      ['oauth_token', token],
      ['oauth_token_secret', secret],
    ]);
  } catch (err) {
    if (err instanceof OAuth1Problem) return problemResponse(err, d.realm);
    throw err;
  }
}
