import type { Client } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { randomToken } from '../../crypto/random.js';
import type { User } from '../../ports.js';
import type { OAuth1Deps } from '../deps.js';
import type { TemporaryCredential } from '../storage.js';

/** Why an authorization page cannot go on; shown to the user, never redirected (the callback is unverified). */
export interface AuthorizeFailure {
  kind: 'failure';
  title: string;
  message: string;
}

export interface PendingAuthorization {
  kind: 'pending';
  temporary: TemporaryCredential;
  client: Client;
}

/**
 * GET /oauth1/authorize?oauth_token=… (RFC 5849 §2.2): the temporary credentials must exist, be
 * unexpired, not yet authorized or used, and belong to an approved consumer.
 */
export async function pendingAuthorization(d: OAuth1Deps, oauthToken: unknown): Promise<PendingAuthorization | AuthorizeFailure> {
  if (typeof oauthToken !== 'string' || oauthToken === '' || oauthToken.length > 200) {
    return { kind: 'failure', title: 'Missing request', message: 'This page needs the oauth_token parameter given by the application.' };
  }
  const temporary = await d.temporaries.get(sha256Hex(oauthToken));
  const now = d.clock.now();
  if (!temporary || temporary.expiresAt <= now || temporary.usedAt !== null) {
    return { kind: 'failure', title: 'Request expired', message: 'This authorization request is unknown or has expired. Start again from the application.' };
  }
  if (temporary.userId !== null) {
    return { kind: 'failure', title: 'Already answered', message: 'This authorization request was already answered. Start again from the application.' };
  }
  const client = await d.clients.get(temporary.clientKey);
  if (client?.type !== 'oauth1' || client.status !== 'approved') {
    return { kind: 'failure', title: 'Application not available', message: 'This application is not approved by the administrator.' };
  }
  return { kind: 'pending', temporary, client };
}

export type Decision =
  | { kind: 'redirect'; location: string; client: Client }
  | { kind: 'oob'; verifier: string; client: Client }
  | { kind: 'denied'; location: string | null; client: Client }
  | AuthorizeFailure;

/** Appends parameters to a callback, after any query it has (§2.2). */
export function appendToCallback(callback: string, params: Record<string, string>): string {
  const hash = callback.indexOf('#');
  const base = hash >= 0 ? callback.slice(0, hash) : callback;
  const query = new URLSearchParams(params).toString();
  return `${base}${base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?'}${query}`;
}

/**
 * The user's answer. Allow records the user and a fresh verifier atomically (a second answer
 * loses) and sends the user to the callback with oauth_token and oauth_verifier, or shows the
 * verifier for "oob". Deny discards the temporary credentials.
 */
export async function decideAuthorization(d: OAuth1Deps, oauthToken: unknown, user: User, allow: boolean): Promise<Decision> {
  const pending = await pendingAuthorization(d, oauthToken);
  if (pending.kind === 'failure') return pending;
  const { temporary, client } = pending;
  const token = oauthToken as string;
  if (!allow) {
    await d.temporaries.remove(temporary.tokenHash);
    const location = temporary.callback === 'oob' ? null : appendToCallback(temporary.callback, { oauth_token: token, oauth_problem: 'user_refused' });
    return { kind: 'denied', location, client };
  }
  const verifier = randomToken(d.random, 128);
  if (!(await d.temporaries.authorize(temporary.tokenHash, user.id, sha256Hex(verifier), d.clock.now()))) {
    return { kind: 'failure', title: 'Already answered', message: 'This authorization request was already answered or has expired.' };
  }
  if (temporary.callback === 'oob') return { kind: 'oob', verifier, client };
  return { kind: 'redirect', location: appendToCallback(temporary.callback, { oauth_token: token, oauth_verifier: verifier }), client };
}
