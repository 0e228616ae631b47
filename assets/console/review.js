// @ts-check
// What an administrator judges before approving a client, rendered: every stored field, each value
// with its hidden characters shown as ⟨U+XXXX⟩ and its hosts in punycode (review-marks.js), and
// the warnings these raise, collected so the page can list them above everything else.
import { h } from './dom.js';
import { hostReview, markText, textWarning } from './review-marks.js';

/**
 * A text with each hidden character shown as a highlighted ⟨U+XXXX⟩, isolated from the text around it.
 * @param {unknown} value
 */
export function markedText(value) {
  const { parts } = markText(value);
  return h(
    'bdi',
    { class: 'marked' },
    parts.map((p) => (p.mark ? h('span', { class: `char-mark char-${p.kind}`, title: p.name ? `${p.mark} ${p.name}` : p.mark }, `⟨${p.mark}⟩`) : p.text)),
  );
}

/**
 * Labels of the metadata a registrant sets (RFC 7591 §2, OIDC Registration §2), in the order shown.
 * @type {Record<string, string | undefined>}
 */
const LABELS = {
  client_name: 'Name',
  client_uri: 'Home page',
  logo_uri: 'Logo',
  policy_uri: 'Privacy policy',
  tos_uri: 'Terms of service',
  contacts: 'Contacts',
  scope: 'Requested scope',
  token_endpoint_auth_method: 'Token endpoint authentication',
  jwks_uri: 'Key set URI',
  jwks: 'Public keys',
  backchannel_logout_uri: 'Back-channel logout URI',
  backchannel_logout_session_required: 'Logout token carries sid',
  software_id: 'Software ID',
  software_version: 'Software version',
  application_type: 'Application type',
  subject_type: 'Subject type',
  id_token_signed_response_alg: 'ID token algorithm',
  access_token_signed_response_alg: 'Access token algorithm',
  require_auth_time: 'ID tokens carry auth_time',
};
const ORDER = Object.keys(LABELS);
/** Server bookkeeping about the registration itself, shown apart. */
const BOOKKEEPING = 'registration';
const URI_FIELD = /(?:^|_)uris?$/;
/** Longest JSON shown inline; the admin API has the whole value. */
const MAX_JSON = 16_000;

/** @param {string} key */
const baseOf = (key) => key.split('#')[0] ?? key;

/** Collects the warnings of one rendering. */
export class Review {
  constructor() {
    /** @type {Array<{ field: string, message: string }>} */
    this.warnings = [];
  }

  /**
   * @param {string} field
   * @param {string | null | undefined} message
   */
  warn(field, message) {
    if (message && !this.warnings.some((w) => w.field === field && w.message === message)) this.warnings.push({ field, message });
  }

  /**
   * A registrant's text: marked, with a warning when it hides characters.
   * @param {string} field
   * @param {unknown} value
   */
  text(field, value) {
    this.warn(field, textWarning(value));
    return markedText(value);
  }

  /**
   * A URI: marked, with its host in punycode when it is not plain ASCII as written.
   * @param {string} field
   * @param {unknown} value
   */
  uri(field, value) {
    this.warn(field, textWarning(value));
    const host = hostReview(value);
    for (const message of host?.warnings ?? []) this.warn(field, message);
    return h(
      'span',
      { class: 'review-uri' },
      h('code', {}, markedText(value)),
      host && (host.idn || host.rewritten)
        ? h('span', { class: 'host-line' }, 'host as the server reads it: ', h('code', { class: 'punycode' }, host.host))
        : null,
      host?.warnings.length ? h('span', { class: 'warning-inline host-warning' }, host.warnings.join('; ')) : null,
    );
  }

  /**
   * A list of texts or URIs.
   * @param {string} field
   * @param {readonly string[]} values
   * @param {boolean} asUri
   */
  list(field, values, asUri) {
    if (values.length === 0) return h('span', { class: 'muted' }, 'None');
    return h(
      'ul',
      { class: 'plain-list' },
      values.map((v) => h('li', {}, asUri ? this.uri(field, v) : this.text(field, v))),
    );
  }

  /**
   * Any stored value: strings, lists, flags and JSON objects (pretty-printed, bounded).
   * @param {string} field
   * @param {unknown} value
   * @returns {import('./dom.js').Child}
   */
  value(field, value) {
    const asUri = URI_FIELD.test(baseOf(field));
    if (typeof value === 'string') return asUri ? this.uri(field, value) : this.text(field, value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return this.list(field, value, asUri);
    if (typeof value === 'boolean' || typeof value === 'number') return h('code', {}, String(value));
    if (value === null || value === undefined) return h('span', { class: 'muted' }, 'None');
    let json = JSON.stringify(value, null, 2) ?? '';
    const more = json.length - MAX_JSON;
    if (more > 0) json = json.slice(0, MAX_JSON);
    // Raw line breaks are the pretty-printing's own (JSON escapes those inside strings).
    const lines = json.split('\n').map((line, i) => [i > 0 ? '\n' : '', this.text(field, line)]);
    return [
      h('pre', { class: 'json-value', tabindex: '0' }, lines),
      more > 0 ? h('p', { class: 'hint' }, `${more.toLocaleString()} more characters are not shown here; the admin API returns the whole value.`) : null,
    ];
  }
}

/**
 * Every metadata key of a client, in the order a reviewer reads them: known fields, their language variants, the rest.
 * @param {Record<string, unknown> | null | undefined} metadata
 */
export function metadataKeys(metadata) {
  const keys = Object.keys(metadata ?? {}).filter((k) => k !== BOOKKEEPING);
  /** @param {string} k */
  const rank = (k) => {
    const i = ORDER.indexOf(baseOf(k));
    return i < 0 ? ORDER.length : i;
  };
  return keys.sort((a, b) => rank(a) - rank(b) || (a.includes('#') ? 1 : 0) - (b.includes('#') ? 1 : 0) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The label of a metadata key: "Logo (fr)" for logo_uri#fr, the key itself for one Latchkey does not know.
 * @param {string} key
 */
export function fieldLabel(key) {
  const [base = key, tag] = key.split('#');
  const label = LABELS[base] ?? base;
  return tag ? `${label} (${tag})` : label;
}

/**
 * Rows [label node, value node] for every stored metadata member of a client.
 * @param {Review} review
 * @param {Record<string, unknown>} metadata
 * @returns {Array<[import('./dom.js').Child, import('./dom.js').Child]>}
 */
export function metadataRows(review, metadata) {
  return metadataKeys(metadata).map((key) => [h('span', {}, fieldLabel(key), ' ', h('code', { class: 'field-name' }, key)), review.value(key, metadata[key])]);
}

/**
 * Rows for the server's record of the registration (who registered it, from where, when).
 * @param {Review} review
 * @param {unknown} registration
 * @returns {Array<[import('./dom.js').Child, import('./dom.js').Child]>}
 */
export function registrationRows(review, registration) {
  if (typeof registration !== 'object' || registration === null) return [];
  /** @type {Record<string, string | undefined>} */
  const labels = {
    source_address: 'Registered from',
    user_agent: 'User agent',
    registered_at: 'Registered at',
    updated_at: 'Last updated at',
    updated_from: 'Last updated from',
    initial_access_token: 'Initial access token',
    name_defaulted: 'Name chosen by the server',
    ignored_fields: 'Ignored members',
  };
  return Object.entries(registration)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [labels[k] ?? k, review.value(`registration.${k}`, v)]);
}

/**
 * The warnings of a review, listed: the first thing a reviewer sees.
 * @param {Review} review
 */
export function warningsBox(review) {
  if (review.warnings.length === 0) return null;
  return h(
    'div',
    { class: 'review-warnings', role: 'status' },
    h('p', {}, h('strong', {}, 'Check before approving: '), 'some values hide characters or use look-alike hosts. They are marked below.'),
    h(
      'ul',
      {},
      review.warnings.map((w) => h('li', {}, h('code', {}, w.field), `: ${w.message}`)),
    ),
  );
}

/**
 * The warnings a client's stored values raise, without rendering them anywhere.
 * @param {Partial<import('./api.js').Client>} client
 */
export function warningsOf(client) {
  const review = new Review();
  review.text('client_name', client.name ?? '');
  for (const u of client.redirect_uris ?? []) review.uri('redirect_uris', u);
  for (const u of client.post_logout_redirect_uris ?? []) review.uri('post_logout_redirect_uris', u);
  if (client.callback_url) review.uri('callback_url', client.callback_url);
  metadataRows(review, client.metadata ?? {});
  registrationRows(review, client.metadata?.registration);
  return review;
}
