import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeDnValue, fillDnTemplate, firstRdnValue, parentDn, parseDn, templateParent } from './dn.js';

// RFC 4514 §2.4: escaped anywhere in a value.
const ALWAYS = ['"', '+', ',', ';', '<', '>', '\\'];
// §3: pair = ESC ( ESC / special / hexpair ), special = escaped / SPACE / SHARP / EQUALS.
const PAIR_CHARS = new Set([...ALWAYS, ' ', '#', '=']);

/** DN syntax, filter syntax and UTF-8 of every length, with leading and trailing spaces and '#'. */
const syntaxLike = fc.string({
  unit: fc.constantFrom('"', '+', ',', ';', '<', '>', '\\', '=', '#', ' ', '\0', '\n', '*', '(', ')', 'a', '3', 'd', 'é', '山', '😀'),
  maxLength: 30,
});
const NAMED = ['*', ')(uid=*', '\\2a', '\\00', '\0', 'admin)(|(uid=*', ' alice', 'alice ', '#alice', 'alice,ou=admins', 'alice+cn=x', 'Jürgen', '😀'];
const value = fc.oneof(
  { weight: 4, arbitrary: syntaxLike },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NAMED) },
);

interface Token {
  escaped: boolean;
  /** The character written (escaped: after the backslash, or the hex pair). */
  text: string;
}

/** Splits an escaped value into raw characters and pairs (RFC 4514 §3), failing on a bad pair. */
function tokens(escaped: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < escaped.length; ) {
    if (escaped[i] === '\\') {
      const hex = escaped.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out.push({ escaped: true, text: hex });
        i += 3;
        continue;
      }
      const next = escaped[i + 1] ?? '';
      assert.ok(PAIR_CHARS.has(next), `\\ followed by ${JSON.stringify(next)} in ${JSON.stringify(escaped)}`);
      out.push({ escaped: true, text: next });
      i += 2;
    } else {
      const ch = String.fromCodePoint(escaped.codePointAt(i) ?? 0);
      out.push({ escaped: false, text: ch });
      i += ch.length;
    }
  }
  return out;
}

/** An independent decoder: hex pairs are octets, the rest UTF-8; strict UTF-8. */
function decode(escaped: string): string {
  const bytes = tokens(escaped).flatMap((t) => (t.escaped && t.text.length === 2 ? [Number.parseInt(t.text, 16)] : [...Buffer.from(t.text, 'utf8')]));
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(bytes));
}

const SUFFIX = [[{ type: 'ou', value: 'people' }], [{ type: 'dc', value: 'example' }], [{ type: 'dc', value: 'org' }]];

describe('DN values (RFC 4514)', () => {
  it('escapes "+,;<>\\ and NUL anywhere, a leading space or #, a trailing space (§2.4)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const escaped = escapeDnValue(v);
        const t = tokens(escaped);
        for (const x of t) {
          if (x.escaped) continue;
          assert.ok(!ALWAYS.includes(x.text), `raw ${JSON.stringify(x.text)} in ${JSON.stringify(escaped)}`);
          assert.notEqual(x.text, '\0', 'NUL is escaped');
          // Beyond §2.4, and allowed by it: "=" and control characters are hex pairs too.
          assert.notEqual(x.text, '=');
          const code = x.text.codePointAt(0) ?? 0;
          assert.ok(code >= 0x20 && code !== 0x7f, `control character ${JSON.stringify(x.text)}`);
        }
        const first = t[0];
        const last = t[t.length - 1];
        if (first && !first.escaped) assert.ok(first.text !== ' ' && first.text !== '#', JSON.stringify(escaped));
        if (last && !last.escaped) assert.notEqual(last.text, ' ', JSON.stringify(escaped));
        assert.equal(decode(escaped), v, 'unescaping gives the input back');
      }),
      { numRuns: 500 },
    );
  });

  it('escapes a character the same way wherever it stands inside the value', () => {
    const inner = (s: string) => escapeDnValue(`x${s}x`).slice(1, -1);
    fc.assert(
      fc.property(value, value, (a, b) => {
        assert.equal(inner(a + b), inner(a) + inner(b));
      }),
    );
  });

  it('parseDn reads back exactly the value escapeDnValue wrote', () => {
    fc.assert(
      fc.property(value, (v) => {
        assert.deepEqual(parseDn(`uid=${escapeDnValue(v)},ou=people,dc=example,dc=org`), [[{ type: 'uid', value: v }], ...SUFFIX]);
      }),
      { numRuns: 500 },
    );
  });

  it('a username fills one attribute value of a DN template and never adds an RDN or an AVA', () => {
    const templates: Array<[string, (v: string) => ReturnType<typeof parseDn>]> = [
      ['uid={username},ou=people,dc=example,dc=org', (v) => [[{ type: 'uid', value: v }], ...SUFFIX]],
      ['cn={username},ou=users,dc=corp', (v) => [[{ type: 'cn', value: v }], [{ type: 'ou', value: 'users' }], [{ type: 'dc', value: 'corp' }]]],
      [
        'cn=Staff+uid={username},dc=corp',
        (v) => [
          [
            { type: 'cn', value: 'Staff' },
            { type: 'uid', value: v },
          ],
          [{ type: 'dc', value: 'corp' }],
        ],
      ],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...templates), value, ([template, expected], v) => {
        const dn = fillDnTemplate(template, v);
        assert.deepEqual(parseDn(dn), expected(v), dn);
      }),
    );
  });

  it('named values', () => {
    const cases: Array<[string, string]> = [
      ['alice', 'alice'],
      // Filter syntax means nothing in a DN: only "=" is escaped.
      ['*', '*'],
      [')(uid=*', ')(uid\\3d*'],
      ['admin)(|(uid=*', 'admin)(|(uid\\3d*'],
      ['\\2a', '\\\\2a'],
      ['\\00', '\\\\00'],
      ['\0', '\\00'],
      ['a\nb', 'a\\0ab'],
      ['\u007f', '\\7f'],
      [' alice', '\\ alice'],
      ['alice ', 'alice\\ '],
      [' ', '\\ '],
      ['  ', '\\ \\ '],
      ['a b', 'a b'],
      ['#alice', '\\#alice'],
      ['a#b', 'a#b'],
      ['"+,;<>\\', '\\"\\+\\,\\;\\<\\>\\\\'],
      ['alice,ou=admins', 'alice\\,ou\\3dadmins'],
      ['alice+cn=x', 'alice\\+cn\\3dx'],
      ['', ''],
      // Non-ASCII is UTF-8 as it is (§2.4 lets it be).
      ['Jürgen', 'Jürgen'],
      ['山田', '山田'],
      ['😀', '😀'],
    ];
    for (const [input, escaped] of cases) {
      assert.equal(escapeDnValue(input), escaped, JSON.stringify(input));
      assert.equal(firstRdnValue(fillDnTemplate('uid={username},dc=x', input), 'uid'), input, JSON.stringify(input));
    }
  });

  it('parses DNs as directories write them (RFC 4514 §4 examples)', () => {
    assert.deepEqual(parseDn('UID=jsmith,DC=example,DC=net'), [
      [{ type: 'UID', value: 'jsmith' }],
      [{ type: 'DC', value: 'example' }],
      [{ type: 'DC', value: 'net' }],
    ]);
    assert.deepEqual(parseDn('OU=Sales+CN=J.  Smith,DC=example,DC=net')[0], [
      { type: 'OU', value: 'Sales' },
      { type: 'CN', value: 'J.  Smith' },
    ]);
    assert.equal(firstRdnValue('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net', 'cn'), 'James "Jim" Smith, III');
    assert.equal(firstRdnValue('CN=Before\\0dAfter,DC=example,DC=net', 'cn'), 'Before\rAfter');
    assert.equal(firstRdnValue('CN=Lu\\C4\\8Di\\C4\\87', 'cn'), 'Lučić');
    // A hex-encoded BER value is kept as written.
    assert.equal(firstRdnValue('1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com', '1.3.6.1.4.1.1466.0'), '#04024869');
    // Spaces around the separators are not part of the values; escaped trailing spaces are.
    assert.deepEqual(parseDn('cn=a , dc=b'), [[{ type: 'cn', value: 'a' }], [{ type: 'dc', value: 'b' }]]);
    assert.equal(firstRdnValue('cn=a\\ ,dc=b', 'cn'), 'a ');
    assert.deepEqual(parseDn(''), []);
    for (const bad of ['uid', 'uid=a\\', '=x', 'u id=x', 'uid=a,dc']) assert.throws(() => parseDn(bad), JSON.stringify(bad));
    assert.equal(firstRdnValue('uid=a\\', 'uid'), null);
    assert.equal(firstRdnValue('cn=x,dc=y', 'uid'), null);
  });

  it('template parents and parent DNs', () => {
    assert.deepEqual(templateParent('uid={username},ou=people,dc=example,dc=org'), { attribute: 'uid', baseDn: 'ou=people,dc=example,dc=org' });
    assert.equal(templateParent('{username}@example.org'), null);
    assert.equal(templateParent('uid={username},cn={username},dc=x'), null);
    assert.equal(parentDn('ou=people,dc=example,dc=org'), 'dc=example,dc=org');
    assert.equal(parentDn('cn=a\\,b,dc=x'), 'dc=x', 'an escaped comma is not a separator');
    assert.equal(parentDn('dc=org'), 'dc=org');
  });
});
