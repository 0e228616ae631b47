// @ts-check
// The redirect URI rule of src/core/clients/redirect-uri.ts, for validation as the administrator
// types. The server checks again on save; test/console/redirect-uri-parity.test.ts keeps both equal.

/** @param {string} hostname */
function isLoopbackHost(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * A human-readable problem with one redirect URI, or null when it is acceptable.
 * @param {string} value
 * @returns {string | null}
 */
export function redirectUriProblem(value) {
  if (value.length > 2000) return 'is longer than 2000 characters';
  let url;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (value.includes('#')) return 'must not contain a fragment';
  if (DANGEROUS_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? null : 'uses http on a host that is not loopback (use https)';
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return null;
  return `uses the scheme ${url.protocol} which is neither https, loopback http nor a private-use scheme`;
}

/**
 * Problems of a one-URI-per-line text: [{ line, uri, message }]; blank lines are ignored.
 * @param {string} text
 */
export function redirectUriLines(text) {
  /** @type {Array<{ line: number, uri: string, message: string }>} */
  const problems = [];
  /** @type {Map<string, number>} */
  const seen = new Map();
  text.split('\n').forEach((raw, i) => {
    const uri = raw.trim();
    if (uri === '') return;
    const problem = redirectUriProblem(uri);
    if (problem) problems.push({ line: i + 1, uri, message: problem });
    else if (seen.has(uri)) problems.push({ line: i + 1, uri, message: `repeats line ${seen.get(uri)}` });
    if (!seen.has(uri)) seen.set(uri, i + 1);
  });
  return problems;
}

/** @param {string} text */
export function uriList(text) {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
