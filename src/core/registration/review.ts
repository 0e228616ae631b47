import type { Client } from '../clients/client.js';
import { isOneOf } from '../one-of.js';
import { REGISTRANT_FIELDS, type RegistrantField, registrantFieldOf } from './metadata.js';

/**
 * Registrant fields whose change needs no new approval: each changes nothing an administrator
 * judges. Every other field of REGISTRANT_FIELDS (and its language-tagged variants) is reviewed.
 */
export const NO_REVIEW_FIELDS = [
  // RFC 7591 §2: a version string that changes with every release of the same software.
  'software_version',
  // Only "public" is accepted, which is also what an absent value means.
  'subject_type',
  // Which of the server's own keys (RS256 or ES256) signs the client's tokens.
  'id_token_signed_response_alg',
  'access_token_signed_response_alg',
  // Flags that only add a claim (auth_time, sid) to tokens the client already receives.
  'require_auth_time',
  'backchannel_logout_session_required',
] as const satisfies readonly RegistrantField[];

/** What an administrator reviews before a self-registered client is usable: everything else. */
export const REVIEWED_FIELDS: readonly RegistrantField[] = REGISTRANT_FIELDS.filter((f) => !isOneOf(NO_REVIEW_FIELDS, f));

/** Metadata kept by the server about the registration itself (source address, times), not set by the registrant. */
const BOOKKEEPING = 'registration';

/** Registry fields that hold list values whose order means nothing. */
const SET_VALUED = new Set(['redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'contacts', 'resources']);

export interface ReviewChanges {
  /** Changed fields (RFC 7591 names, language tags kept) that send an approved client back to pending. */
  reviewed: string[];
  /** Changed fields on the no-review list. */
  unreviewed: string[];
}

/**
 * What changes between two states of a client, by field. Every metadata member counts (not only
 * the ones this version knows), so a member stored in the future is reviewed unless it is put on
 * NO_REVIEW_FIELDS.
 */
export function reviewChanges(before: Client, after: Client): ReviewChanges {
  const values = (c: Client): Map<string, unknown> => {
    const m = new Map<string, unknown>([
      ['client_name', c.name],
      ['redirect_uris', c.redirectUris],
      ['post_logout_redirect_uris', c.postLogoutRedirectUris],
      ['grant_types', c.grantTypes],
      ['response_types', c.responseTypes],
      ['public', c.isPublic],
      ['require_pkce', c.requirePkce],
      ['callback_url', c.callbackUrl],
      ['rsa_public_key', c.rsaPublicKey],
    ]);
    for (const [key, value] of Object.entries(c.metadata)) if (key !== BOOKKEEPING && value !== undefined && value !== null) m.set(key, value);
    return m;
  };
  const a = values(before);
  const b = values(after);
  const out: ReviewChanges = { reviewed: [], unreviewed: [] };
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (comparable(key, a.get(key)) === comparable(key, b.get(key))) continue;
    const field = registrantFieldOf(key);
    const exempt = field !== undefined && isOneOf(NO_REVIEW_FIELDS, field);
    (exempt ? out.unreviewed : out.reviewed).push(key);
  }
  return out;
}

function comparable(key: string, value: unknown): string {
  if (SET_VALUED.has(key) && Array.isArray(value)) return canonicalJson([...new Set(value.map(String))].sort());
  return canonicalJson(value ?? null);
}

/** JSON with object members in sorted order, so that two equal values serialize alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
