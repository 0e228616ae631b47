import { verifyPassword } from './adapters/argon2.js';
import { SharedRateCounter } from './adapters/shared-rate-counter.js';
import { systemClock, systemRandom } from './adapters/system.js';
import { AuthorizedApplications } from './admin/authorized-applications.js';
import { ClientAdmin } from './admin/client-admin.js';
import { AdminError } from './admin/errors.js';
import { type UserActor, UserAdmin } from './admin/user-admin.js';
import type { App, Hooks, Stores } from './app.js';
import type { Warn } from './config/file-modes.js';
import { loadMasterKey } from './config/master-key.js';
import type { Config } from './config/schema.js';
import { randomToken } from './core/crypto/random.js';
import { SecretBox } from './core/crypto/secret-box.js';
import type { PurgeTask } from './core/maintenance/purger.js';
import { Metrics } from './core/metrics.js';
import { buildOAuth1 } from './core/oauth1/install.js';
import { buildOAuth2, signingKeyRing } from './core/oauth2/install.js';
import { buildOidc } from './core/oidc/install.js';
import type { Clock, Random } from './core/ports.js';
import { securityEventSink } from './core/security-events.js';
import { firstFactorOnly, internalUsers, passwordMethod } from './core/sign-in/local.js';
import { passwordCheck } from './core/sign-in/password.js';
import { signInPipeline } from './core/sign-in/pipeline.js';
import { OPERATOR } from './core/users/authorization.js';
import { createOutbound } from './outbound/http-client.js';
import { buildRegistration } from './registration/install.js';
import { type Database, migrate, openDatabase } from './storage/database.js';
import { KyselyAuditStore } from './storage/kysely/audit-store.js';
import { KyselyClientStore } from './storage/kysely/client-store.js';
import { KyselyDirectoryStore } from './storage/kysely/directory-store.js';
import { directoryDb } from './storage/kysely/directory-tables.js';
import { KyselyGroupStore } from './storage/kysely/group-store.js';
import { kyselyOAuth1Stores } from './storage/kysely/oauth1-stores.js';
import { kyselyOAuth2Stores } from './storage/kysely/oauth2-stores.js';
import { KyselyOneTimeStore } from './storage/kysely/one-time-store.js';
import { KyselyConsentStore, KyselySessionStore } from './storage/kysely/session-store.js';
import { KyselyThrottleStore } from './storage/kysely/throttle-store.js';
import { KyselyUserStore } from './storage/kysely/user-store.js';
import { purgeBatch } from './storage/purge.js';

export type { App, Hooks, Stores } from './app.js';

export function kyselyStores(database: Database): Stores {
  const { db } = database;
  return {
    clients: new KyselyClientStore(db),
    users: new KyselyUserStore(db, database.dialect),
    audit: new KyselyAuditStore(db),
    oneTime: new KyselyOneTimeStore(db),
    throttle: new KyselyThrottleStore(db),
    sessions: new KyselySessionStore(db),
    directories: new KyselyDirectoryStore(directoryDb(db), database.dialect),
    groups: new KyselyGroupStore(directoryDb(db), database.dialect),
  };
}

export interface ComposeOptions {
  clock?: Clock;
  random?: Random;
  /** Where start-up warnings go (files open to other users); standard error by default. */
  warn?: Warn;
}

export async function composeApp(config: Config, options: ComposeOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const warn: Warn = options.warn ?? ((message) => process.stderr.write(`warning: ${message}\n`));
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.dataDir, random, warn), random);
  const database = openDatabase(config.databaseUrl, { warn, readCache: config.sqliteReadCache === 'on' });
  await migrate(database, () => clock.now());
  const stores = kyselyStores(database);
  const hooks: Hooks = { clientCutOff: [], clientPending: [], userCutOff: [], userRevokedClient: [], sessionEnded: [] };
  const clientAdmin = new ClientAdmin({
    clients: stores.clients,
    audit: stores.audit,
    secrets,
    clock,
    random,
    onCutOff: hooks.clientCutOff,
    onPending: hooks.clientPending,
  });
  const userAdmin = new UserAdmin({ users: stores.users, audit: stores.audit, clock, random, onCutOff: hooks.userCutOff });
  // The sign-in sessions end, and the clients of each are told (OIDC Back-Channel Logout).
  hooks.userCutOff.push(async (userId, cut) => {
    const ended = await stores.sessions.deleteForUser(userId, cut.keepSid);
    for (const sid of ended) for (const hook of hooks.sessionEnded) await hook({ sid, userId });
  });
  const closers: App['closers'] = [];
  const metrics = new Metrics();
  const securityEvents = securityEventSink({ audit: stores.audit, metrics, clock });
  const passwords = passwordCheck({
    users: stores.users,
    throttle: stores.throttle,
    clock,
    random,
    macs: secrets,
    verify: verifyPassword,
    events: securityEvents,
    settings: { limit: config.loginThrottleLimit, windowMs: LOGIN_THROTTLE_WINDOW_MS },
  });
  const signIn = signInPipeline({ methods: { password: passwordMethod(passwords) }, users: internalUsers(stores.users), secondFactor: firstFactorOnly });
  const consents = new KyselyConsentStore(database.db);
  const outbound = createOutbound(config);
  const base = { config, clock, random, secrets, stores, consents, passwords, securityEvents, outbound };

  // The protocols, each built from what it needs; OpenID Connect passes its extension into OAuth 2.0.
  const oauth1 = buildOAuth1(base, kyselyOAuth1Stores(database.db));
  const oauth2Stores = kyselyOAuth2Stores(database.db);
  const keys = signingKeyRing(config, oauth2Stores.signingKeys, secrets, clock);
  const oidc = buildOidc({ ...base, grants: oauth2Stores.grants, keys });
  const oauth2 = buildOAuth2(base, oauth2Stores, keys, { oidc: oidc.extension });
  const registration = buildRegistration({ ...base, database, clientAdmin, scopes: oauth2.deps.scopes });

  // What happens when the registry or users change, in the order it happens.
  for (const m of [oauth2.cutOff, oauth1.cutOff]) {
    hooks.clientCutOff.push(m.client);
    hooks.userCutOff.push(m.user);
    hooks.userRevokedClient.push(m.userRevokedClient);
  }
  hooks.clientPending.push(registration.clientPending);
  hooks.sessionEnded.push(oidc.sessionEnded);
  closers.push(oidc.close, registration.close);

  const app: App = {
    config,
    database,
    stores,
    clock,
    random,
    secrets,
    clientAdmin,
    userAdmin,
    applications: new AuthorizedApplications({
      consents,
      clients: stores.clients,
      audit: stores.audit,
      clock,
      onRevoked: hooks.userRevokedClient,
    }),
    hooks,
    consents,
    purgeTasks: [...foundationPurgeTasks(database, stores), ...oauth1.purgeTasks, ...oauth2.purgeTasks],
    metrics,
    rateCounter: new SharedRateCounter(stores.throttle, clock),
    outbound,
    passwords,
    signIn,
    securityEvents,
    oauth1,
    oauth2,
    oidc,
    registration,
    closers,
    async close() {
      for (const c of closers.reverse()) await c();
      await app.rateCounter.close().catch(() => {});
      await database.close();
    },
  };
  return app;
}

/** The window of every password lock-out (per username, address and device cookie). */
export const LOGIN_THROTTLE_WINDOW_MS = 15 * 60_000;

export const SYSTEM_ACTOR: UserActor = { name: 'system', source: 'startup', authority: OPERATOR };

/**
 * On first start with no users, creates "admin" holding Server Administrator (and User Manager),
 * with the configured password or a random one that the caller prints once.
 */
export async function bootstrapAdmin(app: App): Promise<{ created: boolean; generatedPassword: string | null }> {
  if ((await app.stores.users.count()) > 0) return { created: false, generatedPassword: null };
  const password = app.config.adminPassword ?? randomToken(app.random, 128);
  try {
    await app.userAdmin.create({ username: 'admin', display_name: 'Administrator', password, roles: ['server_administrator', 'user_manager'] }, SYSTEM_ACTOR);
  } catch (err) {
    // Another instance starting at the same moment created it first.
    if (err instanceof AdminError && err.status === 409) return { created: false, generatedPassword: null };
    throw err;
  }
  return { created: true, generatedPassword: app.config.adminPassword ? null : password };
}

/** Expired single-use artifacts, sessions and finished throttle windows. */
function foundationPurgeTasks(database: Database, stores: Stores): PurgeTask[] {
  return [
    { name: 'one_time', run: (before, batch) => stores.oneTime.purgeExpired(before, batch) },
    { name: 'sessions', run: (before, batch) => stores.sessions.purgeExpired(before, batch) },
    // Throttle windows last at most an hour; a day later their counters mean nothing.
    { name: 'throttle', keepFor: 86_400_000, run: (before, batch) => purgeBatch(database, 'throttle', 'window_start', before, batch) },
  ];
}
