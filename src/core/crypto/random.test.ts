import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemRandom } from '../../adapters/system.js';
import { randomKey, randomToken } from './random.js';

describe('systemRandom', () => {
  it('hands out bytes of the asked length, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = systemRandom.bytes(16);
      assert.equal(b.length, 16);
      seen.add(b.toString('hex'));
    }
    assert.equal(seen.size, 2000);
    assert.equal(systemRandom.bytes(1000).length, 1000);
    assert.equal(systemRandom.bytes(0).length, 0);
  });

  it('returns buffers the caller owns (a later draw does not change an earlier one)', () => {
    const a = systemRandom.bytes(32);
    const copy = Buffer.from(a);
    for (let i = 0; i < 300; i++) systemRandom.bytes(32);
    assert.deepEqual(a, copy);
    assert.notDeepEqual(a, Buffer.alloc(32));
  });

  it('makes URL-safe tokens of the asked strength', () => {
    assert.match(randomToken(systemRandom, 128), /^[A-Za-z0-9_-]{22}$/);
  });

  it('makes keys that never start with "-" and keep at least the asked entropy', () => {
    // 0xF8 is 111110 in its top bits: base64url "-" (one random draw in 64 started so before).
    const dashFirst = { bytes: (n: number) => Buffer.alloc(n, 0xf8) };
    assert.equal(randomToken(dashFirst, 128)[0], '-');
    const key = randomKey(dashFirst, 128);
    assert.match(key, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    // 22 digits: 21 of 6 bits and a first one of 63 values ("A" twice as likely): 131.9 bits.
    const firsts = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const k = randomKey(systemRandom, 128);
      assert.match(k, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      firsts.add(k[0] ?? '');
    }
    assert.equal(firsts.size, 63, 'every other first digit occurs');
    assert.equal(randomKey(systemRandom, 256).length, 43);
  });
});
