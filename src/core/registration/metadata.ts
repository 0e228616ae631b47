import { describeJsonProblem, jsonValueProblem, METADATA_BOUNDS } from '../bounded-json.js';
import { GRANT_TYPES, normalizeResponseType, responseTypesFor } from '../clients/client.js';
import { webUriProblem } from '../clients/redirect-uri.js';
import { checkName, checkOAuth2Settings, type FieldProblem, truncate } from '../clients/settings.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethodName } from '../oauth2/client-auth/types.js';
import { ID_TOKEN_ALGS } from '../oidc/algorithms.js';
import type { OutboundTargetCheck } from '../outbound.js';
import { SIGNING_ALGS } from '../tokens/signing-keys.js';
import { RegistrationError } from './errors.js';

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
] as const;
export type RegistrantField = (typeof REGISTRANT_FIELDS)[number];

/** Members that are known but not kept as the registrant sent them: credentials, server-assigned, refused. */
export const NOT_SETTABLE_FIELDS: readonly string[] = ['client_id', 'client_secret', 'software_statement', ...SERVER_ASSIGNED, ...Object.keys(UNSUPPORTED)];

const KNOWN = new Set<string>([...REGISTRANT_FIELDS, ...NOT_SETTABLE_FIELDS]);

/** The registrant field a metadata key holds: itself, or the base of a language-tagged variant ("client_name#fr"). */
export function registrantFieldOf(key: string): RegistrantField | undefined {
  const base = LANGUAGE_TAGGED.exec(key)?.[1] ?? key;
  return (REGISTRANT_FIELDS as readonly string[]).includes(base) ? (base as RegistrantField) : undefined;
}

const MAX_CONTACTS = 20;
const MAX_IGNORED_LISTED = 50;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** RFC 6749 §3.3: scope-token = 1*NQCHAR. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Reads members of the request body, recording every type or value problem with its field name. */
class Reader {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly body: Record<string, unknown>) {}

  /** null counts as absent: RFC 7592 §2.2 treats omitted and null values alike. */
  has(field: string): boolean {
    const v = this.body[field];
    return v !== undefined && v !== null;
  }

  problem(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  string(field: string, max: number): string | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') return this.wrongType(field, 'a string');
    if (v.length > max) return this.invalid(field, `must be at most ${max} characters`);
    if (CONTROL.test(v)) return this.invalid(field, 'must not contain control characters');
    return v;
  }

  boolean(field: string): boolean | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.wrongType(field, 'true or false');
    return v;
  }

  stringArray(field: string, maxItems: number, maxLength: number): string[] | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return this.wrongType(field, 'an array of strings');
    if (v.length > maxItems) return this.invalid(field, `must have at most ${maxItems} entries`);
    const items = v as string[];
    for (const item of items) {
      if (item.length > maxLength) return this.invalid(field, `entries must be at most ${maxLength} characters`);
      if (item.trim() === '') return this.invalid(field, 'entries must not be empty');
      if (CONTROL.test(item)) return this.invalid(field, 'entries must not contain control characters');
    }
    return items;
  }

  webUri(field: string): string | undefined {
    const v = this.string(field, 2000);
    if (v === undefined) return undefined;
    const problem = webUriProblem(v);
    if (problem) return this.invalid(field, `"${truncate(v)}" ${problem}`);
    return v;
  }

  /** A web URI the server itself will request: also a target the outbound policy accepts. */
  fetchedUri(field: string, check: OutboundTargetCheck | undefined): string | undefined {
    const v = this.webUri(field);
    const refusal = v === undefined || check === undefined ? null : check(v);
    if (v !== undefined && refusal !== null) return this.invalid(field, `"${truncate(v)}" ${refusal}`);
    return v;
  }

  private wrongType(field: string, expected: string): undefined {
    this.problem(field, `must be ${expected}`);
    return undefined;
  }

  private invalid(field: string, message: string): undefined {
    this.problem(field, message);
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeLabel(type: RegistrableType): string {
  return type === 'oidc' ? 'OpenID Connect' : 'OAuth 2.0';
}

/** The one error a list of problems becomes: invalid_redirect_uri when they all concern redirect_uris. */
export function problemsError(problems: FieldProblem[]): RegistrationError {
  const description = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  const code = problems.every((p) => p.field === 'redirect_uris') ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  return new RegistrationError(code, description);
}

/**
 * Parses and checks an RFC 7591 registration request (or an RFC 7592 update, which carries the full
 * metadata again). Every problem found is reported at once, each naming its field.
 */
export function parseRegistration(body: unknown, opts: ParseOptions): ParsedRegistration {
  if (!isPlainObject(body)) throw RegistrationError.metadata('the request body must be a JSON object (RFC 7591 §3.1)');
  if (body.software_statement !== undefined && body.software_statement !== null) {
    throw new RegistrationError('invalid_software_statement', 'software statements are not accepted by this server');
  }
  const r = new Reader(body);
  const { type, policy } = opts;
  const oidcOnly = (field: string) => {
    if (type !== 'oidc' && r.has(field)) r.problem(field, 'applies to OpenID Connect clients only (register at the OIDC registration endpoint)');
  };

  // Server-assigned members.
  for (const field of SERVER_ASSIGNED) {
    if (r.has(field)) r.problem(field, 'is assigned by the server and must not be sent');
  }
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  if (opts.purpose === 'register') {
    for (const field of ['client_id', 'client_secret']) {
      if (r.has(field)) r.problem(field, 'is assigned by the server and cannot be chosen');
    }
  } else {
    clientId = r.string('client_id', 500);
    if (!r.has('client_id')) r.problem('client_id', 'is required in an update (RFC 7592 §2.2)');
    clientSecret = r.string('client_secret', 1000);
  }

  for (const [field, reason] of Object.entries(UNSUPPORTED)) {
    const v = body[field];
    if (v !== undefined && v !== null && v !== false) r.problem(field, reason);
  }

  // Names and human-facing URIs, with their language-tagged variants.
  const metadata: Record<string, unknown> = {};
  const ignoredFields: string[] = [];
  const rawName = r.string('client_name', 1000);
  if (rawName !== undefined) for (const p of checkName(rawName, 'client_name')) r.problem(p.field, p.message);
  for (const key of Object.keys(body)) {
    const tagged = LANGUAGE_TAGGED.exec(key);
    if (tagged) {
      const value = tagged[1] === 'client_name' ? r.string(key, 1000) : r.webUri(key);
      if (value !== undefined && tagged[1] === 'client_name') for (const p of checkName(value, key)) r.problem(p.field, p.message);
      if (value !== undefined) metadata[key] = value;
    } else if (!KNOWN.has(key) && ignoredFields.length < MAX_IGNORED_LISTED) {
      ignoredFields.push(truncate(key, 64));
    }
  }
  for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    const v = r.webUri(field);
    if (v !== undefined) metadata[field] = v;
  }

  // redirect_uris: an array, or the reference product's single comma-separated string.
  let redirectUris: string[] = [];
  const rawRedirects = body.redirect_uris;
  if (typeof rawRedirects === 'string') {
    redirectUris = rawRedirects
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (redirectUris.length === 0) r.problem('redirect_uris', 'must not be empty');
  } else if (rawRedirects !== undefined && rawRedirects !== null) {
    if (!Array.isArray(rawRedirects) || !rawRedirects.every((x) => typeof x === 'string')) {
      r.problem('redirect_uris', 'must be an array of strings (or one comma-separated string)');
    } else {
      redirectUris = rawRedirects.map((u) => u.trim());
      if (redirectUris.some((u) => u === '')) r.problem('redirect_uris', 'entries must not be empty');
    }
  }
  const postLogoutRedirectUris = (r.stringArray('post_logout_redirect_uris', 50, 2000) ?? []).map((u) => u.trim());
  oidcOnly('post_logout_redirect_uris');

  // Client authentication at the token endpoint (RFC 7591 §2); client_secret_basic by default.
  let authMethod: ClientAuthMethodName = 'client_secret_basic';
  const rawMethod = r.string('token_endpoint_auth_method', 100);
  if (rawMethod !== undefined) {
    if ((CLIENT_AUTH_METHODS as readonly string[]).includes(rawMethod)) authMethod = rawMethod as ClientAuthMethodName;
    else r.problem('token_endpoint_auth_method', `"${truncate(rawMethod, 60)}" is not supported (supported: ${CLIENT_AUTH_METHODS.join(', ')})`);
  }
  const isPublic = authMethod === 'none';

  // Grant and response types: values first, then how they fit together.
  const rawGrants = r.stringArray('grant_types', 10, 200);
  const rawResponses = r.stringArray('response_types', 10, 200);
  const allowedResponses = responseTypesFor(type);
  for (const g of rawGrants ?? []) {
    if (g === IMPLICIT_GRANT) {
      if (!policy.responseTypes.some(needsImplicit)) r.problem('grant_types', 'the implicit flow is not open to self-registered clients on this server');
    } else if (!(GRANT_TYPES as readonly string[]).includes(g)) {
      r.problem('grant_types', `unknown grant type "${truncate(g, 60)}" (supported: ${[...GRANT_TYPES, IMPLICIT_GRANT].join(', ')})`);
    } else if (!policy.grantTypes.includes(g)) {
      r.problem('grant_types', `"${g}" is not open to self-registered clients on this server (allowed: ${policy.grantTypes.join(', ')})`);
    }
  }
  const responses = (rawResponses ?? []).map(normalizeResponseType);
  for (const rt of responses) {
    if (!allowedResponses.includes(rt)) {
      r.problem('response_types', `"${truncate(rt, 60)}" is not a response type of ${typeLabel(type)} clients (allowed: ${allowedResponses.join(', ')})`);
    } else if (!policy.responseTypes.includes(rt)) {
      r.problem('response_types', `"${rt}" is not open to self-registered clients on this server (allowed: ${policy.responseTypes.join(', ') || 'none'})`);
    }
  }

  // Other registration-only metadata.
  const contacts = r.stringArray('contacts', MAX_CONTACTS, 320);
  if (contacts !== undefined) metadata.contacts = contacts.map((c) => c.trim());
  const scope = r.string('scope', 2000);
  if (scope !== undefined) {
    const tokens = scope.split(' ').filter((t) => t !== '');
    const bad = tokens.find((t) => !SCOPE_TOKEN.test(t));
    if (tokens.length === 0) r.problem('scope', 'must name at least one scope');
    const known = opts.knownScopes;
    const unknown = known === undefined ? undefined : tokens.find((t) => !known.includes(t));
    if (bad !== undefined) r.problem('scope', `"${truncate(bad, 60)}" is not a valid scope token (RFC 6749 §3.3)`);
    else if (unknown !== undefined) r.problem('scope', `"${truncate(unknown, 60)}" is not a scope of this server (known: ${known?.join(', ')})`);
    else metadata.scope = [...new Set(tokens)].join(' ');
  }
  const jwksUri = r.fetchedUri('jwks_uri', policy.outboundTarget);
  if (jwksUri !== undefined) metadata.jwks_uri = jwksUri;
  if (r.has('jwks')) {
    const jwks = checkJwks(body.jwks);
    if (typeof jwks === 'string') r.problem('jwks', jwks);
    else metadata.jwks = jwks;
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (r.has('jwks') && r.has('jwks_uri')) r.problem('jwks', 'must not be sent together with jwks_uri');
  const softwareId = r.string('software_id', 200);
  if (softwareId !== undefined) metadata.software_id = softwareId;
  const softwareVersion = r.string('software_version', 100);
  if (softwareVersion !== undefined) metadata.software_version = softwareVersion;

  const applicationType = r.string('application_type', 20);
  if (applicationType !== undefined) {
    if (applicationType === 'web' || applicationType === 'native') metadata.application_type = applicationType;
    else r.problem('application_type', 'must be "web" or "native"');
  }
  oidcOnly('backchannel_logout_uri');
  oidcOnly('backchannel_logout_session_required');
  oidcOnly('subject_type');
  oidcOnly('id_token_signed_response_alg');
  oidcOnly('require_auth_time');
  const backchannel = r.fetchedUri('backchannel_logout_uri', policy.outboundTarget);
  if (backchannel !== undefined && type === 'oidc') metadata.backchannel_logout_uri = backchannel;
  const backchannelSession = r.boolean('backchannel_logout_session_required');
  if (backchannelSession !== undefined && type === 'oidc') metadata.backchannel_logout_session_required = backchannelSession;
  const subjectType = r.string('subject_type', 20);
  if (subjectType !== undefined && type === 'oidc') {
    if (subjectType === 'public') metadata.subject_type = subjectType;
    else r.problem('subject_type', 'only "public" subject identifiers are supported');
  }
  const idTokenAlg = r.string('id_token_signed_response_alg', 20);
  if (idTokenAlg !== undefined && type === 'oidc') {
    if ((ID_TOKEN_ALGS as readonly string[]).includes(idTokenAlg)) metadata.id_token_signed_response_alg = idTokenAlg;
    else r.problem('id_token_signed_response_alg', `"${truncate(idTokenAlg, 20)}" is not supported (supported: ${ID_TOKEN_ALGS.join(', ')})`);
  }
  // Latchkey's per-client choice of RFC 9068 access-token algorithm.
  const accessTokenAlg = r.string('access_token_signed_response_alg', 20);
  if (accessTokenAlg !== undefined) {
    if ((SIGNING_ALGS as readonly string[]).includes(accessTokenAlg)) metadata.access_token_signed_response_alg = accessTokenAlg;
    else r.problem('access_token_signed_response_alg', `"${truncate(accessTokenAlg, 20)}" is not supported (supported: ${SIGNING_ALGS.join(', ')})`);
  }
  const requireAuthTime = r.boolean('require_auth_time');
  if (requireAuthTime !== undefined && type === 'oidc') metadata.require_auth_time = requireAuthTime;

  if (r.problems.length > 0) throw problemsError(r.problems);

  // RFC 7591 §2: grant_types defaults to authorization_code and response_types to code; when only
  // one of them is given, the other is derived from it so the two agree.
  let grants: string[];
  let responseTypes: string[];
  if (rawGrants === undefined && rawResponses === undefined) {
    grants = ['authorization_code'];
    responseTypes = ['code'];
  } else if (rawGrants === undefined) {
    responseTypes = responses;
    grants = [];
    if (responses.some((rt) => rt.split(' ').includes('code'))) grants.push('authorization_code');
    if (responses.some(needsImplicit)) grants.push(IMPLICIT_GRANT);
    if (grants.length === 0) grants.push('authorization_code');
  } else {
    grants = rawGrants;
    if (rawResponses !== undefined) responseTypes = responses;
    else if (grants.includes(IMPLICIT_GRANT)) {
      throw RegistrationError.metadata('response_types: is required with the implicit grant, to say which of the implicit response types the client uses');
    } else responseTypes = grants.includes('authorization_code') ? ['code'] : [];
  }

  const problems: FieldProblem[] = [];
  const implicitListed = grants.includes(IMPLICIT_GRANT);
  const implicitNeeded = responseTypes.filter(needsImplicit);
  // RFC 7591 §2.1 and OIDC Registration §2: token and id_token responses use the implicit grant.
  if (implicitNeeded.length > 0 && !implicitListed) {
    problems.push({ field: 'response_types', message: `"${implicitNeeded[0]}" needs the implicit grant in grant_types` });
  }
  if (implicitListed && implicitNeeded.length === 0) {
    problems.push({ field: 'grant_types', message: 'implicit needs a response type containing "token" or "id_token"' });
  }
  const tokenGrants = grants.filter((g) => g !== IMPLICIT_GRANT);
  if (tokenGrants.length === 0 && implicitListed) {
    // An implicit-only client has no token-endpoint grant; the registry needs one to hold the client.
    problems.push({ field: 'grant_types', message: 'an implicit-only client is not supported; add authorization_code' });
  }
  if (problems.length === 0) {
    problems.push(
      ...checkOAuth2Settings({
        type,
        isPublic,
        redirectUris,
        postLogoutRedirectUris: type === 'oidc' ? postLogoutRedirectUris : [],
        grantTypes: tokenGrants,
        responseTypes,
      }),
    );
  }
  if (problems.length > 0) throw problemsError(problems);

  metadata.token_endpoint_auth_method = authMethod;
  const name = rawName?.trim();
  return {
    name: name ?? defaultName(metadata),
    nameDefaulted: name === undefined,
    authMethod,
    isPublic,
    redirectUris,
    postLogoutRedirectUris: type === 'oidc' ? postLogoutRedirectUris : [],
    grantTypes: tokenGrants,
    responseTypes,
    metadata,
    ignoredFields,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(clientSecret !== undefined ? { clientSecret } : {}),
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
