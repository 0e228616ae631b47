import { createHash } from 'node:crypto';
import type { SigningAlg } from '../tokens/signing-keys.js';

/** The hash function of a JWS algorithm: SHA-256 for both of Latchkey's (RS256, ES256). */
const HASH_OF: Record<SigningAlg, string> = { RS256: 'sha256', ES256: 'sha256' };

/**
 * OIDC Core §3.1.3.6 (at_hash) and §3.3.2.11 (c_hash): base64url of the left-most half of the
 * hash of the ASCII value, using the hash of the ID token's `alg`.
 */
export function leftHalfHash(value: string, alg: SigningAlg): string {
  const digest = createHash(HASH_OF[alg]).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
