import type { FastifyRequest } from 'fastify';
import type { App } from '../compose.js';
import type { User } from '../core/ports.js';
import { type Permission, userPermissions } from '../core/users/permissions.js';

/** Who is calling Latchkey's own API, and with which rights. */
export interface Principal {
  user: User;
  /** The user's permissions, narrowed by the token's scopes when a token was used. */
  permissions: Set<Permission>;
  via: 'basic' | 'session' | 'bearer' | 'oauth1' | 'pat';
  clientKey?: string;
  scopes?: string[];
  /** The personal access token used, when via is "pat". */
  patId?: string;
  /** Session id (for CSRF checks), when via is "session". */
  sessionId?: string;
}

/** The outcome of one authentication scheme. */
export type Resolution =
  | { kind: 'none' }
  | { kind: 'ok'; principal: Principal }
  | { kind: 'invalid'; status: 400 | 401 | 403 | 429; challenge: string; error: string; description: string; retryAfter?: number };

export type PrincipalResolver = (req: FastifyRequest) => Promise<Resolution>;

/** Scopes a token may carry to reach Latchkey's API; documented in the README. */
export const API_SCOPES = {
  /** Read the signed-in user's profile (GET /api/me). */
  profile: 'profile',
  /** Use the admin API within the user's own permissions. */
  admin: 'latchkey:admin',
} as const;

/** Permissions a token may exercise: only with the admin scope, and never more than its user's. */
export function permissionsForToken(user: User, scopes: string[]): Set<Permission> {
  return scopes.includes(API_SCOPES.admin) ? userPermissions(user) : new Set();
}

/**
 * HTTP Basic with a user's own credentials, for scripts (RFC 7617). The one password check counts
 * its guesses with the form and the password grant, and remembers a verified password briefly so
 * repeated calls do not pay argon2 each time.
 */
export function basicResolver(app: App): PrincipalResolver {
  return async (req) => {
    const header = req.headers.authorization;
    if (!header || !/^basic /i.test(header)) return { kind: 'none' };
    const challenge = 'Basic realm="latchkey", charset="UTF-8"';
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'invalid', status: 401, challenge, error: 'invalid_credentials', description: 'malformed Basic credentials' };
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const outcome = await app.passwords.check({ username, password, channel: 'basic', source: req.ip });
    if (outcome.kind === 'locked') {
      return {
        kind: 'invalid',
        status: 429,
        challenge,
        error: 'too_many_attempts',
        description: 'too many failed sign-ins; try again later',
        retryAfter: outcome.retryAfterSeconds,
      };
    }
    if (outcome.kind === 'wrong') {
      return { kind: 'invalid', status: 401, challenge, error: 'invalid_credentials', description: 'wrong username or password, or the user is disabled' };
    }
    const { user } = outcome;
    return { kind: 'ok', principal: { user, permissions: userPermissions(user), via: 'basic' } };
  };
}
