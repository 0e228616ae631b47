import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.js';

const bytesFrom = (values: number[]) => {
  let i = 0;
  return { bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => values[i++ % values.length] ?? 0)) };
};

describe('device user codes (RFC 8628 §6.1)', () => {
  it('uses no vowels and no look-alike characters', () => {
    for (const ch of 'AEIOUY01') assert.ok(!USER_CODE_ALPHABET.includes(ch), ch);
    assert.equal(new Set(USER_CODE_ALPHABET).size, 20);
  });

  it('draws eight characters from the alphabet, shown as XXXX-XXXX', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }), (values) => {
        const code = generateUserCode(bytesFrom(values.some((v) => v < 240) ? values : [...values, 1]));
        assert.equal(code.length, 8);
        for (const ch of code) assert.ok(USER_CODE_ALPHABET.includes(ch));
        assert.match(formatUserCode(code), /^[A-Z]{4}-[A-Z]{4}$/);
      }),
    );
  });

  it('rejects biased bytes (rejection sampling)', () => {
    // 240..255 would favour the first 16 characters; they are skipped.
    assert.equal(generateUserCode(bytesFrom([250, 0])), 'BBBBBBBB');
  });

  it('reads what users type: upper or lower case, dashes and spaces ignored', () => {
    assert.equal(normalizeUserCode('bcdf-ghjk'), 'BCDFGHJK');
    assert.equal(normalizeUserCode(' BCDF GHJK '), 'BCDFGHJK');
    assert.equal(normalizeUserCode('bcdfghjk'), 'BCDFGHJK');
    assert.equal(normalizeUserCode('BCDF-GHJ'), null);
    assert.equal(normalizeUserCode('ABCD-EFGH'), null);
    assert.equal(normalizeUserCode('x'.repeat(100)), null);
  });
});
