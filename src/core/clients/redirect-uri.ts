/** Hosts for which plain http is acceptable (RFC 8252 §7.3, RFC 9700 §2.1). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * Checks one redirect URI: absolute, no fragment (RFC 6749 §3.1.2), https, or http only on
 * loopback, or a private-use scheme with a dot for native apps (RFC 8252 §7.1).
 * Returns a human-readable problem, or null when acceptable.
 */
export function redirectUriProblem(value: string): string | null {
  if (value.length > 2000) return 'is longer than 2000 characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (value.includes('#')) return 'must not contain a fragment';
  if (DANGEROUS_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? null : 'uses http on a host that is not loopback (use https)';
  }
  // Private-use URI scheme: reverse domain name, e.g. com.example.app:/cb (RFC 8252 §7.1).
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return null;
  return `uses the scheme ${url.protocol} which is neither https, loopback http nor a private-use scheme`;
}
