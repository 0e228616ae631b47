// @ts-check
// A client's detail view: its settings, status history (who approved or disapproved it, when),
// recent failed requests with their reason, recent sign-ins and token requests, settings changes.
import { api } from './api.js';
import { approveClient, disapproveClient, editClient, removeClient } from './client-actions.js';
import { announce, grantLabel, h, pageData, replace, statusBadge, TYPE_LABEL, time } from './dom.js';
import { metadataRows, Review, registrationRows, warningsBox } from './review.js';
import { markedString } from './review-marks.js';
import { copyButton } from './widgets.js';

/** @type {Record<string, string | undefined>} */
const ACTION_LABEL = {
  'client.create': 'Created (pending approval)',
  'client.register': 'Registered itself (pending approval)',
  'client.approve': 'Approved',
  'client.disapprove': 'Disapproved',
  'client.pending': 'Set back to pending',
  'client.remove': 'Removed',
  'client.update': 'Settings changed',
  'client.request_failed': 'Request refused',
  'consent.grant': 'User granted access',
  'consent.revoke': 'User revoked access',
};

/** @param {string} action */
function label(action) {
  return ACTION_LABEL[action] ?? action;
}

/**
 * The details of an event as "key: value" text (secrets are never recorded in the audit log).
 * @param {Record<string, unknown>} details
 * @param {readonly string[]} [skip]
 */
export function detailText(details, skip = []) {
  return Object.entries(details ?? {})
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

/**
 * @param {string} caption
 * @param {readonly string[]} columns
 * @param {ReadonlyArray<readonly import('./dom.js').Child[]>} rows
 * @param {string} empty
 */
function eventTable(caption, columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    { class: 'data-table compact-table' },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((cell, i) => h('td', { dataset: { label: columns[i] } }, cell)),
        ),
      ),
    ),
  );
}

/**
 * @param {string} id
 * @param {string} title
 * @param {...import('./dom.js').Child} content
 */
function section(id, title, ...content) {
  return h('section', { class: 'card detail-section', 'aria-labelledby': id }, h('h2', { id }, title), content);
}

/** @param {HTMLElement} view */
export function start(view) {
  const key = pageData().clientKey;
  const base = `/admin/api/clients/${encodeURIComponent(String(key))}`;

  /** @param {string} [focusKey] */
  async function load(focusKey) {
    view.setAttribute('aria-busy', 'true');
    /** @type {import('./api.js').Client} */
    let client;
    /** @type {import('./api.js').ClientActivity} */
    let activity;
    try {
      [client, activity] = await Promise.all([
        /** @type {Promise<import('./api.js').Client>} */ (api('GET', base)),
        /** @type {Promise<import('./api.js').ClientActivity>} */ (api('GET', `${base}/activity`)),
      ]);
    } catch (e) {
      const err = /** @type {import('./api.js').ApiError} */ (e);
      view.removeAttribute('aria-busy');
      if (err.status === 404) {
        document.title = 'Client not found · Latchkey admin';
        view.replaceChildren(
          h('h1', {}, 'Client not found'),
          h(
            'p',
            {},
            'No client has the key ',
            h('code', {}, key),
            '. It may have been removed; removals are listed in the ',
            h('a', { href: '/admin/audit' }, 'audit log'),
            '.',
          ),
          h('p', {}, h('a', { href: '/admin/clients' }, 'Back to OAuth clients')),
        );
      } else {
        view.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load the client: ${err.message}`));
      }
      return;
    }
    view.removeAttribute('aria-busy');
    render(client, activity);
    if (focusKey) /** @type {HTMLElement | null} */ (document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`))?.focus();
  }

  /**
   * @param {import('./api.js').Client} c
   * @param {import('./api.js').ClientActivity} activity
   */
  function render(c, activity) {
    const oauth1 = c.type === 'oauth1';
    document.title = `${markedString(c.name)} · Latchkey admin`;
    const crumb = document.querySelector('.breadcrumb [aria-current="page"]');
    if (crumb) crumb.textContent = markedString(c.name);
    // Every value a registrant chose goes through the review, which marks it and collects warnings.
    const review = new Review();
    const title = review.text('client_name', c.name);
    /** @param {import('./api.js').Client | null} updated */
    const after = async (updated) => {
      if (updated === null) {
        location.assign(`/admin/clients?type=${c.type}`);
        return;
      }
      await load();
    };
    /**
     * @param {string} text
     * @param {string} focusKey
     * @param {(button: HTMLButtonElement) => unknown} run
     * @param {string} [cls]
     */
    const button = (text, focusKey, run, cls) => {
      const b = h('button', { type: 'button', class: cls ?? '', dataset: { focusKey } }, text);
      b.addEventListener('click', () => run(b));
      return b;
    };
    const actions = h(
      'div',
      { class: 'actions detail-actions' },
      button('Edit', 'd-edit', (trigger) => editClient(c, { trigger, focusKey: 'd-edit', after })),
      c.status !== 'approved' ? button('Approve', 'd-approve', (trigger) => approveClient(c, { trigger, focusKey: 'd-status', after }), 'primary') : null,
      c.status !== 'disapproved' ? button('Disapprove', 'd-disapprove', (trigger) => disapproveClient(c, { trigger, focusKey: 'd-status', after })) : null,
      button('Remove', 'd-remove', (trigger) => removeClient(c, { trigger, focusKey: 'd-remove', after }), 'danger-outline'),
    );

    const settings = [
      [oauth1 ? 'Consumer key' : 'Client key', h('span', { class: 'copy-row' }, h('code', {}, c.client_key), copyButton(c.client_key, 'key'))],
      ['Type', TYPE_LABEL[c.type]],
      [
        'Status',
        h(
          'span',
          { tabindex: '-1', dataset: { focusKey: 'd-status' } },
          statusBadge(c.status),
          c.status_changed_at ? [' since ', time(c.status_changed_at), c.status_changed_by ? ` by ${c.status_changed_by}` : ''] : '',
        ),
      ],
      oauth1 ? null : ['Kind', c.public ? 'Public (no secret, PKCE required)' : 'Confidential'],
      ['Secret', c.has_secret ? 'Set (shown only when created or changed)' : 'None'],
      oauth1 ? ['Callback URL', c.callback_url ? review.uri('callback_url', c.callback_url) : h('span', { class: 'muted' }, 'set per request')] : null,
      oauth1 ? ['RSA public key', c.rsa_public_key ? 'Registered (RSA-SHA1 allowed)' : 'None'] : null,
      oauth1 ? null : ['Redirect URIs', review.list('redirect_uris', c.redirect_uris, true)],
      c.type === 'oidc' && c.post_logout_redirect_uris.length
        ? ['Post-logout redirect URIs', review.list('post_logout_redirect_uris', c.post_logout_redirect_uris, true)]
        : null,
      oauth1 ? null : ['Grant types', c.grant_types.map(grantLabel).join(', ') || 'None'],
      oauth1 ? null : ['Response types', c.response_types.join(', ') || 'None'],
      oauth1 ? null : ['PKCE', c.require_pkce ? 'Required' : 'Optional'],
      oauth1
        ? null
        : ['Resource server', c.resource_server ? 'Yes: may introspect access tokens issued to other clients' : 'No: introspects only its own tokens'],
      ['Created', [time(c.created_at), c.created_via && c.created_via !== 'admin' ? ` (via ${c.created_via})` : '']],
      ['Last changed', [time(c.updated_at), ` (version ${c.version})`]],
      ['Last used', time(c.last_used_at, 'Never')],
    ].filter((row) => row !== null);

    const statusRows = activity.status_history.map((e) => [
      time(e.at),
      h('span', { class: 'event-label' }, label(e.action)),
      e.actor,
      h('span', { class: 'muted' }, e.source),
    ]);
    const failureRows = activity.failed_requests.map((e) => [
      time(e.at),
      h('span', { class: 'reason' }, e.reason ?? detailText(e.details) ?? ''),
      h('span', { class: 'muted' }, detailText(e.details, ['reason'])),
      h('span', { class: 'muted' }, e.source),
    ]);
    const useRows = activity.sign_ins.map((e) => [time(e.at), label(e.action), e.actor, h('span', { class: 'muted' }, detailText(e.details))]);
    const changeRows = activity.changes.map((e) => [
      time(e.at),
      e.actor,
      [
        Array.isArray(e.details.changed) && e.details.changed.length ? e.details.changed.join(', ') : '',
        e.details.secret_changed ? (Array.isArray(e.details.changed) && e.details.changed.length ? ', secret' : 'secret') : '',
      ].join('') || label(e.action),
    ]);

    // Every stored metadata member, and the server's record of the registration.
    const metadata = metadataRows(review, c.metadata ?? {});
    const registration = registrationRows(review, c.metadata?.registration);
    /** @param {ReadonlyArray<readonly [import('./dom.js').Child, import('./dom.js').Child]>} rows */
    const settingsList = (rows) =>
      h(
        'dl',
        { class: 'settings' },
        rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      );

    replace(
      view,
      h('div', { class: 'detail-head' }, h('h1', { class: 'client-title' }, h('span', { class: 'client-name' }, title), ' ', statusBadge(c.status)), actions),
      warningsBox(review),
      c.status === 'pending'
        ? h('p', { class: 'notice' }, 'This key waits for approval: nobody can sign in to it and it cannot obtain tokens until it is approved.')
        : null,
      c.status === 'disapproved' ? h('p', { class: 'notice' }, 'This key is disapproved: every token it held was cut off and it cannot be used.') : null,
      c.unreadable_fields?.length
        ? h(
            'p',
            { class: 'notice', role: 'status' },
            `Stored settings could not be read and show as empty: ${c.unreadable_fields.join(', ')}. The server log names this key. Saving the client writes the empty values.`,
          )
        : null,
      h(
        'div',
        { class: 'detail-grid' },
        section(
          'settings-title',
          'Settings',
          h(
            'dl',
            { class: 'settings' },
            settings.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
          ),
        ),
        section(
          'history-title',
          'Status history',
          eventTable('Status history, newest first', ['When', 'Change', 'By', 'From'], statusRows, 'No status changes recorded.'),
        ),
      ),
      section(
        'metadata-title',
        'Metadata',
        h(
          'p',
          { class: 'hint' },
          'Every value stored with this key, as sent. Hidden characters show as ⟨U+…⟩; hosts that are not plain ASCII show as the server reads them.',
        ),
        metadata.length ? settingsList(metadata) : h('p', { class: 'muted' }, 'No metadata stored.'),
        registration.length ? [h('h3', {}, 'Registration'), settingsList(registration)] : null,
      ),
      section(
        'failures-title',
        'Recent failed requests',
        h('p', { class: 'hint' }, 'Requests Latchkey refused for this key, with the reason, newest first. Tell the developer what to fix.'),
        eventTable('Recent failed requests', ['When', 'Reason', 'Details', 'From'], failureRows, 'No failed requests recorded.'),
      ),
      section(
        'signins-title',
        'Recent sign-ins and token requests',
        eventTable('Recent sign-ins and token requests', ['When', 'Event', 'User', 'Details'], useRows, 'No sign-ins recorded yet.'),
      ),
      section('changes-title', 'Settings changes', eventTable('Settings changes', ['When', 'By', 'Changed'], changeRows, 'No changes since creation.')),
    );
    announce(`${markedString(c.name)}: ${c.status}`);
  }

  load();
}
