/**
 * The rules of a directory's settings, and the presets for OpenLDAP and Active Directory. Pure:
 * the admin use cases check input with these, the console shows the same presets.
 */
import type { FieldProblem } from '../clients/settings.js';
import type { DirectoryAttributes, DirectoryGroupLookup, DirectoryUserLookup } from './directory.js';
import { INTERNAL_DOMAIN_NAME } from './reserved.js';

export const DIRECTORY_PRESETS = ['openldap', 'active_directory'] as const;
export type DirectoryPreset = (typeof DIRECTORY_PRESETS)[number];

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
/** RFC 4511 §4.14 StartTLS runs on the plain port; LDAPS (RFC 8314 style implicit TLS) on 636. */
export const defaultPort = (security: 'none' | 'ldaps' | 'starttls'): number => (security === 'ldaps' ? 636 : 389);

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: a group search that follows nested membership. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

export interface PresetDefaults {
  userFilter: string;
  usernameAttribute: string;
  attributes: DirectoryAttributes;
  groups: (userBaseDn: string) => DirectoryGroupLookup;
}

export const PRESETS: Record<DirectoryPreset, PresetDefaults> = {
  openldap: {
    userFilter: '(objectClass=inetOrgPerson)',
    usernameAttribute: 'uid',
    attributes: { username: 'uid', displayName: 'cn', email: 'mail', givenName: 'givenName', familyName: 'sn', uniqueId: 'entryUUID' },
    groups: () => ({ kind: 'member-of', attribute: 'memberOf', nameAttribute: 'cn' }),
  },
  active_directory: {
    // Disabled accounts are left out: userAccountControl bit 2 (ACCOUNTDISABLE) through the
    // bitwise-AND matching rule 1.2.840.113556.1.4.803.
    userFilter: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
    usernameAttribute: 'sAMAccountName',
    attributes: { username: 'sAMAccountName', displayName: 'displayName', email: 'mail', givenName: 'givenName', familyName: 'sn', uniqueId: 'objectGUID' },
    groups: (baseDn) => ({ kind: 'search', baseDn, filter: '(objectClass=group)', memberAttribute: 'member', nameAttribute: 'cn', nested: true }),
  },
};

/** Domain names: short, lower case, DNS-label-like; `internal` belongs to the internal users. */
const DOMAIN = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/;
/** RFC 4512 §1.4: an attribute description is a descriptor (keystring) or a numeric OID. */
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]{0,63}|[0-9]+(?:\.[0-9]+)+)$/;
const MAX_DN = 1024;
const MAX_FILTER = 1024;

export function checkDomain(domain: string, field = 'domain'): FieldProblem[] {
  if (domain.toLowerCase() === INTERNAL_DOMAIN_NAME) return [{ field, message: `"${INTERNAL_DOMAIN_NAME}" is the domain of internal users` }];
  return DOMAIN.test(domain) ? [] : [{ field, message: 'use 1 to 64 lower-case letters, digits, dots and hyphens' }];
}

export function checkAttribute(name: string | null, field: string): FieldProblem[] {
  return name === null || ATTRIBUTE.test(name) ? [] : [{ field, message: 'is not an LDAP attribute name (RFC 4512 §1.4)' }];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkDn(dn: string, field: string): FieldProblem[] {
  if (dn.trim() === '') return [{ field, message: 'is required' }];
  if (dn.length > MAX_DN) return [{ field, message: `is longer than ${MAX_DN} characters` }];
  return CONTROL.test(dn) ? [{ field, message: 'contains control characters' }] : [];
}

/** A search filter as configured (RFC 4515 §3): parenthesised, balanced, no control characters. */
export function checkFilter(filter: string, field: string): FieldProblem[] {
  if (filter.length > MAX_FILTER) return [{ field, message: `is longer than ${MAX_FILTER} characters` }];
  if (CONTROL.test(filter)) return [{ field, message: 'contains control characters' }];
  if (!filter.startsWith('(') || !filter.endsWith(')')) return [{ field, message: 'must be a parenthesised LDAP filter, e.g. (objectClass=person)' }];
  let depth = 0;
  for (const [i, c] of [...filter].entries()) {
    if (c === '\\') continue;
    if (filter[i - 1] === '\\') continue;
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) break;
  }
  return depth === 0 ? [] : [{ field, message: 'has unbalanced parentheses' }];
}

export function checkUserLookup(lookup: DirectoryUserLookup, field = 'users'): FieldProblem[] {
  if (lookup.kind === 'template') {
    const count = lookup.dnTemplate.split('{username}').length - 1;
    return [
      ...checkDn(lookup.dnTemplate, `${field}.dn_template`),
      ...(count === 1
        ? []
        : [{ field: `${field}.dn_template`, message: 'must contain {username} exactly once, e.g. uid={username},ou=people,dc=example,dc=org' }]),
    ];
  }
  return [
    ...checkDn(lookup.baseDn, `${field}.base_dn`),
    ...checkFilter(lookup.filter, `${field}.filter`),
    ...checkAttribute(lookup.usernameAttribute, `${field}.username_attribute`),
  ];
}

export function checkAttributes(a: DirectoryAttributes, field = 'attributes'): FieldProblem[] {
  return [
    ...checkAttribute(a.username, `${field}.username`),
    ...checkAttribute(a.displayName, `${field}.display_name`),
    ...checkAttribute(a.email, `${field}.email`),
    ...checkAttribute(a.givenName, `${field}.given_name`),
    ...checkAttribute(a.familyName, `${field}.family_name`),
    ...checkAttribute(a.uniqueId, `${field}.unique_id`),
  ];
}

export function checkGroupLookup(g: DirectoryGroupLookup, field = 'groups'): FieldProblem[] {
  if (g.kind === 'none') return [];
  if (g.kind === 'member-of') return [...checkAttribute(g.attribute, `${field}.attribute`), ...checkAttribute(g.nameAttribute, `${field}.name_attribute`)];
  return [
    ...checkDn(g.baseDn, `${field}.base_dn`),
    ...checkFilter(g.filter, `${field}.filter`),
    ...checkAttribute(g.memberAttribute, `${field}.member_attribute`),
    ...checkAttribute(g.nameAttribute, `${field}.name_attribute`),
  ];
}
