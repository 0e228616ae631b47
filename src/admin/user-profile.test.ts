import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { User } from '../core/ports.js';
import { applyProfile, claimsChanged, isBirthdate, viewProfile, zoneName } from './user-profile.js';

const user: User = {
  id: 'u-1',
  username: 'alice',
  displayName: 'Alice',
  email: null,
  passwordHash: null,
  enabled: true,
  roles: [],
  createdAt: 0,
  updatedAt: 5000,
  lastSignInAt: null,
};

describe('profile values (OIDC Core §5.1)', () => {
  it('birthdate: YYYY-MM-DD of a real day (year 0000 when omitted), or YYYY', () => {
    for (const ok of ['1990-01-31', '2000-02-29', '0000-02-29', '1852-05-04', '1990', '2024-12-31']) assert.ok(isBirthdate(ok), ok);
    for (const bad of ['1900-02-29', '2023-02-29', '1990-04-31', '1990-00-10', '1990-01-00', '1990-1-1', '0000', '19901', '', '1990-01-01T00:00Z']) {
      assert.ok(!isBirthdate(bad), bad);
    }
  });

  it('zoneinfo: IANA names Intl knows, spelled as Intl lists them; no offsets or paths', () => {
    assert.equal(zoneName('europe/paris'), 'Europe/Paris');
    assert.equal(zoneName('UTC'), 'UTC');
    assert.equal(zoneName('Asia/Kolkata'), 'Asia/Kolkata');
    for (const bad of ['+05:30', '-0800', 'Mars/Olympus', '../etc/passwd', 'Europe//Paris', 'Europe/Paris ', '']) assert.equal(zoneName(bad), null, bad);
  });

  it('applies a patch: absent keeps, null clears, the address is replaced whole', () => {
    const p1 = applyProfile(undefined, { given_name: 'Alice', address: { locality: 'Oxford', country: null } });
    assert.deepEqual(p1, { givenName: 'Alice', address: { locality: 'Oxford' } });
    const p2 = applyProfile(p1, { family_name: 'Liddell', address: { country: 'GB' } });
    assert.deepEqual(p2, { givenName: 'Alice', familyName: 'Liddell', address: { country: 'GB' } });
    assert.deepEqual(applyProfile(p2, { given_name: null, address: null }), { familyName: 'Liddell' });
    assert.deepEqual(applyProfile(p2, { address: {} }), { givenName: 'Alice', familyName: 'Liddell' }, 'an empty address is none');
    assert.deepEqual(p1, { givenName: 'Alice', address: { locality: 'Oxford' } }, 'the current profile is not changed');
  });

  it('tells a change of the claims from a change of anything else', () => {
    const a = { ...user, profile: { givenName: 'A', address: { locality: 'X', country: 'GB' } } };
    assert.equal(claimsChanged(a, { ...a, roles: ['user_manager'], enabled: false, updatedAt: 9 }), false);
    assert.equal(claimsChanged(a, { ...a, profile: { address: { country: 'GB', locality: 'X' }, givenName: 'A' } }), false, 'order does not matter');
    assert.equal(claimsChanged(a, { ...a, profile: { givenName: 'B', address: { locality: 'X', country: 'GB' } } }), true);
    assert.equal(claimsChanged(a, { ...a, displayName: 'Other' }), true);
    assert.equal(claimsChanged(a, { ...a, email: 'a@example.test' }), true);
  });

  it('views every field, null when not set, and profile_updated_at falling back to updatedAt', () => {
    const v = viewProfile({ ...user, profile: { websiteUrl: 'https://a.example/', address: { postalCode: 'OX1' } } });
    assert.equal(v.website, 'https://a.example/');
    assert.equal(v.given_name, null);
    assert.deepEqual(v.address, { postal_code: 'OX1' });
    assert.equal(v.profile_updated_at, new Date(5000).toISOString());
  });
});
