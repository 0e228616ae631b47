import { sha256Hex } from '../crypto/constant-time.js';
import type { Clock, Random, ThrottleStore, User, UserStore } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';

/** Every way a password reaches Latchkey. A later channel adds its name here and calls `check`. */
export type PasswordChannel = 'login' | 'password_grant' | 'basic' | 'account';

export interface PasswordAttempt {
  username: string;
  password: string;
  channel: PasswordChannel;
  /** Source address of the request. */
  source: string;
  /** The browser's device cookie, on channels that have one (the form, My account). */
  device?: string | undefined;
  /** The client the password came through (password grant). */
  clientKey?: string;
}

export type PasswordOutcome =
  /** `device`: a fresh device cookie for this browser (OWASP: issued on every success). */
  | { kind: 'ok'; user: User; device: string }
  /** Wrong password, unknown or disabled user: one answer for all three. */
  | { kind: 'wrong' }
  /** Too many failures: no password was checked. */
  | { kind: 'locked'; retryAfterSeconds: number };

export interface PasswordCheck {
  check(attempt: PasswordAttempt): Promise<PasswordOutcome>;
}

export interface PasswordCheckSettings {
  /** Failures per username from untrusted sources, and per device cookie, within the window. */
  limit: number;
  windowMs: number;
}

/** A source address may fail this many times the per-username limit (many users behind one NAT). */
export const ADDRESS_FACTOR = 4;
/** How long a browser stays trusted after its last successful sign-in. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 3600;
const DEVICE_CONTEXT = 'device-cookie';
const DEVICE_MAX_LENGTH = 400;
/** Verified Basic credentials are remembered this long (by the hash they matched), sparing argon2. */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 1000;

/**
 * Who a username and password prove, or null (wrong password, unknown or disabled user). Local
 * passwords (`localPasswords`) or, in front of them, the directories (`directoryPasswords`).
 */
export type PasswordIdentify = (username: string, password: string) => Promise<User | null>;

/** Internal users' passwords; an unknown user costs the same work (`verify` with no hash). */
export function localPasswords(d: {
  users: Pick<UserStore, 'findByUsername'>;
  verify(storedHash: string | null, password: string): Promise<boolean>;
}): PasswordIdentify {
  return async (username, password) => {
    const user = await d.users.findByUsername(username);
    const ok = await d.verify(user?.passwordHash ?? null, password);
    return ok && user?.enabled === true ? user : null;
  };
}

export interface PasswordCheckDeps {
  /** Reads the user of a remembered Basic match. */
  users: Pick<UserStore, 'findByUsername'>;
  identify: PasswordIdentify;
  throttle: Pick<ThrottleStore, 'count' | 'hit'>;
  clock: Clock;
  random: Random;
  /** Keyed MACs (the secret box's), for device cookies. */
  macs: { mac(value: string, context: string): string; verifyMac(value: string, context: string, mac: string): boolean };
  events: SecurityEventSink;
  settings: PasswordCheckSettings;
  /**
   * The name attempts count against: `ann`, `CORP\ann` and `ann@corp` are one name, so that
   * spelling it three ways does not triple the guesses (username.ts). Absent: lower-cased input.
   */
  throttleName?(username: string): Promise<string>;
}

/**
 * The one password check: form sign-in, password grant, HTTP Basic and My account's current
 * password. It owns the throttle keys, the window, the dummy work for unknown users (in `verify`),
 * the audit and the metrics (through `events`).
 *
 * Lock-outs follow OWASP's device-cookie scheme ("Slow Down Online Guessing Attacks with Device
 * Cookies"): a browser that signed in as a user before carries a cookie naming that user, signed by
 * the server; its attempts count against that cookie alone, so guesses from elsewhere cannot lock
 * the user out of their own browser. Every other attempt (no cookie, a cookie for another user,
 * Basic, the password grant) is untrusted and counts per username and per source address.
 *
 * Parallel guesses cannot all pass one read of the counters: on each instance, no more checks of
 * one counter run at once than the failures it has left (`Slots`); the others wait for them to be
 * recorded, then read the counter again. Across instances a burst can exceed the limit by at most
 * the limit per further instance. Successes write nothing.
 */
export function passwordCheck(d: PasswordCheckDeps): PasswordCheck {
  const windowMs = d.settings.windowMs;
  const retryAfterSeconds = Math.ceil(windowMs / 1000);
  const remembered = new Map<string, { hash: string; until: number }>();
  const slots = new Slots();

  const deviceNonce = (cookie: string | undefined, name: string): string | null => {
    if (!cookie || cookie.length > DEVICE_MAX_LENGTH) return null;
    const [version, nonce, mac, ...rest] = cookie.split('.');
    if (version !== 'v1' || !nonce || !mac || rest.length > 0) return null;
    return d.macs.verifyMac(`${name}\u0000${nonce}`, DEVICE_CONTEXT, mac) ? nonce : null;
  };
  const newDevice = (name: string): string => {
    const nonce = d.random.bytes(16).toString('base64url');
    return `v1.${nonce}.${d.macs.mac(`${name}\u0000${nonce}`, DEVICE_CONTEXT)}`;
  };

  return {
    async check(a) {
      const now = d.clock.now();
      const name = a.username.toLowerCase();
      const nonce = deviceNonce(a.device, name);
      const counted = d.throttleName ? (await d.throttleName(a.username)).toLowerCase() : name;
      const keys = nonce !== null ? [`login:device:${sha256Hex(nonce)}`] : [`login:user:${counted}`, `login:ip:${a.source}`];
      const limits = nonce !== null ? [d.settings.limit] : [d.settings.limit, d.settings.limit * ADDRESS_FACTOR];
      const locked = async () => {
        await d.events({ kind: 'rate_limited', user: a.username.slice(0, 200), source: a.source, details: { endpoint: 'signin', channel: a.channel } });
        return { kind: 'locked', retryAfterSeconds } as const;
      };

      // Basic scripts call often with the same credentials: a remembered match costs a read, no argon2.
      const rememberKey = a.channel === 'basic' ? sha256Hex(`${name}\u0000${a.password}`) : null;
      const known = rememberKey !== null ? remembered.get(rememberKey) : undefined;
      if (known && known.until > now) {
        const counts = await Promise.all(keys.map((k) => d.throttle.count(k, now, windowMs)));
        if (counts.some((n, i) => n >= (limits[i] as number))) return locked();
        const user = await d.users.findByUsername(a.username);
        if (user?.enabled && user.passwordHash === known.hash) return { kind: 'ok', user, device: newDevice(name) };
      }

      // Wait for a slot on every counter, each time reading the counters again: a wait may end
      // with the failures that lock this attempt out.
      for (;;) {
        const epoch = slots.epoch;
        const counts = await Promise.all(keys.map((k) => d.throttle.count(k, now, windowMs)));
        if (counts.some((n, i) => n >= (limits[i] as number))) return locked();
        // A check that ended while the counters were read may have added a failure the read missed.
        if (slots.epoch !== epoch) continue;
        const full = slots.full(keys, counts, limits);
        if (full === null) break;
        await slots.released(full);
      }
      slots.take(keys);
      let user: User | null = null;
      try {
        user = await d.identify(a.username, a.password);
        if (!user) await Promise.all(keys.map((k) => d.throttle.hit(k, now, windowMs)));
      } finally {
        slots.give(keys);
      }
      if (!user) {
        await d.events({
          kind: 'signin_failed',
          user: a.username.slice(0, 200),
          source: a.source,
          ...(a.clientKey !== undefined ? { clientKey: a.clientKey } : {}),
          details: { channel: a.channel, ...(nonce !== null ? { trusted_device: true } : {}) },
        });
        return { kind: 'wrong' };
      }
      // Earlier failures stay until the window ends: a script that succeeds now and then does not
      // reopen guessing.
      if (rememberKey !== null && user.passwordHash) {
        if (remembered.size >= REMEMBER_MAX) remembered.clear();
        remembered.set(rememberKey, { hash: user.passwordHash, until: now + REMEMBER_MS });
      }
      return { kind: 'ok', user, device: newDevice(name) };
    },
  };
}

/** Checks in progress per counter on this instance, and who waits for one of them to end. */
class Slots {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Increases whenever a check ends, so a read of the counters can tell it may be stale. */
  epoch = 0;

  /** The first counter whose failures so far plus checks in progress reach its limit, or null. */
  full(keys: readonly string[], counts: readonly number[], limits: readonly number[]): string | null {
    for (const [i, key] of keys.entries()) {
      if ((counts[i] as number) + (this.running.get(key) ?? 0) >= (limits[i] as number)) return key;
    }
    return null;
  }

  released(key: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiting.get(key);
      if (list) list.push(resolve);
      else this.waiting.set(key, [resolve]);
    });
  }

  take(keys: readonly string[]): void {
    for (const key of keys) this.running.set(key, (this.running.get(key) ?? 0) + 1);
  }

  give(keys: readonly string[]): void {
    this.epoch++;
    for (const key of keys) {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
      const list = this.waiting.get(key);
      if (list) {
        this.waiting.delete(key);
        for (const wake of list) wake();
      }
    }
  }
}
