import { type KeyObject, sign } from 'node:crypto';
import type { SigningAlg } from './signing-keys.js';

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * RFC 7515 §7.1 compact serialization of a JWS over a JSON payload, signed with node:crypto
 * directly: about four times cheaper than jose's WebCrypto path for ES256 (measured by the
 * benchmark), and the signing key is already a KeyObject. ES256 signatures are R || S (RFC 7518
 * §3.4), hence the IEEE P1363 encoding; RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (§3.3).
 */
export function signCompact(alg: SigningAlg, key: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64url(JSON.stringify({ ...header, alg }))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}
