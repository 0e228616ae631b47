import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEVICE_CODE_GRANT, GRANT_TYPES, normalizeResponseType, OAUTH2_RESPONSE_TYPES, OIDC_RESPONSE_TYPES } from '../core/clients/client.js';
import { parseAllowEntry } from '../outbound/address-policy.js';

/** More serving processes than this is a mistake (a typo), not a configuration. */
const MAX_WORKERS = 256;

/**
 * Every option, once: its environment variable, its config-file key, its type and default, and the
 * sentence that documents it (printed by `latchkey config` and copied into the README).
 */
export const OPTIONS = {
  port: { env: 'LATCHKEY_PORT', doc: 'TCP port to listen on.', schema: z.coerce.number().int().min(0).max(65535).default(8080) },
  host: { env: 'LATCHKEY_HOST', doc: 'Address to listen on.', schema: z.string().min(1).default('127.0.0.1') },
  issuer: {
    env: 'LATCHKEY_ISSUER',
    doc: 'Public base URL (scheme, host, optional port and path; no query or fragment). Defaults to http://HOST:PORT.',
    schema: z.string().url().optional(),
  },
  databaseUrl: {
    env: 'LATCHKEY_DATABASE_URL',
    doc: 'sqlite:PATH (embedded, default) or postgres://USER:PASSWORD@HOST:PORT/DB.',
    schema: z
      .string()
      .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://')
      .default('sqlite:./data/latchkey.db'),
  },
  sqliteReadCache: {
    env: 'LATCHKEY_SQLITE_READ_CACHE',
    doc: 'on or off. On SQLite, on keeps the rows of small reads in memory until a table they read is written (a write by another process, such as the CLI, is seen a millisecond later); off reads every row from SQLite. No effect on PostgreSQL.',
    schema: z.enum(['on', 'off']).default('on'),
  },
  workers: {
    env: 'LATCHKEY_WORKERS',
    doc: 'Serving processes of `latchkey serve` on the one port (node:cluster): a positive integer, or auto for one per available CPU (os.availableParallelism()). Above 1 the first process migrates, creates the first administrator and runs the background jobs, and the workers serve; a worker that ends is restarted. Needs PostgreSQL or a SQLite file (not sqlite::memory:).',
    schema: z
      .union([z.string(), z.number()])
      .default('1')
      .transform((value, ctx) => {
        const text = String(value).trim();
        if (text === 'auto') return availableParallelism();
        if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > MAX_WORKERS) {
          ctx.addIssue({ code: 'custom', message: `must be auto or an integer from 1 to ${MAX_WORKERS}` });
          return z.NEVER;
        }
        return Number(text);
      }),
  },
  dataDir: { env: 'LATCHKEY_DATA_DIR', doc: 'Folder for the SQLite database and the generated master key file.', schema: z.string().min(1).default('./data') },
  masterKey: {
    env: 'LATCHKEY_MASTER_KEY',
    doc: '32-byte key (base64, base64url or 64 hex digits) encrypting client secrets and signing keys. Default: DATA_DIR/master.key, created with mode 0600. Every instance of a cluster needs the same key.',
    schema: z.string().optional(),
  },
  adminPassword: {
    env: 'LATCHKEY_ADMIN_PASSWORD',
    doc: 'Password of the first administrator "admin", created on first start with an empty database. When unset a random one is printed once.',
    schema: z.string().min(8, 'must be at least 8 characters').optional(),
  },
  logLevel: {
    env: 'LATCHKEY_LOG_LEVEL',
    doc: 'fatal, error, warn, info, debug, trace or silent. At info and below, one JSON line per request goes to standard output, in batches (at least every 200 ms).',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  },
  trustProxy: {
    env: 'LATCHKEY_TRUST_PROXY',
    doc: 'Trust X-Forwarded-* headers from a reverse proxy (true/false).',
    schema: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  },
  accessTokenTtl: { env: 'LATCHKEY_ACCESS_TOKEN_TTL', doc: 'Access token lifetime in seconds.', schema: z.coerce.number().int().min(1).default(900) },
  idTokenTtl: { env: 'LATCHKEY_ID_TOKEN_TTL', doc: 'ID token lifetime in seconds.', schema: z.coerce.number().int().min(1).default(900) },
  codeTtl: { env: 'LATCHKEY_CODE_TTL', doc: 'Authorization code lifetime in seconds.', schema: z.coerce.number().int().min(1).default(60) },
  refreshTokenTtl: {
    env: 'LATCHKEY_REFRESH_TOKEN_TTL',
    doc: 'Refresh token lifetime in seconds (14 days).',
    schema: z.coerce.number().int().min(1).default(1_209_600),
  },
  refreshReuseGrace: {
    env: 'LATCHKEY_REFRESH_REUSE_GRACE',
    doc: 'Seconds during which a rotated refresh token may be presented again (a retried request) without revoking its family.',
    schema: z.coerce.number().int().min(0).default(0),
  },
  deviceCodeTtl: { env: 'LATCHKEY_DEVICE_CODE_TTL', doc: 'Device code lifetime in seconds.', schema: z.coerce.number().int().min(1).default(600) },
  deviceInterval: { env: 'LATCHKEY_DEVICE_INTERVAL', doc: 'Minimum device polling interval in seconds.', schema: z.coerce.number().int().min(1).default(5) },
  sessionTtl: {
    env: 'LATCHKEY_SESSION_TTL',
    doc: 'Sign-in session lifetime in seconds when "Stay signed in" is ticked.',
    schema: z.coerce.number().int().min(60).default(1_209_600),
  },
  oauth1TimestampWindow: {
    env: 'LATCHKEY_OAUTH1_TIMESTAMP_WINDOW',
    doc: 'Accepted OAuth 1.0a oauth_timestamp skew in seconds.',
    schema: z.coerce.number().int().min(1).default(300),
  },
  oauth1TemporaryTtl: {
    env: 'LATCHKEY_OAUTH1_TEMPORARY_TTL',
    doc: 'OAuth 1.0a temporary credentials lifetime in seconds.',
    schema: z.coerce.number().int().min(1).default(600),
  },
  signingAlg: {
    env: 'LATCHKEY_SIGNING_ALG',
    doc: 'Default JWS algorithm of access tokens: ES256 (default) or RS256.',
    schema: z.enum(['ES256', 'RS256']).default('ES256'),
  },
  purgeInterval: {
    env: 'LATCHKEY_PURGE_INTERVAL',
    doc: 'Seconds between background purges of expired codes, tokens, nonces and sessions (0 turns them off).',
    schema: z.coerce.number().int().min(0).default(60),
  },
  loginThrottleLimit: {
    env: 'LATCHKEY_LOGIN_THROTTLE_LIMIT',
    doc: 'Failed password attempts in 15 minutes, on every channel together, before a lock-out: per username from browsers without its device cookie and from scripts, per device cookie, and four times as many per source address.',
    schema: z.coerce.number().int().min(1).default(5),
  },
  deviceUserCodeLimit: {
    env: 'LATCHKEY_DEVICE_USER_CODE_LIMIT',
    doc: 'Wrong user codes one source address (or one signed-in user) may enter at /device within 15 minutes before further tries are refused (RFC 8628 §5.1 guess protection).',
    schema: z.coerce.number().int().min(1).default(10),
  },
  clientAuthFailureLimit: {
    env: 'LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT',
    doc: 'Failed client authentications (invalid_client, unknown clients included) at the token, introspection, revocation and device authorization endpoints accepted per source address and per client per minute (every instance counts together); then that address or client gets 429 with Retry-After before any credential is checked. Successful requests are not counted.',
    schema: z.coerce.number().int().min(1).default(20),
  },
  clientTokenRateLimit: {
    env: 'LATCHKEY_CLIENT_TOKEN_RATE_LIMIT',
    doc: 'Successful token requests accepted per client per minute (every instance counts together; current counts in /metrics); more get 429 with Retry-After. 0, the default, sets no limit.',
    schema: z.coerce.number().int().min(0).default(0),
  },
  consumerKeyRateLimit: {
    env: 'LATCHKEY_CONSUMER_KEY_RATE_LIMIT',
    doc: 'OSLC consumer-key requests accepted per source address per hour; more get 429 with Retry-After.',
    schema: z.coerce.number().int().min(1).default(10),
  },
  registrationMode: {
    env: 'LATCHKEY_REGISTRATION_MODE',
    doc: 'Self-service client registration (RFC 7591) at /api/oauth2/register and /api/oidc/register: open (anyone; clients wait for approval), token (only with an initial access token from `latchkey registration-token create`) or off.',
    schema: z.enum(['open', 'token', 'off']).default('open'),
  },
  registrationGrantTypes: {
    env: 'LATCHKEY_REGISTRATION_GRANT_TYPES',
    doc: 'Comma-separated grant types a self-registered client may ask for.',
    schema: choiceList(GRANT_TYPES, `authorization_code,refresh_token,${DEVICE_CODE_GRANT}`),
  },
  registrationResponseTypes: {
    env: 'LATCHKEY_REGISTRATION_RESPONSE_TYPES',
    doc: 'Comma-separated response types a self-registered client may ask for (e.g. "code,code id_token"; token and id_token ones enable the implicit flow).',
    schema: choiceList([...new Set([...OAUTH2_RESPONSE_TYPES, ...OIDC_RESPONSE_TYPES])], 'code', normalizeResponseType),
  },
  registrationRateLimit: {
    env: 'LATCHKEY_REGISTRATION_RATE_LIMIT',
    doc: 'Registration requests (register and update) accepted per source address within LATCHKEY_REGISTRATION_RATE_WINDOW; more get 429.',
    schema: z.coerce.number().int().min(1).default(20),
  },
  registrationRateWindow: {
    env: 'LATCHKEY_REGISTRATION_RATE_WINDOW',
    doc: 'Length in seconds of the registration rate-limit window.',
    schema: z.coerce.number().int().min(1).default(3600),
  },
  registrationMaxPending: {
    env: 'LATCHKEY_REGISTRATION_MAX_PENDING',
    doc: 'Self-registered clients that may wait for approval at once; further registrations are refused until an administrator decides.',
    schema: z.coerce.number().int().min(1).default(50),
  },
  registrationWebhookUrl: {
    env: 'LATCHKEY_REGISTRATION_WEBHOOK_URL',
    doc: 'URL that receives a JSON POST whenever a client starts waiting for approval (best effort; never delays or fails a registration).',
    schema: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'must be an http or https URL')
      .optional(),
  },
  registrationWebhookSecret: {
    env: 'LATCHKEY_REGISTRATION_WEBHOOK_SECRET',
    doc: 'When set, webhook requests carry X-Latchkey-Signature: sha256=HMAC-SHA256(secret, body) in hex.',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  registrationWebhookTimeout: {
    env: 'LATCHKEY_REGISTRATION_WEBHOOK_TIMEOUT',
    doc: 'Seconds after which a webhook request is abandoned.',
    schema: z.coerce.number().min(0.1).max(60).default(5),
  },
  patDefaultLifetime: {
    env: 'LATCHKEY_PAT_DEFAULT_LIFETIME',
    doc: 'Days a personal access token lasts when its creator names no lifetime.',
    schema: z.coerce.number().int().min(1).max(3650).default(90),
  },
  patMaxLifetime: {
    env: 'LATCHKEY_PAT_MAX_LIFETIME',
    doc: 'Most days a personal access token may last.',
    schema: z.coerce.number().int().min(1).max(3650).default(365),
  },
  patCreators: {
    env: 'LATCHKEY_PAT_CREATORS',
    doc: 'Who may create personal access tokens for themselves: all (every user), none, or comma-separated roles (server_administrator, user_manager, security_manager), held directly or through a group.',
    schema: z
      .union([z.string(), z.array(z.string())])
      .default('all')
      .transform((value, ctx): 'all' | string[] => {
        const items = (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter((v) => v !== '');
        if (items.length === 1 && items[0] === 'all') return 'all';
        if (items.length === 1 && items[0] === 'none') return [];
        const roles = ['server_administrator', 'user_manager', 'security_manager'];
        for (const item of items)
          if (!roles.includes(item)) ctx.addIssue({ code: 'custom', message: `"${item}" is not all, none or one of ${roles.join(', ')}` });
        return [...new Set(items)];
      }),
  },
  outboundAllow: {
    env: 'LATCHKEY_OUTBOUND_ALLOW',
    doc: 'Comma-separated addresses, CIDRs (10.1.0.0/16, fd00::/8) or host names that server-side requests (back-channel logout, the registration webhook) may reach although they are loopback, private, link-local or otherwise internal; such targets are refused when not listed, at registration and when sending.',
    schema: z
      .union([z.string(), z.array(z.string())])
      .default('')
      .transform((value, ctx) => {
        const items = (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter((v) => v !== '');
        for (const item of items) {
          if (parseAllowEntry(item) === null) ctx.addIssue({ code: 'custom', message: `"${item}" is not an address, a CIDR or a host name` });
        }
        return items;
      }),
  },
  outboundSchemes: {
    env: 'LATCHKEY_OUTBOUND_SCHEMES',
    doc: 'Comma-separated URL schemes server-side requests may use: https, and http only when listed.',
    schema: choiceList(['https', 'http'], 'https'),
  },
} as const;

/** Options that no longer exist, and what took their place (named at start and in config-file errors). */
export const RETIRED_OPTIONS: Record<string, { env: string; replacedBy: string }> = {
  tokenRateLimit: {
    env: 'LATCHKEY_TOKEN_RATE_LIMIT',
    replacedBy:
      'per-address limits count only failed client authentications (LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT); a per-client limit on successful token requests is LATCHKEY_CLIENT_TOKEN_RATE_LIMIT',
  },
  deviceRateLimit: {
    env: 'LATCHKEY_DEVICE_RATE_LIMIT',
    replacedBy: 'device authorization requests of unknown or unauthenticated clients count against LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT',
  },
};

type Options = typeof OPTIONS;
export type Config = { [K in keyof Options]: z.output<Options[K]['schema']> } & { issuer: string };
export type OptionName = keyof Options;

/** A comma-separated list (or an array in the config file) whose entries are each one of `choices`. */
function choiceList(choices: readonly string[], defaults: string, normalize: (v: string) => string = (v) => v) {
  return z
    .union([z.string(), z.array(z.string())])
    .default(defaults)
    .transform((value, ctx) => {
      const items = (Array.isArray(value) ? value : value.split(',')).map((v) => normalize(v.trim())).filter((v) => v !== '');
      for (const item of items) {
        if (!choices.includes(item)) ctx.addIssue({ code: 'custom', message: `"${item}" is not one of ${choices.join(', ')}` });
      }
      return [...new Set(items)];
    });
}
