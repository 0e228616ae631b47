import pino from 'pino';
import { AdminError } from '../admin/errors.js';
import { RegistrationTokenAdmin } from '../admin/registration-tokens.js';
import type { App } from '../app.js';
import { secretContext } from '../core/clients/client.js';
import { oauth2Of } from '../core/oauth2/install.js';
import { StaleWriteError } from '../core/ports.js';
import type { RegistryPort } from '../core/registration/ports.js';
import { RegistrationService, type RegistrationSettings } from '../core/registration/service.js';
import { outboundOf } from '../outbound/http-client.js';
import { countPendingRegistrations, KyselyInitialAccessTokenStore, KyselyRegistrationAccessTokenStore } from '../storage/kysely/registration-stores.js';
import { WebhookNotifier } from './webhook.js';

/** Self-service registration, as composed for one app. */
export interface Registration {
  service: RegistrationService;
  tokens: RegistrationTokenAdmin;
  settings: RegistrationSettings;
  webhook: WebhookNotifier | null;
}

const installed = new WeakMap<App, Registration>();

export function registrationSettings(config: App['config']): RegistrationSettings {
  return {
    issuer: config.issuer,
    mode: config.registrationMode,
    policy: {
      grantTypes: config.registrationGrantTypes,
      responseTypes: config.registrationResponseTypes,
      outboundTarget: outboundOf(config).refusal,
    },
    rateLimit: config.registrationRateLimit,
    rateWindowMs: config.registrationRateWindow * 1000,
    maxPending: config.registrationMaxPending,
  };
}

/** Builds the registration services of an app and registers the pending-client webhook. */
export function installRegistration(app: App): Registration {
  const existing = installed.get(app);
  if (existing) return existing;
  const db = app.database.db;
  const registry: RegistryPort = {
    get: (key) => app.stores.clients.get(key),
    create: (input, actor, via) => app.clientAdmin.create(input, actor, via),
    update: (key, patch, actor, options) =>
      app.clientAdmin.update(key, patch, actor, options).catch((err: unknown) => {
        // The client changed since the registration read it: the core decides again.
        throw err instanceof AdminError && err.code === 'conflict' ? new StaleWriteError(err.message) : err;
      }),
    remove: (key, actor) => app.clientAdmin.remove(key, actor),
    countPendingRegistrations: () => countPendingRegistrations(db),
    openSecret: (client) => (client.secretSealed === null ? null : app.secrets.open(client.secretSealed, secretContext(client.key))),
  };
  const initialTokens = new KyselyInitialAccessTokenStore(db);
  const settings = registrationSettings(app.config);
  const service = new RegistrationService({
    registry,
    accessTokens: new KyselyRegistrationAccessTokenStore(db),
    initialTokens,
    throttle: app.stores.throttle,
    clock: app.clock,
    random: app.random,
    settings,
    knownScopes: (type) => {
      let catalog: ReturnType<typeof oauth2Of>['deps']['scopes'];
      try {
        catalog = oauth2Of(app).deps.scopes;
      } catch {
        return undefined; // no OAuth 2.0 server on this app (some CLI or test setups)
      }
      return catalog.names().filter((name) => catalog.get(name)?.clientTypes?.includes(type) ?? true);
    },
  });
  const tokens = new RegistrationTokenAdmin({ store: initialTokens, audit: app.stores.audit, clock: app.clock, random: app.random });

  let webhook: WebhookNotifier | null = null;
  const { registrationWebhookUrl: url } = app.config;
  if (url) {
    const log = pino({ name: 'latchkey.webhook', level: app.config.logLevel });
    const notifier = new WebhookNotifier({
      url,
      secret: app.config.registrationWebhookSecret,
      timeoutMs: app.config.registrationWebhookTimeout * 1000,
      issuer: app.config.issuer,
      clock: app.clock,
      http: app.outbound.http,
      // The origin only: a webhook URL's path or query often is its secret.
      onFailure: (message, err) => log.warn({ err: err instanceof Error ? err.message : err, origin: new URL(url).origin }, message),
      load: (key) => app.stores.clients.get(key),
    });
    app.hooks.clientPending.push(async (client) => notifier.notify(client));
    app.closers.push(() => notifier.drain());
    webhook = notifier;
  }
  const registration: Registration = { service, tokens, settings, webhook };
  installed.set(app, registration);
  return registration;
}
