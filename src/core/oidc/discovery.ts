import { GRANT_TYPES, OIDC_RESPONSE_TYPES } from '../clients/client.js';
import { authorizationServerMetadata, OAUTH2_PATHS } from '../oauth2/endpoints/metadata.js';
import { ID_TOKEN_ALGS } from './algorithms.js';
import { OIDC_RESPONSE_MODES } from './authorize.js';
import { ACR_VALUES_SUPPORTED, CLAIMS_SUPPORTED } from './claims.js';
import { PROMPT_VALUES } from './prompt.js';

/** Paths of the OpenID Connect endpoints (the modelled server's, plus what it lacked). */
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

/** OIDC Discovery §4 and the modelled server's name for the same document. */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oidc-configuration'] as const;

/**
 * OpenID Provider Metadata (OIDC Discovery §3, RP-Initiated Logout §3.1, Back-Channel Logout
 * §2.1): the RFC 8414 document at the OpenID Connect paths, with OpenID Connect's members. Every
 * value is true of the server; a test walks the document and exercises each one.
 */
export function openIdConfiguration(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(issuer, scopes, OIDC_PATHS),
    userinfo_endpoint: `${issuer}${OIDC_PATHS.userinfo}`,
    end_session_endpoint: `${issuer}${OIDC_PATHS.endSession}`,
    response_types_supported: [...OIDC_RESPONSE_TYPES],
    response_modes_supported: [...OIDC_RESPONSE_MODES],
    // RFC 7591 §2: "implicit" names the flows that return tokens from the authorization endpoint.
    grant_types_supported: [...GRANT_TYPES, 'implicit'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGS],
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
  };
}
