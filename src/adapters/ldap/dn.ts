// Distinguished names as strings (RFC 4514): escaping a value for a DN template, and reading
// the RDNs of a DN the directory returned.

const SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\', '=']);

function hex(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * Escapes an attribute value for use inside a DN (RFC 4514 §2.4): `"`, `+`, `,`, `;`, `<`, `>`,
 * `\` anywhere, a leading space or `#`, a trailing space, and NUL. `=` and control characters are
 * hex-escaped too, which §2.4 allows and which keeps the result on one line.
 */
export function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((ch, i) => {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x20 || code === 0x7f) return hex(ch);
      if (ch === '=') return '\\3d';
      if (SPECIAL.has(ch)) return `\\${ch}`;
      if (i === 0 && (ch === ' ' || ch === '#')) return `\\${ch}`;
      if (i === chars.length - 1 && ch === ' ') return '\\ ';
      return ch;
    })
    .join('');
}

/** Puts the escaped username into each `{username}` of a DN template. */
export function fillDnTemplate(template: string, username: string): string {
  const escaped = escapeDnValue(username);
  return template.split('{username}').join(escaped);
}

export interface Ava {
  type: string;
  value: string;
}

function isHex(s: string): boolean {
  return /^[0-9a-fA-F]{2}$/.test(s);
}

/**
 * Parses a DN string into RDNs, each a list of attribute type and value (RFC 4514 §3), undoing
 * the escapes of §2.4. Hex-encoded BER values (`#…`) are kept as written. Throws on a malformed DN.
 */
export function parseDn(dn: string): Ava[][] {
  const rdns: Ava[][] = [];
  if (dn.trim() === '') return rdns;
  let i = 0;
  let rdn: Ava[] = [];
  while (i <= dn.length) {
    while (dn[i] === ' ') i++;
    const eq = dn.indexOf('=', i);
    if (eq < 0) throw new Error('malformed DN: an attribute without "="');
    const type = dn.slice(i, eq).trim();
    if (!/^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$/.test(type)) throw new Error('malformed DN: bad attribute type');
    i = eq + 1;
    const bytes: number[] = [];
    let trailingSpaces = 0;
    let end: string | undefined;
    while (i < dn.length) {
      const ch = dn[i] ?? '';
      if (ch === ',' || ch === '+' || ch === ';') {
        end = ch;
        i++;
        break;
      }
      if (ch === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (isHex(pair)) {
          bytes.push(Number.parseInt(pair, 16));
          i += 3;
        } else {
          const next = dn[i + 1];
          if (next === undefined) throw new Error('malformed DN: a trailing backslash');
          bytes.push(...Buffer.from(next, 'utf8'));
          i += 2;
        }
        trailingSpaces = 0;
        continue;
      }
      const cp = dn.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(s, 'utf8'));
      trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0;
      i += s.length;
    }
    // Unescaped trailing spaces are not part of the value (RFC 4514 §2.4 requires escaping them).
    const value = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
    rdn.push({ type, value });
    if (end !== '+') {
      rdns.push(rdn);
      rdn = [];
    }
    if (end === undefined) break;
  }
  return rdns;
}

/** The value of the DN's first RDN for `attribute` (case-insensitive), or null. */
export function firstRdnValue(dn: string, attribute: string): string | null {
  try {
    const first = parseDn(dn)[0] ?? [];
    return first.find((a) => a.type.toLowerCase() === attribute.toLowerCase())?.value ?? null;
  } catch {
    return null;
  }
}

/**
 * For a template such as `uid={username},ou=people,dc=example,dc=org`: the attribute of the RDN
 * holding `{username}` and the DN below it, so that users can be listed; null when the template
 * has another shape (e.g. `{username}@example.org`).
 */
export function templateParent(template: string): { attribute: string; baseDn: string } | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*\{username\}\s*,(.+)$/.exec(template);
  if (!m?.[1] || !m[2] || m[2].includes('{username}')) return null;
  try {
    parseDn(m[2]);
  } catch {
    return null;
  }
  return { attribute: m[1], baseDn: m[2].trim() };
}

/** The DN one level up (`ou=people,dc=example,dc=org` → `dc=example,dc=org`); the DN itself at the top. */
export function parentDn(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') return dn.slice(i + 1).trim();
  }
  return dn;
}
