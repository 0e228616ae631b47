// The console's client form applies the server's own client-settings rules: the core modules,
// bundled for the browser into assets/console/client-settings.js (scripts/console-rules.mjs, run by
// `npm run build`). The committed bundle must be the current one, and, loaded as the browser loads
// it, must answer as the core does.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { bundleConsoleRules } from '../../scripts/console-rules.mjs';
import { DEVICE_CODE_GRANT, GRANT_TYPES } from '../../src/core/clients/client.js';
import * as core from '../../src/core/clients/console-rules.js';
import type { OAuth2Settings } from '../../src/core/clients/settings.js';

const BUNDLE = new URL('../../assets/console/client-settings.js', import.meta.url);
const bundleText = await readFile(BUNDLE, 'utf8');
// The module as the browser gets it: from its text, not through the project's module graph.
const browserRule = (await import(`data:text/javascript;base64,${Buffer.from(bundleText).toString('base64')}`)) as typeof core;

const SAMPLES = [
  'https://app.example.com/cb',
  'https://app.example.com:8443/cb?x=1',
  'https://',
  'https:///path',
  'http://localhost/cb',
  'http://localhost:3000/cb',
  'http://127.0.0.1:8080/cb',
  'http://127.1.2.3/cb',
  'http://[::1]:9000/cb',
  'http://example.com/cb',
  'http://192.168.1.1/cb',
  'https://app.example.com/cb#frag',
  'https://app.example.com/cb#',
  'javascript:alert(1)',
  'data:text/html,hi',
  'file:///etc/passwd',
  'vbscript:x',
  'about:blank',
  'blob:https://a/b',
  'com.example.app:/oauth2redirect',
  'com.example.app://callback',
  'myapp:/cb',
  'ftp://example.com/cb',
  '/relative/cb',
  'app.example.com/cb',
  '',
  ' https://space.example.com/cb',
  `https://long.example.com/${'a'.repeat(2000)}`,
  'https://exa mple.com/cb',
  'HTTPS://APP.EXAMPLE.COM/CB',
  'http://LOCALHOST/cb',
  'urn:ietf:wg:oauth:2.0:oob',
  'https://user@app.example.com/cb',
  'https://user:pass@app.example.com/cb',
  'http://user@127.0.0.1:8080/cb',
  'https://:pass@app.example.com/cb',
  'https://user@app.example.com/cb#x',
];

describe('client-settings bundle', () => {
  it('is the current bundle of src/core/clients/console-rules.ts', async () => {
    assert.equal(bundleText, await bundleConsoleRules(), 'run `npm run build` and commit assets/console/client-settings.js');
  });

  it('stands alone in the browser: no imports, and exports what the client form uses', () => {
    assert.doesNotMatch(bundleText, /^\s*import[\s{*]/m);
    assert.doesNotMatch(bundleText, /\bprocess\.|require\(|node:/);
    assert.deepEqual(Object.keys(browserRule).sort(), Object.keys(core).sort());
  });
});

describe('redirect URI rule in the browser', () => {
  it('agrees with the server on every sample', () => {
    for (const uri of SAMPLES) assert.equal(browserRule.redirectUriProblem(uri), core.redirectUriProblem(uri), uri);
  });

  it('reports problems per line, ignoring blank lines and flagging repeats', () => {
    const text = 'https://a.example/cb\n\nhttp://b.example/cb\n  https://a.example/cb  \njavascript:alert(1)';
    const expected = [
      [3, 'uses http on a host that is not loopback (use https)'],
      [4, 'repeats line 1'],
      [5, 'uses the forbidden scheme javascript:'],
    ];
    assert.deepEqual(
      browserRule.redirectUriLines(text).map((p) => [p.line, p.message]),
      expected,
    );
    assert.deepEqual(browserRule.uriList(' a \n\n b'), ['a', 'b']);
  });
});

function subsets<T>(items: readonly T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) for (const s of all.slice()) all.push([...s, item]);
  return all;
}

/** Every combination of the known grants, with responses, URIs and client kinds around them. */
function* cases(): Generator<OAuth2Settings> {
  const grantSets = [...subsets(GRANT_TYPES), ['implicit'], ['authorization_code', 'authorization_code'], ['authorization_code', 'refresh_token', 'x']];
  const responseSets = [
    [],
    ['code'],
    ['token'],
    ['code', 'token'],
    ['id_token'],
    ['code id_token'],
    ['id_token code'],
    ['code id_token token', 'id_token token'],
    ['code', 'code'],
  ];
  const uriSets = [
    [],
    ['https://app.example/cb'],
    ['https://user@app.example/cb'],
    ['https://app.example/cb', 'https://app.example/cb'],
    ['http://app.example/cb'],
  ];
  for (const type of ['oauth2', 'oidc'] as const) {
    for (const isPublic of [false, true]) {
      for (const grantTypes of grantSets) {
        for (const responseTypes of responseSets) {
          for (const redirectUris of uriSets) {
            for (const postLogoutRedirectUris of [[], ['https://app.example/bye'], ['javascript:alert(1)']]) {
              yield { type, isPublic, grantTypes, responseTypes, redirectUris, postLogoutRedirectUris };
            }
          }
        }
      }
    }
  }
}

describe('client-settings rules in the browser', () => {
  it('finds the same problems as the server, rule by rule and message by message, on every combination', () => {
    let count = 0;
    let withProblems = 0;
    for (const s of cases()) {
      const server = core.settingsViolations(s);
      assert.deepEqual(browserRule.settingsViolations(s), server, JSON.stringify(s));
      count++;
      if (server.length > 0) withProblems++;
    }
    // The table covers accepted settings as well as refused ones.
    assert.ok(count > 10_000 && withProblems > 0 && withProblems < count, `${withProblems} of ${count}`);
  });

  it('names every rule of the server at least once over the table', () => {
    const seen = new Set<string>();
    for (const s of cases()) for (const v of browserRule.settingsViolations(s)) seen.add(v.rule);
    const tooMany: Omit<OAuth2Settings, 'redirectUris'> = {
      type: 'oidc',
      isPublic: false,
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      postLogoutRedirectUris: [],
    };
    const many = Array.from({ length: core.CLIENT_SETTINGS_RULES.maxUris + 1 }, (_, i) => `https://app.example/cb${i}`);
    const server = core.settingsViolations({ ...tooMany, redirectUris: many });
    assert.deepEqual(browserRule.settingsViolations({ ...tooMany, redirectUris: many }), server);
    for (const v of server) seen.add(v.rule);
    assert.deepEqual([...seen].sort(), [
      'bad_uri',
      'code_grant_needs_code_response',
      'code_response_needs_code_grant',
      'duplicate_grants',
      'duplicate_response_types',
      'duplicate_uris',
      'grant_refused_for_public',
      'grant_required',
      'post_logout_on_oauth2',
      'redirect_uri_required',
      'refresh_token_alone',
      'response_type_of_other_type',
      'too_many_uris',
      'unknown_grant',
    ]);
  });

  it('disables the same grants, forces PKCE and names the same authentication method as the server', () => {
    for (const isPublic of [false, true]) {
      for (const g of [...GRANT_TYPES, 'implicit'])
        assert.equal(browserRule.grantAllowedFor(isPublic, g), core.grantAllowedFor(isPublic, g), `${isPublic} ${g}`);
      for (const requested of [false, true]) assert.equal(browserRule.requiresPkce(isPublic, requested), core.requiresPkce(isPublic, requested));
      assert.equal(browserRule.defaultAuthMethod(isPublic), core.defaultAuthMethod(isPublic));
    }
    // A public client may use the device grant (RFC 8628 §3.4) but not client_credentials.
    assert.equal(browserRule.grantAllowedFor(true, DEVICE_CODE_GRANT), true);
    assert.equal(browserRule.grantAllowedFor(true, 'client_credentials'), false);
    assert.deepEqual(browserRule.CLIENT_SETTINGS_RULES, core.CLIENT_SETTINGS_RULES);
  });
});
