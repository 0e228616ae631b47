import type { UserStore } from '../ports.js';
import type { PasswordAttempt, PasswordCheck } from './password.js';
import type { FirstFactorMethod, SecondFactorStep, UserMapping } from './ports.js';

/** The password form as a first factor: the one password check, on the sign-in channel. */
export function passwordMethod(passwords: PasswordCheck): FirstFactorMethod<Omit<PasswordAttempt, 'channel'>> {
  return {
    name: 'password',
    async authenticate(input) {
      const outcome = await passwords.check({ ...input, channel: 'login' });
      if (outcome.kind !== 'ok') return outcome;
      return { kind: 'identified', identity: { user: outcome.user, amr: ['pwd'] }, device: outcome.device };
    },
  };
}

/** Internal users: the identity names the user; it is read again, so a user disabled meanwhile stays out. */
export function internalUsers(users: Pick<UserStore, 'get'>): UserMapping {
  return {
    async userFor(identity) {
      const user = await users.get(identity.user.id);
      return user?.enabled ? user : null;
    },
  };
}

/** With no second factor enrolled anywhere, the first factor completes the sign-in. */
export const firstFactorOnly: SecondFactorStep = {
  async after(_user, amr) {
    return { kind: 'done', amr };
  },
};
