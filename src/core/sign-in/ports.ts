/**
 * The sign-in port: how a person becomes a signed-in user. A sign-in runs a first-factor method,
 * maps the identity it proved to a Latchkey user, then asks the second-factor step whether more is
 * needed. Routes translate a form or a callback into a method's input and the outcome into a
 * session; they decide nothing.
 *
 * Where later sign-in methods go: a directory, a SAML identity provider or an upstream OpenID
 * Provider is a `FirstFactorMethod` (one file each in this folder) that proves an identity;
 * `UserMapping` turns that identity into a user (creating or linking external users); a second
 * factor is a `SecondFactorStep`.
 */
import type { User } from '../ports.js';

/** Authentication method references (RFC 8176 §2) of the factors used. */
export type AuthenticationMethod = 'pwd';

/** What a first factor proved: here a Latchkey user the method resolved itself (local password). */
export interface Identity {
  user: User;
  amr: readonly AuthenticationMethod[];
}

export type FirstFactorOutcome =
  | { kind: 'identified'; identity: Identity /** A fresh device cookie for this browser. */; device: string }
  /** Wrong credentials, unknown or disabled user: one answer for all. */
  | { kind: 'wrong' }
  /** Too many failures: nothing was checked. */
  | { kind: 'locked'; retryAfterSeconds: number };

/** One way to prove who is signing in. */
export interface FirstFactorMethod<I> {
  readonly name: string;
  authenticate(input: I): Promise<FirstFactorOutcome>;
}

/** Identity → the user to sign in, or null when that identity may not sign in (now). */
export interface UserMapping {
  userFor(identity: Identity): Promise<User | null>;
}

/** After the first factor: whether the user is done, with the methods used so far. */
export type SecondFactorDecision = { kind: 'done'; amr: readonly AuthenticationMethod[] };

export interface SecondFactorStep {
  after(user: User, amr: readonly AuthenticationMethod[]): Promise<SecondFactorDecision>;
}

export type SignInOutcome =
  | { kind: 'signed-in'; user: User; device: string; amr: readonly AuthenticationMethod[] }
  | { kind: 'wrong' }
  | { kind: 'locked'; retryAfterSeconds: number };
