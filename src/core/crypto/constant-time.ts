import { hash } from 'node:crypto';

/**
 * Compares two strings without leaking where they differ or how long the expected one is:
 * both sides are hashed first, and the 64 hex digits are compared without an early exit.
 * (One-shot `hash()` to hex is several times cheaper than a Hash object per call.)
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a);
  const hb = hash('sha256', b);
  let diff = 0;
  for (let i = 0; i < ha.length; i++) diff |= ha.charCodeAt(i) ^ hb.charCodeAt(i);
  return diff === 0;
}

/** Lookup key for tokens stored by hash, never raw. */
export function sha256Hex(value: string): string {
  return hash('sha256', value);
}
