import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ThrottleStore } from '../ports.js';
import { T0 } from '../testing/builders.js';
import { CountingRandom, FakeClock } from '../testing/fakes.js';
import { passwordCheck } from './password.js';
import { parseSignInName } from './username.js';

function memoryThrottle(): Pick<ThrottleStore, 'count' | 'hit'> & { keys: Map<string, number> } {
  const keys = new Map<string, number>();
  return {
    keys,
    count: async (key) => keys.get(key) ?? 0,
    hit: async (key, _now, _window, by = 1) => {
      const n = (keys.get(key) ?? 0) + by;
      keys.set(key, n);
      return n;
    },
  };
}

function setup(throttleName?: (name: string) => Promise<string>) {
  const throttle = memoryThrottle();
  const check = passwordCheck({
    users: { findByUsername: async () => undefined },
    identify: async () => null,
    throttle,
    clock: new FakeClock(T0),
    random: new CountingRandom(),
    macs: { mac: () => 'm', verifyMac: () => false },
    events: async () => {},
    settings: { limit: 3, windowMs: 900_000 },
    ...(throttleName ? { throttleName } : {}),
  });
  // Each attempt from its own address, so only the per-name counter can lock.
  let n = 0;
  const attempt = (username: string) => check.check({ username, password: 'guess', channel: 'login', source: `192.0.2.${++n}` });
  return { throttle, attempt };
}

describe('the password check’s throttle', () => {
  it('counts ann, CORP\\ann and ann@corp as one name when a directory has the domain corp', async () => {
    const s = setup(async (name) => parseSignInName(name, ['corp']).username);
    for (const name of ['ann', 'CORP\\ann', 'ann@corp']) assert.equal((await s.attempt(name)).kind, 'wrong', name);
    for (const name of ['ann', 'corp\\ANN', 'Ann@Corp']) assert.equal((await s.attempt(name)).kind, 'locked', name);
    assert.deepEqual(
      [...s.throttle.keys.keys()].filter((k) => k.startsWith('login:user:')),
      ['login:user:ann'],
    );
  });

  it('keeps a name whose @ part is no known domain as it is', async () => {
    const s = setup(async (name) => parseSignInName(name, ['corp']).username);
    for (const name of ['ann@example.com', 'ann@example.com', 'ann@example.com']) await s.attempt(name);
    assert.equal((await s.attempt('ann')).kind, 'wrong', 'another name');
    assert.equal((await s.attempt('ann@example.com')).kind, 'locked');
  });

  it('without a canonical form, counts the name as typed (lower-cased)', async () => {
    const s = setup();
    for (const name of ['Bob', 'BOB', 'bob']) await s.attempt(name);
    assert.equal((await s.attempt('bob')).kind, 'locked');
    assert.equal((await s.attempt('corp\\bob')).kind, 'wrong');
  });
});
