// Starting settings for the two directory kinds most installations use. The console offers them;
// an administrator can change every field afterwards.
import type { DirectoryAttributes, DirectoryConnection, DirectoryGroupLookup, DirectoryUserLookup } from '../../core/directories/directory.js';

export interface DirectoryPreset {
  connection: Pick<DirectoryConnection, 'port' | 'security' | 'verifyHostname' | 'connectTimeoutMs' | 'readTimeoutMs'>;
  users: DirectoryUserLookup;
  attributes: DirectoryAttributes;
  groups: DirectoryGroupLookup;
}

/** OpenLDAP with inetOrgPerson users, entryUUID (RFC 4530) and the memberOf overlay. */
export function openLdapPreset(baseDn: string): DirectoryPreset {
  return {
    connection: { port: 389, security: 'starttls', verifyHostname: true, connectTimeoutMs: 5000, readTimeoutMs: 10_000 },
    users: { kind: 'search', baseDn: `ou=people,${baseDn}`, filter: '(objectClass=inetOrgPerson)', usernameAttribute: 'uid', scope: 'sub' },
    attributes: { username: 'uid', displayName: 'cn', email: 'mail', givenName: 'givenName', familyName: 'sn', uniqueId: 'entryUUID' },
    groups: { kind: 'member-of', attribute: 'memberOf', nameAttribute: 'cn' },
  };
}

/**
 * Active Directory: sAMAccountName (or userPrincipalName with `upn`), objectGUID, and groups by
 * LDAP_MATCHING_RULE_IN_CHAIN so that nested groups count. Disabled accounts are left out by the
 * userAccountControl bit 2 (ACCOUNTDISABLE) through the bitwise-AND rule 1.2.840.113556.1.4.803.
 */
export function activeDirectoryPreset(baseDn: string, login: 'sam' | 'upn' = 'sam'): DirectoryPreset {
  return {
    connection: { port: 636, security: 'ldaps', verifyHostname: true, connectTimeoutMs: 5000, readTimeoutMs: 10_000 },
    users: {
      kind: 'search',
      baseDn,
      filter: '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
      usernameAttribute: login === 'sam' ? 'sAMAccountName' : 'userPrincipalName',
      scope: 'sub',
    },
    attributes: {
      username: login === 'sam' ? 'sAMAccountName' : 'userPrincipalName',
      displayName: 'displayName',
      email: 'mail',
      givenName: 'givenName',
      familyName: 'sn',
      uniqueId: 'objectGUID',
    },
    groups: { kind: 'search', baseDn, filter: '(objectClass=group)', memberAttribute: 'member', nameAttribute: 'cn', nested: true },
  };
}

/** Attributes whose values are binary GUIDs in Microsoft's mixed-endian layout. */
export function isGuidAttribute(attribute: string): boolean {
  return attribute.toLowerCase() === 'objectguid';
}

/**
 * An objectGUID's 16 bytes as the canonical UUID text (RFC 9562 §4): the first three fields are
 * stored little-endian by Windows, the last two as they are.
 */
export function guidToUuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error('an objectGUID has 16 bytes');
  const h = (from: number, to: number, reverse: boolean) => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}
