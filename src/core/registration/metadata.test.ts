import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistrationError } from './errors.js';
import { type ParseOptions, parseRegistration, problemsError } from './metadata.js';

const OPEN: ParseOptions = {
  type: 'oauth2',
  purpose: 'register',
  policy: {
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
    responseTypes: ['code', 'token', 'id_token', 'code id_token'],
  },
};
const OIDC: ParseOptions = { ...OPEN, type: 'oidc' };

function refusal(body: unknown, opts: ParseOptions = OPEN): RegistrationError {
  try {
    parseRegistration(body, opts);
  } catch (err) {
    assert.ok(err instanceof RegistrationError);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('parseRegistration', () => {
  it('applies RFC 7591 defaults: authorization_code, code, client_secret_basic', () => {
    const p = parseRegistration({ client_name: ' App ', redirect_uris: ['https://a.example/cb'] }, OPEN);
    assert.equal(p.name, 'App');
    assert.equal(p.nameDefaulted, false);
    assert.deepEqual(p.grantTypes, ['authorization_code']);
    assert.deepEqual(p.responseTypes, ['code']);
    assert.equal(p.authMethod, 'client_secret_basic');
    assert.equal(p.isPublic, false);
    assert.equal(p.metadata.token_endpoint_auth_method, 'client_secret_basic');
  });

  it('keeps the RFC 8707 resources a client may ask tokens for, and refuses ones that are not absolute URIs without fragment', () => {
    const p = parseRegistration({ grant_types: ['client_credentials'], resources: ['https://api.example/'] }, OPEN);
    assert.deepEqual(p.metadata.resources, ['https://api.example/']);
    assert.equal('resources' in parseRegistration({ grant_types: ['client_credentials'] }, OPEN).metadata, false);
    const fragment = refusal({ grant_types: ['client_credentials'], resources: ['https://api.example/#x'] });
    assert.equal(fragment.code, 'invalid_client_metadata');
    assert.match(fragment.description, /resources: .*fragment/);
    assert.match(refusal({ grant_types: ['client_credentials'], resources: ['/api'] }).description, /resources: .*absolute/);
  });

  it('derives response types from grants and grants from response types', () => {
    const machine = parseRegistration({ grant_types: ['client_credentials'] }, OPEN);
    assert.deepEqual(machine.responseTypes, []);
    assert.deepEqual(machine.redirectUris, []);
    const hybrid = parseRegistration({ redirect_uris: ['https://a.example/cb'], response_types: ['id_token code'] }, OIDC);
    assert.deepEqual(hybrid.responseTypes, ['code id_token']);
    assert.deepEqual(hybrid.grantTypes, ['authorization_code'], 'implicit is implied, not stored as a grant');
  });

  it('reads the comma-separated redirect_uris form and treats null as absent', () => {
    const p = parseRegistration({ redirect_uris: ' https://a.example/cb ,https://b.example/cb,', logo_uri: null, contacts: null }, OPEN);
    assert.deepEqual(p.redirectUris, ['https://a.example/cb', 'https://b.example/cb']);
    assert.equal(p.metadata.logo_uri, undefined);
    assert.equal(p.metadata.contacts, undefined);
  });

  it('names a nameless client after its home page', () => {
    const p = parseRegistration({ redirect_uris: ['https://a.example/cb'], client_uri: 'https://www.a.example/about' }, OPEN);
    assert.equal(p.name, 'Unnamed application at www.a.example');
    assert.equal(p.nameDefaulted, true);
  });

  it('keeps registration-only metadata under its RFC names and lists unknown members', () => {
    const p = parseRegistration(
      {
        redirect_uris: ['https://a.example/cb'],
        scope: 'read  write read',
        contacts: [' ops@a.example '],
        software_id: 'a-1',
        'tos_uri#de': 'https://a.example/agb',
        vendor_extension: { x: 1 },
        'client_name#': 'no tag',
      },
      OPEN,
    );
    assert.equal(p.metadata.scope, 'read write');
    assert.deepEqual(p.metadata.contacts, ['ops@a.example']);
    assert.equal(p.metadata.software_id, 'a-1');
    assert.equal(p.metadata['tos_uri#de'], 'https://a.example/agb');
    assert.deepEqual(p.ignoredFields, ['vendor_extension', 'client_name#']);
  });

  it('makes a public client of token_endpoint_auth_method none', () => {
    const p = parseRegistration({ redirect_uris: ['com.example.app:/cb'], token_endpoint_auth_method: 'none' }, OPEN);
    assert.equal(p.isPublic, true);
    assert.equal(p.metadata.token_endpoint_auth_method, 'none');
  });

  it('requires the client_id in an update and captures a repeated secret', () => {
    assert.match(refusal({ redirect_uris: ['https://a.example/cb'] }, { ...OPEN, purpose: 'update' }).description, /client_id: is required/);
    const p = parseRegistration({ client_id: 'k1', client_secret: 's', redirect_uris: ['https://a.example/cb'] }, { ...OPEN, purpose: 'update' });
    assert.equal(p.clientId, 'k1');
    assert.equal(p.clientSecret, 's');
  });

  it('keeps OIDC-only members away from OAuth 2.0 clients', () => {
    const e = refusal({ redirect_uris: ['https://a.example/cb'], require_auth_time: true, subject_type: 'public' });
    assert.match(e.description, /require_auth_time: applies to OpenID Connect clients only/);
    assert.match(e.description, /subject_type: applies to OpenID Connect clients only/);
  });

  it('does not pile consistency complaints on top of bad values', () => {
    const e = refusal({ grant_types: ['magic'] });
    assert.equal(
      e.description,
      'grant_types: unknown grant type "magic" (supported: authorization_code, password, refresh_token, urn:ietf:params:oauth:grant-type:device_code, client_credentials, implicit)',
    );
  });
});

describe('problemsError', () => {
  it('says invalid_redirect_uri only when every problem is about redirect_uris', () => {
    assert.equal(problemsError([{ field: 'redirect_uris', message: 'x' }]).code, 'invalid_redirect_uri');
    assert.equal(
      problemsError([
        { field: 'redirect_uris', message: 'x' },
        { field: 'client_name', message: 'y' },
      ]).code,
      'invalid_client_metadata',
    );
  });
});
