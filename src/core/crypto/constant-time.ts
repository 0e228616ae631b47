import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two strings without leaking where they differ or how long the expected one is:
 * both sides are hashed first, so the comparison always runs over 32 bytes.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Lookup key for tokens stored by hash, never raw. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
