// @ts-check
// The client-settings rules of src/core/clients/settings.ts and the redirect URI rule of
// src/core/clients/redirect-uri.ts, applied in the browser as the administrator types. The rule
// table (which grants and response types exist, what a public client may not use, the defaults)
// comes from the server in the page data (`clientSettings`); the server checks again on save.
// test/console/client-settings-parity.test.ts runs these functions against the server's.

/**
 * The rule table the server sends (CLIENT_SETTINGS_RULES in src/core/clients/settings.ts).
 * @typedef {{
 *   grantTypes: readonly string[], responseTypes: { oauth2: readonly string[], oidc: readonly string[] },
 *   defaultGrantTypes: readonly string[], defaultResponseTypes: readonly string[],
 *   authorizationFlowGrants: readonly string[], publicRefusedGrants: readonly string[], publicRequiresPkce: boolean,
 *   authMethods: { public: readonly string[], confidential: readonly string[] }, defaultConfidentialAuthMethod: string,
 *   maxUris: number,
 * }} SettingsRules
 * @typedef {{
 *   type: 'oauth2' | 'oidc', isPublic: boolean, redirectUris: string[], postLogoutRedirectUris: string[],
 *   grantTypes: string[], responseTypes: string[],
 * }} OAuth2Settings
 * @typedef {{ line: number, uri: string, message: string }} UriLineProblem
 * @typedef {{ rule: string, field: string, message: string }} SettingsViolation
 */

/** @param {string} hostname */
function isLoopbackHost(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const MAX_URI_LENGTH = 2000;
const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * A human-readable problem with one redirect URI, or null when it is acceptable.
 * @param {string} value
 * @returns {string | null}
 */
export function redirectUriProblem(value) {
  if (value.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  let url;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (value.includes('#')) return 'must not contain a fragment';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  if (DANGEROUS_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === 'https:') return url.hostname ? null : 'has no host';
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? null : 'uses http on a host that is not loopback (use https)';
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return null;
  return `uses the scheme ${url.protocol} which is neither https, loopback http nor a private-use scheme`;
}

/**
 * Problems of a one-URI-per-line text: [{ line, uri, message }]; blank lines are ignored.
 * @param {string} text
 * @returns {UriLineProblem[]}
 */
export function redirectUriLines(text) {
  /** @type {UriLineProblem[]} */
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

/**
 * @param {string} text
 * @returns {string[]}
 */
export function uriList(text) {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Space-separated response types are order-insensitive (RFC 6749 §3.1.1).
 * @param {string} value
 */
function normalizeResponseType(value) {
  const order = ['code', 'id_token', 'token'];
  return value
    .split(' ')
    .filter((p) => p !== '')
    .sort((a, b) => order.indexOf(a) - order.indexOf(b))
    .join(' ');
}

const truncate = (/** @type {string} */ value, max = 120) => (value.length > max ? `${value.slice(0, max)}…` : value);

/**
 * Whether a client of this kind may use the grant at all.
 * @param {SettingsRules} rules
 * @param {boolean} isPublic
 * @param {string} grant
 */
export function grantAllowedFor(rules, isPublic, grant) {
  return !(isPublic && rules.publicRefusedGrants.includes(grant));
}

/**
 * A public client always requires PKCE; a confidential one when its administrator asks for it.
 * @param {SettingsRules} rules
 * @param {boolean} isPublic
 * @param {boolean} requested
 */
export function requiresPkce(rules, isPublic, requested) {
  return (isPublic && rules.publicRequiresPkce) || requested;
}

/**
 * The token-endpoint authentication method of a client that names none.
 * @param {SettingsRules} rules
 * @param {boolean} isPublic
 */
export function defaultAuthMethod(rules, isPublic) {
  return isPublic ? rules.authMethods.public[0] : rules.defaultConfidentialAuthMethod;
}

/**
 * Every rule the server's settingsViolations applies to an OAuth 2.0 / OIDC client's settings
 * ({ type, isPublic, redirectUris, postLogoutRedirectUris, grantTypes, responseTypes }), in the
 * same order, as [{ rule, field, message }].
 * @param {OAuth2Settings} s
 * @param {SettingsRules} rules
 * @returns {SettingsViolation[]}
 */
export function settingsViolations(s, rules) {
  /** @type {SettingsViolation[]} */
  const problems = [];
  /**
   * @param {string} rule
   * @param {string} field
   * @param {string} message
   */
  const add = (rule, field, message) => problems.push({ rule, field, message });
  const allowedResponses = rules.responseTypes[s.type];
  const grants = new Set(s.grantTypes);
  const responses = s.responseTypes.map(normalizeResponseType);

  for (const g of s.grantTypes) {
    if (!rules.grantTypes.includes(g)) add('unknown_grant', 'grant_types', `unknown grant type "${g}"`);
  }
  if (grants.size !== s.grantTypes.length) add('duplicate_grants', 'grant_types', 'contains duplicates');
  const label = s.type === 'oidc' ? 'OpenID Connect' : 'OAuth 2.0';
  for (const r of responses) {
    if (!allowedResponses.includes(r)) {
      add('response_type_of_other_type', 'response_types', `"${r}" is not a response type of ${label} clients (allowed: ${allowedResponses.join(', ')})`);
    }
  }
  if (new Set(responses).size !== responses.length) add('duplicate_response_types', 'response_types', 'contains duplicates');

  const codeResponse = responses.some((r) => r.split(' ').includes('code'));
  if (codeResponse && !grants.has('authorization_code')) {
    add('code_response_needs_code_grant', 'response_types', 'a response type containing "code" needs the authorization_code grant');
  }
  if (grants.has('authorization_code') && !codeResponse) {
    add('code_grant_needs_code_response', 'grant_types', 'authorization_code needs a response type containing "code"');
  }
  if (grants.has('refresh_token') && grants.size === 1) add('refresh_token_alone', 'grant_types', 'refresh_token alone cannot obtain a first token');

  const usesAuthorizationEndpoint = responses.length > 0 || s.grantTypes.some((g) => rules.authorizationFlowGrants.includes(g));
  if (usesAuthorizationEndpoint && s.redirectUris.length === 0) {
    add('redirect_uri_required', 'redirect_uris', 'at least one redirect URI is required for an authorization flow');
  }
  /** @type {Array<[string, string[]]>} */
  const uriFields = [
    ['redirect_uris', s.redirectUris],
    ['post_logout_redirect_uris', s.postLogoutRedirectUris],
  ];
  for (const [field, uris] of uriFields) {
    if (uris.length > rules.maxUris) add('too_many_uris', field, `at most ${rules.maxUris} URIs`);
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) add('bad_uri', field, `"${truncate(uri)}" ${problem}`);
    }
    if (new Set(uris).size !== uris.length) add('duplicate_uris', field, 'contains duplicates');
  }
  if (s.type === 'oauth2' && s.postLogoutRedirectUris.length > 0) {
    add('post_logout_on_oauth2', 'post_logout_redirect_uris', 'only OpenID Connect clients have post-logout redirect URIs');
  }
  for (const g of rules.publicRefusedGrants) {
    if (grants.has(g) && !grantAllowedFor(rules, s.isPublic, g)) add('grant_refused_for_public', 'grant_types', `a public client cannot use the ${g} grant`);
  }
  if (s.grantTypes.length === 0) add('grant_required', 'grant_types', 'at least one grant type is required');
  return problems;
}
