// @ts-check
// Approve, Disapprove, Remove and new-secret actions, each behind a confirmation dialog that says
// what will happen. Shared by the clients table and the detail view.
import { ApiError, api } from './api.js';
import { openClientForm } from './client-form.js';
import { confirmDialog } from './dialog.js';
import { announce, h } from './dom.js';
import { markedText, warningsBox, warningsOf } from './review.js';
import { markedString } from './review-marks.js';

/**
 * @typedef {import('./api.js').Client} Client
 * @typedef {{ trigger?: HTMLElement | null, focusKey?: string | null, after?: (updated: Client | null) => unknown }} ActionOptions
 */

/** @param {Client} client */
const path = (client) => `/admin/api/clients/${encodeURIComponent(client.client_key)}`;
/** @param {Pick<Client, 'type'>} client */
const noun = (client) => (client.type === 'oauth1' ? 'consumer' : 'client');

/**
 * @param {Client} client
 * @param {ActionOptions} options
 */
export function approveClient(client, { trigger, focusKey, after }) {
  return confirmDialog({
    title: ['Approve ', markedText(client.name), '?'],
    message: [
      warningsBox(warningsOf(client)),
      h('p', {}, 'Approving makes the key ', h('code', {}, client.client_key), ' usable at once:'),
      h(
        'ul',
        {},
        h('li', {}, 'users can sign in to this application and grant it access;'),
        h('li', {}, `the ${noun(client)} can obtain tokens with its secret.`),
      ),
      h('p', {}, 'You can disapprove it later, which cuts off everything it holds.'),
    ].filter(Boolean),
    confirmLabel: 'Approve',
    trigger,
    focusKey,
    action: async () => {
      /** @type {Client} */
      let updated;
      try {
        // Only the version this page showed is approved; the server refuses it once the client changed.
        updated = await api('POST', `${path(client)}/approve`, { version: client.version });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          throw new Error('This client changed after the page showed it, so it was not approved. Close this dialog, reload the page and review it again.');
        }
        throw err;
      }
      await after?.(updated);
      announce(`${markedString(client.name)} approved`);
    },
  });
}

/**
 * @param {Client} client
 * @param {ActionOptions} options
 */
export function disapproveClient(client, { trigger, focusKey, after }) {
  return confirmDialog({
    title: ['Disapprove ', markedText(client.name), '?'],
    message: [
      h('p', {}, 'Disapproving stops this key at once:'),
      h(
        'ul',
        {},
        h('li', {}, 'every access token, refresh token, authorization code and grant of it stops working immediately, on every server;'),
        h('li', {}, 'users cannot sign in to it and it cannot obtain new tokens until it is approved again.'),
      ),
      h('p', {}, 'The key and its settings are kept.'),
    ],
    confirmLabel: 'Disapprove and cut off',
    danger: true,
    trigger,
    focusKey,
    action: async () => {
      /** @type {Client} */
      const updated = await api('POST', `${path(client)}/disapprove`);
      await after?.(updated);
      announce(`${markedString(client.name)} disapproved`);
    },
  });
}

/**
 * @param {Client} client
 * @param {ActionOptions} options
 */
export function removeClient(client, { trigger, focusKey, after }) {
  return confirmDialog({
    title: ['Remove ', markedText(client.name), '?'],
    message: [
      h('p', {}, 'Removing deletes this ', noun(client), ' for good:'),
      h(
        'ul',
        {},
        h('li', {}, 'every token, code and grant it holds stops working at once;'),
        h('li', {}, 'the key ', h('code', {}, client.client_key), ' can never be used again, not even by a new client;'),
        h('li', {}, h('strong', {}, 'this cannot be undone.')),
      ),
    ],
    confirmLabel: 'Remove for good',
    danger: true,
    typeToConfirm: client.name,
    trigger,
    focusKey,
    action: async () => {
      await api('DELETE', path(client));
      await after?.(null);
      announce(`${markedString(client.name)} removed`);
    },
  });
}

/**
 * @param {Client} client
 * @param {ActionOptions} options
 */
export function editClient(client, { trigger, focusKey, after }) {
  return openClientForm({ mode: 'edit', client, trigger, focusKey, onSaved: (/** @type {Client} */ updated) => after?.(updated) });
}
