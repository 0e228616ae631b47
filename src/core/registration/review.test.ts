import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../clients/client.js';
import { NOT_SETTABLE_FIELDS, parseRegistration, REGISTRANT_FIELDS, registrantFieldOf } from './metadata.js';
import { canonicalJson, NO_REVIEW_FIELDS, REVIEWED_FIELDS, reviewChanges } from './review.js';

/** A value for every registrant field; a field added to the schema without one fails the first test. */
const SAMPLE: Record<string, unknown> = {
  client_name: 'App',
  logo_uri: 'https://a.example/logo.png',
  client_uri: 'https://a.example/',
  policy_uri: 'https://a.example/privacy',
  tos_uri: 'https://a.example/terms',
  redirect_uris: ['https://a.example/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  post_logout_redirect_uris: ['https://a.example/bye'],
  backchannel_logout_uri: 'https://a.example/logout',
  backchannel_logout_session_required: true,
  contacts: ['ops@a.example'],
  jwks_uri: 'https://a.example/jwks.json',
  jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
  scope: 'openid profile',
  software_id: 'app',
  software_version: '1',
  application_type: 'web',
  subject_type: 'public',
  id_token_signed_response_alg: 'ES256',
  access_token_signed_response_alg: 'ES256',
  require_auth_time: true,
  resources: ['https://api.a.example/'],
};

const POLICY = { grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'] };

function client(patch: Partial<Client> = {}): Client {
  return {
    key: 'k',
    type: 'oidc',
    name: 'App',
    status: 'approved',
    secretSealed: 's',
    isPublic: false,
    requirePkce: false,
    redirectUris: ['https://a.example/cb', 'https://a.example/cb2'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    responseTypes: ['code'],
    callbackUrl: null,
    rsaPublicKey: null,
    metadata: { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }, registration: { updated_at: 'then' } },
    createdAt: 1,
    updatedAt: 1,
    statusChangedAt: null,
    statusChangedBy: null,
    lastUsedAt: null,
    createdVia: 'registration',
    version: 1,
    resourceServer: false,
    ...patch,
  };
}

describe('the fields an administrator reviews', () => {
  it('classifies every registrant field of the metadata schema exactly once, and the parser keeps nothing else', () => {
    for (const field of REGISTRANT_FIELDS) {
      assert.ok(field in SAMPLE, `a sample value for ${field}`);
      const reviewed = REVIEWED_FIELDS.includes(field);
      const exempt = (NO_REVIEW_FIELDS as readonly string[]).includes(field);
      assert.ok(reviewed !== exempt, `${field} is either reviewed or on the no-review list`);
      assert.ok(!NOT_SETTABLE_FIELDS.includes(field), `${field} is not also listed as not settable`);
    }
    for (const field of NO_REVIEW_FIELDS) assert.ok((REGISTRANT_FIELDS as readonly string[]).includes(field), `${field} is a registrant field`);
    // RFC 7591 §2: jwks and jwks_uri exclude each other, so one of them at a time.
    for (const without of ['jwks', 'jwks_uri']) {
      const { [without]: _left, ...body } = SAMPLE;
      const parsed = parseRegistration(
        { ...body, 'client_name#fr': 'Appli', 'logo_uri#de': 'https://a.example/de.png' },
        { type: 'oidc', policy: POLICY, purpose: 'register' },
      );
      assert.deepEqual(parsed.ignoredFields, []);
      for (const key of Object.keys(parsed.metadata)) assert.ok(registrantFieldOf(key) !== undefined, `the parser stores ${key}, which is no registrant field`);
    }
  });

  it('names every changed field, with language tags, and counts any metadata member it does not know as reviewed', () => {
    const before = client();
    assert.deepEqual(reviewChanges(before, client()), { reviewed: [], unreviewed: [] });
    const after = client({
      name: 'App 2',
      metadata: { ...before.metadata, 'client_name#fr': 'Appli', software_version: '2', future_member: 'x', registration: { updated_at: 'now' } },
    });
    assert.deepEqual(reviewChanges(before, after), { reviewed: ['client_name', 'client_name#fr', 'future_member'], unreviewed: ['software_version'] });
  });

  it('ignores the order of list members and of JSON object members, and the registration bookkeeping', () => {
    const before = client();
    const after = client({
      redirectUris: ['https://a.example/cb2', 'https://a.example/cb'],
      metadata: { jwks: { keys: [{ y: 'y', x: 'x', crv: 'P-256', kty: 'EC' }] }, registration: { updated_at: 'later' } },
    });
    assert.deepEqual(reviewChanges(before, after), { reviewed: [], unreviewed: [] });
    const swapped = client({ metadata: { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'y', y: 'x' }] } } });
    assert.deepEqual(reviewChanges(before, swapped).reviewed, ['jwks']);
    assert.equal(canonicalJson({ b: 1, a: [2, { d: 3, c: null }] }), '{"a":[2,{"c":null,"d":3}],"b":1}');
  });
});
