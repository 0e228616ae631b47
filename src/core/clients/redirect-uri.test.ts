import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callbackMatches, postLogoutRedirectUriMatches, redirectUriMatches, redirectUriProblem, webUriProblem } from './redirect-uri.js';

describe('redirect URI matching (RFC 9700 §4.1.3, RFC 8252 §7.3)', () => {
  it('requires an exact string match', () => {
    assert.ok(redirectUriMatches('https://app.example/cb', 'https://app.example/cb'));
    for (const given of [
      'https://app.example/cb/',
      'https://app.example/CB',
      'https://app.example/cb?x',
      'https://app.example:443/cb',
      'http://app.example/cb',
    ]) {
      assert.ok(!redirectUriMatches('https://app.example/cb', given), given);
    }
  });

  it('lets a loopback IP redirect use any port, nothing else', () => {
    assert.ok(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:49152/cb'));
    assert.ok(redirectUriMatches('http://[::1]:8080/cb', 'http://[::1]:1234/cb'));
    assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:49152/other'));
    assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://localhost:49152/cb'));
    assert.ok(!redirectUriMatches('http://localhost/cb', 'http://localhost:49152/cb'));
    assert.ok(!redirectUriMatches('https://127.0.0.1/cb', 'https://127.0.0.1:8443/cb'));
    assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://user@127.0.0.1:1/cb'));
  });
});

describe('webUriProblem', () => {
  const cases: Array<[string, RegExp | null]> = [
    ['https://a.example/logo.png', null],
    ['http://localhost:3000/logo.png', null],
    ['http://127.0.0.1/x', null],
    ['http://a.example/x', /not loopback/],
    ['javascript:alert(1)', /scheme javascript:/],
    ['https://a.example/#x', /fragment/],
    ['https://u:p@a.example/', /user name or password/],
    ['a.example/logo.png', /absolute/],
    [`https://a.example/${'x'.repeat(2000)}`, /longer than 2000/],
  ];
  for (const [uri, expected] of cases) {
    it(uri.slice(0, 40), () => {
      const problem = webUriProblem(uri);
      if (expected === null) assert.equal(problem, null);
      else assert.match(problem ?? '', expected);
    });
  }
});

// Where earlier copies of these rules disagreed, the strictest standards-correct answer holds.
describe('decisions shared by every URI rule', () => {
  it('refuses a user name or password in a redirect URI, as in web URIs (RFC 3986 §3.2.1, RFC 9700 §4.1)', () => {
    for (const uri of ['https://user@app.example/cb', 'https://u:p@app.example/cb', 'http://user@127.0.0.1:8080/cb', 'https://:p@app.example/cb']) {
      assert.equal(redirectUriProblem(uri), 'must not contain a user name or password', uri);
      assert.equal(webUriProblem(uri), 'must not contain a user name or password', uri);
    }
  });

  it('reports the fragment before the credentials, in both rules', () => {
    assert.equal(redirectUriProblem('https://u@app.example/cb#x'), 'must not contain a fragment');
    assert.equal(webUriProblem('https://u@app.example/cb#x'), 'must not contain a fragment');
  });

  it('does not let a loopback redirect with an empty fragment match on another port (RFC 6749 §3.1.2)', () => {
    assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:49152/cb#'));
    assert.ok(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:49152/cb'));
  });

  it('matches post-logout redirect URIs exactly (OIDC RP-Initiated Logout §3)', () => {
    assert.ok(postLogoutRedirectUriMatches(['https://app.example/bye'], 'https://app.example/bye'));
    assert.ok(!postLogoutRedirectUriMatches(['https://app.example/bye'], 'https://app.example/bye?x=1'));
    assert.ok(!postLogoutRedirectUriMatches(['http://127.0.0.1/bye'], 'http://127.0.0.1:8080/bye'));
  });

  it('matches an OAuth 1.0a callback exactly, or with a query the consumer adds (RFC 5849 §2.1)', () => {
    assert.ok(callbackMatches('https://tool.example/cb', 'https://tool.example/cb'));
    assert.ok(callbackMatches('https://tool.example/cb', 'https://tool.example/cb?state=1'));
    assert.ok(!callbackMatches('https://tool.example/cb?a=1', 'https://tool.example/cb?a=1?b'));
    assert.ok(!callbackMatches('https://tool.example/cb', 'https://tool.example/cb/other'));
  });
});
