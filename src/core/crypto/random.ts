import { randomBytes } from 'node:crypto';
import type { Random } from '../ports.js';

/** Bytes drawn from the CSPRNG at a time; each is handed out once, then wiped from the pool. */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * The operating system's CSPRNG, drawn in blocks: one `randomBytes` call costs a few microseconds
 * whatever its size, and hot paths take 16–32 bytes per token (as node's own randomUUID batches).
 */
export const systemRandom: Random = {
  bytes(length) {
    if (length > POOL_SIZE / 16) return randomBytes(length);
    if (offset + length > pool.length) {
      pool = randomBytes(POOL_SIZE);
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + length));
    pool.fill(0, offset, offset + length);
    offset += length;
    return out;
  },
};

/** URL-safe random string carrying `bits` bits of entropy (rounded up to whole bytes). */
export function randomToken(random: Random, bits: number): string {
  return random.bytes(Math.ceil(bits / 8)).toString('base64url');
}

/**
 * URL-safe random string carrying at least `bits` bits of entropy that never starts with "-", so
 * a command line cannot read it as an option. Each character is a base64url digit of 6 random
 * bits; a leading "-" is mapped to "A", so the first character still carries more than 5.9 bits
 * (128 bits asked: 22 characters, 131.9 bits).
 */
export function randomKey(random: Random, bits: number): string {
  const length = Math.ceil((bits + 1) / 6);
  const digits = random
    .bytes(Math.ceil((length * 6) / 8))
    .toString('base64url')
    .slice(0, length);
  return digits.startsWith('-') ? `A${digits.slice(1)}` : digits;
}
