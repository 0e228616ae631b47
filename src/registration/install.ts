import pino from 'pino';
import type { ClientAdmin } from '../admin/client-admin.js';
import { AdminError } from '../admin/errors.js';
import { RegistrationTokenAdmin } from '../admin/registration-tokens.js';
import type { Config } from '../config/schema.js';
import type { Client } from '../core/clients/client.js';
import { secretContext } from '../core/clients/client.js';
import type { SecretBox } from '../core/crypto/secret-box.js';
import type { ScopeCatalog } from '../core/oauth2/scopes.js';
import type { Outbound } from '../core/outbound.js';
import type { AuditStore, ClientStore, Clock, Random, ThrottleStore } from '../core/ports.js';
import { StaleWriteError } from '../core/ports.js';
import type { RegistryPort } from '../core/registration/ports.js';
import { RegistrationService, type RegistrationSettings } from '../core/registration/service.js';
import type { Database } from '../storage/database.js';
import { countPendingRegistrations, KyselyInitialAccessTokenStore, KyselyRegistrationAccessTokenStore } from '../storage/kysely/registration-stores.js';
import { WebhookNotifier } from './webhook.js';

/** Self-service registration, as composed for one app. */
export interface Registration {
  service: RegistrationService;
  tokens: RegistrationTokenAdmin;
  settings: RegistrationSettings;
  webhook: WebhookNotifier | null;
  /** A client started waiting for an administrator: the webhook, when one is configured, is told. */
  clientPending(client: Client): Promise<void>;
  /** Waits for webhook deliveries in flight. */
  close(): Promise<void>;
}

/** What self-service registration is built from. */
export interface RegistrationHost {
  config: Config;
  database: Database;
  stores: { clients: ClientStore; audit: AuditStore; throttle: ThrottleStore };
  clientAdmin: ClientAdmin;
  secrets: SecretBox;
  clock: Clock;
  random: Random;
  outbound: Outbound;
  /** The OAuth 2.0 scope catalog: registration offers a client type the scopes made for it. */
  scopes: ScopeCatalog;
}

function registrationSettings(config: Config, outbound: Outbound): RegistrationSettings {
  return {
    issuer: config.issuer,
    mode: config.registrationMode,
    policy: {
      grantTypes: config.registrationGrantTypes,
      responseTypes: config.registrationResponseTypes,
      outboundTarget: outbound.refusal,
    },
    rateLimit: config.registrationRateLimit,
    rateWindowMs: config.registrationRateWindow * 1000,
    maxPending: config.registrationMaxPending,
  };
}

/** The registration services (RFC 7591, RFC 7592) and the pending-client webhook. */
export function buildRegistration(app: RegistrationHost): Registration {
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
  const settings = registrationSettings(app.config, app.outbound);
  const service = new RegistrationService({
    registry,
    accessTokens: new KyselyRegistrationAccessTokenStore(db),
    initialTokens,
    throttle: app.stores.throttle,
    clock: app.clock,
    random: app.random,
    settings,
    knownScopes: (type) => app.scopes.names().filter((name) => app.scopes.get(name)?.clientTypes?.includes(type) ?? true),
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
    webhook = notifier;
  }
  return {
    service,
    tokens,
    settings,
    webhook,
    clientPending: async (client) => {
      await webhook?.notify(client);
    },
    close: async () => {
      await webhook?.drain();
    },
  };
}
