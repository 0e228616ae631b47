import type { Config } from '../../config/schema.js';
import type { PurgeTask } from '../maintenance/purger.js';
import type { ClientStore, Clock, CutOffHandlers, OneTimeStore, Random, ThrottleStore, UserStore } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import type { PasswordCheck } from '../sign-in/password.js';
import { AccessTokens } from '../tokens/access-token.js';
import { KeyRing, type Sealer } from '../tokens/signing-keys.js';
import type { OAuth2Deps } from './deps.js';
import { type AuthorizeOptions, oauth2AuthorizeOptions } from './endpoints/authorize.js';
import type { ClientFamily } from './endpoints/request.js';
import { GRANT_HANDLERS, type GrantHandler, type GrantResult } from './grants/index.js';
import type { TokenResponseExtension } from './issue.js';
import type { MarkerKeys } from './reauth-marker.js';
import { API_SCOPE_DEFINITIONS, ScopeCatalog, type ScopeDefinition } from './scopes.js';
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
  passwords: PasswordCheck;
  /** Where replayed codes, reused refresh tokens and failed passwords are reported. */
  securityEvents: SecurityEventSink;
}

/**
 * What a client family beyond plain OAuth 2.0 brings to the server: OpenID Connect passes its
 * scopes, its authorization endpoint rules, the ID-token step of its token responses and its
 * refresh-token rule in, rather than editing the OAuth 2.0 server.
 */
export interface FamilyExtension {
  scopes: readonly ScopeDefinition[];
  authorize: AuthorizeOptions;
  tokenExtensions: readonly TokenResponseExtension[];
  /** Whether a grant result may carry a refresh token (OIDC: only with offline_access). */
  refreshPolicy?: (result: GrantResult) => boolean;
}

/** What the HTTP layer uses. */
export interface OAuth2Service {
  deps: OAuth2Deps;
  keys: KeyRing;
  stores: OAuth2Stores;
  /** grant_type → handler; the token endpoints of both families dispatch on it. */
  grantHandlers: Readonly<Record<string, GrantHandler<OAuth2Deps>>>;
  /** Extra token-response fields per family (OIDC adds id_token on its endpoint). */
  tokenExtensions: Readonly<Record<ClientFamily, readonly TokenResponseExtension[]>>;
  /** Authorization endpoint configuration per family. */
  authorize: Readonly<Partial<Record<ClientFamily, AuthorizeOptions>>>;
  /** Whether a grant result may carry a refresh token, per family. */
  refreshPolicies: Readonly<Partial<Record<ClientFamily, (result: GrantResult) => boolean>>>;
  /** What ends when a client, a user or a user's consent is cut off (composition wires them). */
  cutOff: CutOffHandlers;
  /** Expired refresh tokens and device codes, old grants: deleted in batches by `serve`. */
  purgeTasks: PurgeTask[];
}

const REVOKED_KIND = 'oauth2.revoked-jti';

/** The signing keys of access and ID tokens. A retired key validates until the longest-lived token it may have signed has expired. */
export function signingKeyRing(c: Pick<Config, 'accessTokenTtl' | 'idTokenTtl'>, store: SigningKeyStore, secrets: Sealer, clock: Clock): KeyRing {
  const retainRetiredMs = (Math.max(c.accessTokenTtl, c.idTokenTtl) + 60) * 1000;
  return new KeyRing({ store, secrets, clock, retainRetiredMs });
}

/**
 * The OAuth 2.0 server: token services, grant handlers, the families it serves (OpenID Connect
 * passed in as an extension), and the cut-off handlers that end grants (and so every token, code
 * and device code under them) the moment a client is disapproved or removed, a user disabled,
 * given a new password or a role fewer, or an application revoked.
 */
export function buildOAuth2(host: OAuth2Host, stores: OAuth2Stores, keys: KeyRing, families: { oidc?: FamilyExtension } = {}): OAuth2Service {
  const c = host.config;
  const scopes = new ScopeCatalog([...API_SCOPE_DEFINITIONS, ...(families.oidc?.scopes ?? [])]);
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
    events: host.securityEvents,
  };

  const now = () => host.clock.now();
  const cutOff: CutOffHandlers = {
    async client(clientKey) {
      await stores.grants.revokeForClient(clientKey, now());
      await stores.deviceCodes.denyForClient(clientKey);
    },
    // A disabled user, a password set, a role removed: every grant of the user ends.
    async user(userId) {
      await stores.grants.revokeForUser(userId, now());
    },
    async userRevokedClient(userId, clientKey) {
      await stores.grants.revokeForUserAndClient(userId, clientKey, now());
    },
  };

  // A grant without refresh tokens is kept until every access token, code or device code that may
  // name it has expired.
  const longest = Math.max(c.accessTokenTtl, c.codeTtl, c.deviceCodeTtl, c.idTokenTtl) * 1000;
  const oidc = families.oidc;
  return {
    deps,
    keys,
    stores,
    grantHandlers: { ...GRANT_HANDLERS },
    tokenExtensions: { oauth2: [], oidc: oidc?.tokenExtensions ?? [] },
    authorize: { oauth2: oauth2AuthorizeOptions(), ...(oidc ? { oidc: oidc.authorize } : {}) },
    refreshPolicies: oidc?.refreshPolicy ? { oidc: oidc.refreshPolicy } : {},
    cutOff,
    purgeTasks: stores.purgeTasks(longest + 3600_000),
  };
}

/** The audience of access tokens: Latchkey's own API (RFC 9068 §3 default resource). */
export function apiAudience(issuer: string): string {
  return `${issuer}/api`;
}
