import type { ClientStore, Clock, OneTimeStore, Random, ThrottleStore, UserStore } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import type { PasswordCheck } from '../sign-in/password.js';
import type { AccessTokens } from '../tokens/access-token.js';
import type { SigningAlg } from '../tokens/signing-keys.js';
import type { MarkerKeys } from './reauth-marker.js';
import type { ScopeCatalog } from './scopes.js';
import type { DeviceCodeStore, GrantStore, RefreshTokenStore } from './storage.js';

/** Lifetimes and limits, from the configuration (seconds unless named otherwise). */
export interface OAuth2Settings {
  issuer: string;
  accessTokenTtl: number;
  codeTtl: number;
  refreshTokenTtl: number;
  refreshReuseGrace: number;
  deviceCodeTtl: number;
  deviceInterval: number;
  /** Wrong user codes per source address (and per user) in one window at /device. */
  userCodeThrottleLimit: number;
  signingAlg: SigningAlg;
}

/** Remembered consent per user and client (kept by the sign-in module). */
export interface ConsentPort {
  /** The scopes the user granted the client, or undefined when none. */
  get(userId: string, clientKey: string): Promise<string[] | undefined>;
  /** Remembers that the user granted the client these scopes (listed on "Authorized applications"). */
  grant(userId: string, clientKey: string, scopes: string[]): Promise<void>;
}

/**
 * Everything the OAuth 2.0 core may use. Each grant and endpoint takes only the part it needs
 * (a `Pick` of this), so its tests need small fakes.
 */
export interface OAuth2Deps {
  settings: OAuth2Settings;
  clock: Clock;
  random: Random;
  clients: Pick<ClientStore, 'get' | 'touchLastUsed'>;
  users: Pick<UserStore, 'get' | 'findByUsername'>;
  secrets: { open(sealed: string, context: string): string } & MarkerKeys;
  grants: GrantStore;
  refreshTokens: RefreshTokenStore;
  deviceCodes: DeviceCodeStore;
  /** Authorization codes: atomic single use (kind "oauth2.code", id = SHA-256 of the code). */
  codes: OneTimeStore;
  throttle: ThrottleStore;
  /** Where replayed codes, reused refresh tokens and failed passwords are reported (audit log, metrics). */
  events: SecurityEventSink;
  /** Access tokens revoked one by one (by jti) whose grant is not stored (client_credentials). */
  revokedTokens: {
    add(jti: string, at: number, expiresAt: number): Promise<void>;
    revokedAt(jti: string): Promise<number | null>;
  };
  consents: ConsentPort;
  accessTokens: AccessTokens;
  scopes: ScopeCatalog;
  /** The one password check, shared with the form and Basic (its lock-outs too). */
  passwords: PasswordCheck;
}

export const CODE_KIND = 'oauth2.code';
