import type { Random } from '../ports.js';

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
