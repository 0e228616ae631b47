import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, aUser, T0 } from '../../testing/builders.js';
import { fakeOAuth1Deps, putTemporary, sealedClientSecret } from '../../testing/fakes.js';
import { appendToCallback, decideAuthorization, pendingAuthorization } from './authorize.js';

const app = aClient().oauth1().key('app').confidential(sealedClientSecret('app', 'app-secret')).build();
const alice = aUser().id('u1').build();

async function setup(temporary: Parameters<typeof putTemporary>[1] = { token: 'temp', secret: 'temp-secret' }) {
  const deps = fakeOAuth1Deps({ clients: [app], users: [alice] });
  await putTemporary(deps, temporary);
  return deps;
}

describe('OAuth 1.0a resource owner authorization (RFC 5849 §2.2)', () => {
  it('shows a pending request for unexpired, unanswered temporary credentials of an approved consumer', async () => {
    const deps = await setup();
    const p = await pendingAuthorization(deps, 'temp');
    assert.equal(p.kind, 'pending');
    assert.equal(p.kind === 'pending' && p.client.key, 'app');
    assert.equal(p.kind === 'pending' && p.temporary.tokenHash, sha256Hex('temp'));
  });

  it('shows a failure page, never a redirect, for a missing, unknown, expired, used or answered request', async () => {
    const deps = await setup();
    for (const bad of [undefined, '', ['temp', 'temp'], 'x'.repeat(201)]) {
      assert.deepEqual(await pendingAuthorization(deps, bad), {
        kind: 'failure',
        title: 'Missing request',
        message: 'This page needs the oauth_token parameter given by the application.',
      });
    }
    const expect = async (token: string, title: string) => {
      const p = await pendingAuthorization(deps, token);
      assert.equal(p.kind, 'failure', token);
      assert.equal(p.kind === 'failure' && p.title, title, token);
    };
    await expect('unknown', 'Request expired');
    await putTemporary(deps, { token: 'used', secret: 's', usedAt: T0 });
    await expect('used', 'Request expired');
    await putTemporary(deps, { token: 'answered', secret: 's', userId: 'u1', verifier: 'v' });
    await expect('answered', 'Already answered');
    deps.clock.advance(deps.temporaryTtl * 1000);
    await expect('temp', 'Request expired');
  });

  it('refuses a request of a consumer disapproved since it was made', async () => {
    const deps = await setup();
    deps.clients.put({ ...app, status: 'disapproved' });
    const p = await pendingAuthorization(deps, 'temp');
    assert.equal(p.kind === 'failure' && p.title, 'Application not available');
  });

  it('on allow, records the user and a fresh verifier once, and sends the user to the callback', async () => {
    const deps = await setup({ token: 'temp', secret: 's', callback: 'https://app.example/cb?state=x' });
    deps.clock.advance(1_000);
    const d = await decideAuthorization(deps, 'temp', alice, true);
    assert.equal(d.kind, 'redirect');
    if (d.kind !== 'redirect') return;
    const location = new URL(d.location);
    assert.equal(`${location.origin}${location.pathname}`, 'https://app.example/cb');
    assert.equal(location.searchParams.get('state'), 'x', 'the callback keeps its own query');
    assert.equal(location.searchParams.get('oauth_token'), 'temp');
    const verifier = location.searchParams.get('oauth_verifier') ?? '';
    assert.ok(verifier.length >= 20, 'a verifier of 128 bits');
    const stored = deps.temporaries.byHash.get(sha256Hex('temp'));
    assert.deepEqual([stored?.userId, stored?.verifierHash, stored?.authorizedAt], ['u1', sha256Hex(verifier), T0 + 1_000]);
    // A second answer (another tab, a replayed form) does not replace the first.
    const again = await decideAuthorization(deps, 'temp', aUser().id('u2').build(), true);
    assert.equal(again.kind === 'failure' && again.title, 'Already answered');
    assert.equal(deps.temporaries.byHash.get(sha256Hex('temp'))?.userId, 'u1');
  });

  it('of two answers racing, only one is recorded', async () => {
    const deps = await setup();
    const [a, b] = await Promise.all([decideAuthorization(deps, 'temp', alice, true), decideAuthorization(deps, 'temp', alice, true)]);
    assert.deepEqual([a.kind, b.kind].sort(), ['failure', 'redirect']);
  });

  it('shows the verifier for an out-of-band callback', async () => {
    const deps = await setup({ token: 'temp', secret: 's', callback: 'oob' });
    const d = await decideAuthorization(deps, 'temp', alice, true);
    assert.equal(d.kind, 'oob');
    assert.equal(d.kind === 'oob' && sha256Hex(d.verifier), deps.temporaries.byHash.get(sha256Hex('temp'))?.verifierHash);
  });

  it('on deny, discards the temporary credentials and tells the consumer user_refused', async () => {
    const deps = await setup();
    const d = await decideAuthorization(deps, 'temp', alice, false);
    assert.equal(d.kind, 'denied');
    assert.equal(d.kind === 'denied' && d.location, 'https://app.example/cb?oauth_token=temp&oauth_problem=user_refused');
    assert.equal(deps.temporaries.byHash.size, 0);
    const oob = await setup({ token: 'temp', secret: 's', callback: 'oob' });
    const o = await decideAuthorization(oob, 'temp', alice, false);
    assert.equal(o.kind === 'denied' && o.location, null);
  });

  it('answers nothing for a request that cannot go on', async () => {
    const deps = await setup({ token: 'temp', secret: 's', expiresAt: T0 });
    const d = await decideAuthorization(deps, 'temp', alice, true);
    assert.equal(d.kind === 'failure' && d.title, 'Request expired');
    assert.equal(deps.temporaries.byHash.get(sha256Hex('temp'))?.userId, null);
  });

  it('appends to a callback after its query, dropping a fragment', () => {
    assert.equal(appendToCallback('https://a.example/cb', { a: '1' }), 'https://a.example/cb?a=1');
    assert.equal(appendToCallback('https://a.example/cb?x=1', { a: '1' }), 'https://a.example/cb?x=1&a=1');
    assert.equal(appendToCallback('https://a.example/cb?', { a: '1' }), 'https://a.example/cb?a=1');
    assert.equal(appendToCallback('https://a.example/cb?x=1&', { a: '1 2' }), 'https://a.example/cb?x=1&a=1+2');
    assert.equal(appendToCallback('https://a.example/cb#frag', { a: '1' }), 'https://a.example/cb?a=1');
  });
});
