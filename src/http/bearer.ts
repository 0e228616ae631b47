import type { FastifyReply } from 'fastify';
import type { App } from '../compose.js';
import { bearerChallenge, InsufficientScope, InvalidRequest, InvalidToken, OAuth2Error } from '../core/oauth2/errors.js';
import { authenticateAccessToken } from '../core/oauth2/resource.js';
import { PAT_PREFIX } from '../core/tokens/personal-access-tokens.js';
import { type PrincipalResolver, permissionsForToken } from './principal.js';

/**
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) and the modelled server's
 * `Authorization: Token <token>`, for Latchkey's own API. Failures answer 401 with an RFC 6750
 * §3 challenge. A token never carries more than its user's permissions, narrowed by its scopes.
 * Personal access tokens (`lkpat_…`) are accepted the same way.
 */
export function bearerResolver(app: App): PrincipalResolver {
  return async (req) => {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^(bearer|token)(?:[ ]+(.*))?$/i.exec(header);
    if (!m) return { kind: 'none' };
    const token = (m[2] ?? '').trim();
    try {
      if (token === '' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new InvalidRequest('the Authorization header does not carry a token (RFC 6750 §2.1)');
      if (token.startsWith(PAT_PREFIX)) {
        // A personal access token: unknown, revoked, expired, a bad checksum or a disabled owner
        // all answer the same (RFC 6750 §3.1 invalid_token).
        const use = await app.pats.authenticate(token);
        if (!use) throw new InvalidToken('the token is invalid, revoked or expired');
        return {
          kind: 'ok',
          principal: { user: use.user, permissions: use.permissions, via: 'pat', scopes: [...use.token.scopes], patId: use.token.id },
        };
      }
      const found = await authenticateAccessToken(app.oauth2.deps, token);
      if (!found.user) throw new InvalidToken("this token was issued to a client without a user (client_credentials); Latchkey's API acts for users");
      return {
        kind: 'ok',
        principal: {
          user: found.user,
          permissions: permissionsForToken(found.user, found.scopes),
          via: 'bearer',
          clientKey: found.claims.client_id,
          scopes: found.scopes,
        },
      };
    } catch (err) {
      if (!(err instanceof OAuth2Error)) throw err;
      const status = err instanceof InvalidRequest ? 400 : 401;
      return { kind: 'invalid', status, challenge: bearerChallenge(err), error: err.code, description: err.description };
    }
  };
}

/** RFC 6750 §3.1: 403 insufficient_scope, naming the scope that is needed. */
export function sendInsufficientScope(reply: FastifyReply, scope: string): FastifyReply {
  const err = new InsufficientScope(`this needs a token with the "${scope}" scope`);
  return reply.code(403).header('www-authenticate', bearerChallenge(err, { scope })).send({ error: err.code, message: err.description });
}
