import type { Random } from '../ports.js';

/**
 * RFC 8628 §6.1: user codes from 20 consonants — no vowels (no words), no look-alikes such as
 * 0/O or 1/I — eight characters shown as XXXX-XXXX: 20^8 ≈ 2^34.6 codes, enough with the guess
 * throttling at /device and a lifetime of minutes.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

export function generateUserCode(random: Random): string {
  let out = '';
  const n = USER_CODE_ALPHABET.length;
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % n);
  while (out.length < USER_CODE_LENGTH) {
    for (const b of random.bytes(USER_CODE_LENGTH * 2)) {
      if (b < limit && out.length < USER_CODE_LENGTH) out += USER_CODE_ALPHABET[b % n];
    }
  }
  return out;
}

/** Display form: XXXX-XXXX. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What the user typed, case-insensitive, dashes and spaces ignored (RFC 8628 §6.1). Returns
 * null when it cannot be a user code at all.
 */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 40) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return code;
}
