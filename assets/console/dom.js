// @ts-check
// DOM helpers for the console. Every value reaches the page as text (textContent, setAttribute
// or a property), never through innerHTML, so names and URIs typed by anyone stay inert.

/**
 * What the server puts in #console-data (console-shell.ts, pageData).
 * @typedef {{
 *   page?: string, clientKey?: string, issuer?: string,
 *   user?: { username: string, displayName: string }, permissions?: string[],
 *   grantTypes?: string[], responseTypes?: Record<string, string[] | undefined>,
 *   roles?: Array<{ id: string, name: string, permissions: string[] }>,
 *   minSecretLength?: number, minPasswordLength?: number,
 *   directories?: Array<{ id: string, domain: string, name: string }>,
 * }} PageData
 */

/**
 * What h, append and replace take: text, nodes, and arrays of them; null, undefined and false are skipped.
 * @typedef {Node | string | number | boolean | null | undefined | Children} Child
 * @typedef {ReadonlyArray<Child>} Children
 */

/**
 * Creates an element: h('a', { href: '/x', class: 'y', onClick: fn }, 'text', child, [more]).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} props
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    else if (key === 'value' || key === 'checked' || key === 'indeterminate') /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * Appends strings (as text), nodes and nested arrays; skips null, undefined and false.
 * @template {Element} E
 * @param {E} parent
 * @param {readonly Child[]} children
 * @returns {E}
 */
export function append(parent, children) {
  for (const child of /** @type {readonly unknown[]} */ (children).flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/**
 * @template {Element} E
 * @param {E} el
 */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/**
 * Replaces the children, with the same rules as append (null, undefined and false are skipped).
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let seq = 0;
/**
 * A unique id for label/aria wiring.
 * @param {string} prefix
 */
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

/**
 * The page's data block rendered by the server (<script type="application/json" id="console-data">).
 * @returns {PageData}
 */
export function pageData() {
  const el = document.getElementById('console-data');
  return el ? JSON.parse(el.textContent || '{}') : {};
}

/**
 * Says something to screen reader users through the page's polite live region.
 * @param {string} message
 */
export function announce(message) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A fresh text node in a later task is announced even when the text repeats.
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * A <time> element for an ISO timestamp, or the fallback text when there is none.
 * @param {string | null | undefined} iso
 */
export function time(iso, fallback = 'Never') {
  if (!iso) return h('span', { class: 'muted' }, fallback);
  const d = new Date(iso);
  return h('time', { datetime: iso, title: d.toISOString() }, dateFormat.format(d));
}

/** @type {Record<string, string>} */
export const TYPE_LABEL = { oauth1: 'OAuth 1.0a', oauth2: 'OAuth 2.0', oidc: 'OpenID Connect' };

/** @type {Record<string, { icon: string, label: string }>} */
const STATUS = {
  pending: { icon: '◷', label: 'Pending' },
  approved: { icon: '✓', label: 'Approved' },
  disapproved: { icon: '✕', label: 'Disapproved' },
};

/**
 * Status badge: an icon and a word, so the status never rests on colour alone.
 * @param {string} status
 */
export function statusBadge(status) {
  const s = STATUS[status] ?? { icon: '?', label: String(status) };
  return h('span', { class: `badge badge-${status}` }, h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, s.icon), ` ${s.label}`);
}

/**
 * Short, readable names of grant types (the device grant's URN is long).
 * @param {string} grant
 */
export function grantLabel(grant) {
  return grant === 'urn:ietf:params:oauth:grant-type:device_code' ? 'device_code' : grant;
}

/**
 * Focuses an element that may have been re-rendered, found again by its data-focus-key.
 * @param {string | null | undefined} key
 * @param {HTMLElement | null} [fallback]
 */
export function focusByKey(key, fallback) {
  // Only focusable elements carry a data-focus-key.
  const el = key ? /** @type {HTMLElement | null} */ (document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)) : null;
  const target = el ?? fallback ?? document.getElementById('main');
  target?.focus();
}
