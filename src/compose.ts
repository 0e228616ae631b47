import { ClientAdmin } from './admin/client-admin.js';
import type { Actor } from './admin/errors.js';
import { UserAdmin } from './admin/user-admin.js';
import { loadMasterKey } from './config/master-key.js';
import type { Config } from './config/schema.js';
import { randomToken, systemRandom } from './core/crypto/random.js';
import { SecretBox } from './core/crypto/secret-box.js';
import {
  type AuditStore,
  type ClientStore,
  type Clock,
  type OneTimeStore,
  type Random,
  systemClock,
  type ThrottleStore,
  type UserStore,
} from './core/ports.js';
import { type Database, migrate, openDatabase } from './storage/database.js';
import { KyselyAuditStore } from './storage/kysely/audit-store.js';
import { KyselyClientStore } from './storage/kysely/client-store.js';
import { KyselyOneTimeStore } from './storage/kysely/one-time-store.js';
import { KyselyThrottleStore } from './storage/kysely/throttle-store.js';
import { KyselyUserStore } from './storage/kysely/user-store.js';

export interface Stores {
  clients: ClientStore;
  users: UserStore;
  audit: AuditStore;
  oneTime: OneTimeStore;
  throttle: ThrottleStore;
}

export function kyselyStores(database: Database): Stores {
  const { db } = database;
  return {
    clients: new KyselyClientStore(db),
    users: new KyselyUserStore(db),
    audit: new KyselyAuditStore(db),
    oneTime: new KyselyOneTimeStore(db),
    throttle: new KyselyThrottleStore(db),
  };
}

/** Everything a running server or a CLI command needs, assembled in one place. */
export interface App {
  config: Config;
  database: Database;
  stores: Stores;
  clock: Clock;
  random: Random;
  secrets: SecretBox;
  clientAdmin: ClientAdmin;
  userAdmin: UserAdmin;
  /** Work to run on close (timers, listeners). */
  closers: Array<() => Promise<void> | void>;
  close(): Promise<void>;
}

export interface ComposeOptions {
  clock?: Clock;
  random?: Random;
}

export async function composeApp(config: Config, options: ComposeOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.dataDir, random), random);
  const databaseUrl = config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : config.databaseUrl;
  const database = openDatabase(databaseUrl);
  await migrate(database, () => clock.now());
  const stores = kyselyStores(database);
  const clientAdmin = new ClientAdmin({ clients: stores.clients, audit: stores.audit, secrets, clock, random, onCutOff: [], onPending: [] });
  const userAdmin = new UserAdmin({ users: stores.users, audit: stores.audit, clock, random, onDisabled: [] });
  const closers: App['closers'] = [];
  const app: App = {
    config,
    database,
    stores,
    clock,
    random,
    secrets,
    clientAdmin,
    userAdmin,
    closers,
    async close() {
      for (const c of closers.reverse()) await c();
      await database.close();
    },
  };
  return app;
}

export const SYSTEM_ACTOR: Actor = { name: 'system', source: 'startup' };

/**
 * On first start with no users, creates "admin" holding Server Administrator (and User Manager),
 * with the configured password or a random one that the caller prints once.
 */
export async function bootstrapAdmin(app: App): Promise<{ created: boolean; generatedPassword: string | null }> {
  if ((await app.stores.users.count()) > 0) return { created: false, generatedPassword: null };
  const password = app.config.adminPassword ?? randomToken(app.random, 128);
  await app.userAdmin.create({ username: 'admin', display_name: 'Administrator', password, roles: ['server_administrator', 'user_manager'] }, SYSTEM_ACTOR);
  return { created: true, generatedPassword: app.config.adminPassword ? null : password };
}
