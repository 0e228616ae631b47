import type { Config } from '../../config/schema.js';
import type { Client } from '../clients/client.js';
import { randomToken } from '../crypto/random.js';
import type { PurgeTask } from '../maintenance/purger.js';
import type { Clock, CutOffHandlers, OneTimeStore, Random, ThrottleStore, User } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import { makeDummies, type Sealer } from './check.js';
import type { OAuth1Deps } from './deps.js';
import { authenticateVerifyCaller, type VerifyCaller } from './endpoints/verify-caller.js';
import type { OAuth1Stores } from './storage.js';

/** The parts of the composed app the OAuth 1.0a provider uses (the App satisfies it). */
export interface OAuth1Host {
  config: Pick<Config, 'issuer' | 'oauth1TimestampWindow' | 'oauth1TemporaryTtl'>;
  clock: Clock;
  random: Random;
  secrets: Sealer;
  stores: {
    clients: { get(key: string): Promise<Client | undefined>; touchLastUsed(key: string, at: number): Promise<void> };
    users: { get(id: string): Promise<User | undefined> };
    oneTime: Pick<OneTimeStore, 'put'>;
    throttle: ThrottleStore;
  };
  /** Where replayed nonces are reported (audit log, metrics). */
  securityEvents: SecurityEventSink;
}

export interface OAuth1Service {
  deps: OAuth1Deps;
  stores: OAuth1Stores;
  /** What ends when a consumer, a user or a user's consent is cut off (composition wires them). */
  cutOff: CutOffHandlers;
  /** Expired temporary credentials, deleted in batches in the background by `serve`. */
  purgeTasks: PurgeTask[];
  /** Authenticates a resource server calling the verification endpoint (HTTP Basic). */
  verifyCaller(authorization: string | undefined, source: string): Promise<VerifyCaller>;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * The OAuth 1.0a provider: its dependencies, and the cut-off handlers that delete credentials at
 * once when a consumer is disapproved or removed, a user disabled, given a new password or a role
 * fewer, or an application revoked by its user (status is also checked on every use, so this is
 * belt and braces).
 */
export function buildOAuth1(host: OAuth1Host, stores: OAuth1Stores): OAuth1Service {
  const touched = new Map<string, number>();
  const deps: OAuth1Deps = {
    clock: host.clock,
    random: host.random,
    clients: host.stores.clients,
    users: host.stores.users,
    temporaries: stores.temporaries,
    tokens: stores.tokens,
    nonces: { remember: (key, expiresAt) => host.stores.oneTime.put('oauth1-nonce', key, {}, expiresAt) },
    sealer: host.secrets,
    timestampWindow: host.config.oauth1TimestampWindow,
    temporaryTtl: host.config.oauth1TemporaryTtl,
    realm: host.config.issuer,
    events: host.securityEvents,
    dummies: makeDummies(host.secrets, () => randomToken(host.random, 256)),
    touchClient(clientKey) {
      // "Last used" needs minute precision, not a write per request.
      const now = host.clock.now();
      if ((touched.get(clientKey) ?? 0) > now - TOUCH_EVERY_MS) return;
      if (touched.size > 10_000) touched.clear();
      touched.set(clientKey, now);
      host.stores.clients.touchLastUsed(clientKey, now).catch(() => {});
    },
  };
  const cutOff: CutOffHandlers = {
    async client(clientKey) {
      await stores.tokens.removeForClient(clientKey);
      await stores.temporaries.removeForClient(clientKey);
    },
    async user(userId) {
      await stores.tokens.removeForUser(userId);
      await stores.temporaries.removeForUser(userId);
    },
    async userRevokedClient(userId, clientKey) {
      await stores.tokens.removeForUserAndClient(userId, clientKey);
      await stores.temporaries.removeForUserAndClient(userId, clientKey);
    },
  };
  const purgeTasks: PurgeTask[] = [{ name: 'oauth1_temporary', run: (before, batch) => stores.temporaries.purgeExpired(before, batch) }];
  const verifyCallerDeps = { ...deps, throttle: host.stores.throttle };
  return {
    deps,
    stores,
    cutOff,
    purgeTasks,
    verifyCaller: (authorization, source) => authenticateVerifyCaller(verifyCallerDeps, authorization, source),
  };
}
