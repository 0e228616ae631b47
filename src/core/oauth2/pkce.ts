import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../crypto/constant-time.js';
import { InvalidGrant, InvalidRequest } from './errors.js';

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. The challenge has the same shape. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Only S256 is accepted: `plain` offers no protection when the request leaks (RFC 9700 §2.1.1). */
export const CODE_CHALLENGE_METHODS = ['S256'] as const;

export interface PkceChallenge {
  challenge: string;
  method: 'S256';
}

/**
 * Checks the authorization request's PKCE parameters (RFC 7636 §4.3). Returns the challenge to
 * bind to the code, or null when none was sent and none is required.
 */
export function readChallenge(challenge: string | undefined, method: string | undefined, required: boolean): PkceChallenge | null {
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without code_challenge');
    if (required) throw new InvalidRequest('this client must use PKCE: send code_challenge with code_challenge_method=S256 (RFC 7636)');
    return null;
  }
  // RFC 7636 §4.3 defaults the method to plain, which is refused.
  if (method === undefined || method === 'plain') {
    throw new InvalidRequest('code_challenge_method must be S256 (plain is not accepted)');
  }
  if (method !== 'S256') throw new InvalidRequest(`code_challenge_method "${method.slice(0, 40)}" is not supported; use S256`);
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    throw new InvalidRequest('code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
  }
  return { challenge, method: 'S256' };
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** RFC 7636 §4.6: the token request's verifier must match the code's challenge. */
export function checkVerifier(bound: PkceChallenge | null, verifier: string | undefined): void {
  if (bound === null) {
    if (verifier !== undefined) throw new InvalidGrant('code_verifier was sent but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required: the authorization request used PKCE');
  if (!VERIFIER.test(verifier)) throw new InvalidGrant('code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~');
  if (!constantTimeEqual(s256(verifier), bound.challenge)) throw new InvalidGrant('code_verifier does not match the code_challenge');
}
