import type { Config } from '../../config/schema.js';
import type { Client } from '../clients/client.js';
import { randomToken } from '../crypto/random.js';
import type { Clock, OneTimeStore, Random, User, UserCutOff } from '../ports.js';
import { makeDummies, type Sealer } from './check.js';
import type { OAuth1Deps } from './deps.js';
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
  };
  /** Background purge of expired rows (run by `serve`). */
  purgeTasks: Array<{ name: string; run(before: number, batch: number): Promise<number> }>;
  hooks: {
    clientCutOff: Array<(clientKey: string, reason: 'disapproved' | 'removed') => Promise<void>>;
    userCutOff: Array<(userId: string, cut: UserCutOff) => Promise<void>>;
    userRevokedClient: Array<(userId: string, clientKey: string) => Promise<void>>;
  };
}

export interface OAuth1Service {
  deps: OAuth1Deps;
  stores: OAuth1Stores;
}

const services = new WeakMap<object, OAuth1Service>();
const TOUCH_EVERY_MS = 60_000;

/**
 * Sets up the OAuth 1.0a provider on a composed app: its dependencies, and the hooks that delete
 * credentials at once when a consumer is disapproved or removed, a user disabled, given a new
 * password or a role fewer, or an application revoked by its user (status is also checked on
 * every use, so this is belt and braces).
 */
export function installOAuth1(host: OAuth1Host, stores: OAuth1Stores): OAuth1Service {
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
  host.hooks.clientCutOff.push(async (clientKey) => {
    await stores.tokens.removeForClient(clientKey);
    await stores.temporaries.removeForClient(clientKey);
  });
  host.hooks.userCutOff.push(async (userId) => {
    await stores.tokens.removeForUser(userId);
    await stores.temporaries.removeForUser(userId);
  });
  host.hooks.userRevokedClient.push(async (userId, clientKey) => {
    await stores.tokens.removeForUserAndClient(userId, clientKey);
    await stores.temporaries.removeForUserAndClient(userId, clientKey);
  });
  host.purgeTasks.push({ name: 'oauth1_temporary', run: (before, batch) => stores.temporaries.purgeExpired(before, batch) });
  const service = { deps, stores };
  services.set(host, service);
  return service;
}

/** The OAuth 1.0a service installed on this app. */
export function oauth1Of(host: object): OAuth1Service {
  const s = services.get(host);
  if (!s) throw new Error('installOAuth1 was not called for this app');
  return s;
}
