import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startWarnings } from './start-warnings.js';

describe('startWarnings', () => {
  it('warns about an https issuer only while X-Forwarded-* headers are not trusted', () => {
    const cases: Array<[string, boolean, number]> = [
      ['https://id.example', false, 1],
      ['https://id.example', true, 0],
      ['http://localhost:3000', false, 0],
      ['http://localhost:3000', true, 0],
    ];
    for (const [issuer, trustProxy, expected] of cases) {
      const warnings = startWarnings({ issuer, trustProxy });
      assert.equal(warnings.length, expected, `${issuer}, trustProxy=${trustProxy}`);
      for (const w of warnings) assert.match(w, /LATCHKEY_TRUST_PROXY/);
    }
  });

  it('names retired rate-limit variables that are still set, and what replaced them', () => {
    const warnings = startWarnings(
      { issuer: 'http://localhost:3000', trustProxy: false },
      { LATCHKEY_TOKEN_RATE_LIMIT: '600', LATCHKEY_DEVICE_RATE_LIMIT: '30' },
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /^LATCHKEY_TOKEN_RATE_LIMIT no longer has an effect: .*LATCHKEY_CLIENT_TOKEN_RATE_LIMIT/);
    assert.match(warnings[1] ?? '', /^LATCHKEY_DEVICE_RATE_LIMIT no longer has an effect: .*LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT/);
  });
});
