import type { OAuth2Deps } from '../oauth2/deps.js';
import { type EndpointRequest, type EndpointResponse, NO_STORE } from '../oauth2/endpoints/request.js';
import { bearerChallenge, InsufficientScope, InvalidRequest, InvalidToken, OAuth2Error, safeDescription } from '../oauth2/errors.js';
import { authenticateAccessToken } from '../oauth2/resource.js';
import { claimsOfScopes, userClaims } from './claims.js';

type Deps = Pick<OAuth2Deps, 'accessTokens' | 'grants' | 'users' | 'clients' | 'revokedTokens'>;

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function isForm(req: EndpointRequest): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * The access token of a UserInfo request: Authorization: Bearer (RFC 6750 §2.1) or, on POST, the
 * form field access_token (§2.2). Exactly one method (§2); never the query string (§2.3 is
 * discouraged: URLs end up in logs). Returns undefined when none was sent.
 */
export function presentedToken(req: EndpointRequest): string | undefined {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^bearer(?:[ ]+(.*))?$/i.exec(header);
  if (header !== undefined && !m) throw new InvalidRequest('the Authorization header must use the Bearer scheme');
  const fromHeader = m ? (m[1] ?? '').trim() : undefined;
  const bodyValue = req.method === 'POST' && isForm(req) ? req.body.access_token : undefined;
  if (Array.isArray(bodyValue)) throw new InvalidRequest('access_token was sent more than once');
  const fromBody = bodyValue === '' ? undefined : bodyValue;
  if (req.query.access_token !== undefined) throw new InvalidRequest('send the access token in the Authorization header, not in the URL');
  if (fromHeader !== undefined && fromBody !== undefined) throw new InvalidRequest('send the access token one way only (RFC 6750 §2)');
  const token = fromHeader ?? fromBody;
  if (token === undefined) return undefined;
  if (token === '' || token.length > 8192 || !TOKEN68.test(token)) throw new InvalidRequest('the access token is malformed');
  return token;
}

/**
 * OIDC Core §5.3: GET or POST with a Bearer access token that holds `openid`; answers the
 * user's claims per granted scope (§5.4) and per the claims request (§5.5), always with `sub`.
 * Errors follow RFC 6750 §3: 400/401/403 with a WWW-Authenticate challenge.
 */
export function userInfoEndpoint(deps: Deps) {
  return async (req: EndpointRequest): Promise<EndpointResponse> => {
    const headers = { ...NO_STORE };
    try {
      const token = presentedToken(req);
      if (token === undefined) {
        return {
          status: 401,
          headers: { ...headers, 'www-authenticate': bearerChallenge() },
          body: { error: 'invalid_token', error_description: 'an access token is required' },
        };
      }
      const found = await authenticateAccessToken(deps, token);
      if (found.user === null) throw new InvalidToken('this token was issued to a client without a user');
      if (!found.scopes.includes('openid')) throw new InsufficientScope('UserInfo needs an access token granted the openid scope');
      // Claims asked for through the claims parameter were consented as their scope (see scopeResolved).
      return { status: 200, headers, body: { sub: found.user.id, ...userClaims(found.user, claimsOfScopes(found.scopes)) } };
    } catch (err) {
      if (!(err instanceof OAuth2Error)) throw err;
      const scope = err instanceof InsufficientScope ? { scope: 'openid' } : {};
      return {
        status: err.status,
        headers: { ...headers, 'www-authenticate': bearerChallenge(err, scope) },
        body: { error: err.code, error_description: safeDescription(err.description) },
      };
    }
  };
}
