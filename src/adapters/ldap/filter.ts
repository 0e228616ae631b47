// Search filters built as ldapts filter objects (RFC 4515): user input only ever becomes an
// assertion value, which ldapts escapes per RFC 4515 §3 and encodes as BER, never filter syntax.
import { AndFilter, EqualityFilter, ExtensibleFilter, type Filter, FilterParser, OrFilter, PresenceFilter, SubstringFilter } from 'ldapts';

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups. */
export const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';

/** The administrator's filter (e.g. `(objectClass=inetOrgPerson)`); empty means every entry. */
export function configuredFilter(filter: string): Filter {
  const f = filter.trim();
  if (f === '') return new PresenceFilter({ attribute: 'objectClass' });
  return FilterParser.parseString(f.startsWith('(') ? f : `(${f})`);
}

/** Why the LDAP library cannot read a configured filter (RFC 4515 §3), or null when it can. */
export function filterSyntaxProblem(filter: string): string | null {
  try {
    configuredFilter(filter);
    return null;
  } catch (err) {
    return `is not an LDAP filter the directory client can send (${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'})`;
  }
}

function and(base: Filter, extra: Filter): Filter {
  return new AndFilter({ filters: [base, extra] });
}

/** `(&<configured>(<attribute>=<username>))`. */
export function userFilter(configured: string, usernameAttribute: string, username: string): Filter {
  return and(configuredFilter(configured), new EqualityFilter({ attribute: usernameAttribute, value: username }));
}

/** `(&<configured>(<attribute>=<value>))` for a unique id; a Buffer is sent as its bytes (objectGUID). */
export function idFilter(configured: string, attribute: string, value: string | Buffer): Filter {
  return and(configuredFilter(configured), new EqualityFilter({ attribute, value }));
}

/** Entries where any of `attributes` starts with `prefix`; every entry when `prefix` is empty. */
export function prefixFilter(configured: string, attributes: string[], prefix: string): Filter {
  const wanted = [...new Set(attributes)];
  if (prefix === '') return configuredFilter(configured);
  const alternatives = wanted.map((attribute) => new SubstringFilter({ attribute, initial: prefix }));
  const one = alternatives.length === 1 && alternatives[0] ? alternatives[0] : new OrFilter({ filters: alternatives });
  return and(configuredFilter(configured), one);
}

/** Groups whose `memberAttribute` holds `userDn`; with `nested`, through nested groups too (AD only). */
export function memberFilter(configured: string, memberAttribute: string, userDn: string, nested: boolean): Filter {
  const member = nested
    ? new ExtensibleFilter({ matchType: memberAttribute, rule: IN_CHAIN_RULE, value: userDn })
    : new EqualityFilter({ attribute: memberAttribute, value: userDn });
  return and(configuredFilter(configured), member);
}
