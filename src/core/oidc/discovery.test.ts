import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationServerMetadata, metadataWellKnownPaths } from '../oauth2/endpoints/metadata.js';
import { OIDC_PATHS, openIdConfiguration } from './discovery.js';

const issuer = 'https://id.example';

describe('OpenID Connect discovery extends the RFC 8414 document', () => {
  it('carries every authorization server member, at the OpenID Connect endpoints', () => {
    const oauth2 = authorizationServerMetadata(issuer, ['openid']);
    const oidc = openIdConfiguration(issuer, ['openid']);
    for (const member of Object.keys(oauth2)) assert.ok(member in oidc, `${member} is missing from the OpenID Connect document`);
    assert.equal(oidc.authorization_endpoint, `${issuer}${OIDC_PATHS.authorize}`);
    assert.equal(oidc.token_endpoint, `${issuer}${OIDC_PATHS.token}`);
    assert.notEqual(oidc.token_endpoint, oauth2.token_endpoint);
    assert.deepEqual(oidc.code_challenge_methods_supported, oauth2.code_challenge_methods_supported);
    assert.deepEqual(oidc.token_endpoint_auth_methods_supported, oauth2.token_endpoint_auth_methods_supported);
    assert.ok((oidc.response_types_supported as string[]).includes('code id_token'));
  });

  it('puts the well-known segment before the issuer path (RFC 8414 §3.1)', () => {
    assert.deepEqual(metadataWellKnownPaths('https://id.example'), ['/.well-known/oauth-authorization-server', '/.well-known/oauth2.0-configuration']);
    assert.deepEqual(metadataWellKnownPaths('https://id.example/tenant/'), [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth2.0-configuration',
      '/.well-known/oauth-authorization-server/tenant',
    ]);
  });
});
