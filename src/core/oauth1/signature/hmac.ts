import { createHmac } from 'node:crypto';
import { percentEncode } from './base-string.js';

/** RFC 5849 §3.4.2 (and §3.4.4): the key is encode(client secret) "&" encode(token secret), "&" always present. */
export function signingKey(clientSecret: string, tokenSecret: string): string {
  return `${percentEncode(clientSecret)}&${percentEncode(tokenSecret)}`;
}

export type HmacHash = 'sha1' | 'sha256';

/** RFC 5849 §3.4.2 HMAC-SHA1; HMAC-SHA256 is the same construction with SHA-256. Base64 digest. */
export function hmacSignature(hash: HmacHash, baseString: string, clientSecret: string, tokenSecret: string): string {
  return createHmac(hash, signingKey(clientSecret, tokenSecret)).update(baseString, 'utf8').digest('base64');
}
