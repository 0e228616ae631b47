// Generated from src/core/clients/console-rules.ts by scripts/console-rules.mjs; do not edit.

// src/core/clients/redirect-uri.ts
function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
var MAX_URI_LENGTH = 2e3;
var DANGEROUS_SCHEMES = /* @__PURE__ */ new Set(["javascript:", "data:", "vbscript:", "file:", "blob:", "about:"]);
var PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/;
function absoluteUri(value) {
  if (value.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  let url;
  try {
    url = new URL(value);
  } catch {
    return "is not an absolute URI";
  }
  if (value.includes("#")) return "must not contain a fragment";
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  return url;
}
function redirectUriProblem(value) {
  const url = absoluteUri(value);
  if (typeof url === "string") return url;
  if (DANGEROUS_SCHEMES.has(url.protocol)) return `uses the forbidden scheme ${url.protocol}`;
  if (url.protocol === "https:") return url.hostname ? null : "has no host";
  if (url.protocol === "http:") {
    return isLoopbackHost(url.hostname) ? null : "uses http on a host that is not loopback (use https)";
  }
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return null;
  return `uses the scheme ${url.protocol} which is neither https, loopback http nor a private-use scheme`;
}

// src/core/bounded-json.ts
var METADATA_BOUNDS = { depth: 16, members: 500, bytes: 48 * 1024 };
var STORED_JSON_BOUNDS = { depth: 32, members: 1e4, bytes: 1024 * 1024 };

// src/core/oauth2/client-auth/types.ts
var CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"];

// src/core/one-of.ts
function isOneOf(values, value) {
  return values.includes(value);
}

// src/core/clients/client.ts
var DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
var GRANT_TYPES = ["authorization_code", "password", "refresh_token", DEVICE_CODE_GRANT, "client_credentials"];
var OAUTH2_RESPONSE_TYPES = ["code", "token"];
var OIDC_RESPONSE_TYPES = ["code", "code id_token", "code id_token token", "code token", "id_token", "id_token token"];
function responseTypesFor(type) {
  return type === "oauth2" ? OAUTH2_RESPONSE_TYPES : OIDC_RESPONSE_TYPES;
}
function normalizeResponseType(value) {
  const parts = value.split(" ").filter((p) => p !== "");
  const order = ["code", "id_token", "token"];
  parts.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return parts.join(" ");
}

// src/core/clients/settings.ts
var DEFAULT_GRANT_TYPES = ["authorization_code", "refresh_token"];
var DEFAULT_RESPONSE_TYPES = ["code"];
var CLIENT_SETTINGS_RULES = {
  grantTypes: GRANT_TYPES,
  responseTypes: { oauth2: OAUTH2_RESPONSE_TYPES, oidc: OIDC_RESPONSE_TYPES },
  defaultGrantTypes: DEFAULT_GRANT_TYPES,
  defaultResponseTypes: DEFAULT_RESPONSE_TYPES,
  /** Grants that move a user through the authorization endpoint, and so need a redirect URI. */
  authorizationFlowGrants: ["authorization_code"],
  /** Public clients cannot authenticate (RFC 6749 §2.1): grants resting on client credentials are refused. */
  publicRefusedGrants: ["password", "client_credentials"],
  /** RFC 9700 §2.1.1: a public client always uses PKCE. */
  publicRequiresPkce: true,
  /** How each kind of client authenticates at the token endpoint (RFC 7591 §2, RFC 6749 §2.3). */
  authMethods: {
    public: CLIENT_AUTH_METHODS.filter((m) => m === "none"),
    confidential: CLIENT_AUTH_METHODS.filter((m) => m !== "none")
  },
  /** RFC 7591 §2: what a confidential client uses when it names no method. */
  defaultConfidentialAuthMethod: "client_secret_basic",
  maxUris: 50
};
function defaultAuthMethod(isPublic) {
  return isPublic ? "none" : CLIENT_SETTINGS_RULES.defaultConfidentialAuthMethod;
}
function requiresPkce(isPublic, requested) {
  return isPublic && CLIENT_SETTINGS_RULES.publicRequiresPkce || requested;
}
function grantAllowedFor(isPublic, grant) {
  return !(isPublic && isOneOf(CLIENT_SETTINGS_RULES.publicRefusedGrants, grant));
}
function isKnownGrantType(grant) {
  return isOneOf(GRANT_TYPES, grant);
}
function clientTypeLabel(type) {
  return type === "oidc" ? "OpenID Connect" : "OAuth 2.0";
}
function settingsViolations(s) {
  const problems = [];
  const add = (rule, field, message) => problems.push({ rule, field, message });
  const allowedResponses = responseTypesFor(s.type);
  const grants = new Set(s.grantTypes);
  const responses = s.responseTypes.map(normalizeResponseType);
  for (const g of s.grantTypes) {
    if (!isKnownGrantType(g)) add("unknown_grant", "grant_types", `unknown grant type "${g}"`);
  }
  if (grants.size !== s.grantTypes.length) add("duplicate_grants", "grant_types", "contains duplicates");
  for (const r of responses) {
    if (!allowedResponses.includes(r)) {
      add(
        "response_type_of_other_type",
        "response_types",
        `"${r}" is not a response type of ${clientTypeLabel(s.type)} clients (allowed: ${allowedResponses.join(", ")})`
      );
    }
  }
  if (new Set(responses).size !== responses.length) add("duplicate_response_types", "response_types", "contains duplicates");
  const codeResponse = responses.some((r) => r.split(" ").includes("code"));
  if (codeResponse && !grants.has("authorization_code")) {
    add("code_response_needs_code_grant", "response_types", 'a response type containing "code" needs the authorization_code grant');
  }
  if (grants.has("authorization_code") && !codeResponse) {
    add("code_grant_needs_code_response", "grant_types", 'authorization_code needs a response type containing "code"');
  }
  if (grants.has("refresh_token") && grants.size === 1) add("refresh_token_alone", "grant_types", "refresh_token alone cannot obtain a first token");
  const flowGrants = CLIENT_SETTINGS_RULES.authorizationFlowGrants;
  const usesAuthorizationEndpoint = responses.length > 0 || s.grantTypes.some((g) => flowGrants.includes(g));
  if (usesAuthorizationEndpoint && s.redirectUris.length === 0) {
    add("redirect_uri_required", "redirect_uris", "at least one redirect URI is required for an authorization flow");
  }
  checkUris("redirect_uris", s.redirectUris, add);
  checkUris("post_logout_redirect_uris", s.postLogoutRedirectUris, add);
  if (s.type === "oauth2" && s.postLogoutRedirectUris.length > 0) {
    add("post_logout_on_oauth2", "post_logout_redirect_uris", "only OpenID Connect clients have post-logout redirect URIs");
  }
  for (const g of CLIENT_SETTINGS_RULES.publicRefusedGrants) {
    if (grants.has(g) && !grantAllowedFor(s.isPublic, g)) add("grant_refused_for_public", "grant_types", `a public client cannot use the ${g} grant`);
  }
  if (s.grantTypes.length === 0) add("grant_required", "grant_types", "at least one grant type is required");
  return problems;
}
function checkUris(field, uris, add) {
  if (uris.length > CLIENT_SETTINGS_RULES.maxUris) add("too_many_uris", field, `at most ${CLIENT_SETTINGS_RULES.maxUris} URIs`);
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) add("bad_uri", field, `"${truncate(uri)}" ${problem}`);
  }
  if (new Set(uris).size !== uris.length) add("duplicate_uris", field, "contains duplicates");
}
function truncate(value, max = 120) {
  return value.length > max ? `${value.slice(0, max)}\u2026` : value;
}

// src/core/clients/console-rules.ts
function uriList(text) {
  return text.split("\n").map((s) => s.trim()).filter((s) => s !== "");
}
function redirectUriLines(text) {
  const problems = [];
  const seen = /* @__PURE__ */ new Map();
  text.split("\n").forEach((raw, i) => {
    const uri = raw.trim();
    if (uri === "") return;
    const problem = redirectUriProblem(uri);
    const first = seen.get(uri);
    if (problem) problems.push({ line: i + 1, uri, message: problem });
    else if (first !== void 0) problems.push({ line: i + 1, uri, message: `repeats line ${first}` });
    if (first === void 0) seen.set(uri, i + 1);
  });
  return problems;
}
export {
  CLIENT_SETTINGS_RULES,
  defaultAuthMethod,
  grantAllowedFor,
  redirectUriLines,
  redirectUriProblem,
  requiresPkce,
  settingsViolations,
  uriList
};
