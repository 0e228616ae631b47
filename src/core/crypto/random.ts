import { randomBytes } from 'node:crypto';
import type { Random } from '../ports.js';

export const systemRandom: Random = { bytes: (length) => randomBytes(length) };

/** URL-safe random string carrying `bits` bits of entropy (rounded up to whole bytes). */
export function randomToken(random: Random, bits: number): string {
  return random.bytes(Math.ceil(bits / 8)).toString('base64url');
}
