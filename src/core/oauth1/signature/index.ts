import type { KeyObject } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/constant-time.js';
import { isOneOf } from '../../one-of.js';
import { hmacSignature } from './hmac.js';
import { plaintextSignature } from './plaintext.js';
import { dummyRsaPublicKey, rsaSha1Verify } from './rsa.js';

/** Signature methods Latchkey accepts (RFC 5849 §3.4, plus HMAC-SHA256). */
export const SIGNATURE_METHODS = ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

export function isSignatureMethod(value: string): value is SignatureMethod {
  return isOneOf(SIGNATURE_METHODS, value);
}

export interface SignatureInput {
  method: SignatureMethod;
  baseString: string;
  /** The oauth_signature received (decoded). */
  signature: string;
  clientSecret: string;
  tokenSecret: string;
  /** For RSA-SHA1: the consumer's public key; null verifies against a dummy key, so the work is the same. */
  rsaKey: KeyObject | null;
}

/** Recomputes or verifies the signature; comparisons run in constant time. */
export function checkSignature(s: SignatureInput): boolean {
  switch (s.method) {
    case 'HMAC-SHA1':
      return constantTimeEqual(hmacSignature('sha1', s.baseString, s.clientSecret, s.tokenSecret), s.signature);
    case 'HMAC-SHA256':
      return constantTimeEqual(hmacSignature('sha256', s.baseString, s.clientSecret, s.tokenSecret), s.signature);
    case 'PLAINTEXT':
      return constantTimeEqual(plaintextSignature(s.clientSecret, s.tokenSecret), s.signature);
    case 'RSA-SHA1':
      return rsaSha1Verify(s.baseString, s.signature, s.rsaKey ?? dummyRsaPublicKey()) && s.rsaKey !== null;
  }
}
