import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';

/**
 * Generators of hostile HTTP requests: missing, repeated, oversized and mistyped parameters,
 * invalid UTF-8 and percent-encoding, header injection attempts, huge Authorization headers,
 * malformed JSON and form bodies, and content types that do not match the body.
 */

/** Values that mean something to the server under test: real client keys, tokens, redirect URIs… */
export interface Pools {
  values: string[];
  authorizations: string[];
  cookies: string[];
}

export interface Plan extends RawRequest {
  /** Every value the request carries, in plain text (a secret echoed from here is not a leak). */
  carried: string;
  /** A short human description for failure messages. */
  label: string;
}

/** A valid request the fuzzer mutates: most runs start here, so they reach past the first check. */
export interface Base {
  params: Array<[string, string | string[]]>;
  authorization?: string;
  cookie?: string;
}

export interface PlanShape {
  methods: readonly string[];
  /** Path, or a choice of paths. */
  paths: readonly string[];
  /** Parameter names the endpoint knows. */
  params: readonly string[];
  /** Where parameters go: the query, a form body, a JSON body, or any of them. */
  carrier: 'query' | 'form' | 'json' | 'any';
  bases?: readonly Base[];
  /** Signs the final request (OAuth 1.0a): returns the Authorization header. */
  sign?: (req: { method: string; url: string; form: Array<[string, string]> | null; protocol: Record<string, string> }) => string;
}

const HOSTILE = [
  '',
  ' ',
  '\u0000',
  '\r\n',
  'x\r\nSet-Cookie: injected=1',
  'x\r\nLocation: https://evil.example/',
  '%0d%0aSet-Cookie:%20injected=1',
  '../../../../etc/passwd',
  "' OR '1'='1' --",
  '"; DROP TABLE clients; --',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  `\${jndi:ldap://127.0.0.1/a}`,
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'https://evil.example/cb',
  'https://app.example.test/cb/../evil',
  'https://app.example.test/cb?x=1',
  'https://app.example.test/cb#frag',
  'https://app.example.test.evil.example/cb',
  'https://app.example.test@evil.example/cb',
  '//evil.example',
  '/\\evil.example',
  '/%2f%2fevil.example',
  'http://127.0.0.1:9/cb',
  'http://127.0.0.1:65535/cb',
  'http://localhost:9/cb',
  'oob',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '\ud800',
  '\udfff\ud800',
  '\uffff',
  '\u202e',
  '🔑'.repeat(50),
  'a'.repeat(257),
  'A'.repeat(4096),
];

const WORDS = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
  'code',
  'token',
  'id_token',
  'code id_token',
  'none',
  'S256',
  'plain',
  'profile',
  'openid',
  'latchkey:admin',
  'profile latchkey:admin',
  'allow',
  'deny',
  'query',
  'fragment',
  'form_post',
  'access_token',
  'HMAC-SHA1',
  'HMAC-SHA256',
  'RSA-SHA1',
  'PLAINTEXT',
  '1.0',
  'alice',
  'admin',
  'oauth1',
  'oauth2',
  'oidc',
];

const loneSurrogates = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `x${String.fromCharCode(c)}y`);

export function valueArb(pools: Pools): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pools.values) },
    { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: loneSurrogates },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'B'.repeat(n)) },
    { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
  );
}

function nameArb(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'client_id[]', '', 'toString', 'hasOwnProperty') },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, as a browser would send). */
function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

type Encoding = 'pct' | 'raw' | 'badpct' | 'latin1';
const encodingArb = fc.constantFrom<Encoding>('pct', 'pct', 'pct', 'pct', 'pct', 'raw', 'badpct', 'latin1');
const BAD_PCT = ['%FF', '%C3%28', '%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%00'];

function encodePair(name: string, value: string, enc: Encoding, salt: number): Buffer {
  switch (enc) {
    case 'pct':
      return Buffer.from(`${pct(name)}=${pct(value)}`, 'latin1');
    case 'raw':
      return Buffer.from(`${name}=${value}`, 'utf8');
    case 'badpct':
      return Buffer.from(`${pct(name)}=${pct(value)}${BAD_PCT[salt % BAD_PCT.length]}`, 'latin1');
    case 'latin1':
      return Buffer.concat([Buffer.from(`${pct(name)}=`, 'latin1'), Buffer.from([0xff, 0xfe, 0x80 + (salt % 0x40)]), Buffer.from(pct(value), 'latin1')]);
  }
}

const pairArb = (pools: Pools, known: readonly string[]) => fc.tuple(nameArb(known), valueArb(pools), encodingArb, fc.nat()) as fc.Arbitrary<Pair>;
type Pair = [string, string | string[], Encoding, number];

function joinPairs(pairs: Pair[]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v, e, s] of pairs) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (parts.length > 0) parts.push(Buffer.from('&'));
      parts.push(encodePair(n, one, e, s));
    }
  }
  return Buffer.concat(parts);
}

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=utf-16',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/json',
  'application/json; charset=latin1',
  'text/plain',
  'text/html',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/x-www-form-urlencoded, application/json',
  ';;;',
  '',
];

type BodyKind = 'none' | 'form' | 'json' | 'json-broken' | 'json-scalar' | 'bytes' | 'huge';

/** A JSON object built from parameter pairs, with values of the wrong type now and then. */
function jsonBody(pairs: Pair[], typed: number[]): string {
  const obj: Record<string, unknown> = {};
  pairs.forEach(([n, v], i) => {
    const t = typed[i % typed.length] ?? 0;
    obj[n] = t % 7 === 0 ? [v] : t % 11 === 0 ? { v } : t % 13 === 0 ? Number(v.length) : t % 17 === 0 ? null : t % 19 === 0 ? true : v;
  });
  return JSON.stringify(obj);
}

type Edit = 'keep' | 'replace' | 'drop' | 'repeat' | 'retype';
const EDITS: Edit[] = ['keep', 'keep', 'keep', 'keep', 'keep', 'keep', 'replace', 'replace', 'drop', 'repeat', 'retype'];

/** A base request with a few parameters replaced, dropped, repeated or given another JSON type. */
function mutate(base: Base, edits: Array<[Edit, string]>, extra: Pair[]): { pairs: Pair[]; typed: number[] } {
  const pairs: Pair[] = [];
  const typed: number[] = [];
  base.params.forEach(([name, value], i) => {
    const [edit, replacement] = edits[i % edits.length] ?? ['keep', ''];
    if (edit === 'drop') return;
    const v: string | string[] = edit === 'replace' ? (Array.isArray(value) ? [replacement] : replacement) : value;
    pairs.push([name, v, 'pct', 0]);
    typed.push(edit === 'retype' ? 11 : 1);
    if (edit === 'repeat') {
      pairs.push([name, replacement, 'pct', 0]);
      typed.push(1);
    }
  });
  for (const p of extra) {
    pairs.push(p);
    typed.push(1);
  }
  return { pairs, typed };
}

interface Draft {
  method: string;
  path: string;
  queryPairs: Pair[];
  bodyPairs: Pair[];
  typed: number[];
  bodyKind: BodyKind;
  contentType: string | null;
  authorization: string | Buffer | null;
  cookie: string | null;
  extra: Array<[string, string | Buffer]>;
  bytes: Uint8Array;
  sign: boolean;
}

const ANY_METHOD = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

function naturalBody(shape: PlanShape): BodyKind {
  return shape.carrier === 'json' ? 'json' : shape.carrier === 'query' ? 'none' : 'form';
}

/** Entirely random requests: the endpoint's parameter names with hostile values, any body, any header. */
function randomDraft(shape: PlanShape, pools: Pools): fc.Arbitrary<Draft> {
  const pairs = fc.array(pairArb(pools, shape.params), { maxLength: 12 });
  return fc.record({
    method: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...shape.methods) }, { weight: 1, arbitrary: ANY_METHOD }),
    path: fc.constantFrom(...shape.paths),
    queryPairs:
      shape.carrier === 'query' || shape.carrier === 'any'
        ? pairs
        : fc.oneof({ weight: 4, arbitrary: fc.constant([] as Pair[]) }, { weight: 1, arbitrary: pairs }),
    bodyPairs: pairs,
    typed: fc.array(fc.nat(100), { minLength: 12, maxLength: 12 }),
    bodyKind: fc.constantFrom<BodyKind>(
      naturalBody(shape),
      naturalBody(shape),
      naturalBody(shape),
      naturalBody(shape),
      'none',
      'json',
      'json-broken',
      'json-scalar',
      'bytes',
      'huge',
    ),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    authorization: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 4, arbitrary: fc.constantFrom(...pools.authorizations) },
      { weight: 2, arbitrary: hostileAuthorization(pools) },
    ),
    cookie: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(...pools.cookies) }),
    extra: fc.array(extraHeader(pools), { maxLength: 3 }),
    bytes: fc.uint8Array({ maxLength: 300 }),
    sign: fc.boolean(),
  });
}

/** Valid requests with a few changes: most of the request is right, so the checks behind the first ones run. */
function mutantDraft(shape: PlanShape, pools: Pools, bases: readonly Base[]): fc.Arbitrary<Draft> {
  return fc
    .record({
      base: fc.constantFrom(...bases),
      edits: fc.array(fc.tuple(fc.constantFrom(...EDITS), valueArb(pools)), { minLength: 16, maxLength: 16 }),
      extraPairs: fc.array(pairArb(pools, shape.params), { maxLength: 2 }),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(shape.methods[0] ?? 'GET') },
        { weight: 2, arbitrary: fc.constantFrom(...shape.methods) },
        { weight: 1, arbitrary: ANY_METHOD },
      ),
      path: fc.constantFrom(...shape.paths),
      keepAuth: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      otherAuth: fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.constantFrom(...pools.authorizations) },
        { weight: 1, arbitrary: hostileAuthorization(pools) },
      ),
      keepCookie: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      bodyKind: fc.oneof(
        { weight: 10, arbitrary: fc.constant(naturalBody(shape)) },
        { weight: 1, arbitrary: fc.constantFrom<BodyKind>('none', 'json', 'form', 'json-broken') },
      ),
      contentType: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      extra: fc.array(extraHeader(pools), { maxLength: 1 }),
      sign: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map((r): Draft => {
      const { pairs, typed } = mutate(r.base, r.edits, r.extraPairs);
      const inQuery = shape.carrier === 'query' || (shape.carrier === 'any' && (r.method === 'GET' || r.method === 'HEAD'));
      return {
        method: r.method,
        path: r.path,
        queryPairs: inQuery ? pairs : [],
        bodyPairs: inQuery ? [] : pairs,
        typed,
        bodyKind: inQuery && r.bodyKind === naturalBody(shape) ? 'none' : r.bodyKind,
        contentType: r.contentType,
        authorization: r.keepAuth ? (r.base.authorization ?? null) : r.otherAuth,
        cookie: r.keepCookie ? (r.base.cookie ?? null) : null,
        extra: r.extra,
        bytes: new Uint8Array(),
        sign: r.sign,
      };
    });
}

function plainPairs(pairs: Pair[]): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  for (const [n, v, e] of pairs) {
    if (e !== 'pct') return null;
    for (const one of Array.isArray(v) ? v : [v]) out.push([n, one]);
  }
  return out;
}

function render(shape: PlanShape, draft: Draft): Plan {
  // A signed request carries its oauth_ parameters in the Authorization header (RFC 5849 §3.5.1).
  const signing = draft.sign && shape.sign !== undefined;
  const isProtocol = ([n, v, e]: Pair) => signing && n.startsWith('oauth_') && e === 'pct' && typeof v === 'string';
  const protocol = Object.fromEntries([...draft.queryPairs, ...draft.bodyPairs].filter(isProtocol).map(([n, v]) => [n, String(v)]));
  const d = { ...draft, queryPairs: draft.queryPairs.filter((p) => !isProtocol(p)), bodyPairs: draft.bodyPairs.filter((p) => !isProtocol(p)) };
  const query = d.queryPairs.length > 0 ? `?${joinPairs(d.queryPairs).toString('latin1')}` : '';
  let body: Buffer | undefined;
  let type: string | null = null;
  switch (d.bodyKind) {
    case 'form':
      body = joinPairs(d.bodyPairs);
      type = 'application/x-www-form-urlencoded';
      break;
    case 'json':
      body = Buffer.from(jsonBody(d.bodyPairs, d.typed));
      type = 'application/json';
      break;
    case 'json-broken': {
      const text = jsonBody(d.bodyPairs, d.typed);
      body = Buffer.from(text.slice(0, Math.max(1, text.length - 1 - ((d.typed[0] ?? 0) % 5))));
      type = 'application/json';
      break;
    }
    case 'json-scalar':
      body = Buffer.from(['"text"', '42', 'null', '[1,2]', 'true', '"\\ud800"'][(d.typed[1] ?? 0) % 6] ?? 'null');
      type = 'application/json';
      break;
    case 'bytes':
      body = Buffer.from(d.bytes);
      break;
    case 'huge':
      body = Buffer.alloc(300 * 1024 + ((d.typed[2] ?? 0) % 1000), 0x61);
      type = 'application/x-www-form-urlencoded';
      break;
    case 'none':
      break;
  }
  const contentType = d.contentType ?? type;
  let authorization = d.authorization;
  if (signing && shape.sign) {
    // Sign what is sent, so the OAuth 1.0a checks behind the signature run too.
    const form = d.bodyKind === 'form' && (contentType ?? '').startsWith('application/x-www-form-urlencoded') ? plainPairs(d.bodyPairs) : [];
    const queryOk = plainPairs(d.queryPairs);
    if (form !== null && queryOk !== null) {
      try {
        authorization = shape.sign({ method: d.method, url: `${d.path}${query}`, form: d.bodyKind === 'form' ? form : null, protocol });
      } catch {
        // The signing library cannot encode some values (lone surrogates): send the request unsigned.
      }
    }
  }
  const headers: Array<[string, string | Buffer]> = [];
  if (body !== undefined && contentType !== null) headers.push(['Content-Type', contentType]);
  if (authorization !== null) headers.push(['Authorization', authorization]);
  if (d.cookie !== null) headers.push(['Cookie', d.cookie]);
  headers.push(...d.extra);
  const values = [...draft.queryPairs, ...draft.bodyPairs].map(([n, v]) => `${n}=${Array.isArray(v) ? v.join(',') : v}`);
  const carried = [...values, String(authorization ?? ''), d.cookie ?? '', ...d.extra.map(([, v]) => String(v))].join('\n');
  const label = `${d.method} ${d.path}${query.slice(0, 160)} [${headers.map(([n]) => n).join(', ')}] body=${d.bodyKind}:${body?.length ?? 0}${contentType ? ` (${contentType})` : ''}`;
  const plan: Plan = {
    method: d.method,
    target: `${d.path}${query}`,
    headers,
    ...(body !== undefined ? { body } : {}),
    carried: decodeAuthorization(carried),
    label,
  };
  // fast-check prints counterexamples with this: the label, not kilobytes of generated text.
  return Object.assign(plan, { [fc.toStringMethod]: () => label });
}

export function planArb(shape: PlanShape, pools: Pools): fc.Arbitrary<Plan> {
  const drafts = shape.bases?.length
    ? fc.oneof({ weight: 3, arbitrary: mutantDraft(shape, pools, shape.bases) }, { weight: 2, arbitrary: randomDraft(shape, pools) })
    : randomDraft(shape, pools);
  return drafts.map((d) => render(shape, d));
}

/** Adds the decoded form of Basic credentials, so a secret sent inside one counts as carried. */
function decodeAuthorization(text: string): string {
  const extra = [...text.matchAll(/Basic ([A-Za-z0-9+/=]+)/g)].map((m) => {
    const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    try {
      return decodeURIComponent(decoded);
    } catch {
      return decoded;
    }
  });
  return [text, ...extra].join('\n');
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function hostileAuthorization(pools: Pools): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.tuple(valueArb(pools), valueArb(pools)).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
    valueArb(pools).map((v) => `Basic ${v}`),
    valueArb(pools).map((v) => `Bearer ${v}`),
    valueArb(pools).map((v) => `Token ${v}`),
    fc
      .tuple(valueArb(pools), valueArb(pools), valueArb(pools))
      .map(
        ([k, s, n]) =>
          `OAuth realm="x", oauth_consumer_key="${k}", oauth_signature_method="${s}", oauth_signature="${n}", oauth_timestamp="${k.length}", oauth_nonce="${n}", oauth_version="1.0"`,
      ),
    fc.constantFrom(
      'Basic',
      'Bearer',
      'Bearer ',
      'OAuth',
      'OAuth oauth_consumer_key',
      'OAuth oauth_consumer_key="a", oauth_consumer_key="b"',
      'Digest username="a"',
      `Basic ${b64(':')}`,
      `Basic ${b64('\u0000:\u0000')}`,
      'Basic ====',
      `Bearer ${'x'.repeat(8000)}`,
      `Basic ${'QUFB'.repeat(3000)}`,
    ),
    fc.integer({ min: 16_000, max: 24_000 }).map((n) => `Bearer ${'z'.repeat(n)}`),
    fc
      .uint8Array({ minLength: 1, maxLength: 40 })
      .map((bytes) => Buffer.concat([Buffer.from('Bearer '), Buffer.from(bytes.map((b) => (b === 10 || b === 13 ? 0x41 : b)))])),
    fc.constant(Buffer.from('Bearer abc\r\nX-Injected: 1')),
  );
}

function extraHeader(pools: Pools): fc.Arbitrary<[string, string | Buffer]> {
  return fc.oneof(
    valueArb(pools).map((v): [string, string] => ['X-CSRF-Token', v.replace(/[\r\n]/g, '')]),
    fc.constantFrom<[string, string]>(
      ['X-Forwarded-For', '10.0.0.1, 127.0.0.1'],
      ['X-Forwarded-For', 'not an address'],
      ['X-Forwarded-Host', 'evil.example'],
      ['X-Forwarded-Proto', 'https'],
      ['Accept', 'text/html'],
      ['Accept', '*/*;q=abc'],
      ['Accept-Encoding', `gzip, br, ${'x'.repeat(100)}`],
      ['Origin', 'https://evil.example'],
      ['Referer', 'https://evil.example/page'],
      ['Content-Encoding', 'gzip'],
      ['Expect', '100-continue'],
      ['Host', 'evil.example'],
      ['Authorization', 'Bearer second-header'],
      ['Cookie', 'latchkey_session=; latchkey_session=x'],
    ),
    fc.constant<[string, Buffer]>(['X-Bytes', Buffer.from([0xc3, 0x28, 0xff])]),
  );
}
