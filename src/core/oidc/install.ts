import type { Config } from '../../config/schema.js';
import type { FamilyExtension } from '../oauth2/install.js';
import type { MarkerKeys } from '../oauth2/reauth-marker.js';
import type { GrantStore } from '../oauth2/storage.js';
import type { OutboundHttp } from '../outbound.js';
import type { ClientStore, Clock, OneTimeStore, Random } from '../ports.js';
import type { SecurityEventSink } from '../security-events.js';
import type { KeyRing } from '../tokens/signing-keys.js';
import { oidcAuthorizeOptions } from './authorize.js';
import { BackChannelLogout, formPoster, type LogoutDelivery } from './back-channel-logout.js';
import { IdTokens } from './id-token.js';
import { idTokenResponse, offlineAccessOnly } from './token.js';

/** What the OpenID Connect layer is built from. */
export interface OidcHost {
  config: Pick<Config, 'issuer' | 'idTokenTtl'>;
  clock: Clock;
  random: Random;
  secrets: MarkerKeys;
  stores: { clients: ClientStore; oneTime: OneTimeStore };
  /** The OAuth 2.0 grants, which back-channel logout reads to find a session's clients. */
  grants: GrantStore;
  /** The signing keys, shared with the OAuth 2.0 server's access tokens. */
  keys: KeyRing;
  securityEvents: SecurityEventSink;
  /** Server-side requests (back-channel logout) go through the app's safe outbound client. */
  outbound: { http: OutboundHttp };
}

export interface OidcService {
  idTokens: IdTokens;
  backChannel: BackChannelLogout;
  /** Back-channel deliveries so far (kept for the last 100, for diagnostics). */
  deliveries: LogoutDelivery[];
  /** What OpenID Connect brings to the OAuth 2.0 server. */
  extension: FamilyExtension;
  /** A sign-in session ended: tell the clients of that session (OIDC Back-Channel Logout 1.0). */
  sessionEnded(session: { sid: string; userId: string }): Promise<void>;
  /** Waits for back-channel deliveries in flight. */
  close(): Promise<void>;
}

/** Back-Channel Logout is best effort and must not hold a sign-out for long. */
export const BACKCHANNEL_TIMEOUT_MS = 5_000;

/**
 * OpenID Connect on top of the OAuth 2.0 server: the openid, email, phone, address and
 * offline_access scopes, the /oidc/authorize rules, ID tokens in token responses, the OIDC rule for
 * refresh tokens (as an extension the OAuth 2.0 server is built with), and logout notifications
 * when a session ends.
 */
export function buildOidc(host: OidcHost): OidcService {
  const c = host.config;
  const idTokens = new IdTokens({ keys: host.keys, clock: host.clock, random: host.random, issuer: c.issuer, ttlSeconds: c.idTokenTtl });
  const deliveries: LogoutDelivery[] = [];
  const backChannel = new BackChannelLogout({
    idTokens,
    clients: host.stores.clients,
    grants: host.grants,
    clock: host.clock,
    post: formPoster(host.outbound.http),
    timeoutMs: BACKCHANNEL_TIMEOUT_MS,
    onDelivery: (d) => {
      deliveries.push(d);
      if (deliveries.length > 100) deliveries.shift();
    },
  });

  const extension: FamilyExtension = {
    scopes: [
      { name: 'openid', description: 'Sign you in with your Latchkey account and know who you are (your user id).', clientTypes: ['oidc'] },
      { name: 'email', description: 'See your email address.', clientTypes: ['oidc'] },
      // OIDC Core §5.4.
      { name: 'phone', description: 'See your phone number.', clientTypes: ['oidc'] },
      { name: 'address', description: 'See your postal address.', clientTypes: ['oidc'] },
      {
        name: 'offline_access',
        description: 'Keep access while you are signed out, until you revoke it under Authorized applications.',
        clientTypes: ['oidc'],
      },
    ],
    authorize: oidcAuthorizeOptions({
      clock: host.clock,
      secrets: host.secrets,
      idTokens,
      oneTime: host.stores.oneTime,
      settings: { idTokenTtl: c.idTokenTtl },
      events: host.securityEvents,
    }),
    tokenExtensions: [idTokenResponse(idTokens)],
    refreshPolicy: offlineAccessOnly,
  };

  return {
    idTokens,
    backChannel,
    deliveries,
    extension,
    sessionEnded: (session) => backChannel.sessionEnded(session),
    close: () => backChannel.settle(),
  };
}
