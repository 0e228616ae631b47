import { type Client, DEVICE_CODE_GRANT, isUsable } from '../../clients/client.js';
import type { User } from '../../ports.js';
import type { OAuth2Deps } from '../deps.js';
import { newGrantId } from '../grants/grant.js';
import type { DeviceCodeRecord } from '../storage.js';
import { normalizeUserCode } from '../user-code.js';

/** The /device page's user side of RFC 8628 §3.3: look up a typed code, then approve or deny it. */

export type UserCodeLookup =
  | { outcome: 'found'; record: DeviceCodeRecord; client: Client; scopes: { name: string; description: string }[] }
  | { outcome: 'invalid'; message: string }
  | { outcome: 'throttled'; message: string };

type Deps = Pick<OAuth2Deps, 'deviceCodes' | 'clients' | 'throttle' | 'clock' | 'settings' | 'scopes'>;

const WINDOW_MS = 15 * 60_000;

function throttleKeys(user: User, remoteAddress: string): string[] {
  return [`device-user-code:ip:${remoteAddress}`, `device-user-code:user:${user.id}`];
}

/**
 * Guess protection (RFC 8628 §5.1): wrong codes are counted per source address and per signed-in
 * user in the shared throttle store; past the limit no lookup is made until the window ends.
 */
export async function lookUpUserCode(deps: Deps, typed: string, user: User, remoteAddress: string): Promise<UserCodeLookup> {
  const now = deps.clock.now();
  const keys = throttleKeys(user, remoteAddress);
  const counts = await Promise.all(keys.map((k) => deps.throttle.count(k, now, WINDOW_MS)));
  if (counts.some((c) => c >= deps.settings.userCodeThrottleLimit)) {
    return { outcome: 'throttled', message: 'Too many wrong codes. Wait 15 minutes and try again.' };
  }
  const code = normalizeUserCode(typed);
  const record = code === null ? undefined : await deps.deviceCodes.findByUserCode(code, now);
  const client = record ? await deps.clients.get(record.clientKey) : undefined;
  if (record?.status !== 'pending' || record.expiresAt <= now || !isUsable(client) || !client.grantTypes.includes(DEVICE_CODE_GRANT)) {
    await Promise.all(keys.map((k) => deps.throttle.hit(k, now, WINDOW_MS)));
    return { outcome: 'invalid', message: 'That code is not valid or has expired. Check the code shown on your device.' };
  }
  return { outcome: 'found', record, client, scopes: deps.scopes.describe(record.scopes) };
}

/**
 * Records the user's decision. On approval the grant is created first and named on the device
 * code, so the polling device redeems exactly this grant. Returns false when the code was
 * decided, expired or cut off meanwhile.
 */
export async function decideUserCode(
  deps: Deps & Pick<OAuth2Deps, 'grants' | 'consents' | 'random'>,
  record: DeviceCodeRecord,
  user: User,
  authTime: number,
  approve: boolean,
): Promise<boolean> {
  const now = deps.clock.now();
  if (!approve) return deps.deviceCodes.decide(record.userCode, { status: 'denied', userId: user.id, grantId: null }, now);
  const grant = {
    id: newGrantId(deps),
    clientKey: record.clientKey,
    userId: user.id,
    scopes: record.scopes,
    grantType: DEVICE_CODE_GRANT,
    createdAt: now,
    authTime,
    revokedAt: null,
    extra: record.extra,
  };
  await deps.grants.create(grant);
  const decided = await deps.deviceCodes.decide(record.userCode, { status: 'approved', userId: user.id, grantId: grant.id }, now);
  if (!decided) {
    await deps.grants.revoke(grant.id, now);
    return false;
  }
  await deps.consents.grant(user.id, record.clientKey, record.scopes);
  return true;
}
