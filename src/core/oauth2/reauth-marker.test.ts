import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { systemRandom } from '../../adapters/system.js';
import { SecretBox } from '../crypto/secret-box.js';
import { markReauth, readReauth } from './reauth-marker.js';

describe('re-authentication marker', () => {
  const keys = new SecretBox(randomBytes(32), systemRandom);

  it('round-trips the time for the client it was made for', () => {
    const m = markReauth(keys, 1_800_000_000_000, 'client-a');
    assert.equal(readReauth(keys, m, 'client-a'), 1_800_000_000_000);
  });

  it('refuses a forged, moved or bare time', () => {
    const m = markReauth(keys, 1_800_000_000_000, 'client-a');
    const mac = m.split('.')[1];
    assert.equal(readReauth(keys, `1000.${mac}`, 'client-a'), null, 'an older time with the same MAC');
    assert.equal(readReauth(keys, m, 'client-b'), null, 'another client');
    assert.equal(readReauth(keys, '1000', 'client-a'), null, 'the unauthenticated form');
    assert.equal(readReauth(keys, undefined, 'client-a'), null);
    assert.equal(readReauth(new SecretBox(randomBytes(32), systemRandom), m, 'client-a'), null, 'another server key');
  });
});
