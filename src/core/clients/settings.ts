import { describeJsonProblem, jsonValueProblem, METADATA_BOUNDS } from '../bounded-json.js';
import { type ClientType, DEVICE_CODE_GRANT, GRANT_TYPES, normalizeResponseType, responseTypesFor } from './client.js';
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

/** Grants that move a user through the authorization endpoint or an equivalent user step. */
const AUTHORIZATION_FLOW_GRANTS = new Set(['authorization_code']);

/**
 * The consistency rules for an OAuth 2.0 / OIDC client's settings. Pure: returns every problem
 * found, with the field it concerns, so an admin or registrant sees them all at once.
 */
export function checkOAuth2Settings(s: OAuth2Settings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const allowedResponses = responseTypesFor(s.type);
  const grants = new Set(s.grantTypes);
  const responses = s.responseTypes.map(normalizeResponseType);

  for (const g of s.grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(g)) {
      problems.push({ field: 'grant_types', message: `unknown grant type "${g}"` });
    }
  }
  if (grants.size !== s.grantTypes.length) problems.push({ field: 'grant_types', message: 'contains duplicates' });

  for (const r of responses) {
    if (!allowedResponses.includes(r)) {
      problems.push({
        field: 'response_types',
        message: `"${r}" is not a response type of ${s.type === 'oidc' ? 'OpenID Connect' : 'OAuth 2.0'} clients (allowed: ${allowedResponses.join(', ')})`,
      });
    }
  }
  if (new Set(responses).size !== responses.length) {
    problems.push({ field: 'response_types', message: 'contains duplicates' });
  }

  // OIDC Registration §2: a response type containing code needs the authorization_code grant.
  if (responses.some((r) => r.split(' ').includes('code')) && !grants.has('authorization_code')) {
    problems.push({ field: 'response_types', message: 'a response type containing "code" needs the authorization_code grant' });
  }
  if (grants.has('authorization_code') && !responses.some((r) => r.split(' ').includes('code'))) {
    problems.push({ field: 'grant_types', message: 'authorization_code needs a response type containing "code"' });
  }
  if (grants.has('refresh_token') && grants.size === 1) {
    problems.push({ field: 'grant_types', message: 'refresh_token alone cannot obtain a first token' });
  }

  const usesAuthorizationEndpoint = responses.length > 0 || s.grantTypes.some((g) => AUTHORIZATION_FLOW_GRANTS.has(g));
  if (usesAuthorizationEndpoint && s.redirectUris.length === 0) {
    problems.push({ field: 'redirect_uris', message: 'at least one redirect URI is required for an authorization flow' });
  }
  checkUris('redirect_uris', s.redirectUris, problems);
  checkUris('post_logout_redirect_uris', s.postLogoutRedirectUris, problems);
  if (s.type === 'oauth2' && s.postLogoutRedirectUris.length > 0) {
    problems.push({ field: 'post_logout_redirect_uris', message: 'only OpenID Connect clients have post-logout redirect URIs' });
  }

  if (s.isPublic) {
    // Public clients cannot authenticate (RFC 6749 §2.1), so grants that rest on client credentials are refused.
    for (const g of ['password', 'client_credentials']) {
      if (grants.has(g)) problems.push({ field: 'grant_types', message: `a public client cannot use the ${g} grant` });
    }
  }
  if (s.grantTypes.length === 0) problems.push({ field: 'grant_types', message: 'at least one grant type is required' });
  if (grants.has(DEVICE_CODE_GRANT) && s.type !== 'oauth2' && s.type !== 'oidc') {
    problems.push({ field: 'grant_types', message: 'the device grant is for OAuth 2.0 and OIDC clients' });
  }
  return problems;
}

function checkUris(field: string, uris: string[], problems: FieldProblem[]): void {
  if (uris.length > 50) problems.push({ field, message: 'at most 50 URIs' });
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) problems.push({ field, message: `"${truncate(uri)}" ${problem}` });
  }
  if (new Set(uris).size !== uris.length) problems.push({ field, message: 'contains duplicates' });
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
