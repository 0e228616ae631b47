import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomToken, systemRandom } from './random.js';

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
});
