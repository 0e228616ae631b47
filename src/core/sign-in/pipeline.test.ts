import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { User } from '../ports.js';
import { aUser } from '../testing/builders.js';
import { firstFactorOnly, internalUsers, passwordMethod } from './local.js';
import type { PasswordAttempt, PasswordCheck, PasswordOutcome } from './password.js';
import { signInPipeline } from './pipeline.js';

function passwords(outcome: PasswordOutcome, seen: PasswordAttempt[] = []): PasswordCheck {
  return {
    async check(attempt) {
      seen.push(attempt);
      return outcome;
    },
  };
}

function usersOf(...list: User[]) {
  return { get: async (id: string) => list.find((u) => u.id === id) };
}

const alice = aUser().build();
const attempt = { username: alice.username, password: 'pw', source: '192.0.2.1', device: undefined };

describe('sign-in pipeline', () => {
  it('signs in with a password on the login channel and reports amr pwd (RFC 8176)', async () => {
    const seen: PasswordAttempt[] = [];
    const signIn = signInPipeline({
      methods: { password: passwordMethod(passwords({ kind: 'ok', user: alice, device: 'v1.d' }, seen)) },
      users: internalUsers(usersOf(alice)),
      secondFactor: firstFactorOnly,
    });
    const outcome = await signIn.run('password', attempt);
    assert.deepEqual(outcome, { kind: 'signed-in', user: alice, device: 'v1.d', amr: ['pwd'] });
    assert.equal(seen[0]?.channel, 'login');
  });

  it('keeps out a user disabled after the password matched', async () => {
    const disabled = aUser().disabled().build();
    const signIn = signInPipeline({
      methods: { password: passwordMethod(passwords({ kind: 'ok', user: { ...disabled, enabled: true }, device: 'v1.d' })) },
      users: internalUsers(usersOf(disabled)),
      secondFactor: firstFactorOnly,
    });
    assert.deepEqual(await signIn.run('password', attempt), { kind: 'wrong' });
  });

  it('passes wrong and locked through without asking the mapping or the second factor', async () => {
    const untouched = {
      userFor: async () => assert.fail('the mapping must not run'),
    };
    const second = { after: async () => assert.fail('the second factor must not run') };
    for (const outcome of [{ kind: 'wrong' }, { kind: 'locked', retryAfterSeconds: 900 }] as const) {
      const signIn = signInPipeline({ methods: { password: passwordMethod(passwords(outcome)) }, users: untouched, secondFactor: second });
      assert.deepEqual(await signIn.run('password', attempt), outcome);
    }
  });

  it('lets the second-factor step decide the methods reported', async () => {
    const signIn = signInPipeline({
      methods: { password: passwordMethod(passwords({ kind: 'ok', user: alice, device: 'v1.d' })) },
      users: internalUsers(usersOf(alice)),
      secondFactor: { after: async () => ({ kind: 'done', amr: [] }) },
    });
    const outcome = await signIn.run('password', attempt);
    assert.equal(outcome.kind, 'signed-in');
    assert.deepEqual(outcome.kind === 'signed-in' ? outcome.amr : null, []);
  });
});
