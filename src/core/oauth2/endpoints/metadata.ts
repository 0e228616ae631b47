import { GRANT_TYPES } from '../../clients/client.js';
import { CLIENT_SETTINGS_RULES } from '../../clients/settings.js';
import { CLIENT_AUTH_METHODS } from '../client-auth/types.js';
import { CODE_CHALLENGE_METHODS } from '../pkce.js';
import { DEVICE_VERIFICATION_PATH } from './device-authorization.js';

/** Paths of the OAuth 2.0 endpoints, as the modelled server names them. */
export const OAUTH2_PATHS = {
  authorize: '/oauth2/authorize',
  token: '/api/oauth2/token',
  deviceAuthorization: '/api/oauth2/device_code',
  introspect: '/api/oauth2/introspect',
  revoke: '/api/oauth2/revoke',
  jwks: '/jwks.json',
  device: DEVICE_VERIFICATION_PATH,
  me: '/api/me',
} as const;

/** The endpoints a metadata document names; OpenID Connect has its own authorization and token paths. */
export type MetadataPaths = Pick<typeof OAUTH2_PATHS, 'jwks' | 'introspect' | 'revoke'> & {
  readonly authorize: string;
  readonly token: string;
  readonly deviceAuthorization: string;
};

/**
 * Where the document is served (RFC 8414 §3, and the modelled server's own name): for an issuer
 * with a path, RFC 8414 §3.1 puts the well-known segment before that path.
 */
export function metadataWellKnownPaths(issuer: string): string[] {
  const suffix = new URL(issuer).pathname.replace(/\/$/, '');
  const paths = ['/.well-known/oauth-authorization-server', '/.well-known/oauth2.0-configuration'];
  return suffix === '' ? paths : [...paths, `/.well-known/oauth-authorization-server${suffix}`];
}

/**
 * Authorization server metadata (RFC 8414 §2); every value here is true of the server. OpenID
 * Connect discovery extends this document with its own paths and members.
 */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[], paths: MetadataPaths = OAUTH2_PATHS): Record<string, unknown> {
  // Introspection is for confidential clients (RFC 7662 §2.1), which authenticate with a secret.
  const secretMethods = [...CLIENT_SETTINGS_RULES.authMethods.confidential];
  return {
    issuer,
    authorization_endpoint: `${issuer}${paths.authorize}`,
    token_endpoint: `${issuer}${paths.token}`,
    device_authorization_endpoint: `${issuer}${paths.deviceAuthorization}`,
    introspection_endpoint: `${issuer}${paths.introspect}`,
    revocation_endpoint: `${issuer}${paths.revoke}`,
    jwks_uri: `${issuer}${paths.jwks}`,
    scopes_supported: [...scopes],
    response_types_supported: ['code', 'token'],
    response_modes_supported: ['query', 'fragment'],
    grant_types_supported: [...GRANT_TYPES],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: secretMethods,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    // RFC 9207: iss in every authorization response.
    authorization_response_iss_parameter_supported: true,
  };
}
