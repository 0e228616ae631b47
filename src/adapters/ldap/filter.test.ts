import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AndFilter, BerReader, BerWriter, EqualityFilter, ExtensibleFilter, type Filter, FilterParser, OrFilter, SubstringFilter } from 'ldapts';
import { configuredFilter, IN_CHAIN_RULE, memberFilter, prefixFilter, userFilter } from './filter.js';

// RFC 4515 §3: in an assertion value, NUL, "(", ")", "*" and "\" must be written as \XX.
const SPECIAL = ['\0', '(', ')', '*', '\\'];
// valueencoding = 0*(normal / escaped); normal excludes the five above (UTF1SUBSET / UTFMB).
const VALUE_ENCODING = /^(?:[^\0()*\\]|\\[0-9A-Fa-f]{2})*$/u;

/** Inputs that look like filter syntax or hex escapes, mixed with UTF-8 of every length. */
const syntaxLike = fc.string({
  unit: fc.constantFrom('*', '(', ')', '\\', '\0', '=', '&', '|', '!', '~', '<', '>', ':', ' ', 'a', '2', '0', 'f', 'é', '山', '😀'),
  maxLength: 30,
});
const NAMED = ['*', ')(uid=*', '\\2a', '\\00', '\0', 'admin)(|(uid=*', '*)(objectClass=*', 'alice)(uid=*', '(uid=alice)', 'José', '山田', '😀'];
const value = fc.oneof(
  { weight: 4, arbitrary: syntaxLike },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NAMED) },
);
/** Attribute descriptors as settings.ts allows them (RFC 4512 §1.4). */
const descriptor = fc.constantFrom('uid', 'sAMAccountName', 'mail', 'cn', 'userPrincipalName', 'x-custom-id');
const TEMPLATES = [
  '',
  '(objectClass=inetOrgPerson)',
  'objectClass=person',
  '(&(objectCategory=person)(objectClass=user))',
  '(&(objectClass=person)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
  '(|(memberOf=cn=a,dc=x)(memberOf=cn=b,dc=x))',
];

/** An independent RFC 4515 §3 decoder: \XX is one octet, anything else its UTF-8; strict UTF-8. */
function decodeValue(escaped: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; ) {
    if (escaped[i] === '\\') {
      const pair = escaped.slice(i + 1, i + 3);
      assert.match(pair, /^[0-9A-Fa-f]{2}$/, `\\ followed by ${JSON.stringify(pair)}`);
      bytes.push(Number.parseInt(pair, 16));
      i += 3;
    } else {
      const ch = String.fromCodePoint(escaped.codePointAt(i) ?? 0);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(bytes));
}

/** The assertion value of `(&(objectClass=*)(uid=…))` as the string form writes it. */
function escapedOf(v: string): string {
  const s = userFilter('', 'uid', v).toString();
  const head = '(&(objectClass=*)(uid=';
  assert.ok(s.startsWith(head) && s.endsWith('))'), s);
  return s.slice(head.length, -2);
}

/** Parentheses nest properly: never closed before opened, all closed at the end. */
function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

const count = (s: string, c: string) => s.split(c).length - 1;

/** The filter as it goes on the wire (RFC 4511 §4.5.1.7: BER), read back. */
function overTheWire(f: Filter): Filter {
  const w = new BerWriter();
  f.write(w);
  return FilterParser.parse(new BerReader(w.buffer));
}

function parts(f: Filter): [Filter, Filter] {
  assert.ok(f instanceof AndFilter, f.toString());
  assert.equal(f.filters.length, 2, f.toString());
  const [a, b] = f.filters;
  assert.ok(a && b);
  return [a, b];
}

describe('LDAP search filters (RFC 4515)', () => {
  it('escapes NUL, (, ), * and \\ in an assertion value as \\XX and leaves every other character as it is (§3)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const escaped = escapedOf(v);
        assert.match(escaped, VALUE_ENCODING);
        assert.equal(decodeValue(escaped), v, 'unescaping gives the input back');
        const specials = [...v].filter((c) => SPECIAL.includes(c)).length;
        assert.equal(count(escaped, '\\'), specials, 'only the special characters are escaped');
      }),
      { numRuns: 500 },
    );
  });

  it('escapes each character the same way wherever it stands', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        assert.equal(escapedOf(a + b), escapedOf(a) + escapedOf(b));
      }),
    );
  });

  it('a user filter has exactly the structure of the configured filter plus one equality, whatever the username', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TEMPLATES), descriptor, value, (template, attribute, v) => {
        const base = configuredFilter(template).toString();
        const s = userFilter(template, attribute, v).toString();
        assert.ok(balanced(s), s);
        assert.equal(count(s, '('), count(base, '(') + 2, `only (& and (${attribute}= are added: ${s}`);
        assert.equal(count(s, '*'), count(base, '*'), 'the username adds no wildcard');
        const [configured, equality] = parts(FilterParser.parseString(s));
        assert.equal(configured.toString(), base);
        assert.ok(equality instanceof EqualityFilter, `an equality filter, not ${equality.constructor.name}: ${s}`);
        assert.equal(equality.attribute, attribute);
        assert.equal(equality.value, v);
      }),
      { numRuns: 500 },
    );
  });

  it('on the wire the assertion value is the username as it is (RFC 4511 §4.5.1.7)', () => {
    fc.assert(
      fc.property(fc.oneof(descriptor, fc.constant('0.9.2342.19200300.100.1.1')), value, (attribute, v) => {
        const [, equality] = parts(overTheWire(userFilter('(objectClass=inetOrgPerson)', attribute, v)));
        assert.ok(equality instanceof EqualityFilter);
        assert.equal(equality.attribute, attribute.toLowerCase());
        assert.equal(equality.value, v);
      }),
    );
  });

  it('a prefix search puts the query in the initial substring only, one wildcard per attribute (§3 substring)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(descriptor, { minLength: 1, maxLength: 3 }), value, (attributes, prefix) => {
        const base = '(objectClass=inetOrgPerson)';
        const f = prefixFilter(base, attributes, prefix);
        if (prefix === '') {
          assert.equal(f.toString(), base, 'an empty query lists every entry of the configured filter');
          return;
        }
        const s = f.toString();
        assert.ok(balanced(s), s);
        assert.equal(count(s, '*'), attributes.length, s);
        for (const parsed of [FilterParser.parseString(s), overTheWire(f)]) {
          const [configured, alternatives] = parts(parsed);
          assert.equal(configured.toString().toLowerCase(), base.toLowerCase());
          const subs = attributes.length === 1 ? [alternatives] : alternatives instanceof OrFilter ? alternatives.filters : [];
          assert.equal(subs.length, attributes.length, s);
          for (const [i, sub] of subs.entries()) {
            assert.ok(sub instanceof SubstringFilter, s);
            assert.equal(sub.attribute.toLowerCase(), attributes[i]?.toLowerCase());
            assert.equal(sub.initial, prefix);
            assert.deepEqual(sub.any, []);
            assert.equal(sub.final, '');
          }
        }
      }),
    );
  });

  it('a member filter carries the DN as one value, also through the in-chain rule', () => {
    fc.assert(
      fc.property(value, fc.boolean(), (dn, nested) => {
        const f = memberFilter('(objectClass=group)', 'member', dn, nested);
        assert.ok(balanced(f.toString()), f.toString());
        for (const parsed of [FilterParser.parseString(f.toString()), overTheWire(f)]) {
          const [, member] = parts(parsed);
          if (nested) {
            assert.ok(member instanceof ExtensibleFilter, f.toString());
            assert.equal(member.matchType, 'member');
            assert.equal(member.rule, IN_CHAIN_RULE);
            assert.equal(member.value, dn);
          } else {
            assert.ok(member instanceof EqualityFilter, f.toString());
            assert.equal(member.value, dn);
          }
        }
      }),
    );
  });

  it('named injection attempts and non-ASCII names', () => {
    const cases: Array<[string, string]> = [
      ['*', '\\2a'],
      [')(uid=*', '\\29\\28uid=\\2a'],
      ['\\2a', '\\5c2a'],
      ['\\00', '\\5c00'],
      ['\0', '\\00'],
      ['alice\0', 'alice\\00'],
      ['admin)(|(uid=*', 'admin\\29\\28|\\28uid=\\2a'],
      ['*)(objectClass=*', '\\2a\\29\\28objectClass=\\2a'],
      ['(uid=alice)', '\\28uid=alice\\29'],
      // RFC 4515 §3: UTF-8 multi-byte characters (UTFMB) may stay as they are.
      ['José', 'José'],
      ['山田', '山田'],
      ['😀', '😀'],
      ['alice', 'alice'],
    ];
    for (const [input, escaped] of cases) {
      const f = userFilter('(objectClass=inetOrgPerson)', 'uid', input);
      assert.equal(f.toString(), `(&(objectClass=inetOrgPerson)(uid=${escaped}))`, JSON.stringify(input));
      const [, equality] = parts(FilterParser.parseString(f.toString()));
      assert.ok(equality instanceof EqualityFilter, JSON.stringify(input));
      assert.equal(equality.value, input);
    }
    const w = new BerWriter();
    userFilter('', 'uid', 'José').write(w);
    assert.ok(w.buffer.includes(Buffer.from('José', 'utf8')), 'sent as UTF-8 octets');
  });

  it('the configured filter: parenthesised when written without, every entry when empty', () => {
    assert.equal(configuredFilter('').toString(), '(objectClass=*)');
    assert.equal(configuredFilter('  ').toString(), '(objectClass=*)');
    assert.equal(configuredFilter('objectClass=person').toString(), '(objectClass=person)');
    assert.equal(configuredFilter('(&(a=1)(b=2))').toString(), '(&(a=1)(b=2))');
  });
});
