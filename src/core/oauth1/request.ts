import { OAuth1Problem } from './problems.js';
import { type Parameter, parseFormPairs, percentDecode } from './signature/base-string.js';
import { isSignatureMethod, type SignatureMethod } from './signature/index.js';

/** A request as the OAuth 1.0a core sees it: framework-free, raw where the signature needs it. */
export interface SignedRequest {
  method: string;
  /** Base string URI (§3.4.1.2) the client must have signed: public scheme, host, port and path. */
  baseUri: string;
  /** The raw query string, without "?". */
  query: string;
  authorization: string | undefined;
  /** The raw body, only when Content-Type is application/x-www-form-urlencoded (§3.4.1.3.1). */
  formBody: string | null;
  /** The request came over TLS, or to a loopback development issuer (PLAINTEXT is allowed). */
  secureTransport: boolean;
  /** Source address, for security events only (never part of the signature). */
  remoteAddress?: string;
}

/** The protocol parameters of a request, parsed and syntactically checked. */
export interface OAuthParameters {
  consumerKey: string;
  token: string | undefined;
  signatureMethod: SignatureMethod;
  signature: string;
  /** Seconds; absent only with PLAINTEXT (§3.1). */
  timestamp: number | undefined;
  nonce: string | undefined;
  callback: string | undefined;
  verifier: string | undefined;
  /** Every parameter that enters the base string (§3.4.1.3.1): oauth_signature and realm excluded. */
  pairs: Parameter[];
}

const MAX_VALUE = 2000;

/**
 * Parses `Authorization: OAuth …` (§3.5.1). Returns null when the scheme is not OAuth, the pairs
 * (realm excluded) otherwise; throws parameter_rejected (400) when the header is malformed or a
 * parameter repeats.
 */
export function parseAuthorizationHeader(header: string | undefined): Parameter[] | null {
  if (header === undefined) return null;
  const m = /^\s*OAuth(?:\s+|$)/i.exec(header);
  if (!m) return null;
  const rest = header.slice(m[0].length);
  const out: Parameter[] = [];
  const re = /\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < rest.length) {
    if (/^\s*$/.test(rest.slice(pos))) break;
    re.lastIndex = pos;
    const p = re.exec(rest);
    if (!p) throw OAuth1Problem.rejected([], 'the Authorization header is malformed: expected name="value" pairs separated by commas');
    pos = re.lastIndex;
    const name = percentDecode(p[1] ?? '');
    const value = percentDecode(p[2] ?? '');
    if (name === undefined || value === undefined) throw OAuth1Problem.rejected([p[1] ?? ''], 'malformed percent-encoding in the Authorization header');
    if (name === 'realm') continue; // §3.4.1.3.1: realm is not signed
    out.push([name, value]);
    if (p[3] === '') break;
  }
  return out;
}

/** True when a request carries OAuth 1.0a protocol parameters anywhere (§3.5). */
export function looksSigned(req: Pick<SignedRequest, 'authorization' | 'query' | 'formBody'>): boolean {
  if (req.authorization !== undefined && /^\s*OAuth(\s|$)/i.test(req.authorization)) return true;
  const has = (s: string | null) => s !== null && /(^|&)oauth_signature=/.test(s);
  return has(req.query) || has(req.formBody);
}

/**
 * Collects the parameters of §3.4.1.3.1 and checks the protocol parameters: each in one place
 * only (§3.5: "one and only one of the following locations"), none repeated (§3.1), the required
 * ones present, the version "1.0" when given, a supported signature method. Throws OAuth1Problem
 * (400) on any of these; no credential is looked at here.
 */
export function collectParameters(req: SignedRequest): OAuthParameters {
  const header = parseAuthorizationHeader(req.authorization) ?? [];
  const query = parseFormPairs(req.query);
  const body = req.formBody === null ? [] : parseFormPairs(req.formBody);

  const sources = [header, body, query].filter((list) => list.some(([n]) => n.startsWith('oauth_')));
  if (sources.length > 1) {
    throw OAuth1Problem.rejected([], 'send the oauth_ parameters in one place only: the Authorization header, the form body or the query');
  }
  const protocol = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of sources[0] ?? []) {
    if (!name.startsWith('oauth_')) continue;
    if (protocol.has(name)) repeated.add(name);
    protocol.set(name, value);
  }
  if (repeated.size > 0) throw OAuth1Problem.rejected([...repeated], `duplicated protocol parameter ${[...repeated].join(', ')}`);
  for (const [name, value] of protocol) {
    if (value.length > MAX_VALUE) throw OAuth1Problem.rejected([name], `${name} is too long`);
  }

  const method = protocol.get('oauth_signature_method');
  const absent = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature'].filter((n) => !protocol.get(n));
  // §3.1: timestamp and nonce may be omitted with PLAINTEXT only.
  if (method !== 'PLAINTEXT') absent.push(...['oauth_timestamp', 'oauth_nonce'].filter((n) => !protocol.get(n)));
  if (absent.length > 0) throw OAuth1Problem.absent(absent);

  const version = protocol.get('oauth_version');
  if (version !== undefined && version !== '1.0') {
    throw OAuth1Problem.of('version_rejected', 'oauth_version must be 1.0', { oauth_acceptable_versions: '1.0-1.0' });
  }
  if (method === undefined || !isSignatureMethod(method)) {
    throw OAuth1Problem.of('signature_method_rejected', 'supported signature methods: HMAC-SHA1, HMAC-SHA256, RSA-SHA1, PLAINTEXT (over TLS)');
  }
  if (method === 'PLAINTEXT' && !req.secureTransport) {
    throw OAuth1Problem.of('signature_method_rejected', 'PLAINTEXT is accepted over TLS only; use HMAC-SHA1, HMAC-SHA256 or RSA-SHA1');
  }

  const ts = protocol.get('oauth_timestamp');
  let timestamp: number | undefined;
  if (ts !== undefined && ts !== '') {
    // §3.3: a positive integer.
    if (!/^[1-9][0-9]{0,11}$/.test(ts)) throw OAuth1Problem.rejected(['oauth_timestamp'], 'oauth_timestamp must be a positive integer (seconds)');
    timestamp = Number(ts);
  }
  const nonce = protocol.get('oauth_nonce') || undefined;
  if (nonce !== undefined && nonce.length > 255) throw OAuth1Problem.rejected(['oauth_nonce'], 'oauth_nonce is too long');

  const all = [...header, ...body, ...query];
  return {
    consumerKey: protocol.get('oauth_consumer_key') ?? '',
    token: protocol.get('oauth_token') || undefined,
    signatureMethod: method,
    signature: protocol.get('oauth_signature') ?? '',
    timestamp,
    nonce,
    callback: protocol.get('oauth_callback'),
    verifier: protocol.get('oauth_verifier'),
    pairs: all.filter(([n]) => n !== 'oauth_signature'),
  };
}
