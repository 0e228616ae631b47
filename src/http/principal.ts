import type { FastifyRequest } from 'fastify';
import type { App } from '../compose.js';
import { sha256Hex } from '../core/crypto/constant-time.js';
import type { User } from '../core/ports.js';
import { verifyPassword } from '../core/users/password.js';
import { type Permission, permissionsOf } from '../core/users/permissions.js';
import { securityEventsOf } from './routes/hardening.js';

/** Who is calling Latchkey's own API, and with which rights. */
export interface Principal {
  user: User;
  /** The user's permissions, narrowed by the token's scopes when a token was used. */
  permissions: Set<Permission>;
  via: 'basic' | 'session' | 'bearer' | 'oauth1';
  clientKey?: string;
  scopes?: string[];
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
  return scopes.includes(API_SCOPES.admin) ? permissionsOf(user.roles) : new Set();
}

const BASIC_WINDOW_MS = 15 * 60_000;
const BASIC_LIMIT = 10;

/**
 * HTTP Basic with a user's own credentials, for scripts. Rate-limited per source address in the
 * shared throttle store; a verified password is remembered (by the hash it matched) so repeated
 * calls do not pay argon2 each time, and a password change invalidates it.
 */
export function basicResolver(app: App): PrincipalResolver {
  const verified = new Map<string, { hash: string; until: number }>();
  return async (req) => {
    const header = req.headers.authorization;
    if (!header || !/^basic /i.test(header)) return { kind: 'none' };
    const challenge = 'Basic realm="latchkey", charset="UTF-8"';
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'invalid', status: 401, challenge, error: 'invalid_credentials', description: 'malformed Basic credentials' };
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const now = app.clock.now();
    const throttleKey = `admin-basic:${req.ip}`;
    const failures = await app.stores.throttle.count(throttleKey, now, BASIC_WINDOW_MS);
    if (failures >= BASIC_LIMIT) {
      return {
        kind: 'invalid',
        status: 429,
        challenge,
        error: 'too_many_attempts',
        description: 'too many failed sign-ins; try again later',
        retryAfter: BASIC_WINDOW_MS / 1000,
      };
    }
    const user = await app.stores.users.findByUsername(username);
    const cacheKey = sha256Hex(`${username.toLowerCase()}\u0000${password}`);
    const cached = verified.get(cacheKey);
    let ok = false;
    if (user?.passwordHash && cached && cached.hash === user.passwordHash && cached.until > now) ok = true;
    else {
      ok = await verifyPassword(user?.passwordHash ?? null, password);
      if (ok && user?.passwordHash) {
        if (verified.size > 1000) verified.clear();
        verified.set(cacheKey, { hash: user.passwordHash, until: now + 60_000 });
      }
    }
    if (!ok || !user?.enabled) {
      await app.stores.throttle.hit(throttleKey, now, BASIC_WINDOW_MS);
      await securityEventsOf(app)({ kind: 'signin_failed', user: username.slice(0, 200), source: req.ip, details: { channel: 'basic' } });
      return { kind: 'invalid', status: 401, challenge, error: 'invalid_credentials', description: 'wrong username or password, or the user is disabled' };
    }
    return { kind: 'ok', principal: { user, permissions: permissionsOf(user.roles), via: 'basic' } };
  };
}
