import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectUriMatches } from './authorize-checks.js';

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
