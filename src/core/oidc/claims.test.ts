import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuth2Error } from '../oauth2/errors.js';
import type { User } from '../ports.js';
import { CLAIMS_SUPPORTED, claimsOfScopes, claimsRequestOf, idTokenClaimNames, parseClaimsRequest, scopeOfClaim, userClaims } from './claims.js';

const user: User = {
  id: 'u-1',
  username: 'alice',
  displayName: 'Alice Liddell',
  email: 'alice@example.test',
  passwordHash: null,
  enabled: true,
  roles: [],
  createdAt: 0,
  updatedAt: 1_700_000_000_999,
  lastSignInAt: null,
};

describe('standard claims (OIDC Core §5.1, §5.4)', () => {
  it('releases profile and email claims per scope, never the username as sub', () => {
    assert.deepEqual(claimsOfScopes(['openid', 'profile']), [
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
    ]);
    assert.deepEqual(userClaims(user, claimsOfScopes(['profile', 'email'])), {
      name: 'Alice Liddell',
      preferred_username: 'alice',
      updated_at: 1_700_000_000,
      email: 'alice@example.test',
      email_verified: false,
    });
    assert.deepEqual(userClaims({ ...user, email: null }, ['email', 'email_verified']), {});
    assert.equal(scopeOfClaim('email_verified'), 'email');
    assert.equal(scopeOfClaim('sub'), undefined);
    for (const c of ['sub', 'sid', 'auth_time', 'acr', 'at_hash', 'c_hash', 'email']) assert.ok(CLAIMS_SUPPORTED.includes(c));
  });
});

describe('the claims request parameter (OIDC Core §5.5)', () => {
  it('keeps the claims asked for per target and the acr request apart', () => {
    const r = parseClaimsRequest(
      JSON.stringify({
        userinfo: { name: { essential: true }, address: null },
        id_token: { email: null, acr: { essential: true, values: ['1', '2'] }, auth_time: { essential: true } },
      }),
    );
    assert.deepEqual(r, { userinfo: ['name', 'address'], id_token: ['email', 'auth_time'], acr: { essential: true, values: ['1', '2'] } });
    assert.deepEqual(claimsRequestOf({ claims: r }), r);
    assert.equal(parseClaimsRequest(undefined), undefined);
    // Names Latchkey has no value for are simply not released.
    assert.deepEqual(userClaims(user, r?.userinfo ?? []), { name: 'Alice Liddell' });
  });

  it('refuses malformed JSON and shapes with invalid_request', () => {
    for (const bad of [
      '{',
      '[]',
      '"x"',
      '{"userinfo":[]}',
      '{"id_token":{"email":true}}',
      '{"id_token":{"email":{"essential":"yes"}}}',
      '{"id_token":{"acr":{"values":"1"}}}',
    ]) {
      assert.throws(
        () => parseClaimsRequest(bad),
        (err: unknown) => err instanceof OAuth2Error && err.code === 'invalid_request',
        bad,
      );
    }
  });

  it('reads back only well-formed stored requests', () => {
    assert.equal(claimsRequestOf({}), undefined);
    assert.deepEqual(claimsRequestOf({ claims: { userinfo: ['name', 7], id_token: 'email' } }), { userinfo: ['name'], id_token: [] });
  });
});

describe('claims of an ID token (OIDC Core §5.4, §5.5)', () => {
  it("keeps the scopes' claims for UserInfo whenever an access token is issued, and puts them in the ID token only when none is", () => {
    const asked = { userinfo: ['nickname'], id_token: ['email'] };
    assert.deepEqual(idTokenClaimNames(true, ['openid', 'profile', 'email'], undefined), []);
    assert.deepEqual(idTokenClaimNames(true, ['openid', 'profile'], asked), ['email']);
    assert.deepEqual(idTokenClaimNames(false, ['openid', 'email'], undefined), ['email', 'email_verified']);
    assert.deepEqual(idTokenClaimNames(false, ['openid', 'email'], asked), ['email', 'email_verified'], 'no duplicates');
  });
});

describe('profile, phone and address claims (OIDC Core §5.1, §5.1.1)', () => {
  const withProfile: User = {
    ...user,
    profile: {
      givenName: 'Alice',
      pictureUrl: 'https://people.example/a.png',
      zoneinfo: 'Europe/London',
      phoneNumber: '+441865276000',
      address: { locality: 'Oxford', postalCode: 'OX1 1DP' },
    },
    profileUpdatedAt: 1_650_000_000_500,
  };

  it('releases the fields that are set, with the claim names of §5.1, and updated_at of the last profile change', () => {
    assert.deepEqual(userClaims(withProfile, claimsOfScopes(['profile', 'phone', 'address'])), {
      name: 'Alice Liddell',
      given_name: 'Alice',
      preferred_username: 'alice',
      picture: 'https://people.example/a.png',
      zoneinfo: 'Europe/London',
      updated_at: 1_650_000_000,
      phone_number: '+441865276000',
      phone_number_verified: false,
      address: { locality: 'Oxford', postal_code: 'OX1 1DP' },
    });
    assert.deepEqual(userClaims(withProfile, ['family_name', 'address']), { address: { locality: 'Oxford', postal_code: 'OX1 1DP' } });
    assert.deepEqual(userClaims({ ...withProfile, profile: { address: {} } }, ['address', 'phone_number']), {}, 'an empty address is none');
    assert.equal(scopeOfClaim('phone_number_verified'), 'phone');
    assert.equal(scopeOfClaim('address'), 'address');
    assert.equal(scopeOfClaim('birthdate'), 'profile');
    for (const c of ['given_name', 'birthdate', 'locale', 'phone_number', 'address']) assert.ok(CLAIMS_SUPPORTED.includes(c), c);
  });
});
