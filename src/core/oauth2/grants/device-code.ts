import { sha256Hex } from '../../crypto/constant-time.js';
import type { OAuth2Deps } from '../deps.js';
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, SlowDown } from '../errors.js';
import { grantedResources, narrowResources, requestedResources, tokenRequestResources } from '../resource-indicators.js';
import { type GrantHandler, liveGrant, wantsRefreshToken } from './grant.js';

type Deps = Pick<OAuth2Deps, 'deviceCodes' | 'grants' | 'users' | 'clock'>;

/** RFC 8628 §3.5: each slow_down adds 5 seconds to the interval, for this and later requests. */
export const SLOW_DOWN_STEP = 5;

/** Timers fire a little early and requests travel: a poll this much early still counts as on time. */
export const POLL_TOLERANCE_MS = 500;

/** RFC 8628 §3.4–3.5: the device polls until the user approved or denied at /device. */
export const deviceCodeGrant = {
  publicClients: true,
  async handle({ client, params }, deps: Deps) {
    const code = params.required('device_code', 512);
    // RFC 8707 §2: a malformed resource is refused before the device code is looked at.
    requestedResources(params);
    const now = deps.clock.now();
    const polled = await deps.deviceCodes.poll(sha256Hex(code), now, SLOW_DOWN_STEP, POLL_TOLERANCE_MS);
    if (polled.outcome === 'unknown') throw new InvalidGrant('the device_code is invalid');
    const record = polled.record;
    if (record.clientKey !== client.key) throw new InvalidGrant('the device_code was issued to another client');
    if (record.expiresAt <= now) throw new ExpiredToken('the device_code has expired; start over with a new device authorization request');
    if (polled.outcome === 'too_fast') throw new SlowDown(`polling too fast; wait at least ${record.interval} seconds between requests`);
    switch (record.status) {
      case 'pending':
        throw new AuthorizationPending('the user has not yet approved the request');
      case 'denied':
        throw new AccessDenied('the user (or an administrator) denied the request');
      case 'redeemed':
        throw new InvalidGrant('the device_code was already used');
      case 'approved':
        break;
    }
    if (record.grantId === null || !(await deps.deviceCodes.redeem(record.hash))) throw new InvalidGrant('the device_code was already used');
    const { grant, user } = await liveGrant(deps, record.grantId, client);
    // RFC 8707 §2.2: resources named at the device authorization request are what was granted and
    // the token request may only narrow them; without any there, the token request names them.
    const resources = grantedResources(grant).length > 0 ? narrowResources(params, grant, client) : tokenRequestResources(params, client);
    return { grant, user, scopes: grant.scopes, refreshToken: wantsRefreshToken(client), resources };
  },
} satisfies GrantHandler<Deps>;
