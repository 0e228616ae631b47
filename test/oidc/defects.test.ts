// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { alice, CookieJar, discover, halfHash, makeOidcClient, makeUser, REDIRECT, redirected, responseParams, verifyIdToken, walk } from './helpers.js';

/** Claims of the profile, email, phone and address scopes (OIDC Core §5.4): none may ride in a front-channel ID token unasked. */
const SCOPE_CLAIMS = [
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'updated_at',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'address',
];

/** Alice's profile as a User Manager sets it through the admin API. */
const PROFILE = {
  display_name: 'Alice Pleasance Liddell',
  email: 'alice@example.test',
  given_name: 'Alice',
  family_name: 'Liddell',
  middle_name: 'Pleasance',
  nickname: 'Al',
  profile: 'https://people.example/alice',
  picture: 'https://people.example/alice.png',
  website: 'https://alice.example/',
  gender: 'female',
  birthdate: '1852-05-04',
  zoneinfo: 'Europe/London',
  locale: 'en-GB',
  phone_number: '+441865276000',
  address: { street_address: 'Christ Church\nSt Aldates', locality: 'Oxford', postal_code: 'OX1 1DP', country: 'GB' },
};

describe('OpenID Connect defects found by independent clients', () => {
  let t: TestServer;
  let clock: ManualClock;
  let aliceId: string;
  let rp: { key: string; secret: string | null };
  let config: client.Configuration;
  const jar = new CookieJar();

  const patchUser = async (username: string, body: unknown) => {
    const res = await fetch(`${t.baseUrl}/admin/api/users/${username}`, {
      method: 'PATCH',
      headers: { authorization: t.adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  /** An authorization through to the token endpoint; returns the front-channel parameters and both ID tokens. */
  async function authorize(responseType: string, params: Record<string, string> = {}) {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, response_type: responseType, scope: 'openid', state: 'st', ...params });
    const front = responseParams(redirected(await walk(jar, t, url.href, alice)));
    assert.equal(front.get('error'), null, `${responseType}: ${front.get('error_description')}`);
    const frontIdToken = front.get('id_token');
    const frontClaims = frontIdToken === null ? undefined : await verifyIdToken(t, frontIdToken, rp.key);
    const code = front.get('code');
    const tokens = code === null ? undefined : await client.genericGrantRequest(config, 'authorization_code', { code, redirect_uri: REDIRECT });
    const backClaims = tokens?.id_token === undefined ? undefined : await verifyIdToken(t, tokens.id_token, rp.key);
    return { front, frontClaims, tokens, backClaims, accessToken: tokens?.access_token ?? front.get('access_token') };
  }

  before(async () => {
    clock = new ManualClock(Date.now());
    t = await startServer({ clock });
    aliceId = await makeUser(t, alice.username, alice.password);
    const user = await t.app.stores.users.get(aliceId);
    if (user) await t.app.stores.users.update({ ...user, displayName: 'Alice Liddell', email: 'alice@example.test' });
    rp = await makeOidcClient(t);
    config = await discover(t, rp);
    // Signed in and consented once to every scope used below.
    await authorize('code', { scope: 'openid profile email phone address' });
  });
  after(() => t.close());

  it('OIDC Core §3.3.2.11: code token without a nonce succeeds, and the ID token from the token endpoint has none', async () => {
    const r = await authorize('code token', { scope: 'openid profile' });
    assert.ok(r.front.get('code'));
    assert.ok(r.front.get('access_token'));
    assert.equal(r.front.get('id_token'), null);
    assert.ok(r.backClaims);
    assert.equal(r.backClaims.sub, aliceId);
    assert.equal('nonce' in r.backClaims, false, 'no nonce was sent, none is echoed');
    assert.equal(r.backClaims.at_hash, halfHash(r.tokens?.access_token ?? ''));
    // Still REQUIRED wherever the authorization endpoint returns an ID token (§3.2.2.1, §3.3.2.11).
    for (const response_type of ['id_token', 'id_token token', 'code id_token', 'code id_token token']) {
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', response_type, state: 'n' });
      const p = responseParams(redirected(await walk(jar, t, url.href)));
      assert.equal(p.get('error'), 'invalid_request', response_type);
      assert.match(p.get('error_description') ?? '', /nonce/);
    }
  });

  it('OIDC Core §5.4: a front-channel ID token carries no scope claims when an access token is issued; only id_token alone carries them', async () => {
    const scope = 'openid profile email phone address';
    for (const responseType of ['code id_token', 'code id_token token']) {
      const r = await authorize(responseType, { scope, nonce: client.randomNonce() });
      assert.ok(r.frontClaims && r.backClaims, responseType);
      for (const claims of [r.frontClaims, r.backClaims]) {
        assert.deepEqual(
          SCOPE_CLAIMS.filter((c) => c in claims),
          [],
          `${responseType}: scope claims are for UserInfo`,
        );
      }
      const info = await client.fetchUserInfo(config, r.accessToken ?? '', aliceId);
      assert.equal(info.email, 'alice@example.test', `${responseType}: UserInfo releases them`);
    }
    // The claims parameter's id_token member still moves a claim into both ID tokens (§5.5).
    const asked = await authorize('code id_token', { scope: 'openid', nonce: client.randomNonce(), claims: JSON.stringify({ id_token: { email: null } }) });
    assert.equal(asked.frontClaims?.email, 'alice@example.test');
    assert.equal(asked.backClaims?.email, 'alice@example.test');
    assert.equal(asked.frontClaims?.name, undefined);
    // With no access token at all, the scope's claims travel in the ID token.
    const alone = await authorize('id_token', { scope: 'openid profile email', nonce: client.randomNonce() });
    assert.equal(alone.frontClaims?.email, 'alice@example.test');
    assert.equal(alone.frontClaims?.name, 'Alice Liddell');
    assert.equal(alone.front.get('access_token'), null);
  });

  it('OIDC Core §5.1: UserInfo releases the standard profile, phone and address claims that are set, per scope, with updated_at of the last profile change', async () => {
    clock.advance(60_000);
    const changedAt = Math.floor(clock.now() / 1000);
    const patched = await patchUser('alice', PROFILE);
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    // A change of roles or status is no change of the profile.
    clock.advance(60_000);
    assert.equal((await patchUser('alice', { roles: ['user_manager'] })).status, 200);

    const all = await authorize('code', { scope: 'openid profile email phone address' });
    const info = await client.fetchUserInfo(config, all.accessToken ?? '', aliceId);
    assert.deepEqual(info, {
      sub: aliceId,
      name: 'Alice Pleasance Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      middle_name: 'Pleasance',
      nickname: 'Al',
      preferred_username: 'alice',
      profile: 'https://people.example/alice',
      picture: 'https://people.example/alice.png',
      website: 'https://alice.example/',
      gender: 'female',
      birthdate: '1852-05-04',
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      updated_at: changedAt,
      email: 'alice@example.test',
      email_verified: false,
      phone_number: '+441865276000',
      phone_number_verified: false,
      address: PROFILE.address,
    });

    // Per scope: openid alone releases only sub; profile releases no phone or address.
    const bare = await authorize('code', { scope: 'openid' });
    assert.deepEqual(await client.fetchUserInfo(config, bare.accessToken ?? '', aliceId), { sub: aliceId });
    const profileOnly = await authorize('code', { scope: 'openid profile' });
    const p = await client.fetchUserInfo(config, profileOnly.accessToken ?? '', aliceId);
    assert.equal(p.given_name, 'Alice');
    assert.equal(p.phone_number, undefined);
    assert.equal(p.address, undefined);
    assert.equal(p.email, undefined);

    // The claims parameter asks for single claims, in the ID token too (§5.5).
    const claims = JSON.stringify({ id_token: { birthdate: null, zoneinfo: null }, userinfo: { phone_number: null } });
    const asked = await authorize('code', { scope: 'openid', claims });
    assert.equal(asked.backClaims?.birthdate, '1852-05-04');
    assert.equal(asked.backClaims?.zoneinfo, 'Europe/London');
    assert.equal(asked.backClaims?.given_name, undefined, 'not asked for');
    const askedInfo = await client.fetchUserInfo(config, asked.accessToken ?? '', aliceId);
    assert.equal(askedInfo.phone_number, '+441865276000');

    // Cleared fields are no longer released; the clearing is a profile change.
    clock.advance(60_000);
    assert.equal((await patchUser('alice', { middle_name: null, nickname: null, address: null })).status, 200);
    const after = await authorize('code', { scope: 'openid profile address' });
    const cleared = await client.fetchUserInfo(config, after.accessToken ?? '', aliceId);
    assert.equal('middle_name' in cleared, false);
    assert.equal('nickname' in cleared, false);
    assert.equal('address' in cleared, false);
    assert.equal(cleared.updated_at, Math.floor(clock.now() / 1000));
  });

  it('OIDC Discovery §3: claims_supported and scopes_supported name the profile, phone and address claims', async () => {
    const doc = (await (await fetch(`${t.baseUrl}/.well-known/openid-configuration`)).json()) as { claims_supported: string[]; scopes_supported: string[] };
    assert.deepEqual(
      SCOPE_CLAIMS.filter((c) => !doc.claims_supported.includes(c)),
      [],
    );
    for (const scope of ['openid', 'profile', 'email', 'phone', 'address']) assert.ok(doc.scopes_supported.includes(scope), scope);
  });
});
