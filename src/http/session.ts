import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../compose.js';
import { constantTimeEqual, sha256Hex } from '../core/crypto/constant-time.js';
import { randomToken } from '../core/crypto/random.js';
import type { User } from '../core/ports.js';
import type { StoredSession } from '../core/sessions/ports.js';
import { userPermissions } from '../core/users/permissions.js';
import { html, type Raw } from './html.js';
import { localTarget, publicPath } from './local-redirect.js';
import type { PrincipalResolver } from './principal.js';

export const SESSION_COOKIE = 'latchkey_session';
/** A browser session without "Stay signed in" ends after this long even if the browser stays open. */
const SHORT_SESSION_MS = 12 * 3600_000;

export interface SignInSession {
  id: string;
  sid: string;
  user: User;
  authTime: number;
  csrfToken: string;
  expiresAt: number;
}

/** Minimal view of what the session helpers need from the HTTP context. */
interface HasApp {
  app: App;
}

const cache = new WeakMap<FastifyRequest, Promise<SignInSession | null>>();

/** The signed-in session of this request, if any (enabled users only). Looked up once per request. */
export function currentSession(ctx: HasApp, req: FastifyRequest): Promise<SignInSession | null> {
  let found = cache.get(req);
  if (!found) {
    found = lookup(ctx.app, req);
    cache.set(req, found);
  }
  return found;
}

async function lookup(app: App, req: FastifyRequest): Promise<SignInSession | null> {
  const raw = req.cookies?.[SESSION_COOKIE];
  if (!raw || raw.length > 200) return null;
  const stored = await app.stores.sessions.get(sha256Hex(raw), app.clock.now());
  if (!stored) return null;
  const user = await app.stores.users.get(stored.userId);
  if (!user?.enabled) return null;
  return { id: raw, sid: stored.sid, user, authTime: stored.authTime, csrfToken: stored.csrfToken, expiresAt: stored.expiresAt };
}

/** Where to send the browser after sign-in: return_to resolved against the issuer (localTarget). */
export function safeReturnTo(issuer: string, value: unknown): string {
  return localTarget(issuer, value);
}

/** The sign-in page, coming back afterwards to `returnTo` (a path of this server, e.g. req.url). */
export function loginUrl(issuer: string, returnTo: string, extra: Record<string, string> = {}): string {
  const back = localTarget(issuer, publicPath(issuer, returnTo));
  return `${publicPath(issuer, '/login')}?${new URLSearchParams({ return_to: back, ...extra }).toString()}`;
}

/** The session, or null after redirecting the browser to /login (which comes back to returnTo). */
export async function requireSession(ctx: HasApp, req: FastifyRequest, reply: FastifyReply, returnTo: string): Promise<SignInSession | null> {
  const session = await currentSession(ctx, req);
  if (session) return session;
  void reply.redirect(loginUrl(ctx.app.config.issuer, returnTo), 303);
  return null;
}

export function csrfInput(session: { csrfToken: string }): Raw {
  return html`<input type="hidden" name="csrf_token" value="${session.csrfToken}">`;
}

export function checkCsrf(session: { csrfToken: string }, value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && constantTimeEqual(value, session.csrfToken);
}

function cookieOptions(app: App, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: app.config.issuer.startsWith('https:'),
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

/** Starts a session after a successful sign-in and sets its cookie. `sid` continues an earlier session. */
export async function startSession(app: App, reply: FastifyReply, user: User, persistent: boolean, sid?: string): Promise<StoredSession> {
  const now = app.clock.now();
  const id = randomToken(app.random, 256);
  const ttl = persistent ? app.config.sessionTtl * 1000 : SHORT_SESSION_MS;
  const stored: StoredSession = {
    idHash: sha256Hex(id),
    sid: sid ?? randomToken(app.random, 128),
    userId: user.id,
    csrfToken: randomToken(app.random, 128),
    authTime: now,
    createdAt: now,
    expiresAt: now + ttl,
    persistent,
  };
  await app.stores.sessions.create(stored);
  await app.stores.users.touchSignIn(user.id, now);
  void reply.setCookie(SESSION_COOKIE, id, cookieOptions(app, persistent ? Math.floor(ttl / 1000) : undefined));
  return stored;
}

/**
 * A new sign-in in a browser that has a session replaces it. The same user re-authenticating keeps
 * the session's sid (one OP session for OIDC, so its clients can still be told when it ends);
 * another user ends the previous one. Returns the sid to continue, if any.
 */
export async function replaceSession(app: App, previous: SignInSession | null, user: User): Promise<string | undefined> {
  if (!previous) return undefined;
  await app.stores.sessions.delete(sha256Hex(previous.id));
  if (previous.user.id === user.id) return previous.sid;
  for (const hook of app.hooks.sessionEnded) await hook({ sid: previous.sid, userId: previous.user.id });
  return undefined;
}

/**
 * The browser's session goes on in a fresh one with the same sid and persistence (after the
 * user's password changed, which ended every other session).
 */
export async function renewSession(app: App, req: FastifyRequest, reply: FastifyReply, session: SignInSession, user: User): Promise<void> {
  const stored = await app.stores.sessions.get(sha256Hex(req.cookies[SESSION_COOKIE] ?? ''), app.clock.now());
  await app.stores.sessions.delete(sha256Hex(session.id));
  await startSession(app, reply, user, stored?.persistent ?? false, session.sid);
}

export async function endSession(app: App, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const raw = req.cookies?.[SESSION_COOKIE];
  if (raw) {
    const stored = await app.stores.sessions.get(sha256Hex(raw), app.clock.now());
    await app.stores.sessions.delete(sha256Hex(raw));
    // Clients of the session are told (OIDC Back-Channel Logout); the hooks do not wait for them.
    if (stored) for (const hook of app.hooks.sessionEnded) await hook({ sid: stored.sid, userId: stored.userId });
  }
  void reply.clearCookie(SESSION_COOKIE, cookieOptions(app));
}

/**
 * Cookie sessions for Latchkey's API (the console). Unsafe methods must carry the session's CSRF
 * token in X-CSRF-Token, so another site cannot drive the API with the user's cookie.
 */
export function sessionResolver(ctx: HasApp): PrincipalResolver {
  return async (req) => {
    if (!req.cookies?.[SESSION_COOKIE] || req.headers.authorization) return { kind: 'none' };
    const session = await currentSession(ctx, req);
    if (!session) return { kind: 'none' };
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !checkCsrf(session, req.headers['x-csrf-token'])) {
      return { kind: 'invalid', status: 403, challenge: 'Session', error: 'csrf_failed', description: 'missing or wrong X-CSRF-Token header' };
    }
    return {
      kind: 'ok',
      principal: { user: session.user, permissions: userPermissions(session.user), via: 'session', sessionId: session.sid },
    };
  };
}
