import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callbackProblem } from './request-token.js';

describe('oauth_callback (RFC 5849 §2.1)', () => {
  it('accepts oob, and a safe URL when the consumer registered none', () => {
    assert.equal(callbackProblem({ callbackUrl: null }, 'oob'), null);
    assert.equal(callbackProblem({ callbackUrl: null }, 'https://tool.example/cb'), null);
  });

  it('refuses a callback with a user name or password, as a redirect URI is refused', () => {
    const problem = callbackProblem({ callbackUrl: null }, 'https://user@tool.example/cb');
    assert.equal(problem?.message, 'oauth_callback must not contain a user name or password');
    assert.deepEqual(problem?.details.oauth_parameters_rejected, ['oauth_callback']);
  });

  it('holds a consumer to its registered callback, with a query of its own allowed', () => {
    const registered = { callbackUrl: 'https://tool.example/cb' };
    assert.equal(callbackProblem(registered, 'https://tool.example/cb?state=1'), null);
    assert.match(callbackProblem(registered, 'https://tool.example/other')?.message ?? '', /does not match/);
    assert.match(callbackProblem({ callbackUrl: 'oob' }, 'https://tool.example/cb')?.message ?? '', /oob/);
  });
});
