import type { Client } from '../clients/client.js';
import { defaultAuthMethod } from '../clients/settings.js';
import { IMPLICIT_GRANT, needsImplicit } from './metadata.js';

/** Registration-only metadata names echoed back to the client (RFC 7591 §2, OIDC Registration §2). */
const ECHOED = [
  'contacts',
  'logo_uri',
  'client_uri',
  'policy_uri',
  'tos_uri',
  'jwks',
  'jwks_uri',
  'scope',
  'software_id',
  'software_version',
  'application_type',
  'subject_type',
  'id_token_signed_response_alg',
  'access_token_signed_response_alg',
  'require_auth_time',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'resources',
] as const;
const LANGUAGE_TAGGED = /^(client_name|logo_uri|client_uri|policy_uri|tos_uri)#/;

/** Keys of client.metadata that a registration (or its update) owns and replaces. */
export function isRegistrationMetadataKey(key: string): boolean {
  return (ECHOED as readonly string[]).includes(key) || key === 'token_endpoint_auth_method' || LANGUAGE_TAGGED.test(key);
}

export interface ClientInformationExtras {
  registrationAccessToken: string;
  registrationClientUri: string;
  /** Only right after registration: the secret is never readable afterwards. */
  clientSecret?: string | null;
}

/**
 * RFC 7591 §3.2.1 / RFC 7592 §3: the client information response, built from the registry's current
 * state (so an administrator's edits show), plus Latchkey's `status` extension so that a client can
 * poll for approval.
 */
export function clientInformation(client: Client, extras: ClientInformationExtras): Record<string, unknown> {
  const meta = client.metadata;
  const method = typeof meta.token_endpoint_auth_method === 'string' ? meta.token_endpoint_auth_method : defaultAuthMethod(client.isPublic);
  const grantTypes = [...client.grantTypes];
  if (client.responseTypes.some(needsImplicit)) grantTypes.push(IMPLICIT_GRANT);
  const body: Record<string, unknown> = {
    client_id: client.key,
    ...(extras.clientSecret ? { client_secret: extras.clientSecret } : {}),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    // RFC 7591 §3.2.1: 0 means the secret does not expire.
    ...(client.isPublic ? {} : { client_secret_expires_at: 0 }),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    grant_types: grantTypes,
    response_types: client.responseTypes,
    token_endpoint_auth_method: method,
  };
  if (client.type === 'oidc') body.post_logout_redirect_uris = client.postLogoutRedirectUris;
  for (const [key, value] of Object.entries(meta)) {
    if (value !== undefined && value !== null && key !== 'token_endpoint_auth_method' && isRegistrationMetadataKey(key)) body[key] = value;
  }
  body.registration_access_token = extras.registrationAccessToken;
  body.registration_client_uri = extras.registrationClientUri;
  body.status = client.status;
  return body;
}
