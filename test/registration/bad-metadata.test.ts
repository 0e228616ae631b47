// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GRANT_TYPES, OIDC_RESPONSE_TYPES } from '../../src/core/clients/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { call } from './helpers.js';

type Type = 'oauth2' | 'oidc';

interface Case {
  name: string;
  type?: Type;
  /** Members merged over a valid request (undefined removes one). */
  body?: Record<string, unknown>;
  /** A whole body sent as is, instead. */
  raw?: string;
  contentType?: string;
  error: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_software_statement';
  /** What error_description must say. */
  says: RegExp;
}

const VALID = { client_name: 'Table app', redirect_uris: ['https://app.example/cb'] };
const KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

const wrongTypes: Case[] = [
  { name: 'client_name number', body: { client_name: 42 }, error: 'invalid_client_metadata', says: /client_name: must be a string/ },
  { name: 'client_name empty', body: { client_name: '  ' }, error: 'invalid_client_metadata', says: /client_name: must not be empty/ },
  { name: 'client_name control character', body: { client_name: 'a\u0007b' }, error: 'invalid_client_metadata', says: /client_name: must not contain control/ },
  { name: 'client_name too long', body: { client_name: 'x'.repeat(1001) }, error: 'invalid_client_metadata', says: /client_name: must be at most/ },
  { name: 'localized client_name number', body: { 'client_name#fr': 5 }, error: 'invalid_client_metadata', says: /client_name#fr: must be a string/ },
  { name: 'redirect_uris number', body: { redirect_uris: 42 }, error: 'invalid_redirect_uri', says: /redirect_uris: must be an array of strings/ },
  { name: 'redirect_uris object', body: { redirect_uris: { a: 'https://app.example/cb' } }, error: 'invalid_redirect_uri', says: /must be an array/ },
  { name: 'redirect_uris numbers', body: { redirect_uris: [1, 2] }, error: 'invalid_redirect_uri', says: /must be an array of strings/ },
  { name: 'redirect_uris empty string', body: { redirect_uris: ' , ' }, error: 'invalid_redirect_uri', says: /redirect_uris: must not be empty/ },
  {
    name: 'redirect_uris blank entry',
    body: { redirect_uris: ['https://app.example/cb', ''] },
    error: 'invalid_redirect_uri',
    says: /entries must not be empty/,
  },
  {
    name: 'grant_types string',
    body: { grant_types: 'authorization_code' },
    error: 'invalid_client_metadata',
    says: /grant_types: must be an array of strings/,
  },
  { name: 'grant_types numbers', body: { grant_types: [1] }, error: 'invalid_client_metadata', says: /grant_types: must be an array/ },
  { name: 'response_types string', body: { response_types: 'code' }, error: 'invalid_client_metadata', says: /response_types: must be an array/ },
  {
    name: 'token_endpoint_auth_method number',
    body: { token_endpoint_auth_method: 1 },
    error: 'invalid_client_metadata',
    says: /token_endpoint_auth_method: must be a string/,
  },
  { name: 'contacts string', body: { contacts: 'ops@app.example' }, error: 'invalid_client_metadata', says: /contacts: must be an array of strings/ },
  { name: 'contacts numbers', body: { contacts: [1] }, error: 'invalid_client_metadata', says: /contacts: must be an array/ },
  {
    name: 'contacts too many',
    body: { contacts: Array.from({ length: 21 }, (_, i) => `p${i}@app.example`) },
    error: 'invalid_client_metadata',
    says: /contacts: must have at most 20/,
  },
  { name: 'logo_uri number', body: { logo_uri: 1 }, error: 'invalid_client_metadata', says: /logo_uri: must be a string/ },
  { name: 'client_uri array', body: { client_uri: ['https://app.example'] }, error: 'invalid_client_metadata', says: /client_uri: must be a string/ },
  { name: 'policy_uri boolean', body: { policy_uri: true }, error: 'invalid_client_metadata', says: /policy_uri: must be a string/ },
  { name: 'tos_uri object', body: { tos_uri: {} }, error: 'invalid_client_metadata', says: /tos_uri: must be a string/ },
  { name: 'jwks_uri number', body: { jwks_uri: 5 }, error: 'invalid_client_metadata', says: /jwks_uri: must be a string/ },
  { name: 'jwks string', body: { jwks: 'keys' }, error: 'invalid_client_metadata', says: /jwks: must be a JSON Web Key Set/ },
  { name: 'jwks without keys array', body: { jwks: { keys: 'x' } }, error: 'invalid_client_metadata', says: /jwks: must have a "keys" array/ },
  { name: 'jwks key without kty', body: { jwks: { keys: [{ x: '1' }] } }, error: 'invalid_client_metadata', says: /keys\[0\] must be a JSON Web Key/ },
  {
    name: 'jwks private key',
    body: { jwks: { keys: [{ ...KEY, d: 'secret' }] } },
    error: 'invalid_client_metadata',
    says: /private or symmetric key material/,
  },
  {
    name: 'jwks and jwks_uri',
    body: { jwks: { keys: [KEY] }, jwks_uri: 'https://app.example/jwks' },
    error: 'invalid_client_metadata',
    says: /jwks: must not be sent together with jwks_uri/,
  },
  { name: 'scope array', body: { scope: ['openid'] }, error: 'invalid_client_metadata', says: /scope: must be a string/ },
  { name: 'scope bad token', body: { scope: 'openid "profile"' }, error: 'invalid_client_metadata', says: /scope: .* is not a valid scope token/ },
  {
    name: 'scope unknown',
    body: { scope: 'profile photos.read' },
    error: 'invalid_client_metadata',
    says: /scope: "photos.read" is not a scope of this server \(known: profile/,
  },
  { name: 'software_id number', body: { software_id: 5 }, error: 'invalid_client_metadata', says: /software_id: must be a string/ },
  { name: 'software_version object', body: { software_version: {} }, error: 'invalid_client_metadata', says: /software_version: must be a string/ },
  {
    name: 'application_type unknown',
    body: { application_type: 'desktop' },
    error: 'invalid_client_metadata',
    says: /application_type: must be "web" or "native"/,
  },
  {
    name: 'post_logout_redirect_uris string',
    type: 'oidc',
    body: { post_logout_redirect_uris: 'https://app.example/bye' },
    error: 'invalid_client_metadata',
    says: /post_logout_redirect_uris: must be an array/,
  },
  {
    name: 'backchannel_logout_uri number',
    type: 'oidc',
    body: { backchannel_logout_uri: 5 },
    error: 'invalid_client_metadata',
    says: /backchannel_logout_uri: must be a string/,
  },
  {
    name: 'backchannel_logout_session_required string',
    type: 'oidc',
    body: { backchannel_logout_uri: 'https://app.example/bc', backchannel_logout_session_required: 'yes' },
    error: 'invalid_client_metadata',
    says: /backchannel_logout_session_required: must be true or false/,
  },
  {
    name: 'require_auth_time string',
    type: 'oidc',
    body: { require_auth_time: 'true' },
    error: 'invalid_client_metadata',
    says: /require_auth_time: must be true or false/,
  },
];

const unsupported: Case[] = [
  {
    name: 'private_key_jwt',
    body: { token_endpoint_auth_method: 'private_key_jwt' },
    error: 'invalid_client_metadata',
    says: /"private_key_jwt" is not supported/,
  },
  {
    name: 'software statement',
    body: { software_statement: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' },
    error: 'invalid_software_statement',
    says: /software statements/,
  },
  { name: 'chosen client_id', body: { client_id: 'mine' }, error: 'invalid_client_metadata', says: /client_id: is assigned by the server/ },
  {
    name: 'chosen client_secret',
    body: { client_secret: 'a-secret-of-my-own-choosing' },
    error: 'invalid_client_metadata',
    says: /client_secret: is assigned by the server/,
  },
  {
    name: 'registration_access_token sent',
    body: { registration_access_token: 'x' },
    error: 'invalid_client_metadata',
    says: /registration_access_token: is assigned/,
  },
  { name: 'pairwise subjects', type: 'oidc', body: { subject_type: 'pairwise' }, error: 'invalid_client_metadata', says: /only "public" subject identifiers/ },
  {
    name: 'sector_identifier_uri',
    type: 'oidc',
    body: { sector_identifier_uri: 'https://app.example/s.json' },
    error: 'invalid_client_metadata',
    says: /sector_identifier_uri: pairwise/,
  },
  {
    name: 'unsigned ID tokens',
    type: 'oidc',
    body: { id_token_signed_response_alg: 'none' },
    error: 'invalid_client_metadata',
    says: /id_token_signed_response_alg: "none" is not supported/,
  },
  {
    name: 'signed userinfo',
    type: 'oidc',
    body: { userinfo_signed_response_alg: 'RS256' },
    error: 'invalid_client_metadata',
    says: /userinfo_signed_response_alg/,
  },
  {
    name: 'request_uris',
    type: 'oidc',
    body: { request_uris: ['https://app.example/r'] },
    error: 'invalid_client_metadata',
    says: /request_uris: request objects/,
  },
  {
    name: 'default_max_age',
    type: 'oidc',
    body: { default_max_age: 300 },
    error: 'invalid_client_metadata',
    says: /send max_age with each authorization request/,
  },
  {
    name: 'front-channel logout',
    type: 'oidc',
    body: { frontchannel_logout_uri: 'https://app.example/fc' },
    error: 'invalid_client_metadata',
    says: /front-channel logout/,
  },
  {
    name: 'OIDC member at the OAuth 2.0 endpoint',
    body: { backchannel_logout_uri: 'https://app.example/bc' },
    error: 'invalid_client_metadata',
    says: /applies to OpenID Connect clients only/,
  },
  {
    name: 'post-logout URIs at the OAuth 2.0 endpoint',
    body: { post_logout_redirect_uris: ['https://app.example/bye'] },
    error: 'invalid_client_metadata',
    says: /OpenID Connect/,
  },
];

const unsafeUris: Case[] = [
  { name: 'javascript: redirect', body: { redirect_uris: ['javascript:alert(1)'] }, error: 'invalid_redirect_uri', says: /forbidden scheme javascript:/ },
  { name: 'data: redirect', body: { redirect_uris: ['data:text/html,hi'] }, error: 'invalid_redirect_uri', says: /forbidden scheme data:/ },
  { name: 'fragment in redirect', body: { redirect_uris: ['https://app.example/cb#x'] }, error: 'invalid_redirect_uri', says: /must not contain a fragment/ },
  {
    name: 'http redirect on a public host',
    body: { redirect_uris: ['http://app.example/cb'] },
    error: 'invalid_redirect_uri',
    says: /http on a host that is not loopback/,
  },
  { name: 'relative redirect', body: { redirect_uris: ['/cb'] }, error: 'invalid_redirect_uri', says: /not an absolute URI/ },
  {
    name: 'javascript: inside the comma form',
    body: { redirect_uris: 'https://app.example/cb,javascript:alert(1)' },
    error: 'invalid_redirect_uri',
    says: /javascript:/,
  },
  { name: 'no redirect for the code flow', body: { redirect_uris: undefined }, error: 'invalid_redirect_uri', says: /at least one redirect URI is required/ },
  {
    name: 'duplicate redirects',
    body: { redirect_uris: ['https://app.example/cb', 'https://app.example/cb'] },
    error: 'invalid_redirect_uri',
    says: /contains duplicates/,
  },
  { name: 'javascript: logo', body: { logo_uri: 'javascript:alert(1)' }, error: 'invalid_client_metadata', says: /logo_uri: .* uses the scheme javascript:/ },
  {
    name: 'http client_uri on a public host',
    body: { client_uri: 'http://app.example' },
    error: 'invalid_client_metadata',
    says: /client_uri: .* http on a host that is not loopback/,
  },
  { name: 'fragment in policy_uri', body: { policy_uri: 'https://app.example/policy#top' }, error: 'invalid_client_metadata', says: /policy_uri: .* fragment/ },
  { name: 'ftp tos_uri', body: { tos_uri: 'ftp://app.example/tos' }, error: 'invalid_client_metadata', says: /tos_uri: .* ftp:/ },
  { name: 'credentials in jwks_uri', body: { jwks_uri: 'https://user:pw@app.example/jwks' }, error: 'invalid_client_metadata', says: /user name or password/ },
  {
    name: 'http jwks_uri on a public host',
    body: { jwks_uri: 'http://app.example/jwks' },
    error: 'invalid_client_metadata',
    says: /jwks_uri: .* not loopback/,
  },
  {
    name: 'http back-channel logout on a public host',
    type: 'oidc',
    body: { backchannel_logout_uri: 'http://app.example/bc' },
    error: 'invalid_client_metadata',
    says: /backchannel_logout_uri: .* not loopback/,
  },
  { name: 'javascript: localized logo', body: { 'logo_uri#de': 'javascript:x' }, error: 'invalid_client_metadata', says: /logo_uri#de/ },
  {
    name: 'javascript: post-logout redirect',
    type: 'oidc',
    body: { post_logout_redirect_uris: ['javascript:alert(1)'] },
    error: 'invalid_client_metadata',
    says: /post_logout_redirect_uris: .* javascript:/,
  },
];

const grants: Case[] = [
  { name: 'unknown grant', body: { grant_types: ['magic'] }, error: 'invalid_client_metadata', says: /unknown grant type "magic"/ },
  {
    name: 'unsupported extension grant',
    body: { grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'] },
    error: 'invalid_client_metadata',
    says: /unknown grant type "urn:ietf:params:oauth:grant-type:jwt-bearer"/,
  },
  {
    name: 'unknown response type',
    body: { response_types: ['nonsense'] },
    error: 'invalid_client_metadata',
    says: /"nonsense" is not a response type of OAuth 2.0 clients/,
  },
  {
    name: 'OIDC response type at the OAuth 2.0 endpoint',
    body: { response_types: ['code id_token'] },
    error: 'invalid_client_metadata',
    says: /not a response type of OAuth 2.0/,
  },
  {
    name: 'token without the implicit grant',
    body: { grant_types: ['authorization_code'], response_types: ['code', 'token'] },
    error: 'invalid_client_metadata',
    says: /"token" needs the implicit grant/,
  },
  {
    name: 'id_token without the implicit grant',
    type: 'oidc',
    body: { grant_types: ['authorization_code'], response_types: ['code id_token'] },
    error: 'invalid_client_metadata',
    says: /"code id_token" needs the implicit grant/,
  },
  {
    name: 'implicit grant without a token response',
    body: { grant_types: ['authorization_code', 'implicit'], response_types: ['code'] },
    error: 'invalid_client_metadata',
    says: /implicit needs a response type containing "token"/,
  },
  {
    name: 'code without authorization_code',
    body: { grant_types: ['client_credentials'], response_types: ['code'] },
    error: 'invalid_client_metadata',
    says: /a response type containing "code" needs the authorization_code grant/,
  },
  {
    name: 'authorization_code without code',
    body: { grant_types: ['authorization_code'], response_types: [] },
    error: 'invalid_client_metadata',
    says: /authorization_code needs a response type containing "code"/,
  },
  {
    name: 'refresh_token alone',
    body: { grant_types: ['refresh_token'] },
    error: 'invalid_client_metadata',
    says: /refresh_token alone cannot obtain a first token/,
  },
  {
    name: 'implicit without response_types',
    body: { grant_types: ['implicit'] },
    error: 'invalid_client_metadata',
    says: /response_types: is required with the implicit grant/,
  },
  {
    name: 'public client with client_credentials',
    body: { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], redirect_uris: undefined },
    error: 'invalid_client_metadata',
    says: /a public client cannot use the client_credentials grant/,
  },
  {
    name: 'public client with password',
    body: { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'password'] },
    error: 'invalid_client_metadata',
    says: /a public client cannot use the password grant/,
  },
  {
    name: 'duplicate grants',
    body: { grant_types: ['authorization_code', 'authorization_code'] },
    error: 'invalid_client_metadata',
    says: /grant_types: contains duplicates/,
  },
];

const bodies: Case[] = [
  { name: 'JSON array body', raw: '[]', error: 'invalid_client_metadata', says: /must be a JSON object/ },
  { name: 'JSON string body', raw: '"hello"', error: 'invalid_client_metadata', says: /must be a JSON object/ },
  { name: 'JSON null body', raw: 'null', error: 'invalid_client_metadata', says: /must be a JSON object/ },
  { name: 'broken JSON', raw: '{"client_name": ', error: 'invalid_client_metadata', says: /not valid JSON/ },
  { name: 'empty JSON body', raw: '', error: 'invalid_client_metadata', says: /JSON body is empty/ },
  {
    name: 'form body',
    raw: 'client_name=x&redirect_uris=https%3A%2F%2Fapp.example%2Fcb',
    contentType: 'application/x-www-form-urlencoded',
    error: 'invalid_client_metadata',
    says: /application\/json/,
  },
  { name: 'text body', raw: '{}', contentType: 'text/plain', error: 'invalid_client_metadata', says: /application\/json/ },
  { name: 'XML body', raw: '<client/>', contentType: 'application/xml', error: 'invalid_client_metadata', says: /application\/json/ },
];

describe('registration refuses bad metadata with a precise error', () => {
  let server: TestServer;
  before(async () => {
    // Every grant and response type is open here, so the consistency rules (not the policy) answer.
    server = await startServer({
      env: {
        LATCHKEY_REGISTRATION_RATE_LIMIT: '100000',
        LATCHKEY_REGISTRATION_GRANT_TYPES: GRANT_TYPES.join(','),
        LATCHKEY_REGISTRATION_RESPONSE_TYPES: ['token', ...OIDC_RESPONSE_TYPES].join(','),
      },
    });
  });
  after(() => server.close());

  for (const [group, cases] of Object.entries({
    'wrong types': wrongTypes,
    unsupported,
    'unsafe URIs': unsafeUris,
    'grant and response types': grants,
    bodies,
  })) {
    describe(group, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const url = `${server.baseUrl}/api/${c.type ?? 'oauth2'}/register`;
          const body = c.raw === undefined ? { ...VALID, ...c.body } : undefined;
          const res = await call('POST', url, c.raw === undefined ? { body } : { raw: c.raw, ...(c.contentType ? { contentType: c.contentType } : {}) });
          assert.equal(res.status, 400, JSON.stringify(res.json));
          assert.equal(res.json.error, c.error, String(res.json.error_description));
          assert.match(String(res.json.error_description), c.says);
          assert.equal(res.headers.get('cache-control'), 'no-store');
        });
      }
    });
  }

  it('reports every problem of a request at once', async () => {
    const res = await call('POST', `${server.baseUrl}/api/oauth2/register`, {
      body: { client_name: 7, redirect_uris: ['http://app.example/cb'], contacts: 'x', logo_uri: 'javascript:x' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_client_metadata');
    for (const field of ['client_name', 'contacts', 'logo_uri']) assert.match(String(res.json.error_description), new RegExp(`${field}:`));
  });

  it('created nothing for any refused request', async () => {
    const { total } = await server.app.stores.clients.list({ limit: 1, offset: 0 });
    assert.equal(total, 0);
  });

  it('accepts what the refusals above are variations of', async () => {
    const res = await call('POST', `${server.baseUrl}/api/oidc/register`, {
      body: {
        ...VALID,
        'client_name#fr': 'Appli tableau',
        redirect_uris: ['https://app.example/cb', 'http://localhost:4000/cb', 'http://[::1]:4000/cb', 'com.example.app:/cb'],
        post_logout_redirect_uris: ['https://app.example/bye'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
        response_types: ['code', 'id_token code'],
        jwks: { keys: [KEY] },
        backchannel_logout_uri: 'https://app.example/bc',
        backchannel_logout_session_required: true,
        id_token_signed_response_alg: 'ES256',
        subject_type: 'public',
        application_type: 'web',
        tls_client_certificate_bound_access_tokens: false,
        some_future_member: 'ignored',
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.deepEqual(res.json.response_types, ['code', 'code id_token']);
    assert.deepEqual(res.json.grant_types, ['authorization_code', 'refresh_token', 'implicit']);
    assert.equal(res.json['client_name#fr'], 'Appli tableau');
    assert.equal(res.json.some_future_member, undefined);
    const stored = await server.app.stores.clients.get(String(res.json.client_id));
    assert.deepEqual((stored?.metadata.registration as Record<string, unknown> | undefined)?.ignored_fields, ['some_future_member']);
    await server.app.clientAdmin.remove(String(res.json.client_id), { name: 'test', source: 'test' });
  });
});
