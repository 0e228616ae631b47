// @ts-check
// What a reviewer must see of a value a registrant chose: invisible, direction-changing and control
// characters made visible by their code point, and hosts in punycode, with a warning for every
// internationalized host and a stronger one for a label that mixes scripts (UTS #39 §5.2).
// Pure (no DOM): the console renders its results, and test/security imports it as it is.

/** Names of the characters most used to disguise text. */
const NAMES = new Map([
  [0x00a0, 'NO-BREAK SPACE'],
  [0x00ad, 'SOFT HYPHEN'],
  [0x034f, 'COMBINING GRAPHEME JOINER'],
  [0x061c, 'ARABIC LETTER MARK'],
  [0x115f, 'HANGUL CHOSEONG FILLER'],
  [0x1160, 'HANGUL JUNGSEONG FILLER'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x2028, 'LINE SEPARATOR'],
  [0x2029, 'PARAGRAPH SEPARATOR'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2060, 'WORD JOINER'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0x2800, 'BRAILLE PATTERN BLANK'],
  [0x3164, 'HANGUL FILLER'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE'],
  [0xffa0, 'HALFWIDTH HANGUL FILLER'],
]);

/**
 * Characters that are invisible or change how the text around them is shown: controls (C0, DEL,
 * C1), format characters (bidi embeddings, overrides and isolates, zero-width characters, soft
 * hyphen, tags), line and paragraph separators, lone surrogates, private-use and unassigned code
 * points, spaces other than U+0020, and letters that render as blank.
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each character is tested on its own, never a sequence
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\u115f\u1160\u2800\u3164\uffa0]|[\u034f\u17b4\u17b5\u180b-\u180f]|(?! )\p{Zs}/u;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * "U+202E", "U+E0041"
 * @param {number} cp
 */
export function codePointLabel(cp) {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The text in parts: { text } for what shows as itself, { mark, name, kind } for each hidden
 * character (kind: 'bidi', 'control', 'space' or 'invisible'); `count` of marked characters.
 * @param {unknown} value
 */
export function markText(value) {
  const text = String(value ?? '');
  /** @type {Array<{ text: string, mark?: undefined } | { mark: string, name: string, kind: string, text?: undefined }>} */
  const parts = [];
  let plain = '';
  let count = 0;
  /** @type {Set<string>} */
  const kinds = new Set();
  for (const ch of text) {
    if (!HIDDEN.test(ch)) {
      plain += ch;
      continue;
    }
    if (plain) parts.push({ text: plain });
    plain = '';
    const cp = ch.codePointAt(0) ?? 0;
    const kind = BIDI.test(ch) ? 'bidi' : /\p{Cc}/u.test(ch) ? 'control' : /\p{Zs}/u.test(ch) ? 'space' : 'invisible';
    kinds.add(kind);
    count++;
    parts.push({ mark: codePointLabel(cp), name: NAMES.get(cp) ?? '', kind });
  }
  if (plain) parts.push({ text: plain });
  return { parts, count, kinds: [...kinds] };
}

/**
 * The text with every hidden character written as ⟨U+XXXX⟩, for places that hold plain text (titles).
 * @param {unknown} value
 */
export function markedString(value) {
  return markText(value)
    .parts.map((p) => (p.mark ? `⟨${p.mark}⟩` : p.text))
    .join('');
}

/**
 * A warning about a marked text, or null when nothing was marked.
 * @param {unknown} value
 */
export function textWarning(value) {
  const { count } = markText(value);
  if (count === 0) return null;
  return `contains ${count} invisible or direction-changing character${count === 1 ? '' : 's'}, marked ⟨U+…⟩`;
}

// --- Hosts ---------------------------------------------------------------------------------------

// RFC 3492 §5 parameters.
const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;

/**
 * @param {number} delta
 * @param {number} points
 * @param {boolean} first
 */
function adapt(delta, points, first) {
  let d = first ? Math.floor(delta / DAMP) : Math.floor(delta / 2);
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((BASE - TMIN) * TMAX) / 2) {
    d = Math.floor(d / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * d) / (d + SKEW));
}

/** @param {number} c */
function digitOf(c) {
  if (c >= 0x30 && c <= 0x39) return c - 22;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61;
  return BASE;
}

/**
 * RFC 3492 §6.2: the Unicode form of a punycode string (without "xn--"), or null when it is not valid.
 * @param {string} input
 */
export function punycodeDecode(input) {
  if (input.length > 253) return null;
  /** @type {number[]} */
  const output = [];
  const basic = Math.max(input.lastIndexOf('-'), 0);
  for (let j = 0; j < basic; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    output.push(c);
  }
  let n = 0x80;
  let bias = 72;
  let i = 0;
  for (let at = basic > 0 ? basic + 1 : 0; at < input.length; ) {
    const old = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (at >= input.length) return null;
      const d = digitOf(input.charCodeAt(at++));
      if (d >= BASE) return null;
      i += d * w;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (d < t) break;
      w *= BASE - t;
      if (i > 0x7fffffff || w > 0x7fffffff) return null;
    }
    const length = output.length + 1;
    bias = adapt(i - old, length, old === 0);
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Canadian_Aboriginal',
  'Ogham',
  'Runic',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
  'Yi',
  'Coptic',
  'Tifinagh',
  'Vai',
  'Lisu',
  'Adlam',
].map((name) => /** @type {const} */ ([name, new RegExp(`\\p{Script=${name}}`, 'u')]));
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;

/**
 * The scripts of the letters of a text (digits, punctuation and combining marks count for none).
 * @param {string} text
 */
export function scriptsOf(text) {
  /** @type {Set<string>} */
  const found = new Set();
  for (const ch of text) {
    if (NEUTRAL.test(ch)) continue;
    found.add(SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'Other');
  }
  return [...found];
}

/** UTS #39 §5.2 "Highly Restrictive": one script, or Latin with the scripts written together in CJK. */
const ALLOWED_MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/** @param {readonly string[]} scripts */
export function mixesScripts(scripts) {
  if (scripts.length <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => scripts.every((s) => allowed.includes(s)));
}

/**
 * The host of a URI as a reviewer must see it: `host` as the WHATWG URL parser reads it (punycode
 * for an internationalized name, with the port), `unicode` as it would be displayed, and the
 * warnings: an IDN at all, and more strongly a label that mixes scripts. null without a host.
 * @param {unknown} value
 */
export function hostReview(value) {
  let url;
  try {
    url = new URL(String(value));
  } catch {
    return null;
  }
  if (!url.hostname) return null;
  const labels = url.hostname.split('.').map((label) => {
    const unicode = label.toLowerCase().startsWith('xn--') ? punycodeDecode(label.slice(4)) : label;
    const scripts = scriptsOf(unicode ?? '');
    return { label, unicode, scripts, idn: unicode !== label, mixed: mixesScripts(scripts) };
  });
  const idn = labels.some((l) => l.idn);
  /** @type {string[]} */
  const warnings = [];
  for (const l of labels) {
    if (l.unicode === null) warnings.push(`the host label ${l.label} is not valid punycode`);
    else if (l.mixed)
      warnings.push(`the host label “${markedString(l.unicode)}” (${l.label}) mixes scripts (${l.scripts.join(', ')}): it may imitate another name`);
  }
  const unicode = labels.map((l) => l.unicode ?? l.label).join('.');
  if (idn && !labels.some((l) => l.mixed))
    warnings.push(`${url.hostname} is an internationalized domain name, displayed as “${markedString(unicode)}”: check that it is the name you expect`);
  // The parser maps some look-alikes (fullwidth letters, …) to another name: show what it reads.
  const rewritten = !String(value).toLowerCase().includes(url.hostname);
  if (rewritten && !idn) warnings.push(`the host is read as ${url.hostname}, which is not how it is written`);
  return { host: url.host, hostname: url.hostname, unicode, idn, mixed: labels.some((l) => l.mixed), rewritten, warnings, href: url.href };
}
