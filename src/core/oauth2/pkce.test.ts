import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidGrant, InvalidRequest } from './errors.js';
import { checkVerifier, readChallenge, s256 } from './pkce.js';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE (RFC 7636)', () => {
  it('computes the S256 challenge of the RFC 7636 Appendix B example', () => {
    assert.equal(s256(VERIFIER), CHALLENGE);
  });

  it('accepts S256 and refuses plain, unknown methods and malformed challenges', () => {
    assert.deepEqual(readChallenge(CHALLENGE, 'S256', true), { challenge: CHALLENGE, method: 'S256' });
    assert.throws(() => readChallenge(CHALLENGE, 'plain', false), InvalidRequest);
    assert.throws(() => readChallenge(CHALLENGE, undefined, false), /S256/);
    assert.throws(() => readChallenge(CHALLENGE, 'S512', false), InvalidRequest);
    assert.throws(() => readChallenge('too-short', 'S256', false), InvalidRequest);
    assert.throws(() => readChallenge(undefined, 'S256', false), /without code_challenge/);
  });

  it('requires a challenge only when the client must use PKCE', () => {
    assert.equal(readChallenge(undefined, undefined, false), null);
    assert.throws(() => readChallenge(undefined, undefined, true), /must use PKCE/);
  });

  it('checks the verifier against the bound challenge', () => {
    const bound = { challenge: CHALLENGE, method: 'S256' as const };
    assert.doesNotThrow(() => checkVerifier(bound, VERIFIER));
    assert.throws(() => checkVerifier(bound, undefined), InvalidGrant);
    assert.throws(() => checkVerifier(bound, `${VERIFIER.slice(0, -1)}h`), /does not match/);
    assert.throws(() => checkVerifier(bound, 'short'), InvalidGrant);
    // RFC 9700 §2.1.1: a verifier without a challenge in the authorization request is refused.
    assert.throws(() => checkVerifier(null, VERIFIER), InvalidGrant);
    assert.doesNotThrow(() => checkVerifier(null, undefined));
  });
});
