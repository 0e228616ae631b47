import type { Config } from '../../config/schema.js';
import { oauth2Of } from '../oauth2/install.js';
import type { OutboundHttp } from '../outbound.js';
import type { ClientStore, Clock, OneTimeStore, Random } from '../ports.js';
import { oidcAuthorizeOptions } from './authorize.js';
import { BackChannelLogout, type FormPoster, formPoster, type LogoutDelivery } from './back-channel-logout.js';
import { IdTokens } from './id-token.js';
import { idTokenResponse, offlineAccessOnly } from './token.js';

/** The parts of the composed app the OpenID Connect layer uses (the App satisfies it). */
export interface OidcHost {
  config: Pick<Config, 'issuer' | 'idTokenTtl'>;
  clock: Clock;
  random: Random;
  stores: { clients: ClientStore; oneTime: OneTimeStore };
  hooks: {
    sessionEnded: Array<(session: { sid: string; userId: string }) => Promise<void>>;
  };
  closers: Array<() => Promise<void> | void>;
  /** Server-side requests (back-channel logout) go through the app's safe outbound client. */
  outbound: { http: OutboundHttp };
}

export interface OidcOptions {
  /** How back-channel logout tokens are delivered (tests and other transports may replace it). */
  post?: FormPoster;
  /** Back-channel deliveries give up after this long (ms). */
  backChannelTimeoutMs?: number;
  onLogoutDelivery?: (d: LogoutDelivery) => void;
}

export interface OidcService {
  idTokens: IdTokens;
  backChannel: BackChannelLogout;
  /** Back-channel deliveries so far (kept for the last 100, for diagnostics). */
  deliveries: LogoutDelivery[];
}

/** Back-Channel Logout is best effort and must not hold a sign-out for long. */
export const BACKCHANNEL_TIMEOUT_MS = 5_000;

const services = new WeakMap<object, OidcService>();

export function oidcOf(host: object): OidcService {
  const s = services.get(host);
  if (!s) throw new Error('the OpenID Connect provider is not installed on this app');
  return s;
}

/**
 * Plugs OpenID Connect into the OAuth 2.0 server of the same app: the openid, email, phone,
 * address and offline_access scopes, the /oidc/authorize configuration, ID tokens in token responses, the
 * OIDC rules for refresh tokens, and logout notifications when a session ends.
 */
export function installOidc(host: OidcHost, options: OidcOptions = {}): OidcService {
  const oauth2 = oauth2Of(host);
  const c = host.config;
  const scopes = oauth2.deps.scopes;
  scopes.add({ name: 'openid', description: 'Sign you in with your Latchkey account and know who you are (your user id).', clientTypes: ['oidc'] });
  scopes.add({ name: 'email', description: 'See your email address.', clientTypes: ['oidc'] });
  // OIDC Core §5.4.
  scopes.add({ name: 'phone', description: 'See your phone number.', clientTypes: ['oidc'] });
  scopes.add({ name: 'address', description: 'See your postal address.', clientTypes: ['oidc'] });
  scopes.add({
    name: 'offline_access',
    description: 'Keep access while you are signed out, until you revoke it under Authorized applications.',
    clientTypes: ['oidc'],
  });

  const idTokens = new IdTokens({ keys: oauth2.keys, clock: host.clock, random: host.random, issuer: c.issuer, ttlSeconds: c.idTokenTtl });
  const deliveries: LogoutDelivery[] = [];
  const backChannel = new BackChannelLogout({
    idTokens,
    clients: host.stores.clients,
    grants: oauth2.stores.grants,
    clock: host.clock,
    post: options.post ?? formPoster(host.outbound.http),
    timeoutMs: options.backChannelTimeoutMs ?? BACKCHANNEL_TIMEOUT_MS,
    onDelivery: (d) => {
      deliveries.push(d);
      if (deliveries.length > 100) deliveries.shift();
      options.onLogoutDelivery?.(d);
    },
  });

  oauth2.authorize.oidc = oidcAuthorizeOptions({
    clock: host.clock,
    secrets: oauth2.deps.secrets,
    idTokens,
    oneTime: host.stores.oneTime,
    settings: { idTokenTtl: c.idTokenTtl },
    // The OAuth 2.0 layer's sink, whichever is installed when a replay happens.
    events: (event) => oauth2.deps.events?.(event) ?? Promise.resolve(),
  });
  oauth2.refreshPolicies.oidc = offlineAccessOnly;
  oauth2.tokenExtensions.oidc.push(idTokenResponse(idTokens));

  host.hooks.sessionEnded.push((session) => backChannel.sessionEnded(session));
  host.closers.push(() => backChannel.settle());

  const service: OidcService = { idTokens, backChannel, deliveries };
  services.set(host, service);
  return service;
}
