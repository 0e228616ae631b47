import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_AUTH_METHODS } from '../oauth2/client-auth/types.js';
import { DEVICE_CODE_GRANT, GRANT_TYPES } from './client.js';
import { redirectUriProblem } from './redirect-uri.js';
import {
  CLIENT_SETTINGS_RULES,
  checkCallbackUrl,
  checkChosenSecret,
  checkName,
  checkOAuth2Settings,
  defaultAuthMethod,
  grantAllowedFor,
  isPublicAuthMethod,
  type OAuth2Settings,
  requiresPkce,
  settingsViolations,
} from './settings.js';

const base: OAuth2Settings = {
  type: 'oauth2',
  isPublic: false,
  redirectUris: ['https://app.example/cb'],
  postLogoutRedirectUris: [],
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
};

describe('grant and response type consistency', () => {
  const cases: Array<[string, Partial<OAuth2Settings>, string[]]> = [
    ['defaults are consistent', {}, []],
    [
      'every reference grant on oauth2',
      { grantTypes: ['authorization_code', 'password', 'refresh_token', DEVICE_CODE_GRANT], responseTypes: ['code', 'token'] },
      [],
    ],
    ['client_credentials alone needs no redirect URI', { grantTypes: ['client_credentials'], responseTypes: [], redirectUris: [] }, []],
    ['device grant alone needs no redirect URI', { grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], responseTypes: [], redirectUris: [] }, []],
    ['unknown grant', { grantTypes: ['authorization_code', 'implicit'] }, ['grant_types']],
    ['code response without authorization_code', { grantTypes: ['password'], responseTypes: ['code'] }, ['response_types']],
    ['authorization_code without a code response', { responseTypes: ['token'] }, ['grant_types']],
    ['refresh_token alone', { grantTypes: ['refresh_token'], responseTypes: [], redirectUris: [] }, ['grant_types']],
    ['OIDC response type on an oauth2 client', { responseTypes: ['code id_token'] }, ['response_types']],
    ['token-only implicit is allowed on oauth2', { grantTypes: ['authorization_code'], responseTypes: ['code', 'token'] }, []],
    ['authorization flow without redirect URIs', { redirectUris: [] }, ['redirect_uris']],
    ['public client with password', { isPublic: true, grantTypes: ['authorization_code', 'password'] }, ['grant_types']],
    ['public client with client_credentials', { isPublic: true, grantTypes: ['authorization_code', 'client_credentials'] }, ['grant_types']],
    ['public client with code is fine', { isPublic: true }, []],
    ['duplicate grants', { grantTypes: ['authorization_code', 'authorization_code'] }, ['grant_types']],
    ['no grants at all', { grantTypes: [], responseTypes: [] }, ['grant_types']],
    ['post-logout URIs on oauth2', { postLogoutRedirectUris: ['https://app.example/bye'] }, ['post_logout_redirect_uris']],
  ];
  for (const [name, patch, fields] of cases) {
    it(name, () => {
      const problems = checkOAuth2Settings({ ...base, ...patch });
      assert.deepEqual([...new Set(problems.map((p) => p.field))].sort(), [...fields].sort(), JSON.stringify(problems));
    });
  }

  const oidcCases: Array<[string, string[], string[], string[]]> = [
    ['all six OIDC response types', ['code', 'code id_token', 'code id_token token', 'code token', 'id_token', 'id_token token'], ['authorization_code'], []],
    ['response types are order-insensitive', ['id_token code'], ['authorization_code'], []],
    ['implicit id_token without authorization_code', ['id_token', 'id_token token'], ['password'], []],
    ['hybrid without authorization_code', ['code id_token'], ['password'], ['response_types']],
    ['plain token is not an OIDC response type', ['token'], ['password'], ['response_types']],
  ];
  for (const [name, responseTypes, grantTypes, fields] of oidcCases) {
    it(`oidc: ${name}`, () => {
      const problems = checkOAuth2Settings({ ...base, type: 'oidc', grantTypes, responseTypes });
      assert.deepEqual([...new Set(problems.map((p) => p.field))].sort(), fields, JSON.stringify(problems));
    });
  }
});

describe('redirect URIs', () => {
  const ok = [
    'https://app.example/cb',
    'https://app.example:8443/cb?x=1',
    'http://127.0.0.1:9000/cb',
    'http://localhost/cb',
    'http://[::1]:8000/cb',
    'com.example.app:/oauth',
  ];
  const bad: Array<[string, RegExp]> = [
    ['/relative', /absolute/],
    ['https://app.example/cb#frag', /fragment/],
    ['http://app.example/cb', /not loopback/],
    ['javascript:alert(1)', /forbidden scheme/],
    ['data:text/html,hi', /forbidden scheme/],
    ['ftp://files.example/cb', /neither/],
    [`https://app.example/${'a'.repeat(2100)}`, /longer/],
    ['https://user:pass@app.example/cb', /user name or password/],
  ];
  for (const uri of ok) it(`accepts ${uri}`, () => assert.equal(redirectUriProblem(uri), null));
  for (const [uri, why] of bad) it(`refuses ${uri.slice(0, 40)}`, () => assert.match(redirectUriProblem(uri) ?? '', why));
});

describe('names, secrets, callbacks', () => {
  it('refuses empty, long and control-character names', () => {
    assert.equal(checkName('  ').length, 1);
    assert.equal(checkName('x'.repeat(201)).length, 1);
    assert.equal(checkName('a\u0007b').length, 1);
    assert.equal(checkName('Build dashboard').length, 0);
  });
  it('needs 16 characters in a chosen secret', () => {
    assert.match(checkChosenSecret('short')[0]?.message ?? '', /at least 16/);
    assert.deepEqual(checkChosenSecret('a-long-enough-secret'), []);
  });
  it('refuses credentials in redirect, post-logout and callback URIs alike', () => {
    assert.deepEqual(
      checkOAuth2Settings({ ...base, type: 'oidc', redirectUris: ['https://u@app.example/cb'], postLogoutRedirectUris: ['https://u@app.example/bye'] }),
      [
        { field: 'redirect_uris', message: '"https://u@app.example/cb" must not contain a user name or password' },
        { field: 'post_logout_redirect_uris', message: '"https://u@app.example/bye" must not contain a user name or password' },
      ],
    );
    assert.equal(checkCallbackUrl('https://u@tool.example/cb')[0]?.message, '"https://u@tool.example/cb" must not contain a user name or password');
  });
  it('accepts oob and safe callback URLs only', () => {
    assert.deepEqual(checkCallbackUrl('oob'), []);
    assert.deepEqual(checkCallbackUrl('https://tool.example/oauth/callback'), []);
    assert.equal(checkCallbackUrl('javascript:alert(1)')[0]?.field, 'callback_url');
  });
});

describe('what each kind of client may do', () => {
  it('authenticates a public client with none and a confidential one with a secret, client_secret_basic by default (RFC 7591 §2)', () => {
    assert.equal(defaultAuthMethod(true), 'none');
    assert.equal(defaultAuthMethod(false), 'client_secret_basic');
    assert.equal(isPublicAuthMethod('none'), true);
    assert.equal(isPublicAuthMethod('client_secret_basic'), false);
    assert.equal(isPublicAuthMethod('client_secret_post'), false);
    assert.deepEqual([...CLIENT_SETTINGS_RULES.authMethods.public, ...CLIENT_SETTINGS_RULES.authMethods.confidential].sort(), [...CLIENT_AUTH_METHODS].sort());
  });

  it('always requires PKCE of a public client, of a confidential one when asked', () => {
    assert.equal(requiresPkce(true, false), true);
    assert.equal(requiresPkce(false, false), false);
    assert.equal(requiresPkce(false, true), true);
  });

  it('refuses grants resting on client credentials to public clients only (RFC 6749 §2.1)', () => {
    for (const g of GRANT_TYPES) assert.equal(grantAllowedFor(false, g), true, g);
    assert.deepEqual(
      GRANT_TYPES.filter((g) => !grantAllowedFor(true, g)),
      ['password', 'client_credentials'],
    );
  });

  it('names the rule behind each problem', () => {
    const v = settingsViolations({ ...base, isPublic: true, grantTypes: ['refresh_token'], responseTypes: [], redirectUris: [] });
    assert.deepEqual(
      v.map((p) => p.rule),
      ['refresh_token_alone'],
    );
    assert.deepEqual(checkOAuth2Settings({ ...base, grantTypes: [], responseTypes: [] }), [
      { field: 'grant_types', message: 'at least one grant type is required' },
    ]);
  });
});
