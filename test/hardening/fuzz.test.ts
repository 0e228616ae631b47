import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { PROBLEM_STATUS } from '../../src/core/oauth1/problems.js';
import { authHeader, CALLBACK, npmClient } from '../oauth1/helpers.js';
import { basic } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { ADMIN_PASSWORD } from '../support/server.js';
import { type Plan, type PlanShape, type Pools, planArb } from './arbitraries.js';
import {
  changedTables,
  type Fixture,
  INTERNALS,
  LOOPBACK_REDIRECT,
  leakedSecret,
  POST_LOGOUT_REDIRECT,
  REDIRECT_URI,
  snapshot,
  startFixture,
} from './fixture.js';
import { type RawResponse, rawRequest } from './raw-http.js';

/**
 * Property-based fuzzing of every public endpoint with hostile requests sent byte for byte. For
 * every request: no 5xx, an answer within a time bound, the error (when there is one) is a code
 * registered for that endpoint with its status, no secret and no stack trace in the answer, pages
 * carry their protective headers, redirects go only to registered places, and a rejected request
 * leaves the database as it was (failure counters and the audit trail excepted).
 *
 * A fixed seed keeps `npm test` reproducible; `npm run fuzz` runs longer (LATCHKEY_FUZZ_RUNS runs
 * per endpoint; LATCHKEY_FUZZ_SEED to explore elsewhere; LATCHKEY_FUZZ_ONLY to pick endpoints by name).
 */
const SEED = Number(process.env.LATCHKEY_FUZZ_SEED ?? 9700);
const RUNS = Number(process.env.LATCHKEY_FUZZ_RUNS ?? 0);
const MAX_MS = Number(process.env.LATCHKEY_FUZZ_MAX_MS ?? 5000);
/** Only the endpoints whose name contains this (LATCHKEY_FUZZ_ONLY=OpenID), to chase one finding. */
const ONLY = process.env.LATCHKEY_FUZZ_ONLY ?? '';

const GENERIC = ['invalid_request', 'not_found'];
const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'access_denied',
  'temporarily_unavailable',
];
const AUTHORIZE_ERRORS = [
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
];
const OAUTH1_PROBLEMS = Object.keys(PROBLEM_STATUS);
const API_AUTH_ERRORS = [
  'unauthenticated',
  'invalid_credentials',
  'too_many_attempts',
  'csrf_failed',
  'invalid_token',
  'invalid_request',
  'insufficient_scope',
  'forbidden',
  ...OAUTH1_PROBLEMS,
];
const ADMIN_ERRORS = [...API_AUTH_ERRORS, 'not_found', 'conflict'];
const REGISTRATION_ERRORS = [
  'invalid_client_metadata',
  'invalid_redirect_uri',
  'invalid_software_statement',
  'invalid_token',
  'invalid_request',
  'access_denied',
  'temporarily_unavailable',
];

type Kind = 'oauth2' | 'page' | 'api' | 'oauth1' | 'registration' | 'doc' | 'generic';

interface Spec extends PlanShape {
  name: string;
  kind: Kind;
  errors: readonly string[];
  /** Relative share of the runs. */
  weight?: number;
}

const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'request',
  'request_uri',
];

function specs(f: Fixture): Spec[] {
  const reg = f.registered.clientId;
  const confAuth = basic(f.confidential.key, f.confidential.secret);
  const session = `latchkey_session=${f.secrets.get('session cookie')}`;
  const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  const challenge = createHash('sha256').update('x'.repeat(43)).digest('base64url');
  const authorizeBase: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', f.confidential.key],
    ['redirect_uri', REDIRECT_URI],
    ['scope', 'profile'],
    ['state', 'fuzz-state'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
  ];
  const publicAuthorizeBase: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', f.publicClient.key],
    ['redirect_uri', LOOPBACK_REDIRECT.replace(':9/', ':4242/')],
    ['state', 'fuzz-state'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
  ];
  const oauth = npmClient(f.consumer.key, f.consumer.secret);
  const sign: Spec['sign'] = ({ method, url, form, protocol }) =>
    authHeader(
      oauth,
      { url: `${f.baseUrl}${url}`, method, data: Object.fromEntries(form ?? []) },
      url.startsWith('/oauth1/request_token') ? undefined : f.oauth1Token,
      protocol,
    );
  return [
    {
      name: 'token endpoint',
      kind: 'oauth2',
      methods: ['POST'],
      paths: ['/api/oauth2/token'],
      params: [
        'grant_type',
        'code',
        'redirect_uri',
        'code_verifier',
        'refresh_token',
        'scope',
        'username',
        'password',
        'client_id',
        'client_secret',
        'device_code',
      ],
      carrier: 'form',
      errors: TOKEN_ERRORS,
      weight: 3,
      bases: [
        {
          params: [
            ['grant_type', 'password'],
            ['username', 'alice'],
            ['password', f.alice.password],
            ['scope', 'profile'],
          ],
          authorization: confAuth,
        },
        {
          params: [
            ['grant_type', 'refresh_token'],
            ['refresh_token', f.refreshToken],
            ['scope', 'profile'],
          ],
          authorization: confAuth,
        },
        {
          params: [
            ['grant_type', 'authorization_code'],
            ['code', f.code],
            ['redirect_uri', REDIRECT_URI],
            ['code_verifier', f.codeVerifier],
          ],
          authorization: confAuth,
        },
        {
          params: [
            ['grant_type', 'client_credentials'],
            ['scope', 'profile'],
          ],
          authorization: confAuth,
        },
        {
          params: [
            ['grant_type', 'urn:ietf:params:oauth:grant-type:device_code'],
            ['device_code', f.deviceCode],
            ['client_id', f.publicClient.key],
          ],
        },
        {
          params: [
            ['grant_type', 'authorization_code'],
            ['client_id', f.publicClient.key],
            ['code', 'unknown-code'],
            ['code_verifier', 'x'.repeat(43)],
          ],
        },
      ],
    },
    {
      name: 'device authorization endpoint',
      kind: 'oauth2',
      methods: ['POST'],
      paths: ['/api/oauth2/device_code'],
      params: ['client_id', 'client_secret', 'scope'],
      carrier: 'form',
      errors: ['invalid_request', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'temporarily_unavailable'],
      bases: [
        {
          params: [
            ['client_id', f.publicClient.key],
            ['scope', 'profile'],
          ],
        },
        { params: [['scope', 'profile']], authorization: confAuth },
      ],
    },
    {
      name: 'introspection endpoint',
      kind: 'oauth2',
      methods: ['POST'],
      paths: ['/api/oauth2/introspect'],
      params: ['token', 'token_type_hint', 'client_id', 'client_secret'],
      carrier: 'form',
      errors: ['invalid_request', 'invalid_client', 'temporarily_unavailable'],
      bases: [
        { params: [['token', f.accessToken]], authorization: confAuth },
        {
          params: [
            ['token', f.refreshToken],
            ['token_type_hint', 'refresh_token'],
          ],
          authorization: confAuth,
        },
      ],
    },
    {
      name: 'revocation endpoint',
      kind: 'oauth2',
      methods: ['POST'],
      paths: ['/api/oauth2/revoke'],
      params: ['token', 'token_type_hint', 'client_id', 'client_secret'],
      carrier: 'form',
      errors: ['invalid_request', 'invalid_client', 'unsupported_token_type', 'temporarily_unavailable'],
      bases: [
        {
          params: [
            ['token', 'no-such-token'],
            ['token_type_hint', 'access_token'],
          ],
          authorization: confAuth,
        },
      ],
    },
    {
      name: 'authorization endpoint',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/oauth2/authorize'],
      params: AUTHORIZE_PARAMS,
      carrier: 'any',
      errors: AUTHORIZE_ERRORS,
      weight: 3,
      bases: [{ params: authorizeBase, cookie: session }, { params: publicAuthorizeBase, cookie: session }, { params: authorizeBase }],
    },
    {
      name: 'consent form',
      kind: 'page',
      methods: ['POST'],
      paths: ['/oauth2/authorize/decision'],
      params: [...AUTHORIZE_PARAMS, 'csrf_token', 'decision', 'decision'],
      carrier: 'form',
      errors: AUTHORIZE_ERRORS,
      weight: 2,
      bases: [{ params: [...authorizeBase, ['csrf_token', f.session.csrf], ['decision', 'allow']], cookie: session }],
    },
    {
      name: 'device verification pages',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/device', '/device/decision'],
      params: ['user_code', 'csrf_token', 'decision'],
      carrier: 'any',
      errors: [],
      bases: [
        {
          params: [
            ['user_code', f.secrets.get('user code') ?? ''],
            ['csrf_token', f.session.csrf],
            ['decision', 'deny'],
          ],
          cookie: session,
        },
      ],
    },
    {
      name: 'login and logout forms',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/login', '/logout', '/'],
      params: ['username', 'password', 'csrf_token', 'return_to', 'remember'],
      carrier: 'any',
      errors: [],
      weight: 2,
      bases: [
        {
          params: [
            ['username', 'alice'],
            ['password', f.alice.password],
            ['csrf_token', 'fuzz-login-csrf'],
            ['return_to', '/account/applications'],
          ],
          cookie: 'latchkey_login_csrf=fuzz-login-csrf',
        },
        { params: [['csrf_token', f.session.csrf]], cookie: session },
      ],
    },
    {
      name: 'account pages',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/account/applications', '/account/applications/revoke', '/account/profile', '/account/password', '/admin', '/admin/account'],
      params: ['csrf_token', 'client_key', 'display_name', 'email', 'current_password', 'new_password', 'confirm_password'],
      carrier: 'any',
      errors: API_AUTH_ERRORS,
      bases: [
        {
          params: [
            ['csrf_token', f.session.csrf],
            ['client_key', f.pending.key],
          ],
          cookie: session,
        },
        {
          params: [
            ['csrf_token', f.session.csrf],
            ['display_name', 'Alice'],
            ['email', 'alice@example.test'],
          ],
          cookie: session,
        },
      ],
    },
    {
      name: 'OAuth 1.0a credential endpoints',
      kind: 'oauth1',
      methods: ['POST', 'GET'],
      paths: ['/oauth1/request_token', '/oauth1/access_token'],
      params: [
        'oauth_consumer_key',
        'oauth_token',
        'oauth_signature_method',
        'oauth_signature',
        'oauth_timestamp',
        'oauth_nonce',
        'oauth_version',
        'oauth_callback',
        'oauth_verifier',
        'realm',
      ],
      carrier: 'any',
      errors: [],
      weight: 2,
      bases: [{ params: [['oauth_callback', CALLBACK]] }, { params: [['oauth_verifier', 'fuzz-verifier']] }],
      sign,
    },
    {
      name: 'OAuth 1.0a authorization page',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/oauth1/authorize'],
      params: ['oauth_token', 'csrf_token', 'decision'],
      carrier: 'any',
      errors: [],
    },
    {
      name: 'OAuth 1.0a verification for resource servers',
      kind: 'api',
      methods: ['POST'],
      paths: ['/api/oauth1/verify'],
      params: ['method', 'url', 'authorization', 'body', 'content_type', 'consume_nonce'],
      carrier: 'json',
      errors: ['too_many_attempts', 'invalid_client', 'invalid_request', 'unauthorized_client'],
      bases: [
        {
          params: [
            ['method', 'GET'],
            ['url', `${f.baseUrl}/api/me`],
            ['authorization', authHeader(oauth, { url: `${f.baseUrl}/api/me`, method: 'GET' }, f.oauth1Token)],
          ],
          authorization: confAuth,
        },
      ],
    },
    {
      name: 'OSLC root services and consumer-key request',
      kind: 'api',
      methods: ['POST', 'GET'],
      paths: ['/oslc/consumer-key', '/oslc/rootservices'],
      params: ['name', 'secret', 'trusted'],
      carrier: 'json',
      errors: ['too_many_requests', 'invalid_request', 'conflict'],
      bases: [
        {
          params: [
            ['name', 'Fuzzed consumer'],
            ['secret', 'a-consumer-secret-of-some-length'],
          ],
        },
      ],
    },
    {
      name: 'registration endpoints',
      kind: 'registration',
      methods: ['POST', 'GET', 'PUT', 'DELETE'],
      paths: ['/api/oauth2/register', '/api/oidc/register', `/api/oauth2/register/${reg}`, `/api/oidc/register/${reg}`, '/api/oauth2/register/unknown-client'],
      params: [
        'redirect_uris',
        'client_name',
        'grant_types',
        'response_types',
        'token_endpoint_auth_method',
        'scope',
        'client_uri',
        'logo_uri',
        'jwks_uri',
        'jwks',
        'contacts',
        'software_statement',
        'client_id',
        'client_secret',
        'post_logout_redirect_uris',
        'id_token_signed_response_alg',
      ],
      carrier: 'json',
      errors: REGISTRATION_ERRORS,
      weight: 2,
      bases: [
        {
          params: [
            ['redirect_uris', ['https://fuzz.example.test/cb']],
            ['client_name', 'Fuzzed'],
            ['grant_types', ['authorization_code']],
          ],
        },
        {
          params: [
            ['client_id', reg],
            ['redirect_uris', ['https://registered.example.test/cb']],
            ['client_name', 'Registered app'],
          ],
          authorization: `Bearer ${f.registered.registrationAccessToken}`,
        },
      ],
    },
    {
      name: "the user's API (/api/me)",
      kind: 'api',
      methods: ['GET'],
      paths: ['/api/me'],
      params: ['access_token'],
      carrier: 'query',
      errors: API_AUTH_ERRORS,
      bases: [{ params: [], authorization: `Bearer ${f.accessToken}` }, { params: [['x', '1']] }],
      sign,
    },
    {
      name: 'discovery, keys, health and metrics',
      kind: 'doc',
      methods: ['GET', 'HEAD'],
      paths: [
        '/.well-known/oauth-authorization-server',
        '/.well-known/oauth2.0-configuration',
        '/.well-known/openid-configuration',
        '/.well-known/oidc-configuration',
        '/jwks.json',
        '/healthz',
        '/readyz',
        '/metrics',
        '/oslc/rootservices',
        '/admin/api/openapi.json',
        '/assets/latchkey.css',
        '/assets/..%2f..%2fpackage.json',
        '/assets/console/..%2f..%2f..%2fpackage.json',
      ],
      params: ['x'],
      carrier: 'query',
      errors: [],
    },
    {
      name: 'admin API',
      kind: 'api',
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      paths: [
        '/admin/api/clients',
        `/admin/api/clients/${f.pending.key}`,
        '/admin/api/clients/no-such-key',
        '/admin/api/clients/no-such-key/approve',
        '/admin/api/clients/no-such-key/secret',
        `/admin/api/clients/${f.pending.key}/activity`,
        '/admin/api/audit',
        '/admin/api/users',
        '/admin/api/users/nobody',
        '/admin/api/users/nobody/password',
      ],
      params: [
        'type',
        'name',
        'redirect_uris',
        'grant_types',
        'secret',
        'public',
        'status',
        'search',
        'sort',
        'order',
        'limit',
        'offset',
        'username',
        'password',
        'roles',
        'enabled',
        'action',
      ],
      carrier: 'any',
      errors: ADMIN_ERRORS,
      weight: 2,
      bases: [
        {
          params: [
            ['type', 'oauth2'],
            ['name', 'Fuzzed client'],
            ['redirect_uris', ['https://fuzz.example.test/cb']],
          ],
          authorization: adminAuth,
        },
        {
          params: [
            ['username', 'fuzzed-user'],
            ['password', 'a-long-enough-password'],
          ],
          authorization: adminAuth,
        },
        {
          params: [
            ['limit', '5'],
            ['search', 'app'],
          ],
          authorization: adminAuth,
        },
      ],
    },
    ...oidcSpecs(f),
    {
      name: 'admin console pages',
      kind: 'page',
      methods: ['GET'],
      paths: ['/admin/clients', `/admin/clients/${f.pending.key}`, '/admin/users', '/admin/audit', '/assets/console/console.js'],
      params: ['type', 'status', 'search', 'page', 'sort'],
      carrier: 'query',
      errors: API_AUTH_ERRORS,
    },
  ];
}

/** The OpenID Connect endpoints, when the server offers them. */
function oidcSpecs(f: Fixture): Spec[] {
  if (!f.oidc) return [];
  const rp = f.oidc;
  const auth = basic(rp.key, rp.secret);
  const session = `latchkey_session=${f.secrets.get('session cookie')}`;
  const authorize: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', rp.key],
    ['redirect_uri', REDIRECT_URI],
    ['scope', 'openid profile email'],
    ['state', 'fuzz-state'],
    ['nonce', 'fuzz-nonce'],
  ];
  const oidcParams = [...AUTHORIZE_PARAMS, 'claims', 'acr_values', 'display', 'ui_locales', 'id_token_hint', 'response_mode'];
  return [
    {
      name: 'OpenID Connect authorization endpoint and consent',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/oidc/authorize', '/oidc/authorize/decision'],
      params: [...oidcParams, 'csrf_token', 'decision'],
      carrier: 'any',
      errors: AUTHORIZE_ERRORS,
      weight: 2,
      bases: [
        { params: authorize, cookie: session },
        { params: [...authorize, ['prompt', 'none'], ['max_age', '0'], ['id_token_hint', rp.idToken]], cookie: session },
        { params: [...authorize, ['response_type', 'code id_token'], ['response_mode', 'form_post']], cookie: session },
        { params: [...authorize, ['csrf_token', f.session.csrf], ['decision', 'allow']], cookie: session },
      ],
    },
    {
      name: 'OpenID Connect token and device endpoints',
      kind: 'oauth2',
      methods: ['POST'],
      paths: ['/api/oidc/token', '/api/oidc/device_code'],
      params: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'client_id', 'client_secret', 'device_code'],
      carrier: 'form',
      errors: TOKEN_ERRORS,
      bases: [
        {
          params: [
            ['grant_type', 'refresh_token'],
            ['refresh_token', f.secrets.get('OIDC refresh token') ?? ''],
          ],
          authorization: auth,
        },
        {
          params: [
            ['grant_type', 'authorization_code'],
            ['code', 'unknown'],
            ['redirect_uri', REDIRECT_URI],
          ],
          authorization: auth,
        },
      ],
    },
    {
      name: 'OpenID Connect UserInfo',
      kind: 'api',
      methods: ['GET', 'POST'],
      paths: ['/userinfo'],
      params: ['access_token', 'schema'],
      carrier: 'any',
      errors: API_AUTH_ERRORS,
      bases: [
        { params: [], authorization: `Bearer ${f.secrets.get('OIDC access token')}` },
        { params: [['access_token', f.secrets.get('OIDC access token') ?? '']] },
      ],
    },
    {
      name: 'OpenID Connect RP-initiated logout',
      kind: 'page',
      methods: ['GET', 'POST'],
      paths: ['/oidc/logout', '/oidc/logout/confirm'],
      params: ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales', 'csrf_token', 'decision'],
      carrier: 'any',
      errors: [],
      bases: [
        {
          params: [
            ['id_token_hint', rp.idToken],
            ['post_logout_redirect_uri', POST_LOGOUT_REDIRECT],
            ['state', 'bye'],
          ],
          cookie: session,
        },
        {
          params: [
            ['client_id', rp.key],
            ['post_logout_redirect_uri', POST_LOGOUT_REDIRECT],
          ],
        },
      ],
    },
  ];
}

function pools(f: Fixture): Pools {
  const oauth = npmClient(f.consumer.key, f.consumer.secret);
  const meUrl = `${f.baseUrl}/api/me`;
  return {
    values: [
      f.confidential.key,
      f.confidential.secret,
      f.publicClient.key,
      f.pending.key,
      f.consumer.key,
      f.consumer.secret,
      f.oauth1Token.key,
      f.registered.clientId,
      f.registered.registrationAccessToken,
      f.accessToken,
      f.refreshToken,
      f.code,
      f.codeVerifier,
      f.deviceCode,
      f.session.csrf,
      f.secrets.get('user code') ?? '',
      REDIRECT_URI,
      LOOPBACK_REDIRECT,
      CALLBACK,
      'alice',
      f.alice.password,
      ...(f.oidc ? [f.oidc.key, f.oidc.idToken, POST_LOGOUT_REDIRECT] : []),
    ],
    authorizations: [
      basic(f.confidential.key, f.confidential.secret),
      basic(f.pending.key, f.pending.secret),
      basic(f.registered.clientId, f.registered.clientSecret),
      basic(f.publicClient.key, ''),
      basic('alice', f.alice.password),
      `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      `Bearer ${f.accessToken}`,
      `Bearer ${f.registered.registrationAccessToken}`,
      authHeader(oauth, { url: meUrl, method: 'GET' }, f.oauth1Token),
    ],
    cookies: [`latchkey_session=${f.secrets.get('session cookie')}`, 'latchkey_session=forged', `latchkey_session=${'x'.repeat(300)}`, 'latchkey_login_csrf=a'],
  };
}

function send(f: Fixture, plan: Plan): Promise<RawResponse> {
  return rawRequest(f.baseUrl, plan, MAX_MS * 4);
}

function jsonOf(res: RawResponse): Record<string, unknown> | undefined {
  if (!/json/.test(res.headers['content-type'] ?? '')) return undefined;
  try {
    const v: unknown = JSON.parse(res.text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Where a redirect may go: this server, or a URI registered by one of the fixture's clients. */
function redirectAllowed(f: Fixture, location: string): boolean {
  if (location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\')) return true;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  const origin = new URL(f.baseUrl).origin;
  if (url.origin === origin) return true;
  const bare = `${url.origin}${url.pathname}`;
  if ([REDIRECT_URI, CALLBACK, POST_LOGOUT_REDIRECT, 'https://registered.example.test/cb'].includes(bare)) return true;
  // RFC 8252 §7.3: a loopback redirect URI may use any port.
  return url.protocol === 'http:' && url.hostname === '127.0.0.1' && url.pathname === new URL(LOOPBACK_REDIRECT).pathname;
}

/** Database changes a rejected request may cause by design. */
function designedChange(res: RawResponse, body: Record<string, unknown> | undefined, tables: string[]): boolean {
  const error = body?.error;
  const description = String(body?.error_description ?? '');
  const grantTables = new Set(['oauth2_grants', 'oauth2_refresh_tokens', 'oauth2_device_codes', 'consents']);
  // RFC 9700 §4.14.2 / RFC 6749 §4.1.2: a replayed code or refresh token revokes what it produced.
  if (error === 'invalid_grant' && /revoked/.test(description)) return tables.every((t) => grantTables.has(t));
  // RFC 8628 §3.5: polling is recorded (and slow_down raises the interval).
  if (error === 'authorization_pending' || error === 'slow_down') return tables.every((t) => t === 'oauth2_device_codes');
  return res.status === 0;
}

function check(f: Fixture, spec: Spec, plan: Plan, res: RawResponse): void {
  const where = `${spec.name}: ${plan.label}\n→ ${res.status} ${res.headers['content-type'] ?? ''} ${res.text.slice(0, 300)}`;
  assert.ok(res.status >= 200 && res.status < 500, `no 5xx (or garbage) answer\n${where}`);
  assert.ok(res.elapsed < MAX_MS, `answered within ${MAX_MS} ms (took ${Math.round(res.elapsed)})\n${where}`);
  const everything = `${res.headerList.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${res.text}`;
  assert.doesNotMatch(res.text, INTERNALS, `no stack trace or internal detail\n${where}`);
  const leaked = leakedSecret(f.secrets, everything, plan.carried);
  assert.equal(leaked, undefined, `no secret (${leaked}) in the answer\n${where}`);
  if (plan.method !== 'HEAD') assert.equal(res.headers['x-content-type-options'], 'nosniff', `nosniff on every answer\n${where}`);

  const type = res.headers['content-type'] ?? '';
  const body = jsonOf(res);
  if (/text\/html/.test(type)) {
    assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, `pages carry a CSP that forbids framing\n${where}`);
    assert.equal(res.headers['cache-control'], 'no-store', `pages are not cached\n${where}`);
  }
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.location ?? '';
    assert.ok(redirectAllowed(f, location), `redirects only to this server or a registered URI: ${location}\n${where}`);
    if (!location.startsWith('/')) {
      const url = new URL(location);
      const params = new URLSearchParams(url.hash.slice(1) || url.search);
      const error = params.get('error');
      if (error !== null) assert.ok(spec.errors.includes(error), `registered error "${error}" in the redirect\n${where}`);
      if (params.has('code') || params.has('access_token') || params.has('oauth_verifier')) {
        assert.equal(res.headers['cache-control'], 'no-store', `a redirect carrying a code or token is not cached\n${where}`);
        assert.equal(res.headers['referrer-policy'], 'no-referrer', `a redirect carrying a code or token sends no Referer\n${where}`);
      }
    }
  }
  if (body && ('access_token' in body || 'refresh_token' in body || 'client_secret' in body || 'registration_access_token' in body || 'device_code' in body)) {
    assert.match(res.headers['cache-control'] ?? '', /no-store/, `an answer with a token or secret is not cached\n${where}`);
  }
  if (res.status >= 400 && plan.method !== 'HEAD') {
    if (spec.kind === 'oauth1' && /x-www-form-urlencoded/.test(type)) {
      const problem = new URLSearchParams(res.text).get('oauth_problem') ?? '';
      assert.ok(OAUTH1_PROBLEMS.includes(problem), `registered oauth_problem "${problem}"\n${where}`);
      assert.equal(res.status, PROBLEM_STATUS[problem as keyof typeof PROBLEM_STATUS] === 401 ? 401 : res.status, `RFC 5849 §3.2 status\n${where}`);
    } else if (!/text\/html/.test(type) && spec.kind !== 'generic') {
      assert.ok(body, `a JSON error body\n${where}`);
      const error = String(body.error);
      assert.ok([...spec.errors, ...GENERIC].includes(error), `registered error code "${error}" for this endpoint\n${where}`);
      if (spec.kind === 'oauth2') {
        // RFC 6749 §5.2: 401 for invalid_client, 400 for the rest (429/405/413/415 for transport limits).
        const expected = error === 'invalid_client' ? [401] : error === 'temporarily_unavailable' ? [429, 503] : [400, 405, 413, 415, 431];
        assert.ok(expected.includes(res.status), `status ${res.status} fits ${error}\n${where}`);
        assert.equal(typeof body.error_description, 'string', `an error_description\n${where}`);
      }
    }
  }
}

/** Runs the property; returns how often each status was answered (reported as test diagnostics). */
async function fuzz(f: Fixture, spec: Spec, numRuns: number): Promise<string> {
  const statuses = new Map<number, number>();
  // Only this test writes to the database (no background jobs run), so the state after one request
  // is the state before the next.
  let last = await snapshot(f.t);
  await fc.assert(
    fc.asyncProperty(planArb(spec, pools(f)), async (plan) => {
      const before = last;
      const res = await send(f, plan);
      last = await snapshot(f.t);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      check(f, spec, plan, res);
      const location = res.headers.location ?? '';
      const rejected = res.status >= 400 || /[?#&]error=/.test(location);
      if (rejected) {
        const changed = changedTables(before, last);
        assert.ok(
          changed.length === 0 || designedChange(res, jsonOf(res), changed),
          `a rejected request changed ${changed.join(', ')}\n${spec.name}: ${plan.label}\n→ ${res.status} ${res.text.slice(0, 300)}`,
        );
      }
    }),
    { seed: SEED, numRuns, maxSkipsPerRun: 0 },
  );
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
}

/** Every route the server registered, read from Fastify's route tree. */
function registeredRoutes(tree: string): Array<{ path: string; methods: string[] }> {
  const out: Array<{ path: string; methods: string[] }> = [];
  const stack: Array<{ depth: number; path: string }> = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+) \(([^)]+)\)/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    while (stack.length > 0 && (stack[stack.length - 1]?.depth ?? 0) >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    const segment = m[2] ?? '';
    const path = parent === '' ? segment : parent === '/' ? `/${segment}` : `${parent}${segment}`;
    stack.push({ depth, path });
    out.push({ path, methods: (m[3] ?? '').split(', ') });
  }
  return out;
}

const backends = backendNames();
for (const backend of backends) {
  // SQLite gets the bulk of the runs; PostgreSQL a share, to catch dialect-specific failures.
  const perWeight = RUNS > 0 ? RUNS : backend === 'sqlite' ? 80 : 20;
  describe(`fuzzing every public endpoint (${backend}, seed ${SEED})`, { timeout: RUNS > 0 ? Number.POSITIVE_INFINITY : 600_000 }, () => {
    let f: Fixture;
    before(async () => {
      f = await startFixture({
        backend,
        env: { LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT: '100000', LATCHKEY_REGISTRATION_RATE_LIMIT: '100000' },
      });
    });
    after(async () => {
      await f?.close();
    });

    it('every endpoint keeps its invariants under hostile requests', async (t) => {
      for (const spec of specs(f).filter((s) => s.name.includes(ONLY))) {
        await t.test(spec.name, async (st) => st.diagnostic(await fuzz(f, spec, perWeight * (spec.weight ?? 1))));
      }
    });

    it('every other registered route (OpenID Connect and later additions): generic invariants', async (t) => {
      if (ONLY !== '') return t.skip('LATCHKEY_FUZZ_ONLY is set');
      const covered = new Set(specs(f).flatMap((s) => s.paths.map((p) => p.split('?')[0])));
      const known = /^\/(admin\/api\/(clients|users)\/:|admin\/clients\/:|assets\/|api\/o(auth2|idc)\/register\/:)/;
      const others = registeredRoutes(f.t.server.printRoutes({ commonPrefix: false })).filter(
        (r) => !covered.has(r.path) && !known.test(r.path) && r.methods.some((m) => m !== 'HEAD'),
      );
      for (const route of others) {
        const spec: Spec = {
          name: `route ${route.path}`,
          kind: 'generic',
          methods: route.methods.filter((m) => m !== 'HEAD'),
          paths: [route.path.replace(/:[a-zA-Z]+/g, 'x')],
          params: [...AUTHORIZE_PARAMS, 'id_token_hint', 'post_logout_redirect_uri', 'client_id', 'token', 'access_token'],
          carrier: 'any',
          errors: [...AUTHORIZE_ERRORS, ...TOKEN_ERRORS, ...API_AUTH_ERRORS],
        };
        t.diagnostic(`${route.path}: ${await fuzz(f, spec, perWeight)}`);
      }
      t.diagnostic(`fuzzed ${others.length} further routes`);
    });
  });
}
