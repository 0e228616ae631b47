// @ts-check
// The audit log: every administrative action, newest first, filterable by action, actor and target.
import { api, query } from './api.js';
import { h, time } from './dom.js';
import { renderPager } from './widgets.js';

const KNOWN_ACTIONS = [
  'client.create',
  'client.update',
  'client.approve',
  'client.disapprove',
  'client.pending',
  'client.remove',
  'client.request_failed',
  'consent.revoke',
  'signin.failed',
  'user.create',
  'user.update',
  'user.set_password',
];

/** @param {Record<string, unknown>} details */
function detailText(details) {
  return Object.entries(details ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

/** @param {HTMLElement} view */
export function start(view) {
  const p = new URLSearchParams(location.search);
  const state = {
    action: p.get('action') ?? '',
    actor: p.get('actor') ?? '',
    target: p.get('target') ?? '',
    limit: 50,
    offset: Math.max(0, Number.parseInt(p.get('offset') ?? '0', 10) || 0),
  };

  /**
   * @param {string} id
   * @param {string} labelText
   * @param {string} value
   */
  const input = (id, labelText, value, extra = {}) => {
    const el = h('input', { type: 'text', id, name: id, value, autocomplete: 'off', spellcheck: 'false', ...extra });
    return { el, node: h('div', { class: 'field' }, h('label', { for: id }, labelText), el) };
  };
  const action = input('filter-action', 'Action', state.action, { list: 'audit-actions', placeholder: 'e.g. client.approve' });
  const actor = input('filter-actor', 'Actor (username)', state.actor);
  const target = input('filter-target', 'Target (client key or username)', state.target);
  const datalist = h(
    'datalist',
    { id: 'audit-actions' },
    KNOWN_ACTIONS.map((a) => h('option', { value: a })),
  );
  const clearButton = h('button', { type: 'button' }, 'Clear');
  const form = h(
    'form',
    { class: 'toolbar audit-filters', role: 'search', 'aria-label': 'Filter the audit log' },
    action.node,
    actor.node,
    target.node,
    datalist,
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), clearButton),
  );
  const summary = h('p', { class: 'table-summary', 'aria-live': 'polite', tabindex: '-1' });
  const host = h('div', { class: 'table-host' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of the audit log' });
  view.replaceChildren(form, summary, host, pager);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.action = action.el.value.trim();
    state.actor = actor.el.value.trim();
    state.target = target.el.value.trim();
    state.offset = 0;
    load().then(() => summary.focus());
  });
  clearButton.addEventListener('click', () => {
    action.el.value = '';
    actor.el.value = '';
    target.el.value = '';
    form.requestSubmit();
  });

  async function load() {
    history.replaceState(
      null,
      '',
      `${location.pathname}${query({ action: state.action, actor: state.actor, target: state.target, offset: state.offset || '' })}`,
    );
    /** @type {import('./api.js').Page<import('./api.js').AuditEntry>} */
    let page;
    try {
      page = await api(
        'GET',
        `/admin/api/audit${query({ action: state.action, actor: state.actor, target: state.target, limit: state.limit, offset: state.offset })}`,
      );
    } catch (err) {
      host.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load the audit log: ${/** @type {Error} */ (err).message}`));
      return;
    }
    const from = page.total === 0 ? 0 : state.offset + 1;
    summary.textContent =
      page.total === 0
        ? 'No events match.'
        : `Showing ${from.toLocaleString()}–${(state.offset + page.items.length).toLocaleString()} of ${page.total.toLocaleString()}, newest first`;
    const columns = ['When', 'Actor', 'Action', 'Target', 'Source', 'Details'];
    host.replaceChildren(
      page.total === 0
        ? ''
        : h(
            'table',
            { class: 'data-table audit-table' },
            h('caption', { class: 'visually-hidden' }, 'Audit events, newest first'),
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
              page.items.map((e) => {
                const targetCell =
                  e.targetType === 'client' && e.target
                    ? h('a', { href: `/admin/clients/${encodeURIComponent(e.target)}` }, h('code', {}, e.target))
                    : e.target
                      ? h('code', {}, e.target)
                      : h('span', { class: 'muted' }, '—');
                const cells = [
                  time(e.at),
                  e.actor,
                  h('code', { class: 'action' }, e.action),
                  [h('span', { class: 'muted' }, `${e.targetType} `), targetCell],
                  h('span', { class: 'muted' }, e.source),
                  h('span', { class: 'details' }, detailText(e.details)),
                ];
                return h(
                  'tr',
                  {},
                  cells.map((c, i) => h('td', { dataset: { label: columns[i] } }, c)),
                );
              }),
            ),
          ),
    );
    renderPager(pager, state, page.total, { previous: '‹ Newer', next: 'Older ›' }, () => load().then(() => summary.focus()));
  }

  load();
}
