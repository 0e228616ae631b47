import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICE_CODE_GRANT } from '../../clients/client.js';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, aGrant, aUser } from '../../testing/builders.js';
import { fakeOAuth2Deps } from '../../testing/fakes.js';
import { Params } from '../params.js';
import { deviceCodeGrant, POLL_TOLERANCE_MS, SLOW_DOWN_STEP } from './device-code.js';

const tv = aClient().key('tv').public().withGrant(DEVICE_CODE_GRANT).build();
const other = aClient().key('other').public().withGrant(DEVICE_CODE_GRANT).build();
const alice = aUser().id('u1').build();
const code = (name: string) => ({ name: `OAuth2Error(${name})`, code: name });

async function setup() {
  const deps = fakeOAuth2Deps({ clients: [tv, other], users: [alice] });
  const now = deps.clock.now();
  await deps.deviceCodes.insert({
    hash: sha256Hex('dc'),
    userCode: 'BCDFGHJK',
    clientKey: 'tv',
    scopes: ['profile'],
    status: 'pending',
    userId: null,
    grantId: null,
    interval: 5,
    lastPolledAt: null,
    createdAt: now,
    expiresAt: now + 600_000,
    extra: {},
  });
  deps.grants.put(aGrant().id('g-dev').forClient(tv).ofUser(alice).byGrantType(DEVICE_CODE_GRANT).build());
  const poll = (client = tv, deviceCode = 'dc') => deviceCodeGrant.handle({ client, params: new Params({ device_code: deviceCode }), remoteAddress: '' }, deps);
  const wait = (seconds: number) => deps.clock.advance(seconds * 1000);
  return { deps, poll, wait };
}

describe('device_code grant (RFC 8628 §3.4, §3.5)', () => {
  it('answers authorization_pending while the user has not decided', async () => {
    const { poll, wait } = await setup();
    await assert.rejects(poll(), code('authorization_pending'));
    wait(5);
    await assert.rejects(poll(), code('authorization_pending'));
  });

  it('answers slow_down to a poll inside the interval, and raises the interval by 5 s', async () => {
    const { deps, poll, wait } = await setup();
    await assert.rejects(poll(), code('authorization_pending'));
    deps.clock.advance(5_000 - POLL_TOLERANCE_MS - 1);
    await assert.rejects(poll(), { ...code('slow_down'), message: /wait at least 10 seconds/ });
    assert.equal(deps.deviceCodes.byHash.get(sha256Hex('dc'))?.interval, 5 + SLOW_DOWN_STEP);
    // The raised interval holds: 5 s later is too early again (now 15 s); 15 s later is on time.
    wait(5);
    await assert.rejects(poll(), code('slow_down'));
    wait(15);
    await assert.rejects(poll(), code('authorization_pending'));
  });

  it('answers access_denied once the user denied', async () => {
    const { deps, poll } = await setup();
    assert.ok(await deps.deviceCodes.decide('BCDFGHJK', { status: 'denied', userId: 'u1', grantId: null }, deps.clock.now()));
    await assert.rejects(poll(), code('access_denied'));
  });

  it('answers expired_token once the code has expired, whatever its status', async () => {
    const { deps, poll, wait } = await setup();
    await deps.deviceCodes.decide('BCDFGHJK', { status: 'approved', userId: 'u1', grantId: 'g-dev' }, deps.clock.now());
    wait(600);
    await assert.rejects(poll(), code('expired_token'));
  });

  it('issues once after approval; the next poll finds the code used', async () => {
    const { deps, poll, wait } = await setup();
    await deps.deviceCodes.decide('BCDFGHJK', { status: 'approved', userId: 'u1', grantId: 'g-dev' }, deps.clock.now());
    const r = await poll();
    assert.equal(r.grant.id, 'g-dev');
    assert.equal(r.user?.id, 'u1');
    assert.equal(r.refreshToken, false);
    assert.equal(deps.deviceCodes.byHash.get(sha256Hex('dc'))?.status, 'redeemed');
    wait(5);
    await assert.rejects(poll(), { ...code('invalid_grant'), message: /already used/ });
  });

  it('refuses an unknown device_code and one issued to another client', async () => {
    const { poll } = await setup();
    await assert.rejects(poll(tv, 'nope'), { ...code('invalid_grant'), message: /is invalid/ });
    await assert.rejects(poll(other), { ...code('invalid_grant'), message: /another client/ });
  });
});
