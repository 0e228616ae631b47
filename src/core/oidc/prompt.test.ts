import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizeSession } from '../oauth2/endpoints/authorize.js';
import { OAuth2Error } from '../oauth2/errors.js';
import type { User } from '../ports.js';
import { needsConsent, needsLogin, newOidcRequest, parseMaxAge, parsePrompt, promptNoneGate, wantsReauthentication } from './prompt.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof OAuth2Error ? err.code : 'other';
  }
  return 'none thrown';
};

const session = (authTime: number, id = 'alice'): AuthorizeSession => ({ user: { id } as User, authTime, sid: 's' });

describe('prompt and max_age (OIDC Core §3.1.2.1)', () => {
  it('parses prompt values; none stands alone; unknown values are refused', () => {
    assert.deepEqual([...parsePrompt('login consent')], ['login', 'consent']);
    assert.equal(parsePrompt(undefined).size, 0);
    assert.equal(
      code(() => parsePrompt('none login')),
      'invalid_request',
    );
    assert.equal(
      code(() => parsePrompt('create')),
      'invalid_request',
    );
    assert.equal(parseMaxAge('0'), 0);
    assert.equal(
      code(() => parseMaxAge('-1')),
      'invalid_request',
    );
    assert.equal(
      code(() => parseMaxAge('1.5')),
      'invalid_request',
    );
  });

  it('asks for a sign-in on prompt=login and select_account until one happened after the request began', () => {
    const r = { ...newOidcRequest(), prompt: parsePrompt('login'), reauthAfter: 10_000 };
    assert.equal(wantsReauthentication(r), true);
    assert.equal(needsLogin(r, session(9_999), 10_500), true);
    assert.equal(needsLogin(r, session(10_000), 10_500), false);
    assert.equal(needsLogin({ ...r, prompt: parsePrompt('select_account') }, session(1), 10_500), true);
    assert.equal(wantsReauthentication(newOidcRequest()), false);
  });

  it('asks for a sign-in when the authentication is older than max_age', () => {
    const r = { ...newOidcRequest(), maxAge: 60, reauthAfter: 200_000 };
    assert.equal(needsLogin(r, session(100_000), 160_000), false);
    assert.equal(needsLogin(r, session(100_000), 160_001), true);
    assert.equal(needsLogin({ ...r, maxAge: 0 }, session(199_999), 200_000), true);
  });

  it('asks for a sign-in when id_token_hint names someone else, and answers login_required if the new sign-in still does not match', () => {
    const r = { ...newOidcRequest(), hintSub: 'bob', reauthAfter: 5_000 };
    assert.equal(needsLogin(r, session(1_000, 'bob'), 6_000), false);
    assert.equal(needsLogin(r, session(1_000, 'alice'), 6_000), true);
    assert.equal(
      code(() => needsLogin(r, session(5_500, 'alice'), 6_000)),
      'login_required',
    );
  });

  it('prompt=consent forces consent; prompt=none turns any interaction into its error', () => {
    const none = { ...newOidcRequest(), prompt: parsePrompt('none') };
    assert.equal(needsConsent({ ...newOidcRequest(), prompt: parsePrompt('consent') }), true);
    assert.equal(needsConsent(none), false);
    assert.equal(
      code(() => promptNoneGate(none, 'login')),
      'login_required',
    );
    assert.equal(
      code(() => promptNoneGate(none, 'consent')),
      'consent_required',
    );
    assert.equal(
      code(() => promptNoneGate(newOidcRequest(), 'login')),
      'none thrown',
    );
  });
});
