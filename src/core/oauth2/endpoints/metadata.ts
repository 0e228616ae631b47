import { GRANT_TYPES } from '../../clients/client.js';
import { CLIENT_SETTINGS_RULES } from '../../clients/settings.js';
import { CLIENT_AUTH_METHODS } from '../client-auth/types.js';
import { CODE_CHALLENGE_METHODS } from '../pkce.js';
import { DEVICE_VERIFICATION_PATH } from './device-authorization.js';

/** Paths of the OAuth 2.0 endpoints, as the reference product names them. */
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

/** Every value here is true of the server (RFC 8414 §2). */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  // Introspection is for confidential clients (RFC 7662 §2.1), which authenticate with a secret.
  const secretMethods = [...CLIENT_SETTINGS_RULES.authMethods.confidential];
  return {
    issuer,
    authorization_endpoint: `${issuer}${OAUTH2_PATHS.authorize}`,
    token_endpoint: `${issuer}${OAUTH2_PATHS.token}`,
    device_authorization_endpoint: `${issuer}${OAUTH2_PATHS.deviceAuthorization}`,
    introspection_endpoint: `${issuer}${OAUTH2_PATHS.introspect}`,
    revocation_endpoint: `${issuer}${OAUTH2_PATHS.revoke}`,
    jwks_uri: `${issuer}${OAUTH2_PATHS.jwks}`,
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
