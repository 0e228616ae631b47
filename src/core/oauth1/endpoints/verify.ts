import { isLoopbackHost } from '../../clients/redirect-uri.js';
import type { OAuth1Deps } from '../deps.js';
import { OAuth1Problem, problemChallenge } from '../problems.js';
import type { SignedRequest } from '../request.js';
import { baseStringUri } from '../signature/base-string.js';
import { authenticateResource } from './resource.js';

/** What a resource server sends: the request it received, as it received it. */
export interface VerifyInput {
  method: string;
  /** The full URL the client signed: scheme, host, port, path and query. */
  url: string;
  authorization?: string | undefined;
  /** The raw body, signed only when contentType is application/x-www-form-urlencoded (§3.4.1.3.1). */
  body?: string | undefined;
  contentType?: string | undefined;
  /**
   * Record the nonce here (default true), so a request replayed to the resource server is
   * refused even though it keeps no nonce store. False: check only; the resource server then
   * owns replay protection (and can call again after a network failure).
   */
  consumeNonce?: boolean | undefined;
}

export type VerifyOutcome =
  | {
      valid: true;
      user: { id: string; username: string; display_name: string; email: string | null; roles: string[] };
      consumer: { key: string; name: string };
      nonce_recorded: boolean;
    }
  | {
      valid: false;
      oauth_problem: string;
      /** The status the resource server should answer its client with (§3.2). */
      status: 400 | 401;
      advice: string;
      www_authenticate: string;
      details: Record<string, string | string[]>;
    };

/** The request a resource server received, rebuilt for the checker. Undefined for a URL that is not absolute http(s). */
export function requestFromInput(input: VerifyInput): SignedRequest | undefined {
  const baseUri = baseStringUri(input.url);
  if (baseUri === undefined) return undefined;
  const noFragment = input.url.split('#')[0] ?? '';
  const q = noFragment.indexOf('?');
  const isForm = (input.contentType ?? '').toLowerCase().split(';')[0]?.trim() === 'application/x-www-form-urlencoded';
  let protocol: string;
  let hostname: string;
  try {
    ({ protocol, hostname } = new URL(baseUri));
  } catch {
    return undefined;
  }
  return {
    method: input.method.toUpperCase(),
    baseUri,
    query: q >= 0 ? noFragment.slice(q + 1) : '',
    authorization: input.authorization,
    formBody: isForm ? (input.body ?? '') : null,
    // §3.4.4: PLAINTEXT only if the client reached the resource server over TLS (or on loopback).
    secureTransport: protocol === 'https:' || isLoopbackHost(hostname),
  };
}

/**
 * The verification endpoint's answer: whether the request was validly signed with token
 * credentials of an approved consumer, and for which user. Problems are answers, not errors.
 */
export async function verifyForResourceServer(d: OAuth1Deps, req: SignedRequest, consumeNonce: boolean): Promise<VerifyOutcome> {
  try {
    const access = await authenticateResource(d, req, { recordNonce: consumeNonce });
    const u = access.user;
    return {
      valid: true,
      user: { id: u.id, username: u.username, display_name: u.displayName, email: u.email, roles: u.roles },
      consumer: { key: access.client.key, name: access.client.name },
      nonce_recorded: consumeNonce,
    };
  } catch (err) {
    if (!(err instanceof OAuth1Problem)) throw err;
    const details: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(err.details)) if (k !== 'oauth_problem_advice' && v !== undefined) details[k] = v;
    return {
      valid: false,
      oauth_problem: err.problem,
      status: err.status,
      advice: err.details.oauth_problem_advice ?? err.problem,
      www_authenticate: problemChallenge(err, d.realm),
      details,
    };
  }
}
