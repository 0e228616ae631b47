import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PasswordOutcome } from '../../sign-in/password.js';
import { aClient, aUser } from '../../testing/builders.js';
import { fakeOAuth2Deps, ScriptedPasswords } from '../../testing/fakes.js';
import { Params } from '../params.js';
import { passwordGrant } from './password.js';

const INVALID_GRANT = { name: 'OAuth2Error(invalid_grant)', code: 'invalid_grant' };
const alice = aUser().id('u1').named('alice').build();
const cli = aClient().key('cli').confidential().withGrant('password').build();

function setup(...outcomes: PasswordOutcome[]) {
  const passwords = new ScriptedPasswords(...outcomes);
  const deps = fakeOAuth2Deps({ clients: [cli], users: [alice], passwords });
  return { deps, passwords };
}

const request = (deps: ReturnType<typeof setup>['deps'], params: Record<string, string> = {}, client = cli) =>
  passwordGrant.handle({ client, params: new Params({ username: 'alice', password: 'pw', ...params }), remoteAddress: '198.51.100.7' }, deps);

describe('password grant (RFC 6749 §4.3)', () => {
  it('on a right password stores a grant, remembers the consent and asks no refresh token unless registered', async () => {
    const { deps, passwords } = setup({ kind: 'ok', user: alice, device: 'v1.x.y' });
    const r = await request(deps, { scope: 'profile' });
    assert.equal(r.user?.id, 'u1');
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(r.refreshToken, false);
    assert.equal(r.grant.grantType, 'password');
    assert.equal(r.grant.authTime, deps.clock.now());
    assert.deepEqual(deps.grants.byId.get(r.grant.id), r.grant);
    assert.deepEqual(await deps.consents.get('u1', 'cli'), ['profile']);
    // The one password check, told where the password came from (its lock-outs are shared).
    assert.deepEqual(passwords.attempts, [{ username: 'alice', password: 'pw', channel: 'password_grant', source: '198.51.100.7', clientKey: 'cli' }]);

    const withRefresh = aClient().key('cli').confidential().withGrant('password', 'refresh_token').build();
    assert.equal((await request(deps, {}, withRefresh)).refreshToken, true);
  });

  it('maps a wrong password to invalid_grant and stores nothing', async () => {
    const { deps } = setup({ kind: 'wrong' });
    await assert.rejects(request(deps), { ...INVALID_GRANT, message: /username or password is wrong/ });
    assert.equal(deps.grants.byId.size, 0);
    assert.equal(deps.consents.granted.size, 0);
  });

  it('maps a lock-out to invalid_grant naming the wait in minutes', async () => {
    const { deps } = setup({ kind: 'locked', retryAfterSeconds: 601 });
    await assert.rejects(request(deps), { ...INVALID_GRANT, message: /too many failed attempts; try again in 11 minutes/ });
    assert.equal(deps.grants.byId.size, 0);
  });

  it('refuses an unknown scope before any password is checked', async () => {
    const { deps, passwords } = setup({ kind: 'ok', user: alice, device: 'd' });
    await assert.rejects(request(deps, { scope: 'root' }), { name: 'OAuth2Error(invalid_scope)', code: 'invalid_scope' });
    await assert.rejects(request(deps, { password: '' }), { name: 'OAuth2Error(invalid_request)', code: 'invalid_request' });
    assert.equal(passwords.attempts.length, 0);
  });
});
