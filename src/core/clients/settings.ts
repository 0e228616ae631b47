import { describeJsonProblem, jsonValueProblem, METADATA_BOUNDS } from '../bounded-json.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethodName } from '../oauth2/client-auth/types.js';
import { isOneOf } from '../one-of.js';
import { type ClientType, GRANT_TYPES, normalizeResponseType, OAUTH2_RESPONSE_TYPES, OIDC_RESPONSE_TYPES, responseTypesFor } from './client.js';
import { redirectUriProblem } from './redirect-uri.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface OAuth2Settings {
  type: 'oauth2' | 'oidc';
  isPublic: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
}

export const DEFAULT_GRANT_TYPES = ['authorization_code', 'refresh_token'];
export const DEFAULT_RESPONSE_TYPES = ['code'];

/**
 * The client-settings rules as data: what the admin use cases and registration check through
 * checkOAuth2Settings, and what the console bundles (src/core/clients/console-rules.ts) to apply the same
 * rules as the administrator types.
 */
export const CLIENT_SETTINGS_RULES = {
  grantTypes: GRANT_TYPES,
  responseTypes: { oauth2: OAUTH2_RESPONSE_TYPES, oidc: OIDC_RESPONSE_TYPES },
  defaultGrantTypes: DEFAULT_GRANT_TYPES,
  defaultResponseTypes: DEFAULT_RESPONSE_TYPES,
  /** Grants that move a user through the authorization endpoint, and so need a redirect URI. */
  authorizationFlowGrants: ['authorization_code'],
  /** Public clients cannot authenticate (RFC 6749 §2.1): grants resting on client credentials are refused. */
  publicRefusedGrants: ['password', 'client_credentials'],
  /** RFC 9700 §2.1.1: a public client always uses PKCE. */
  publicRequiresPkce: true,
  /** How each kind of client authenticates at the token endpoint (RFC 7591 §2, RFC 6749 §2.3). */
  authMethods: {
    public: CLIENT_AUTH_METHODS.filter((m) => m === 'none'),
    confidential: CLIENT_AUTH_METHODS.filter((m) => m !== 'none'),
  },
  /** RFC 7591 §2: what a confidential client uses when it names no method. */
  defaultConfidentialAuthMethod: 'client_secret_basic',
  maxUris: 50,
} as const satisfies {
  authMethods: { public: readonly ClientAuthMethodName[]; confidential: readonly ClientAuthMethodName[] };
  defaultConfidentialAuthMethod: ClientAuthMethodName;
  [key: string]: unknown;
};

/** The token-endpoint authentication method a client uses when none is recorded. */
export function defaultAuthMethod(isPublic: boolean): ClientAuthMethodName {
  return isPublic ? 'none' : CLIENT_SETTINGS_RULES.defaultConfidentialAuthMethod;
}

/** RFC 7591 §2: "none" marks a public client; every other method proves a secret. */
export function isPublicAuthMethod(method: ClientAuthMethodName): boolean {
  return isOneOf(CLIENT_SETTINGS_RULES.authMethods.public, method);
}

/** A public client always requires PKCE; a confidential one when its administrator asks for it. */
export function requiresPkce(isPublic: boolean, requested: boolean): boolean {
  return (isPublic && CLIENT_SETTINGS_RULES.publicRequiresPkce) || requested;
}

/** Whether a client of this kind may use the grant at all. */
export function grantAllowedFor(isPublic: boolean, grant: string): boolean {
  return !(isPublic && isOneOf(CLIENT_SETTINGS_RULES.publicRefusedGrants, grant));
}

export function isKnownGrantType(grant: string): boolean {
  return isOneOf(GRANT_TYPES, grant);
}

/** Whether a (normalized) response type belongs to the client type. */
export function isResponseTypeOf(type: 'oauth2' | 'oidc', responseType: string): boolean {
  return responseTypesFor(type).includes(responseType);
}

export function clientTypeLabel(type: 'oauth2' | 'oidc'): string {
  return type === 'oidc' ? 'OpenID Connect' : 'OAuth 2.0';
}

/** Names of the rules checkOAuth2Settings applies; the console names the same ones (parity test). */
export type SettingsRule =
  | 'unknown_grant'
  | 'duplicate_grants'
  | 'response_type_of_other_type'
  | 'duplicate_response_types'
  | 'code_response_needs_code_grant'
  | 'code_grant_needs_code_response'
  | 'refresh_token_alone'
  | 'redirect_uri_required'
  | 'too_many_uris'
  | 'bad_uri'
  | 'duplicate_uris'
  | 'post_logout_on_oauth2'
  | 'grant_refused_for_public'
  | 'grant_required';

export interface SettingsViolation extends FieldProblem {
  rule: SettingsRule;
}

/**
 * The consistency rules for an OAuth 2.0 / OIDC client's settings. Pure: returns every problem
 * found, with the field it concerns, so an admin or registrant sees them all at once.
 */
export function checkOAuth2Settings(s: OAuth2Settings): FieldProblem[] {
  return settingsViolations(s).map(({ field, message }) => ({ field, message }));
}

/** checkOAuth2Settings with the name of the rule behind each problem. */
export function settingsViolations(s: OAuth2Settings): SettingsViolation[] {
  const problems: SettingsViolation[] = [];
  const add = (rule: SettingsRule, field: string, message: string) => problems.push({ rule, field, message });
  const allowedResponses = responseTypesFor(s.type);
  const grants = new Set(s.grantTypes);
  const responses = s.responseTypes.map(normalizeResponseType);

  for (const g of s.grantTypes) {
    if (!isKnownGrantType(g)) add('unknown_grant', 'grant_types', `unknown grant type "${g}"`);
  }
  if (grants.size !== s.grantTypes.length) add('duplicate_grants', 'grant_types', 'contains duplicates');

  for (const r of responses) {
    if (!allowedResponses.includes(r)) {
      add(
        'response_type_of_other_type',
        'response_types',
        `"${r}" is not a response type of ${clientTypeLabel(s.type)} clients (allowed: ${allowedResponses.join(', ')})`,
      );
    }
  }
  if (new Set(responses).size !== responses.length) add('duplicate_response_types', 'response_types', 'contains duplicates');

  // OIDC Registration §2: a response type containing code needs the authorization_code grant.
  const codeResponse = responses.some((r) => r.split(' ').includes('code'));
  if (codeResponse && !grants.has('authorization_code')) {
    add('code_response_needs_code_grant', 'response_types', 'a response type containing "code" needs the authorization_code grant');
  }
  if (grants.has('authorization_code') && !codeResponse) {
    add('code_grant_needs_code_response', 'grant_types', 'authorization_code needs a response type containing "code"');
  }
  if (grants.has('refresh_token') && grants.size === 1) add('refresh_token_alone', 'grant_types', 'refresh_token alone cannot obtain a first token');

  const flowGrants: readonly string[] = CLIENT_SETTINGS_RULES.authorizationFlowGrants;
  const usesAuthorizationEndpoint = responses.length > 0 || s.grantTypes.some((g) => flowGrants.includes(g));
  if (usesAuthorizationEndpoint && s.redirectUris.length === 0) {
    add('redirect_uri_required', 'redirect_uris', 'at least one redirect URI is required for an authorization flow');
  }
  checkUris('redirect_uris', s.redirectUris, add);
  checkUris('post_logout_redirect_uris', s.postLogoutRedirectUris, add);
  if (s.type === 'oauth2' && s.postLogoutRedirectUris.length > 0) {
    add('post_logout_on_oauth2', 'post_logout_redirect_uris', 'only OpenID Connect clients have post-logout redirect URIs');
  }

  for (const g of CLIENT_SETTINGS_RULES.publicRefusedGrants) {
    if (grants.has(g) && !grantAllowedFor(s.isPublic, g)) add('grant_refused_for_public', 'grant_types', `a public client cannot use the ${g} grant`);
  }
  if (s.grantTypes.length === 0) add('grant_required', 'grant_types', 'at least one grant type is required');
  return problems;
}

function checkUris(field: string, uris: string[], add: (rule: SettingsRule, field: string, message: string) => void): void {
  if (uris.length > CLIENT_SETTINGS_RULES.maxUris) add('too_many_uris', field, `at most ${CLIENT_SETTINGS_RULES.maxUris} URIs`);
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) add('bad_uri', field, `"${truncate(uri)}" ${problem}`);
  }
  if (new Set(uris).size !== uris.length) add('duplicate_uris', field, 'contains duplicates');
}

export function truncate(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

export const MIN_SECRET_LENGTH = 16;
export const MAX_NAME_LENGTH = 200;

export function checkName(name: string, field = 'name'): FieldProblem[] {
  const trimmed = name.trim();
  if (trimmed === '') return [{ field, message: 'must not be empty' }];
  if (trimmed.length > MAX_NAME_LENGTH) return [{ field, message: `must be at most ${MAX_NAME_LENGTH} characters` }];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return [{ field, message: 'must not contain control characters' }];
  return [];
}

export function checkChosenSecret(secret: string, field = 'secret'): FieldProblem[] {
  if (secret.length < MIN_SECRET_LENGTH) {
    return [{ field, message: `must be at least ${MIN_SECRET_LENGTH} characters` }];
  }
  if (secret.length > 512) return [{ field, message: 'must be at most 512 characters' }];
  return [];
}

/** Stored metadata stays within METADATA_BOUNDS, so that it can always be shown again. */
export function checkMetadata(metadata: Record<string, unknown>, field = 'metadata'): FieldProblem[] {
  const problem = jsonValueProblem(metadata, METADATA_BOUNDS);
  return problem ? [{ field, message: describeJsonProblem(problem, 'the metadata') }] : [];
}

export function checkCallbackUrl(value: string): FieldProblem[] {
  if (value === 'oob') return [];
  const problem = redirectUriProblem(value);
  return problem ? [{ field: 'callback_url', message: `"${truncate(value)}" ${problem}` }] : [];
}

export function isClientType(value: unknown): value is ClientType {
  return value === 'oauth1' || value === 'oauth2' || value === 'oidc';
}
