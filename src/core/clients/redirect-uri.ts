// Every rule about the URIs a client registers and the ones a request names: redirect URIs
// (OAuth 2.0 and OIDC), OAuth 1.0a callbacks, post-logout redirect URIs, and the web URIs a
// registrant gives (logo, policy, JWKS, back-channel logout).

/** Hosts for which plain http is acceptable (RFC 8252 §7.3, RFC 9700 §2.1). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export const MAX_URI_LENGTH = 2000;

const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name, e.g. com.example.app:/cb. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/;

/** The checks every registered URI passes: bounded, absolute, no fragment, no credentials. */
function absoluteUri(value: string): URL | string {
  if (value.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  // RFC 6749 §3.1.2: the endpoint URI must not include a fragment component.
  if (value.includes('#')) return 'must not contain a fragment';
  // RFC 3986 §3.2.1 deprecates user:password in URIs; a user name in a redirect URI only serves to
  // disguise the real host (OAuth 2.1 §7.12.2, RFC 9700 §4.1).
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return url;
}

/**
 * Checks one redirect URI (or OAuth 1.0a callback, or post-logout redirect URI): absolute, no
 * fragment (RFC 6749 §3.1.2), no user name or password, https, or http only on loopback
 * (RFC 8252 §7.3), or a private-use scheme with a dot for native apps (RFC 8252 §7.1).
 * Returns a human-readable problem, or null when acceptable.
 */
export function redirectUriProblem(value: string): string | null {
  const url = absoluteUri(value);
  if (typeof url === 'string') return url;
  if (DANGEROUS_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? null : 'uses http on a host that is not loopback (use https)';
  }
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return null;
  return `uses the scheme ${url.protocol} which is neither https, loopback http nor a private-use scheme`;
}

/**
 * A URI shown to people or fetched by the server (logo, home page, policy, terms, JWKS, back-channel
 * logout): absolute, https or http on a loopback host, no fragment, no embedded credentials.
 */
export function webUriProblem(value: string): string | null {
  const url = absoluteUri(value);
  if (typeof url === 'string') return url;
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? null : 'uses http on a host that is not loopback (use https)';
  return `uses the scheme ${url.protocol}; only https (or http on a loopback host) is accepted`;
}

/**
 * Whether the redirect_uri of a request matches a registered one: exactly, by simple string
 * comparison (RFC 6749 §3.1.2.3, RFC 9700 §2.1), except that a registered loopback IP literal
 * with http matches any port (RFC 8252 §7.3), since a native app picks its port at run time.
 */
export function redirectUriMatches(registered: string, given: string): boolean {
  if (registered === given) return true;
  let r: URL;
  let g: URL;
  try {
    r = new URL(registered);
    g = new URL(given);
  } catch {
    return false;
  }
  // RFC 8252 §8.3: the port rule is for IP literals; "localhost" is matched exactly.
  const loopbackIp = r.hostname === '127.0.0.1' || r.hostname === '[::1]';
  if (r.protocol !== 'http:' || !loopbackIp || !isLoopbackHost(g.hostname)) return false;
  return (
    g.protocol === 'http:' &&
    g.hostname === r.hostname &&
    g.pathname === r.pathname &&
    g.search === r.search &&
    g.hash === '' &&
    g.username === '' &&
    g.password === '' &&
    !given.includes('#')
  );
}

/** OIDC RP-Initiated Logout §3: post_logout_redirect_uri is followed only on an exact match. */
export function postLogoutRedirectUriMatches(registered: readonly string[], given: string): boolean {
  return registered.includes(given);
}

/**
 * RFC 5849 §2.1: whether an oauth_callback fits the callback URL a consumer registered: that URL,
 * or that URL with a query of the consumer's own (e.g. its state) when the registered one has none.
 */
export function callbackMatches(registered: string, callback: string): boolean {
  return callback === registered || (!registered.includes('?') && callback.startsWith(`${registered}?`));
}
