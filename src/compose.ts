import { verifyPassword } from './adapters/argon2.js';
import { ldapDirectoryClient } from './adapters/ldap/client.js';
import { filterSyntaxProblem } from './adapters/ldap/filter.js';
import { SharedRateCounter } from './adapters/shared-rate-counter.js';
import { systemClock, systemRandom } from './adapters/system.js';
import { AuthorizedApplications } from './admin/authorized-applications.js';
import { ClientAdmin } from './admin/client-admin.js';
import { bindPasswordContext, DirectoryAdmin } from './admin/directory-admin.js';
import { DirectoryImport } from './admin/directory-import.js';
import { AdminError } from './admin/errors.js';
import { GroupAdmin } from './admin/group-admin.js';
import { type UserActor, UserAdmin } from './admin/user-admin.js';
import type { App, Hooks, Stores } from './app.js';
import type { Warn } from './config/file-modes.js';
import { loadMasterKey } from './config/master-key.js';
import type { Config } from './config/schema.js';
import { randomToken } from './core/crypto/random.js';
import { SecretBox } from './core/crypto/secret-box.js';
import type { DirectoryClient } from './core/directories/directory.js';
import { recordingHealth } from './core/directories/health.js';
import type { PurgeTask } from './core/maintenance/purger.js';
import { Metrics } from './core/metrics.js';
import { buildOAuth1 } from './core/oauth1/install.js';
import type { OAuth1Stores } from './core/oauth1/storage.js';
import type { OAuth2Stores } from './core/oauth2/install.js';
import { buildOAuth2, signingKeyRing } from './core/oauth2/install.js';
import { buildOidc } from './core/oidc/install.js';
import type { Outbound } from './core/outbound.js';
import type { Clock, Random, UserCutOff } from './core/ports.js';
import { securityEventSink } from './core/security-events.js';
import type { ConsentStore } from './core/sessions/ports.js';
import { directoryPasswords } from './core/sign-in/directory-passwords.js';
import { externalUsers } from './core/sign-in/external-users.js';
import { firstFactorOnly, internalUsers, passwordMethod } from './core/sign-in/local.js';
import { localPasswords, passwordCheck } from './core/sign-in/password.js';
import { signInPipeline } from './core/sign-in/pipeline.js';
import { parseSignInName } from './core/sign-in/username.js';
import { DAY_MS, LastUseBatcher, PersonalAccessTokens } from './core/tokens/personal-access-tokens.js';
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
import { KyselyPatStore } from './storage/kysely/pat-store.js';
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
    pats: new KyselyPatStore(db),
  };
}

/** Everything the application keeps, as the storage adapters give it. */
export interface AppStorage {
  database: Database;
  stores: Stores;
  oauth1: OAuth1Stores;
  oauth2: OAuth2Stores;
  consents: ConsentStore;
}

/** The stores of every part, on one database. */
export function kyselyStorage(database: Database): AppStorage {
  return {
    database,
    stores: kyselyStores(database),
    oauth1: kyselyOAuth1Stores(database.db),
    oauth2: kyselyOAuth2Stores(database.db),
    consents: new KyselyConsentStore(database.db),
  };
}

/** What composition takes from the world besides configuration and storage. */
export interface AppRuntime {
  clock: Clock;
  random: Random;
  outbound: Outbound;
  /** Asks the LDAP directories (src/adapters/ldap). */
  directoryClient: DirectoryClient;
  /** Encryption of secrets at rest under the master key. */
  secrets: SecretBox;
}

export interface OpenOptions {
  clock?: Clock;
  random?: Random;
  /** Where start-up warnings go (files open to other users); standard error by default. */
  warn?: Warn;
  /** Apply pending migrations first (default true); a worker of `serve` leaves that to its primary. */
  migrate?: boolean;
}

/** Opens the configured database (migrating it), the master key and the outbound client, then composes. */
export async function openApp(config: Config, options: OpenOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const warn: Warn = options.warn ?? ((message) => process.stderr.write(`warning: ${message}\n`));
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.dataDir, random, warn), random);
  // With several workers on one SQLite file, each one's read cache must see the others' commits at once.
  const database = openDatabase(config.databaseUrl, { warn, readCache: config.sqliteReadCache === 'on', sharedFile: config.workers > 1 });
  if (options.migrate !== false) {
    try {
      await migrate(database, () => clock.now());
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  const directoryClient = ldapDirectoryClient({
    unsealBindPassword: (d) => (d.bind.kind === 'service' ? secrets.open(d.bind.passwordSealed, bindPasswordContext(d.id)) : ''),
  });
  return composeApp(config, kyselyStorage(database), { clock, random, secrets, outbound: createOutbound(config), directoryClient });
}

/**
 * The application from its configuration, storage and runtime: plain functions, each given what it
 * needs, wired in the order things happen. Nothing here opens a file, a socket or a database.
 */
export function composeApp(config: Config, storage: AppStorage, runtime: AppRuntime): App {
  const { clock, random, secrets, outbound, directoryClient } = runtime;
  const { database, stores, consents } = storage;
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
  const userAdmin = new UserAdmin({ users: stores.users, groups: stores.groups, audit: stores.audit, clock, random, onCutOff: hooks.userCutOff });
  // The sign-in sessions end, and the clients of each are told (OIDC Back-Channel Logout).
  hooks.userCutOff.push(async (userId, cut) => {
    const ended = await stores.sessions.deleteForUser(userId, cut.keepSid);
    for (const sid of ended) for (const hook of hooks.sessionEnded) await hook({ sid, userId });
  });
  // Personal access tokens end with a disabled user or a password set (a role fewer narrows them at
  // their next use, as their permissions are the owner's current ones).
  const pats = new PersonalAccessTokens({
    store: stores.pats,
    users: stores.users,
    audit: stores.audit,
    clock,
    random,
    policy: {
      defaultLifetimeMs: Math.min(config.patDefaultLifetime, config.patMaxLifetime) * DAY_MS,
      maxLifetimeMs: config.patMaxLifetime * DAY_MS,
      creators: config.patCreators,
    },
    lastUse: new LastUseBatcher((uses) => stores.pats.touchLastUsed(uses)),
  });
  hooks.userCutOff.push(async (userId, cut) => {
    if (cut.reason === 'disabled') await pats.revokeForUser(userId, 'user_disabled');
    else if (cut.reason === 'password_set') await pats.revokeForUser(userId, 'password_set');
  });
  const closers: App['closers'] = [];
  const metrics = new Metrics();
  const securityEvents = securityEventSink({ audit: stores.audit, metrics, clock });
  const cutOffUser = async (userId: string, reason: UserCutOff['reason']) => {
    for (const hook of hooks.userCutOff) await hook(userId, { reason });
  };
  // Directory entries become users in one place; a user who left a group with roles is cut off.
  const external = externalUsers({
    users: stores.users,
    groups: stores.groups,
    audit: stores.audit,
    clock,
    random,
    onGroupsLeft: (userId) => cutOffUser(userId, 'roles_removed'),
    directory: (id) => stores.directories.get(id),
    domains: async () => (await stores.directories.list()).map((x) => x.domain),
  });
  const identify = directoryPasswords({
    local: localPasswords({ users: stores.users, verify: verifyPassword }),
    users: stores.users,
    directories: stores.directories,
    client: directoryClient,
    external,
    now: () => clock.now(),
  });
  const passwords = passwordCheck({
    identify,
    users: stores.users,
    throttle: stores.throttle,
    clock,
    random,
    macs: secrets,
    events: securityEvents,
    settings: { limit: config.loginThrottleLimit, windowMs: LOGIN_THROTTLE_WINDOW_MS },
    throttleName: async (username) =>
      parseSignInName(
        username,
        (await stores.directories.list()).map((x) => x.domain),
      ).username,
  });
  const signIn = signInPipeline({ methods: { password: passwordMethod(passwords) }, users: internalUsers(stores.users), secondFactor: firstFactorOnly });
  const base = { config, clock, random, secrets, stores, consents, passwords, securityEvents, outbound };

  // The protocols, each built from what it needs; OpenID Connect passes its extension into OAuth 2.0.
  const oauth1 = buildOAuth1(base, storage.oauth1);
  const oauth2Stores = storage.oauth2;
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

  // Tests, searches, imports and re-syncs show in the directories' health, as sign-ins do.
  const recordedClient = recordingHealth(directoryClient, stores.directories, () => clock.now());
  const directoryAdmin = new DirectoryAdmin({
    directories: stores.directories,
    nativeGroupExists: async (id) => (await stores.groups.get(id))?.source === null,
    client: recordedClient,
    filterProblem: filterSyntaxProblem,
    secrets,
    audit: stores.audit,
    clock,
    random,
    onUsersDisabled: async (ids) => {
      for (const id of ids) await cutOffUser(id, 'disabled');
    },
  });
  const groupAdmin = new GroupAdmin({
    groups: stores.groups,
    users: stores.users,
    audit: stores.audit,
    clock,
    random,
    onRolesChanged: async (ids, removed) => {
      if (removed) for (const id of ids) await cutOffUser(id, 'roles_removed');
    },
  });
  const importer = new DirectoryImport({
    directories: directoryAdmin,
    client: recordedClient,
    external,
    groups: groupAdmin,
    users: stores.users,
    disable: async (user) => {
      await userAdmin.setEnabled(user, false, SYSTEM_ACTOR);
    },
    userAdmin,
    audit: stores.audit,
    clock,
  });
  closers.push(() => directoryClient.close());

  const app: App = {
    config,
    database,
    stores,
    clock,
    random,
    secrets,
    clientAdmin,
    userAdmin,
    pats,
    applications: new AuthorizedApplications({
      consents,
      clients: stores.clients,
      audit: stores.audit,
      clock,
      onRevoked: hooks.userRevokedClient,
    }),
    directories: { admin: directoryAdmin, importer, client: directoryClient },
    groupAdmin,
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
      await pats.close().catch(() => {});
      await database.close();
    },
  };
  return app;
}

/** The window of every password lock-out (per username, address and device cookie). */
export const LOGIN_THROTTLE_WINDOW_MS = 15 * 60_000;

export const SYSTEM_ACTOR: UserActor = { name: 'system', source: 'startup', authority: OPERATOR };

/**
 * On first start with no users, creates "admin" holding all three roles (Server Administrator, User
 * Manager, Security Manager),
 * with the configured password or a random one that the caller prints once.
 */
export async function bootstrapAdmin(app: App): Promise<{ created: boolean; generatedPassword: string | null }> {
  if ((await app.stores.users.count()) > 0) return { created: false, generatedPassword: null };
  const password = app.config.adminPassword ?? randomToken(app.random, 128);
  try {
    await app.userAdmin.create(
      { username: 'admin', display_name: 'Administrator', password, roles: ['server_administrator', 'user_manager', 'security_manager'] },
      SYSTEM_ACTOR,
    );
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
    // Expired personal access tokens stay listed (as expired) for 30 days, then go.
    {
      name: 'personal_access_tokens',
      keepFor: 30 * DAY_MS,
      run: (before, batch) => purgeBatch(database, 'personal_access_tokens', 'expires_at', before, batch),
    },
  ];
}
