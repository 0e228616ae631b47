import type { Config } from '../../config/schema.js';
import type { PurgeTask } from '../maintenance/purger.js';
import type { ClientStore, Clock, OneTimeStore, Random, ThrottleStore, UserCutOff, UserStore } from '../ports.js';
import { AccessTokens } from '../tokens/access-token.js';
import { KeyRing, type Sealer } from '../tokens/signing-keys.js';
import type { PasswordCheck } from '../users/password-check.js';
import type { OAuth2Deps } from './deps.js';
import { type AuthorizeOptions, oauth2AuthorizeOptions } from './endpoints/authorize.js';
import type { ClientFamily } from './endpoints/request.js';
import { GRANT_HANDLERS, type GrantHandler, type GrantResult } from './grants/index.js';
import type { TokenResponseExtension } from './issue.js';
import type { MarkerKeys } from './reauth-marker.js';
import { ScopeCatalog } from './scopes.js';
import type { DeviceCodeStore, GrantStore, RefreshTokenStore, SigningKeyStore } from './storage.js';

/** The OAuth 2.0 storage adapters, plus housekeeping. */
export interface OAuth2Stores {
  grants: GrantStore;
  refreshTokens: RefreshTokenStore;
  deviceCodes: DeviceCodeStore;
  signingKeys: SigningKeyStore;
  /** Deletes, in batches, what can no longer be used (expired refresh tokens and device codes, old grants). */
  purgeTasks(grantRetentionMs: number): PurgeTask[];
}

/** The parts of the composed app the OAuth 2.0 server uses (the App satisfies it). */
export interface OAuth2Host {
  config: Pick<
    Config,
    | 'issuer'
    | 'accessTokenTtl'
    | 'idTokenTtl'
    | 'codeTtl'
    | 'refreshTokenTtl'
    | 'refreshReuseGrace'
    | 'deviceCodeTtl'
    | 'deviceInterval'
    | 'deviceUserCodeLimit'
    | 'signingAlg'
  >;
  clock: Clock;
  random: Random;
  secrets: Sealer & MarkerKeys;
  stores: { clients: ClientStore; users: UserStore; oneTime: OneTimeStore; throttle: ThrottleStore };
  consents: {
    get(userId: string, clientKey: string): Promise<{ scopes: string[] } | undefined>;
    grant(userId: string, clientKey: string, scopes: string[], at: number): Promise<void>;
  };
  hooks: {
    clientCutOff: Array<(clientKey: string, reason: 'disapproved' | 'removed') => Promise<void>>;
    userCutOff: Array<(userId: string, cut: UserCutOff) => Promise<void>>;
    userRevokedClient: Array<(userId: string, clientKey: string) => Promise<void>>;
  };
  purgeTasks: PurgeTask[];
  passwords: PasswordCheck;
}

/** What the HTTP layer (and the OpenID Connect layer after it) use. Extension points are mutable. */
export interface OAuth2Service {
  deps: OAuth2Deps;
  keys: KeyRing;
  stores: OAuth2Stores;
  /** grant_type → handler; the token endpoints of both families dispatch on it. */
  grantHandlers: Record<string, GrantHandler<OAuth2Deps>>;
  /** Extra token-response fields per family (OIDC adds id_token on its endpoint). */
  tokenExtensions: Record<ClientFamily, TokenResponseExtension[]>;
  /** Authorization endpoint configuration per family (OIDC registers "oidc"). */
  authorize: Partial<Record<ClientFamily, AuthorizeOptions>>;
  /** Whether a grant result may carry a refresh token, per family (OIDC: only with offline_access). */
  refreshPolicies: Partial<Record<ClientFamily, (result: GrantResult) => boolean>>;
}

const REVOKED_KIND = 'oauth2.revoked-jti';

const services = new WeakMap<object, OAuth2Service>();

/** The service installed on an app. */
export function oauth2Of(host: object): OAuth2Service {
  const s = services.get(host);
  if (!s) throw new Error('the OAuth 2.0 server is not installed on this app');
  return s;
}

/**
 * Sets up the OAuth 2.0 server on a composed app: signing keys, token services, grant handlers,
 * and the hooks that cut off grants (and so every token, code and device code under them) the
 * moment a client is disapproved or removed, a user disabled, given a new password or a role
 * fewer, or an application revoked.
 */
export function installOAuth2(host: OAuth2Host, stores: OAuth2Stores): OAuth2Service {
  const c = host.config;
  // A retired key validates until the longest-lived token it may have signed has expired.
  const retainRetiredMs = (Math.max(c.accessTokenTtl, c.idTokenTtl) + 60) * 1000;
  const keys = new KeyRing({ store: stores.signingKeys, secrets: host.secrets, clock: host.clock, retainRetiredMs });
  const scopes = new ScopeCatalog();
  const deps: OAuth2Deps = {
    settings: {
      issuer: c.issuer,
      accessTokenTtl: c.accessTokenTtl,
      codeTtl: c.codeTtl,
      refreshTokenTtl: c.refreshTokenTtl,
      refreshReuseGrace: c.refreshReuseGrace,
      deviceCodeTtl: c.deviceCodeTtl,
      deviceInterval: c.deviceInterval,
      userCodeThrottleLimit: c.deviceUserCodeLimit,
      signingAlg: c.signingAlg,
    },
    clock: host.clock,
    random: host.random,
    clients: host.stores.clients,
    users: host.stores.users,
    secrets: host.secrets,
    grants: stores.grants,
    refreshTokens: stores.refreshTokens,
    deviceCodes: stores.deviceCodes,
    codes: host.stores.oneTime,
    throttle: host.stores.throttle,
    revokedTokens: {
      add: async (jti, at, expiresAt) => {
        await host.stores.oneTime.put(REVOKED_KIND, jti, { at }, expiresAt);
      },
      revokedAt: async (jti) => {
        const found = await host.stores.oneTime.peek(REVOKED_KIND, jti);
        return found && typeof found.payload.at === 'number' ? found.payload.at : null;
      },
    },
    consents: {
      get: async (userId, clientKey) => (await host.consents.get(userId, clientKey))?.scopes,
      grant: (userId, clientKey, granted) => host.consents.grant(userId, clientKey, granted, host.clock.now()),
    },
    accessTokens: new AccessTokens({ keys, clock: host.clock, random: host.random, issuer: c.issuer, audience: apiAudience(c.issuer) }),
    scopes,
    passwords: host.passwords,
  };

  const now = () => host.clock.now();
  host.hooks.clientCutOff.push(async (clientKey) => {
    await stores.grants.revokeForClient(clientKey, now());
    await stores.deviceCodes.denyForClient(clientKey);
  });
  // A disabled user, a password set, a role removed: every grant of the user ends.
  host.hooks.userCutOff.push(async (userId) => {
    await stores.grants.revokeForUser(userId, now());
  });
  host.hooks.userRevokedClient.push(async (userId, clientKey) => {
    await stores.grants.revokeForUserAndClient(userId, clientKey, now());
  });

  // Housekeeping, run in the background by `serve`: a grant without refresh tokens is kept until
  // every access token, code or device code that may name it has expired.
  const longest = Math.max(c.accessTokenTtl, c.codeTtl, c.deviceCodeTtl, c.idTokenTtl) * 1000;
  host.purgeTasks.push(...stores.purgeTasks(longest + 3600_000));

  const service: OAuth2Service = {
    deps,
    keys,
    stores,
    grantHandlers: { ...GRANT_HANDLERS },
    tokenExtensions: { oauth2: [], oidc: [] },
    authorize: { oauth2: oauth2AuthorizeOptions() },
    refreshPolicies: {},
  };
  services.set(host, service);
  return service;
}

/** The audience of access tokens: Latchkey's own API (RFC 9068 §3 default resource). */
export function apiAudience(issuer: string): string {
  return `${issuer}/api`;
}
