import { InvalidRequest } from '../oauth2/errors.js';
import type { User, UserAddress } from '../ports.js';

/** The one authentication context Latchkey offers: a password at /login. */
export const ACR_PASSWORD = 'urn:latchkey:acr:password';
export const ACR_VALUES_SUPPORTED: readonly string[] = [ACR_PASSWORD];

/** OIDC Core §5.4: the user claims each scope releases (each only when the user has a value). */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'given_name',
    'family_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
};

/** Every claim that can appear in an ID token or a UserInfo response. */
export const CLAIMS_SUPPORTED: readonly string[] = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'at_hash',
  'c_hash',
  'sid',
  ...Object.values(SCOPE_CLAIMS).flat(),
];

/** The claim names the given scopes release. */
export function claimsOfScopes(scopes: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of scopes) for (const c of SCOPE_CLAIMS[s] ?? []) if (!out.includes(c)) out.push(c);
  return out;
}

/**
 * The user claims an ID token carries (OIDC Core §5.4): when an access token is issued — by this
 * response or by the token endpoint for a code — the scopes' claims are for UserInfo and only those
 * asked for through the claims parameter's id_token member (§5.5) go in the ID token; with
 * response_type=id_token no access token ever comes, so the scopes' claims travel in the ID token.
 */
export function idTokenClaimNames(accessTokenIssued: boolean, scopes: readonly string[], claims: ClaimsRequest | undefined): string[] {
  const asked = claims?.id_token ?? [];
  if (accessTokenIssued) return [...asked];
  return [...new Set([...claimsOfScopes(scopes), ...asked])];
}

/** The scope that releases a user claim, if any. */
export function scopeOfClaim(name: string): string | undefined {
  for (const [scope, claims] of Object.entries(SCOPE_CLAIMS)) if (claims.includes(name)) return scope;
  return undefined;
}

/** OIDC Core §5.5, reduced to what Latchkey acts on: which claims go where, and the acr request. */
export interface ClaimsRequest {
  userinfo: string[];
  id_token: string[];
  acr?: { essential: boolean; values: string[] };
}

function members(v: unknown, where: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidRequest(`claims.${where} must be a JSON object`);
  for (const [name, req] of Object.entries(v)) {
    if (req !== null && (typeof req !== 'object' || Array.isArray(req))) {
      throw new InvalidRequest(`claims.${where}.${name.slice(0, 40)} must be null or a JSON object`);
    }
    // §5.5.1: essential is a boolean and values an array.
    const spec = (req ?? {}) as Record<string, unknown>;
    if (spec.essential !== undefined && typeof spec.essential !== 'boolean')
      throw new InvalidRequest(`claims.${where}.${name.slice(0, 40)}.essential must be a boolean`);
    if (spec.values !== undefined && !Array.isArray(spec.values)) throw new InvalidRequest(`claims.${where}.${name.slice(0, 40)}.values must be an array`);
  }
  return v as Record<string, unknown>;
}

function acrOfMember(req: unknown): { essential: boolean; values: string[] } | undefined {
  if (req === undefined) return undefined;
  if (req === null) return { essential: false, values: [] };
  const r = req as Record<string, unknown>;
  if (r.essential !== undefined && typeof r.essential !== 'boolean') throw new InvalidRequest('claims acr.essential must be a boolean');
  if (r.values !== undefined && (!Array.isArray(r.values) || !r.values.every((x) => typeof x === 'string'))) {
    throw new InvalidRequest('claims acr.values must be an array of strings');
  }
  const values = [...((r.values as string[] | undefined) ?? []), ...(typeof r.value === 'string' ? [r.value] : [])];
  return { essential: r.essential === true, values };
}

/** Parses the `claims` request parameter (OIDC Core §5.5); undefined when absent. */
export function parseClaimsRequest(text: string | undefined): ClaimsRequest | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequest('the claims parameter is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidRequest('the claims parameter must be a JSON object');
  const p = parsed as Record<string, unknown>;
  const userinfo = members(p.userinfo, 'userinfo');
  const idToken = members(p.id_token, 'id_token');
  const acr = acrOfMember(idToken.acr) ?? acrOfMember(userinfo.acr);
  return {
    userinfo: Object.keys(userinfo).filter((n) => n !== 'acr'),
    id_token: Object.keys(idToken).filter((n) => n !== 'acr'),
    ...(acr ? { acr } : {}),
  };
}

/** The claims request kept in a grant's extension data, if it is well formed. */
export function claimsRequestOf(extra: Record<string, unknown>): ClaimsRequest | undefined {
  const c = extra.claims;
  if (typeof c !== 'object' || c === null) return undefined;
  const r = c as Record<string, unknown>;
  const names = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const acr = r.acr as { essential?: unknown; values?: unknown } | undefined;
  return {
    userinfo: names(r.userinfo),
    id_token: names(r.id_token),
    ...(acr && typeof acr === 'object' ? { acr: { essential: acr.essential === true, values: names(acr.values) } } : {}),
  };
}

/** §5.1.1: the address claim, with the members that are set; undefined when none is. */
function addressClaim(a: UserAddress | undefined): Record<string, string> | undefined {
  if (a === undefined) return undefined;
  const out: Record<string, string> = {};
  const members = [
    ['formatted', a.formatted],
    ['street_address', a.streetAddress],
    ['locality', a.locality],
    ['region', a.region],
    ['postal_code', a.postalCode],
    ['country', a.country],
  ] as const;
  for (const [name, value] of members) if (value !== undefined) out[name] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Values of the named user claims Latchkey knows (unknown names and claims the user has no value
 * for are skipped). Neither the email nor the phone number is verified; updated_at is the last
 * change of the name, email or profile (§5.1, seconds).
 */
export function userClaims(user: User, names: readonly string[]): Record<string, unknown> {
  const p = user.profile ?? {};
  const values: Record<string, unknown> = {
    name: user.displayName,
    given_name: p.givenName,
    family_name: p.familyName,
    middle_name: p.middleName,
    nickname: p.nickname,
    preferred_username: user.username,
    profile: p.profileUrl,
    picture: p.pictureUrl,
    website: p.websiteUrl,
    gender: p.gender,
    birthdate: p.birthdate,
    zoneinfo: p.zoneinfo,
    locale: p.locale,
    updated_at: Math.floor((user.profileUpdatedAt ?? user.updatedAt) / 1000),
    ...(user.email === null ? {} : { email: user.email, email_verified: user.emailVerified === true }),
    ...(p.phoneNumber === undefined ? {} : { phone_number: p.phoneNumber, phone_number_verified: false }),
    address: addressClaim(p.address),
  };
  const out: Record<string, unknown> = {};
  for (const n of names) if (values[n] !== undefined) out[n] = values[n];
  return out;
}
