/**
 * The signature base string of RFC 5849 §3.4.1, step by step: percent-encoding (§3.6), the base
 * string URI (§3.4.1.2), parameter normalization (§3.4.1.3.2) and the concatenation (§3.4.1.1).
 */

const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';

/** RFC 5849 §3.6: UTF-8, then every octet outside ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX (upper case). */
export function percentEncode(value: string): string {
  try {
    // encodeURIComponent leaves only !'()* of the reserved set unescaped (and emits upper-case hex).
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    // A lone surrogate: encode the UTF-8 bytes Buffer produces for it (U+FFFD), octet by octet.
    let out = '';
    for (const byte of Buffer.from(value, 'utf8')) {
      out += byte < 128 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    }
    return out;
  }
}

/**
 * Decodes a §3.6-encoded value (Authorization header parameters, §3.5.1). "+" stays "+". Returns
 * undefined for a malformed escape.
 */
export function percentDecode(value: string): string | undefined {
  if (!value.includes('%')) return value;
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return undefined;
  const chunks = value
    .split(/(%[0-9A-Fa-f]{2})/)
    .map((part) => (part.startsWith('%') ? Buffer.of(Number.parseInt(part.slice(1), 16)) : Buffer.from(part, 'utf8')));
  return Buffer.concat(chunks).toString('utf8');
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * RFC 5849 §3.4.1.2: scheme and host in lower case, the port only when it is not the scheme's
 * default, and the path as sent (no query, no fragment). Returns undefined for a URL that is not
 * an absolute http(s) URL.
 */
export function baseStringUri(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(url);
  if (!m) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}://${m[2] ?? ''}/`);
  } catch {
    return undefined;
  }
  if (parsed.hostname === '') return undefined;
  // URL lower-cases the host and drops a default port already; keep the explicit check for clarity.
  const port = parsed.port !== '' && parsed.port !== DEFAULT_PORTS[parsed.protocol] ? `:${parsed.port}` : '';
  const path = m[3] === '' || m[3] === undefined ? '/' : m[3];
  return `${scheme}://${parsed.hostname}${port}${path}`;
}

export type Parameter = readonly [name: string, value: string];

/** RFC 5849 §3.4.1.3.2: encode, sort by name then value (byte order), join with "=" and "&". */
export function normalizeParameters(params: readonly Parameter[]): string {
  const encoded = params.map(([n, v]) => [percentEncode(n), percentEncode(v)] as const);
  // The encoded strings are ASCII, so comparing UTF-16 code units is comparing bytes.
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** RFC 5849 §3.4.1.1: METHOD & encoded base string URI & encoded normalized parameters. */
export function signatureBaseString(method: string, uri: string, params: readonly Parameter[]): string {
  return `${percentEncode(method.toUpperCase())}&${percentEncode(uri)}&${percentEncode(normalizeParameters(params))}`;
}

/** Parses an application/x-www-form-urlencoded string into pairs, in order ("+" is a space). */
export function parseFormPairs(text: string): Parameter[] {
  const out: Parameter[] = [];
  if (text === '') return out;
  for (const [k, v] of new URLSearchParams(text)) out.push([k, v]);
  return out;
}
