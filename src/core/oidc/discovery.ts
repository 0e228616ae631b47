import { GRANT_TYPES, OIDC_RESPONSE_TYPES } from '../clients/client.js';
import { CLIENT_SETTINGS_RULES } from '../clients/settings.js';
import { CLIENT_AUTH_METHODS } from '../oauth2/client-auth/types.js';
import { OAUTH2_PATHS } from '../oauth2/endpoints/metadata.js';
import { CODE_CHALLENGE_METHODS } from '../oauth2/pkce.js';
import { ID_TOKEN_ALGS } from './algorithms.js';
import { OIDC_RESPONSE_MODES } from './authorize.js';
import { ACR_VALUES_SUPPORTED, CLAIMS_SUPPORTED } from './claims.js';
import { PROMPT_VALUES } from './prompt.js';

/** Paths of the OpenID Connect endpoints (the reference product's, plus what it lacked). */
export const OIDC_PATHS = {
  authorize: '/oidc/authorize',
  token: '/api/oidc/token',
  deviceAuthorization: '/api/oidc/device_code',
  userinfo: '/userinfo',
  endSession: '/oidc/logout',
  jwks: OAUTH2_PATHS.jwks,
  // Introspection and revocation serve both client types.
  introspect: OAUTH2_PATHS.introspect,
  revoke: OAUTH2_PATHS.revoke,
} as const;

/** OIDC Discovery §4 and the reference product's name for the same document. */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oidc-configuration'] as const;

/**
 * OpenID Provider Metadata (OIDC Discovery §3, RP-Initiated Logout §3.1, Back-Channel Logout
 * §2.1). Every value is true of the server; a test walks the document and exercises each one.
 */
export function openIdConfiguration(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  // Introspection is for confidential clients (RFC 7662 §2.1), which authenticate with a secret.
  const secretMethods = [...CLIENT_SETTINGS_RULES.authMethods.confidential];
  return {
    issuer,
    authorization_endpoint: `${issuer}${OIDC_PATHS.authorize}`,
    token_endpoint: `${issuer}${OIDC_PATHS.token}`,
    device_authorization_endpoint: `${issuer}${OIDC_PATHS.deviceAuthorization}`,
    userinfo_endpoint: `${issuer}${OIDC_PATHS.userinfo}`,
    jwks_uri: `${issuer}${OIDC_PATHS.jwks}`,
    end_session_endpoint: `${issuer}${OIDC_PATHS.endSession}`,
    introspection_endpoint: `${issuer}${OIDC_PATHS.introspect}`,
    revocation_endpoint: `${issuer}${OIDC_PATHS.revoke}`,
    scopes_supported: [...scopes],
    response_types_supported: [...OIDC_RESPONSE_TYPES],
    response_modes_supported: [...OIDC_RESPONSE_MODES],
    // RFC 7591 §2: "implicit" names the flows that return tokens from the authorization endpoint.
    grant_types_supported: [...GRANT_TYPES, 'implicit'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGS],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: secretMethods,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    claims_supported: [...CLAIMS_SUPPORTED],
    claim_types_supported: ['normal'],
    claims_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    acr_values_supported: [...ACR_VALUES_SUPPORTED],
    prompt_values_supported: [...PROMPT_VALUES],
    display_values_supported: ['page'],
    ui_locales_supported: ['en'],
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: false,
    // RFC 9207: iss in every authorization response.
    authorization_response_iss_parameter_supported: true,
  };
}
