import type { SharedRateCounter } from './adapters/shared-rate-counter.js';
import type { AuthorizedApplications } from './admin/authorized-applications.js';
import type { ClientAdmin } from './admin/client-admin.js';
import type { DirectoryAdmin } from './admin/directory-admin.js';
import type { DirectoryImport } from './admin/directory-import.js';
import type { GroupAdmin } from './admin/group-admin.js';
import type { UserAdmin } from './admin/user-admin.js';
import type { Config } from './config/schema.js';
import type { Client } from './core/clients/client.js';
import type { SecretBox } from './core/crypto/secret-box.js';
import type { DirectoryClient } from './core/directories/directory.js';
import type { DirectoryStore } from './core/directories/ports.js';
import type { PurgeTask } from './core/maintenance/purger.js';
import type { Metrics } from './core/metrics.js';
import type { OAuth1Service } from './core/oauth1/install.js';
import type { OAuth2Service } from './core/oauth2/install.js';
import type { OidcService } from './core/oidc/install.js';
import type { Outbound } from './core/outbound.js';
import type { AuditStore, ClientStore, Clock, OneTimeStore, Random, ThrottleStore, UserCutOff, UserStore } from './core/ports.js';
import type { SecurityEventSink } from './core/security-events.js';
import type { ConsentStore, SessionStore } from './core/sessions/ports.js';
import type { passwordMethod } from './core/sign-in/local.js';
import type { PasswordCheck } from './core/sign-in/password.js';
import type { SignIn } from './core/sign-in/pipeline.js';
import type { PersonalAccessTokenStore, PersonalAccessTokens } from './core/tokens/personal-access-tokens.js';
import type { GroupStore } from './core/users/groups.js';
import type { Registration } from './registration/install.js';
import type { Database } from './storage/database.js';

/** The sign-in methods a running server offers. */
export type AppSignIn = SignIn<{ password: ReturnType<typeof passwordMethod> }>;

/** The composed application's shape: what a running server or a CLI command is handed. */
export interface Stores {
  clients: ClientStore;
  users: UserStore;
  audit: AuditStore;
  oneTime: OneTimeStore;
  throttle: ThrottleStore;
  sessions: SessionStore;
  /** Connected LDAP directories, in sign-in order. */
  directories: DirectoryStore;
  groups: GroupStore;
  /** Personal access tokens (their hashes). */
  pats: PersonalAccessTokenStore;
}

/**
 * Extension points: modules register what must happen when the registry or users change, so the
 * admin use cases need not know about tokens, grants or sessions.
 */
export interface Hooks {
  /** A client stopped being usable (disapproved or removed): cut off everything issued to it. */
  clientCutOff: Array<(clientKey: string, reason: 'disapproved' | 'removed') => Promise<void>>;
  /** A client started waiting for an administrator (created, or put back to pending). */
  clientPending: Array<(client: Client) => Promise<void>>;
  /**
   * A user was disabled, had a password set or lost a role: end their sessions (all but
   * `keepSid`) and cut off their grants, refresh and access tokens and OAuth 1.0a tokens; a
   * disabled user or a password set also revokes their personal access tokens.
   */
  userCutOff: Array<(userId: string, cut: UserCutOff) => Promise<void>>;
  /** A user revoked an application on the "Authorized applications" page. */
  userRevokedClient: Array<(userId: string, clientKey: string) => Promise<void>>;
  /** A sign-in session ended (sign-out, RP-initiated logout): notify the clients of that session. */
  sessionEnded: Array<(session: { sid: string; userId: string }) => Promise<void>>;
}

export interface AppDirectories {
  admin: DirectoryAdmin;
  importer: DirectoryImport;
  client: DirectoryClient;
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
  /** Personal access tokens: create, authenticate, list, revoke. */
  pats: PersonalAccessTokens;
  /** The "Authorized applications" of each user. */
  applications: AuthorizedApplications;
  /** LDAP directories: their administration, import and re-sync, and the client that asks them. */
  directories: AppDirectories;
  /** Native and external groups and the roles they give. */
  groupAdmin: GroupAdmin;
  hooks: Hooks;
  /** Consent remembered per user, client and scopes. */
  consents: ConsentStore;
  /** Work to run on close (timers, listeners). */
  closers: Array<() => Promise<void> | void>;
  /** Expired data each module knows how to delete in batches (run in the background by `serve`). */
  purgeTasks: PurgeTask[];
  metrics: Metrics;
  /** Hot-path rate counting, shared through the throttle store within a fraction of a second. */
  rateCounter: SharedRateCounter;
  /** The one client for server-side requests (back-channel logout, webhooks) and its up-front check. */
  outbound: Outbound;
  /** The one password check of every channel (form, password grant, Basic, My account). */
  passwords: PasswordCheck;
  /** Sign-in of people: first factor, user mapping, second factor (core/sign-in). */
  signIn: AppSignIn;
  /** Where security events go: the audit log and the metrics. */
  securityEvents: SecurityEventSink;
  oauth1: OAuth1Service;
  oauth2: OAuth2Service;
  oidc: OidcService;
  /** Self-service registration (RFC 7591, RFC 7592) and its initial access tokens. */
  registration: Registration;
  close(): Promise<void>;
}
