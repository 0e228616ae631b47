import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

const cache = new Map<string, KeyObject | null>();
const CACHE_LIMIT = 500;

/** The consumer's registered PEM public key, parsed once (null when it is not an RSA public key). */
export function rsaPublicKey(pem: string): KeyObject | null {
  const hit = cache.get(pem);
  if (hit !== undefined) return hit;
  let key: KeyObject | null = null;
  try {
    const k = createPublicKey({ key: pem, format: 'pem' });
    key = k.asymmetricKeyType === 'rsa' ? k : null;
  } catch {
    key = null;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pem, key);
  return key;
}

let dummy: KeyObject | undefined;

/** A throwaway public key, so an unknown consumer costs the same RSA verification as a known one. */
export function dummyRsaPublicKey(): KeyObject {
  dummy ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  return dummy;
}

/** RFC 5849 §3.4.3: RSASSA-PKCS1-v1_5 with SHA-1 over the base string; the signature is base64. */
export function rsaSha1Verify(baseString: string, signature: string, key: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(signature)) return false;
  try {
    return verify('sha1', Buffer.from(baseString, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Signs like an RSA-SHA1 client would (used by tests and tools). */
export function rsaSha1Sign(baseString: string, privateKeyPem: string): string {
  return sign('sha1', Buffer.from(baseString, 'utf8'), privateKeyPem).toString('base64');
}
