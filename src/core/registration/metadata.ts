import { describeJsonProblem, jsonValueProblem, METADATA_BOUNDS } from '../bounded-json.js';
import { GRANT_TYPES, normalizeResponseType, responseTypesFor } from '../clients/client.js';
import { checkResources } from '../clients/resources.js';
import {
  checkName,
  checkOAuth2Settings,
  clientTypeLabel,
  defaultAuthMethod,
  type FieldProblem,
  isKnownGrantType,
  isPublicAuthMethod,
  isResponseTypeOf,
  truncate,
} from '../clients/settings.js';
import type { ClientAuthMethodName } from '../oauth2/client-auth/types.js';
import { isOneOf } from '../one-of.js';
import type { OutboundTargetCheck } from '../outbound.js';
import { RegistrationError } from './errors.js';
import { readMembers, registrationMembers, text, UPDATE_CREDENTIALS, webUri } from './members.js';

/** Client types that can register themselves (RFC 7591 has no OAuth 1.0a counterpart). */
export type RegistrableType = 'oauth2' | 'oidc';

/** RFC 7591 §2.1: the pseudo grant type that stands for the implicit flow. It is not a token-endpoint grant. */
export const IMPLICIT_GRANT = 'implicit';

/** What an administrator allows self-registered clients to ask for. */
export interface RegistrationPolicy {
  /** Token-endpoint grant types (values of GRANT_TYPES). */
  grantTypes: readonly string[];
  /** Response types, normalized (e.g. "code id_token"). */
  responseTypes: readonly string[];
  /**
   * Where the server may send requests of its own (RFC 7591 §3.2.2 invalid_client_metadata
   * otherwise): checked for backchannel_logout_uri and jwks_uri, not for redirect_uris, which the
   * browser follows (loopback redirect URIs are legitimate for native apps, RFC 8252 §7.3).
   */
  outboundTarget?: OutboundTargetCheck | undefined;
}

/** A registration request, checked and normalized, ready for the client registry. */
export interface ParsedRegistration {
  name: string;
  /** True when the client gave no client_name and the server chose one. */
  nameDefaulted: boolean;
  authMethod: ClientAuthMethodName;
  isPublic: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Token-endpoint grants, as the registry holds them (never "implicit"). */
  grantTypes: string[];
  responseTypes: string[];
  /** Registration-only metadata under its RFC 7591 / OIDC Registration names, kept in client.metadata. */
  metadata: Record<string, unknown>;
  /** Names of members Latchkey does not know and ignored (RFC 7591 §2). */
  ignoredFields: string[];
  /** RFC 7592 §2.2: an update repeats the client_id, and the client_secret when it has one. */
  clientId?: string;
  clientSecret?: string;
}

export interface ParseOptions {
  type: RegistrableType;
  policy: RegistrationPolicy;
  purpose: 'register' | 'update';
  /** Scope names the server grants to clients of this type; when given, `scope` must stay within them. */
  knownScopes?: readonly string[] | undefined;
}

/** Fields the server assigns; a client never sends them (RFC 7591 §3.2.1, RFC 7592 §2.2). */
const SERVER_ASSIGNED = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/**
 * Registered metadata names Latchkey understands but does not implement. Sending one with a value
 * (other than false, which is each one's default) is refused rather than silently ignored, so a
 * client never believes it got a behaviour it did not get.
 */
const UNSUPPORTED: Record<string, string> = {
  sector_identifier_uri: 'pairwise subject identifiers are not supported',
  request_uris: 'request objects by reference are not supported',
  request_object_signing_alg: 'request objects are not supported',
  request_object_encryption_alg: 'request objects are not supported',
  request_object_encryption_enc: 'request objects are not supported',
  require_signed_request_object: 'request objects are not supported',
  id_token_encrypted_response_alg: 'encrypted ID tokens are not supported',
  id_token_encrypted_response_enc: 'encrypted ID tokens are not supported',
  userinfo_signed_response_alg: 'UserInfo answers with plain JSON; signed UserInfo responses are not supported',
  userinfo_encrypted_response_alg: 'encrypted UserInfo responses are not supported',
  userinfo_encrypted_response_enc: 'encrypted UserInfo responses are not supported',
  authorization_signed_response_alg: 'JWT-secured authorization responses are not supported',
  authorization_encrypted_response_alg: 'JWT-secured authorization responses are not supported',
  authorization_encrypted_response_enc: 'JWT-secured authorization responses are not supported',
  token_endpoint_auth_signing_alg: 'JWT client authentication is not supported',
  default_max_age: 'a default max_age is not supported; send max_age with each authorization request',
  default_acr_values: 'default ACR values are not supported; send acr_values with each authorization request',
  initiate_login_uri: 'third-party initiated login is not supported',
  frontchannel_logout_uri: 'front-channel logout is not supported; use backchannel_logout_uri',
  frontchannel_logout_session_required: 'front-channel logout is not supported; use backchannel_logout_uri',
  tls_client_auth_subject_dn: 'mutual-TLS client authentication is not supported',
  tls_client_auth_san_dns: 'mutual-TLS client authentication is not supported',
  tls_client_auth_san_uri: 'mutual-TLS client authentication is not supported',
  tls_client_auth_san_ip: 'mutual-TLS client authentication is not supported',
  tls_client_auth_san_email: 'mutual-TLS client authentication is not supported',
  tls_client_certificate_bound_access_tokens: 'certificate-bound access tokens are not supported',
  dpop_bound_access_tokens: 'DPoP-bound access tokens are not supported',
  require_pushed_authorization_requests: 'pushed authorization requests are not supported',
};

/** Human-facing URIs, each of which may also carry a language tag (OIDC Registration §2.1). */
export const LOCALIZABLE = ['client_name', 'logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const;
const LANGUAGE_TAGGED = /^(client_name|logo_uri|client_uri|policy_uri|tos_uri)#([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,4})$/;

/**
 * Every metadata member a registrant sets and Latchkey keeps (RFC 7591 §2, OIDC Registration §2),
 * plus the language-tagged variants of LOCALIZABLE. What an administrator reviews is derived from
 * this list (review.ts): a member added here is reviewed unless it is put on the no-review list.
 */
export const REGISTRANT_FIELDS = [
  ...LOCALIZABLE,
  'redirect_uris',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'contacts',
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
  'resources',
] as const;
export type RegistrantField = (typeof REGISTRANT_FIELDS)[number];

/** Members that are known but not kept as the registrant sent them: credentials, server-assigned, refused. */
export const NOT_SETTABLE_FIELDS: readonly string[] = ['client_id', 'client_secret', 'software_statement', ...SERVER_ASSIGNED, ...Object.keys(UNSUPPORTED)];

const KNOWN = new Set<string>([...REGISTRANT_FIELDS, ...NOT_SETTABLE_FIELDS]);

/** The registrant field a metadata key holds: itself, or the base of a language-tagged variant ("client_name#fr"). */
export function registrantFieldOf(key: string): RegistrantField | undefined {
  const base = LANGUAGE_TAGGED.exec(key)?.[1] ?? key;
  return isOneOf(REGISTRANT_FIELDS, base) ? base : undefined;
}

const MAX_IGNORED_LISTED = 50;
/** RFC 6749 §3.3: scope-token = 1*NQCHAR. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const OIDC_ONLY = [
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'subject_type',
  'id_token_signed_response_alg',
  'require_auth_time',
] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** null counts as absent: RFC 7592 §2.2 treats omitted and null values alike. */
function has(body: Record<string, unknown>, field: string): boolean {
  return body[field] !== undefined && body[field] !== null;
}

/** The one error a list of problems becomes: invalid_redirect_uri when they all concern redirect_uris. */
export function problemsError(problems: FieldProblem[]): RegistrationError {
  const description = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const code = problems.every((p) => p.field === 'redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  return new RegistrationError(code, description);
}

type Members = ReturnType<typeof readMembers<ReturnType<typeof registrationMembers>>>['values'];

/** What one group of members contributes: its problems, and what it keeps in the client metadata. */
interface Group {
  problems: FieldProblem[];
  metadata: Record<string, unknown>;
}

/** Members the server assigns, and the client_id / client_secret an update repeats (RFC 7591 §3.2.1, RFC 7592 §2.2). */
function credentials(body: Record<string, unknown>, purpose: ParseOptions['purpose']): { problems: FieldProblem[]; clientId?: string; clientSecret?: string } {
  const problems: FieldProblem[] = [];
  for (const field of SERVER_ASSIGNED) if (has(body, field)) problems.push({ field, message: 'is assigned by the server and must not be sent' });
  if (purpose === 'register') {
    for (const field of ['client_id', 'client_secret'])
      if (has(body, field)) problems.push({ field, message: 'is assigned by the server and cannot be chosen' });
    return { problems };
  }
  const read = readMembers(body, UPDATE_CREDENTIALS);
  problems.push(...read.problems);
  if (!has(body, 'client_id')) problems.push({ field: 'client_id', message: 'is required in an update (RFC 7592 §2.2)' });
  return {
    problems,
    ...(read.values.client_id !== undefined ? { clientId: read.values.client_id } : {}),
    ...(read.values.client_secret !== undefined ? { clientSecret: read.values.client_secret } : {}),
  };
}

/** Members Latchkey knows but does not implement: refused when set to anything but false. */
function unsupported(body: Record<string, unknown>): FieldProblem[] {
  return Object.entries(UNSUPPORTED)
    .filter(([field]) => body[field] !== undefined && body[field] !== null && body[field] !== false)
    .map(([field, message]) => ({ field, message }));
}

/** Members that apply to OpenID Connect clients only, sent by an OAuth 2.0 one. */
function oidcOnly(body: Record<string, unknown>, type: RegistrableType): FieldProblem[] {
  if (type === 'oidc') return [];
  const message = 'applies to OpenID Connect clients only (register at the OIDC registration endpoint)';
  return OIDC_ONLY.filter((field) => has(body, field)).map((field) => ({ field, message }));
}

/** The name and human-facing URIs, with their language-tagged variants (OIDC Registration §2.1); unknown members. */
function names(body: Record<string, unknown>, m: Members): Group & { ignoredFields: string[] } {
  const problems: FieldProblem[] = m.client_name === undefined ? [] : checkName(m.client_name, 'client_name');
  const metadata: Record<string, unknown> = {};
  const ignoredFields: string[] = [];
  for (const key of Object.keys(body)) {
    const tagged = LANGUAGE_TAGGED.exec(key);
    if (tagged) {
      const isName = tagged[1] === 'client_name';
      const read = readMembers(body, { [key]: isName ? text(1000) : webUri });
      const value = read.values[key];
      problems.push(...read.problems);
      if (value !== undefined && isName) problems.push(...checkName(value, key));
      if (value !== undefined) metadata[key] = value;
    } else if (!KNOWN.has(key) && ignoredFields.length < MAX_IGNORED_LISTED) {
      ignoredFields.push(truncate(key, 64));
    }
  }
  for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    const v = m[field];
    if (v !== undefined) metadata[field] = v;
  }
  return { problems, metadata, ignoredFields };
}

/** Grant and response types each allowed by the server and by the administrator's policy. */
function flowValues(m: Members, type: RegistrableType, policy: RegistrationPolicy): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const allowedResponses = responseTypesFor(type);
  for (const g of m.grant_types ?? []) {
    if (g === IMPLICIT_GRANT) {
      if (!policy.responseTypes.some(needsImplicit))
        problems.push({ field: 'grant_types', message: 'the implicit flow is not open to self-registered clients on this server' });
    } else if (!isKnownGrantType(g)) {
      problems.push({ field: 'grant_types', message: `unknown grant type "${truncate(g, 60)}" (supported: ${[...GRANT_TYPES, IMPLICIT_GRANT].join(', ')})` });
    } else if (!policy.grantTypes.includes(g)) {
      problems.push({
        field: 'grant_types',
        message: `"${g}" is not open to self-registered clients on this server (allowed: ${policy.grantTypes.join(', ')})`,
      });
    }
  }
  for (const rt of (m.response_types ?? []).map(normalizeResponseType)) {
    if (!isResponseTypeOf(type, rt)) {
      problems.push({
        field: 'response_types',
        message: `"${truncate(rt, 60)}" is not a response type of ${clientTypeLabel(type)} clients (allowed: ${allowedResponses.join(', ')})`,
      });
    } else if (!policy.responseTypes.includes(rt)) {
      problems.push({
        field: 'response_types',
        message: `"${rt}" is not open to self-registered clients on this server (allowed: ${policy.responseTypes.join(', ') || 'none'})`,
      });
    }
  }
  return problems;
}

/** scope: valid scope tokens (RFC 6749 §3.3), within the server's scopes when it names them. */
function scope(m: Members, knownScopes: readonly string[] | undefined): Group {
  if (m.scope === undefined) return { problems: [], metadata: {} };
  const tokens = m.scope.split(' ').filter((t) => t !== '');
  const problems: FieldProblem[] = [];
  if (tokens.length === 0) problems.push({ field: 'scope', message: 'must name at least one scope' });
  const bad = tokens.find((t) => !SCOPE_TOKEN.test(t));
  const unknown = knownScopes === undefined ? undefined : tokens.find((t) => !knownScopes.includes(t));
  if (bad !== undefined) problems.push({ field: 'scope', message: `"${truncate(bad, 60)}" is not a valid scope token (RFC 6749 §3.3)` });
  else if (unknown !== undefined)
    problems.push({ field: 'scope', message: `"${truncate(unknown, 60)}" is not a scope of this server (known: ${knownScopes?.join(', ')})` });
  else if (problems.length === 0) return { problems, metadata: { scope: [...new Set(tokens)].join(' ') } };
  return { problems, metadata: {} };
}

/** The client's keys: jwks or jwks_uri, never both (RFC 7591 §2). */
function keys(body: Record<string, unknown>, m: Members): Group {
  const problems: FieldProblem[] = [];
  const metadata: Record<string, unknown> = {};
  if (m.jwks_uri !== undefined) metadata.jwks_uri = m.jwks_uri;
  if (has(body, 'jwks')) {
    const jwks = checkJwks(body.jwks);
    if (typeof jwks === 'string') problems.push({ field: 'jwks', message: jwks });
    else metadata.jwks = jwks;
    if (has(body, 'jwks_uri')) problems.push({ field: 'jwks', message: 'must not be sent together with jwks_uri' });
  }
  return { problems, metadata };
}

/** URIs the server itself will request must be targets the outbound policy accepts. */
function outbound(m: Members, check: OutboundTargetCheck | undefined): FieldProblem[] {
  if (check === undefined) return [];
  const problems: FieldProblem[] = [];
  for (const field of ['jwks_uri', 'backchannel_logout_uri'] as const) {
    const v = m[field];
    const refusal = v === undefined ? null : check(v);
    if (v !== undefined && refusal !== null) problems.push({ field, message: `"${truncate(v)}" ${refusal}` });
  }
  return problems;
}

/** The client metadata a registration keeps, under its RFC names; OIDC members only for OIDC clients. */
function keptMetadata(
  m: Members,
  type: RegistrableType,
  groups: { named: Group; scoped: Group; keyed: Group },
  authMethod: ClientAuthMethodName,
): Record<string, unknown> {
  const oidc = type === 'oidc';
  const kept: Record<string, unknown> = {
    ...groups.named.metadata,
    contacts: m.contacts?.map((c) => c.trim()),
    ...groups.scoped.metadata,
    ...groups.keyed.metadata,
    software_id: m.software_id,
    software_version: m.software_version,
    application_type: m.application_type,
    backchannel_logout_uri: oidc ? m.backchannel_logout_uri : undefined,
    backchannel_logout_session_required: oidc ? m.backchannel_logout_session_required : undefined,
    subject_type: oidc ? m.subject_type : undefined,
    id_token_signed_response_alg: oidc ? m.id_token_signed_response_alg : undefined,
    access_token_signed_response_alg: m.access_token_signed_response_alg,
    require_auth_time: oidc ? m.require_auth_time : undefined,
    resources: m.resources && m.resources.length > 0 ? m.resources.map((r) => r.trim()) : undefined,
    token_endpoint_auth_method: authMethod,
  };
  return Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined));
}

/**
 * RFC 7591 §2: grant_types defaults to authorization_code and response_types to code; when only
 * one of them is given, the other is derived from it so the two agree.
 */
function derivedFlows(rawGrants: string[] | undefined, rawResponses: string[] | undefined): { grants: string[]; responseTypes: string[] } {
  const responses = (rawResponses ?? []).map(normalizeResponseType);
  if (rawGrants === undefined && rawResponses === undefined) return { grants: ['authorization_code'], responseTypes: ['code'] };
  if (rawGrants === undefined) {
    const grants: string[] = [];
    if (responses.some((rt) => rt.split(' ').includes('code'))) grants.push('authorization_code');
    if (responses.some(needsImplicit)) grants.push(IMPLICIT_GRANT);
    if (grants.length === 0) grants.push('authorization_code');
    return { grants, responseTypes: responses };
  }
  if (rawResponses !== undefined) return { grants: rawGrants, responseTypes: responses };
  if (rawGrants.includes(IMPLICIT_GRANT)) {
    throw RegistrationError.metadata('response_types: is required with the implicit grant, to say which of the implicit response types the client uses');
  }
  return { grants: rawGrants, responseTypes: rawGrants.includes('authorization_code') ? ['code'] : [] };
}

/** RFC 7591 §2.1 and OIDC Registration §2: token and id_token responses use the implicit grant. */
function implicitProblems(grants: string[], responseTypes: string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const implicitListed = grants.includes(IMPLICIT_GRANT);
  const implicitNeeded = responseTypes.filter(needsImplicit);
  if (implicitNeeded.length > 0 && !implicitListed) {
    problems.push({ field: 'response_types', message: `"${implicitNeeded[0]}" needs the implicit grant in grant_types` });
  }
  if (implicitListed && implicitNeeded.length === 0) {
    problems.push({ field: 'grant_types', message: 'implicit needs a response type containing "token" or "id_token"' });
  }
  if (implicitListed && grants.every((g) => g === IMPLICIT_GRANT)) {
    // An implicit-only client has no token-endpoint grant; the registry needs one to hold the client.
    problems.push({ field: 'grant_types', message: 'an implicit-only client is not supported; add authorization_code' });
  }
  return problems;
}

/**
 * Parses and checks an RFC 7591 registration request (or an RFC 7592 update, which carries the full
 * metadata again). Every problem found is reported at once, each naming its field.
 */
export function parseRegistration(body: unknown, opts: ParseOptions): ParsedRegistration {
  if (!isPlainObject(body)) throw RegistrationError.metadata('the request body must be a JSON object (RFC 7591 §3.1)');
  if (has(body, 'software_statement')) {
    throw new RegistrationError('invalid_software_statement', 'software statements are not accepted by this server');
  }
  const { type, policy } = opts;

  // First the value of each member, then the groups of members that belong together.
  const creds = credentials(body, opts.purpose);
  const { values: m, problems: memberProblems } = readMembers(body, registrationMembers(type));
  const named = names(body, m);
  const scoped = scope(m, opts.knownScopes);
  const keyed = keys(body, m);
  const problems = [
    ...creds.problems,
    ...unsupported(body),
    ...memberProblems,
    ...named.problems,
    ...oidcOnly(body, type),
    ...flowValues(m, type, policy),
    ...scoped.problems,
    ...keyed.problems,
    ...outbound(m, policy.outboundTarget),
    ...checkResources((m.resources ?? []).map((r) => r.trim())),
  ];
  if (problems.length > 0) throw problemsError(problems);

  // Then how the settings fit together, only once every value is acceptable.
  const authMethod: ClientAuthMethodName = m.token_endpoint_auth_method ?? defaultAuthMethod(false);
  const isPublic = isPublicAuthMethod(authMethod);
  const redirectUris = m.redirect_uris ?? [];
  const postLogoutRedirectUris = type === 'oidc' ? (m.post_logout_redirect_uris ?? []).map((u) => u.trim()) : [];
  const { grants, responseTypes } = derivedFlows(m.grant_types, m.response_types);
  const tokenGrants = grants.filter((g) => g !== IMPLICIT_GRANT);
  const flowProblems = implicitProblems(grants, responseTypes);
  if (flowProblems.length === 0) {
    flowProblems.push(...checkOAuth2Settings({ type, isPublic, redirectUris, postLogoutRedirectUris, grantTypes: tokenGrants, responseTypes }));
  }
  if (flowProblems.length > 0) throw problemsError(flowProblems);

  const metadata = keptMetadata(m, type, { named, scoped, keyed }, authMethod);
  const name = m.client_name?.trim();
  return {
    name: name ?? defaultName(metadata),
    nameDefaulted: name === undefined,
    authMethod,
    isPublic,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes: tokenGrants,
    responseTypes,
    metadata,
    ignoredFields: named.ignoredFields,
    ...(creds.clientId !== undefined ? { clientId: creds.clientId } : {}),
    ...(creds.clientSecret !== undefined ? { clientSecret: creds.clientSecret } : {}),
  };
}

/** Response types that return a token or ID token from the authorization endpoint. */
export function needsImplicit(responseType: string): boolean {
  const parts = responseType.split(' ');
  return parts.includes('token') || parts.includes('id_token');
}

/** A name for a client that sent none, so the administrator still sees something meaningful. */
function defaultName(metadata: Record<string, unknown>): string {
  const uri = metadata.client_uri;
  if (typeof uri === 'string') return `Unnamed application at ${new URL(uri).host}`;
  return 'Unnamed application';
}

/** RFC 7517 §5: a JWK Set of public keys. Returns the set, or a problem. */
function checkJwks(value: unknown): Record<string, unknown> | string {
  if (!isPlainObject(value)) return 'must be a JSON Web Key Set object ({"keys": [...]})';
  const keys = value.keys;
  if (!Array.isArray(keys)) return 'must have a "keys" array';
  if (keys.length === 0) return 'must hold at least one key';
  if (keys.length > 20) return 'must hold at most 20 keys';
  // Bounded as it will be stored, under metadata.jwks, before anything serializes it.
  const bounds = jsonValueProblem({ jwks: value }, METADATA_BOUNDS);
  if (bounds) return describeJsonProblem(bounds, 'the key set, as stored in the client metadata,');
  if (JSON.stringify(value).length > 32_768) return 'is larger than 32 KiB';
  for (const [i, key] of keys.entries()) {
    if (!isPlainObject(key) || typeof key.kty !== 'string') return `keys[${i}] must be a JSON Web Key with a "kty" member`;
    if (PRIVATE_JWK_MEMBERS.some((m) => key[m] !== undefined)) return `keys[${i}] holds private or symmetric key material; register public keys only`;
  }
  return { keys };
}
