import type { OAuth2Deps } from '../deps.js';
import { InvalidGrant } from '../errors.js';
import { parseScope } from '../params.js';
import { type GrantHandler, newGrantId, wantsRefreshToken } from './grant.js';

type Deps = Pick<OAuth2Deps, 'users' | 'passwords' | 'throttle' | 'grants' | 'consents' | 'scopes' | 'clock' | 'random' | 'settings' | 'events'>;

/** One message for every bad credential, unknown user or disabled account: nothing to enumerate. */
const GENERIC = 'the username or password is wrong, or the account cannot sign in';

/** A source address may fail this many times the per-username limit (shared NATs). */
const ADDRESS_FACTOR = 4;

/**
 * RFC 6749 §4.3: resource owner password credentials, for clients that enabled it. Online
 * guessing is throttled per username and per source address in the shared throttle store; while
 * either is over its limit no password is checked at all. The argon2 cost is paid only here.
 */
export const passwordGrant = {
  publicClients: false,
  async handle({ client, params, remoteAddress }, deps: Deps) {
    const username = params.required('username', 200);
    const password = params.required('password', 1024);
    // Scope first: a malformed request never costs a password hash.
    const scopes = deps.scopes.resolve(parseScope(params.optional('scope')), client);

    const now = deps.clock.now();
    const windowMs = deps.settings.loginThrottleWindow * 1000;
    // The same counters as the /login form: guesses on either surface count together.
    const userKey = `login:user:${username.toLowerCase()}`;
    const addressKey = `login:ip:${remoteAddress}`;
    const limit = deps.settings.loginThrottleLimit;
    const [userFailures, addressFailures] = await Promise.all([deps.throttle.count(userKey, now, windowMs), deps.throttle.count(addressKey, now, windowMs)]);
    if (userFailures >= limit || addressFailures >= limit * ADDRESS_FACTOR) {
      throw new InvalidGrant(`too many failed attempts; try again in ${Math.ceil(windowMs / 60_000)} minutes`);
    }

    const user = await deps.users.findByUsername(username);
    const ok = await deps.passwords.verify(user?.passwordHash ?? null, password);
    if (!ok || !user?.enabled) {
      await Promise.all([deps.throttle.hit(userKey, now, windowMs), deps.throttle.hit(addressKey, now, windowMs)]);
      await deps.events?.({
        kind: 'signin_failed',
        user: username.slice(0, 200),
        clientKey: client.key,
        source: remoteAddress,
        details: { channel: 'password_grant' },
      });
      throw new InvalidGrant(GENERIC);
    }
    // Nothing to clear (the usual case): no write.
    if (userFailures > 0) await deps.throttle.reset(userKey);

    const grant = {
      id: newGrantId(deps),
      clientKey: client.key,
      userId: user.id,
      scopes,
      grantType: 'password',
      createdAt: now,
      authTime: now,
      revokedAt: null,
      extra: {},
    };
    await deps.grants.create(grant);
    // Listed on the user's "Authorized applications" page, where it can be revoked.
    await deps.consents.grant(user.id, client.key, scopes);
    return { grant, user, scopes, refreshToken: wantsRefreshToken(client) };
  },
} satisfies GrantHandler<Deps>;
