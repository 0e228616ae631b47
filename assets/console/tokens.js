// @ts-check
// Access tokens (for holders of manage_users): every user's personal access tokens — name, owner,
// scopes, creation, last use and expiry, never a value — and revoking any of them.
import { ApiError, api, query } from './api.js';
import { confirmDialog } from './dialog.js';
import { announce, h, time } from './dom.js';
import { dataTable, menuButton, onSearchInput, renderPager } from './widgets.js';

/** @typedef {import('./api.js').PersonalAccessToken} PersonalAccessToken */

/** @type {Record<PersonalAccessToken['status'], string>} */
const STATUS_LABEL = { active: '✓ Active', expired: '◷ Expired', revoked: '✕ Revoked' };

/** @param {HTMLElement} view */
export function start(view) {
  const params = new URLSearchParams(location.search);
  const state = { user: params.get('user') ?? '', active: params.get('active') === 'true', limit: 50, offset: 0 };
  const user = h('input', { type: 'search', id: 'token-user', value: state.user, autocomplete: 'off', spellcheck: 'false' });
  const active = h('input', { type: 'checkbox', id: 'token-active', checked: state.active });
  const summary = h('p', { class: 'table-summary', 'aria-live': 'polite', tabindex: '-1' });
  const host = h('div', { class: 'table-host' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of tokens' });
  view.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field grow' }, h('label', { for: 'token-user' }, 'Owner (exact username)'), user),
      h('div', { class: 'choice' }, active, h('label', { for: 'token-active' }, 'Active only')),
    ),
    summary,
    host,
    pager,
  );
  onSearchInput(user, (text) => {
    state.user = text.trim();
    state.offset = 0;
    load();
  });
  active.addEventListener('change', () => {
    state.active = active.checked;
    state.offset = 0;
    load();
  });

  let seq = 0;
  async function load() {
    history.replaceState(null, '', `${location.pathname}${query({ user: state.user, active: state.active ? 'true' : '' })}`);
    const mine = ++seq;
    /** @type {import('./api.js').Page<PersonalAccessToken>} */
    let page;
    try {
      page = await api('GET', `/admin/api/tokens${query({ user: state.user, active: state.active ? 'true' : '', limit: state.limit, offset: state.offset })}`);
    } catch (err) {
      if (mine !== seq) return;
      const unknownUser = err instanceof ApiError && err.status === 404;
      host.replaceChildren(
        h(
          'p',
          { class: unknownUser ? 'muted' : 'form-error', role: 'alert' },
          unknownUser ? `No user is named “${state.user}”.` : `Could not load tokens: ${/** @type {Error} */ (err).message}`,
        ),
      );
      summary.textContent = '';
      pager.replaceChildren();
      return;
    }
    if (mine !== seq) return;
    summary.textContent = page.total === 0 ? 'No tokens match.' : `${page.total.toLocaleString()} ${page.total === 1 ? 'token' : 'tokens'}`;
    const columns = ['Name', 'Owner', 'Scopes', 'Created', 'Last used', 'Expires', 'Status', 'Actions'];
    host.replaceChildren(
      page.total === 0 ? '' : dataTable({ className: 'tokens-table', caption: 'Personal access tokens', columns, rows: page.items.map(cellsOf) }),
    );
    renderPager(pager, state, page.total, { previous: '‹ Previous', next: 'Next ›' }, () => load().then(() => summary.focus()));
  }

  /** @param {PersonalAccessToken} t */
  function cellsOf(t) {
    const focusKey = `token:${t.id}`;
    const owner = t.username ?? '(removed user)';
    const statusCell =
      t.status === 'revoked' && t.revoked_by
        ? h('td', {}, STATUS_LABEL[t.status], h('div', { class: 'muted small' }, `by ${t.revoked_by}`))
        : h('td', {}, STATUS_LABEL[t.status] ?? t.status);
    return [
      h('th', { scope: 'row' }, t.name),
      h('td', {}, owner),
      h('td', {}, t.scopes.length ? t.scopes.map((s) => h('code', { class: 'scope' }, s)) : h('span', { class: 'muted' }, 'none')),
      h('td', {}, time(t.created_at)),
      h('td', {}, time(t.last_used_at)),
      h('td', {}, time(t.expires_at)),
      statusCell,
      h(
        'td',
        { class: 'actions-cell' },
        t.status === 'active'
          ? menuButton({
              label: '⋯',
              accessibleName: `Actions for ${t.name} of ${owner}`,
              items: [{ label: 'Revoke', danger: true, onSelect: (trigger) => revoke(t, owner, trigger, focusKey) }],
              focusKey,
            })
          : '',
      ),
    ];
  }

  /** @param {PersonalAccessToken} t @param {string} owner @param {HTMLElement} trigger @param {string} focusKey */
  function revoke(t, owner, trigger, focusKey) {
    return confirmDialog({
      title: `Revoke the token ${t.name} of ${owner}?`,
      message: 'Scripts using it are refused from their next request, on every instance. This cannot be undone; the owner can create a new token.',
      confirmLabel: 'Revoke token',
      danger: true,
      trigger,
      focusKey,
      action: async () => {
        await api('DELETE', `/admin/api/tokens/${encodeURIComponent(t.id)}`);
        await load();
        announce(`Revoked the token ${t.name} of ${owner}.`);
      },
    });
  }

  load();
}
