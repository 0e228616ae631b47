import { signingKey } from './hmac.js';

/**
 * RFC 5849 §3.4.4: the signature is the signing key itself. It must only travel over TLS, which
 * the caller enforces (see `secureTransport` in the request).
 */
export function plaintextSignature(clientSecret: string, tokenSecret: string): string {
  return signingKey(clientSecret, tokenSecret);
}
