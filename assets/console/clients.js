// @ts-check
// Settings → OAuth clients: one tab per client type with its pending count, and the data table of
// keys (sortable, filterable by status, searchable, paged on the server through limit/offset).
import { api, query } from './api.js';
import { approveClient, disapproveClient, editClient, removeClient } from './client-actions.js';
import { openClientForm } from './client-form.js';
import { announce, grantLabel, h, statusBadge, TYPE_LABEL, time } from './dom.js';
import { markedText, warningsOf } from './review.js';
import { markedString } from './review-marks.js';
import { copyButton, menuButton } from './widgets.js';

/**
 * @typedef {import('./api.js').Client} Client
 * @typedef {{ type: string, status: string, search: string, sort: string, order: string, limit: number, offset: number }} State
 * @typedef {'name' | 'key' | 'status' | 'uris' | 'grants' | 'created' | 'used' | 'actions'} ColumnId
 * @typedef {{ id: ColumnId, label: string, sort?: string, hidden?: boolean }} Column
 */

/** @type {readonly string[]} */
const TYPES = ['oauth1', 'oauth2', 'oidc'];
/** @type {Record<string, string | undefined>} */
const SORTS = { name: 'Name', status: 'Status', created_at: 'Created', last_used_at: 'Last used' };
const PAGE_SIZES = [25, 50, 100];

/** @returns {State} */
function stateFromUrl() {
  const p = new URLSearchParams(location.search);
  const typeParam = p.get('type');
  const type = typeParam !== null && TYPES.includes(typeParam) ? typeParam : 'oauth2';
  const sortParam = p.get('sort');
  const sort = sortParam !== null && sortParam in SORTS ? sortParam : 'created_at';
  const size = Number(p.get('size'));
  const status = p.get('status');
  const order = p.get('order');
  return {
    type,
    status: status !== null && ['pending', 'approved', 'disapproved'].includes(status) ? status : '',
    search: (p.get('q') ?? '').slice(0, 200),
    sort,
    order: order === 'asc' || order === 'desc' ? order : sort === 'name' ? 'asc' : 'desc',
    limit: PAGE_SIZES.includes(size) ? size : 50,
    offset: Math.max(0, Number.parseInt(p.get('offset') ?? '0', 10) || 0),
  };
}

/**
 * The type a tab shows (set from TYPES when the tab is made).
 * @param {HTMLElement} tab
 */
const typeOf = (tab) => /** @type {string} */ (tab.dataset.type);

/** @param {State} s */
function saveState(s) {
  const params = query({
    type: s.type,
    status: s.status,
    q: s.search,
    sort: s.sort === 'created_at' ? '' : s.sort,
    order: s.order === (s.sort === 'name' ? 'asc' : 'desc') ? '' : s.order,
    size: s.limit === 50 ? '' : s.limit,
    offset: s.offset || '',
  });
  history.replaceState(null, '', `${location.pathname}${params}`);
}

/** @param {HTMLElement} view */
export function start(view) {
  const state = stateFromUrl();
  let requestSeq = 0;
  /** @type {Record<string, number | undefined>} */
  let lastPending = { oauth1: 0, oauth2: 0, oidc: 0 };

  // --- tabs ---
  const tabs = TYPES.map((t) =>
    h(
      'button',
      { type: 'button', role: 'tab', id: `tab-${t}`, 'aria-controls': 'clients-panel', class: 'tab', dataset: { type: t } },
      h('span', { class: 'tab-label' }, TYPE_LABEL[t]),
      h('span', { class: 'tab-count', id: `count-${t}` }),
    ),
  );
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Client type', class: 'tabs' }, tabs);
  tablist.addEventListener('keydown', (event) => {
    // indexOf finds nothing (-1) when the focus is elsewhere.
    const i = tabs.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (i < 0) return;
    /** @type {Record<string, number | undefined>} */
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    const next = tabs[(move + tabs.length) % tabs.length];
    if (!next) return;
    next.focus();
    selectType(typeOf(next));
  });
  for (const tab of tabs) tab.addEventListener('click', () => selectType(typeOf(tab)));

  // --- toolbar ---
  const heading = h('h2', { id: 'keys-title' });
  const search = h('input', { type: 'search', id: 'client-search', value: state.search, placeholder: 'Name or key', autocomplete: 'off', spellcheck: 'false' });
  const statusSelect = h(
    'select',
    { id: 'status-filter' },
    h('option', { value: '' }, 'All statuses'),
    h('option', { value: 'pending' }, 'Pending'),
    h('option', { value: 'approved' }, 'Approved'),
    h('option', { value: 'disapproved' }, 'Disapproved'),
  );
  statusSelect.value = state.status;
  const createButton = h(
    'button',
    { type: 'button', class: 'primary fab', id: 'create-client', dataset: { focusKey: 'create-client' } },
    h('span', { 'aria-hidden': 'true' }, '+ '),
    'Create client',
  );
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('div', { class: 'field grow' }, h('label', { for: 'client-search' }, 'Search by name or key'), search),
    h('div', { class: 'field' }, h('label', { for: 'status-filter' }, 'Status'), statusSelect),
    createButton,
  );

  const summary = h('p', { class: 'table-summary', id: 'table-summary', 'aria-live': 'polite' });
  const tableHost = h('div', { class: 'table-host' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of client keys' });
  const panel = h(
    'section',
    { role: 'tabpanel', id: 'clients-panel', class: 'panel', 'aria-labelledby': `tab-${state.type}` },
    heading,
    toolbar,
    summary,
    tableHost,
    pager,
  );
  view.replaceChildren(tablist, panel);

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = search.value.trim();
      state.offset = 0;
      load();
    }, 250);
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      clearTimeout(searchTimer);
      state.search = search.value.trim();
      state.offset = 0;
      load();
    }
  });
  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value;
    state.offset = 0;
    load();
  });
  createButton.addEventListener('click', () =>
    openClientForm({
      mode: 'create',
      type: state.type,
      trigger: createButton,
      onSaved: (/** @type {Client} */ client) => {
        // Show the new key where it lives: its type's tab, newest first.
        if (client.type !== state.type) selectType(client.type, false);
        else load();
      },
    }),
  );

  /**
   * @param {string} type
   * @param {boolean} [focusTab]
   */
  function selectType(type, focusTab = false) {
    if (state.type === type) return;
    state.type = type;
    state.offset = 0;
    if (focusTab) document.getElementById(`tab-${type}`)?.focus();
    load();
  }

  function paintTabs() {
    for (const tab of tabs) {
      const t = typeOf(tab);
      const selected = t === state.type;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const n = lastPending[t] ?? 0;
      const count = /** @type {HTMLElement} */ (tab.querySelector('.tab-count'));
      count.textContent = n > 0 ? `${n} pending` : '';
      count.hidden = n === 0;
    }
    panel.setAttribute('aria-labelledby', `tab-${state.type}`);
    heading.textContent = state.type === 'oauth1' ? 'Consumer keys' : 'Client keys';
  }

  async function load() {
    saveState(state);
    paintTabs();
    const seq = ++requestSeq;
    tableHost.setAttribute('aria-busy', 'true');
    /** @type {import('./api.js').ClientPage} */
    let page;
    try {
      page = await api(
        'GET',
        `/admin/api/clients${query({ type: state.type, status: state.status, search: state.search, sort: state.sort, order: state.order, limit: state.limit, offset: state.offset })}`,
      );
    } catch (err) {
      if (seq !== requestSeq) return;
      tableHost.removeAttribute('aria-busy');
      tableHost.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load the keys: ${/** @type {Error} */ (err).message}`));
      return;
    }
    if (seq !== requestSeq) return; // a newer request is on its way
    tableHost.removeAttribute('aria-busy');
    if (page.items.length === 0 && state.offset > 0 && page.total > 0) {
      state.offset = Math.max(0, Math.floor((page.total - 1) / state.limit) * state.limit);
      return load();
    }
    lastPending = page.pending_counts;
    paintTabs();
    renderTable(page);
    renderPager(page);
  }

  /** @param {import('./api.js').ClientPage} page */
  function renderTable(page) {
    const oauth1 = state.type === 'oauth1';
    const from = page.total === 0 ? 0 : state.offset + 1;
    const to = state.offset + page.items.length;
    const filtered = state.search || state.status;
    summary.textContent =
      page.total === 0
        ? filtered
          ? 'No keys match the search or filter.'
          : `No ${oauth1 ? 'consumer' : 'client'} keys yet. Use Create client to add one.`
        : `Showing ${from.toLocaleString()}–${to.toLocaleString()} of ${page.total.toLocaleString()}${filtered ? ' matching' : ''}`;
    if (page.total === 0) {
      tableHost.replaceChildren();
      return;
    }
    /** @type {Array<Column | null>} */
    const all = [
      { id: 'name', label: 'Name', sort: 'name' },
      { id: 'key', label: oauth1 ? 'Consumer key' : 'Client key' },
      { id: 'status', label: 'Status', sort: 'status' },
      { id: 'uris', label: oauth1 ? 'Callback URL' : 'Redirect URIs' },
      oauth1 ? null : { id: 'grants', label: 'Grant types' },
      { id: 'created', label: 'Created', sort: 'created_at' },
      { id: 'used', label: 'Last used', sort: 'last_used_at' },
      { id: 'actions', label: 'Actions', hidden: true },
    ];
    const columns = all.filter((col) => col !== null);

    const head = h(
      'tr',
      {},
      columns.map((c) => {
        if (c.hidden) return h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, c.label));
        const sort = c.sort;
        if (!sort) return h('th', { scope: 'col' }, c.label);
        const active = state.sort === sort;
        const nextOrder = active ? (state.order === 'asc' ? 'desc' : 'asc') : sort === 'name' ? 'asc' : 'desc';
        const button = h(
          'button',
          { type: 'button', class: 'sort', dataset: { focusKey: `sort:${c.sort}` } },
          c.label,
          h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (state.order === 'asc' ? ' ▲' : ' ▼') : ' ↕'),
        );
        button.addEventListener('click', async () => {
          state.sort = sort;
          state.order = nextOrder;
          state.offset = 0;
          await load();
          /** @type {HTMLElement | null} */ (document.querySelector(`[data-focus-key="sort:${sort}"]`))?.focus();
          announce(`Sorted by ${c.label}, ${state.order === 'asc' ? 'ascending' : 'descending'}`);
        });
        return h('th', { scope: 'col', 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending') : null }, button);
      }),
    );
    const rows = page.items.map((c) => row(c, columns));
    const caption = h(
      'caption',
      { class: 'visually-hidden' },
      `${oauth1 ? 'Consumer' : 'Client'} keys, sorted by ${SORTS[state.sort]} (${state.order === 'asc' ? 'ascending' : 'descending'})`,
    );
    tableHost.replaceChildren(h('table', { class: 'data-table clients-table' }, caption, h('thead', {}, head), h('tbody', {}, rows)));
  }

  /**
   * @param {Client} c
   * @param {readonly Column[]} columns
   */
  function row(c, columns) {
    const detail = `/admin/clients/${encodeURIComponent(c.client_key)}`;
    const cells = {
      name: () =>
        h(
          'th',
          { scope: 'row', class: 'name-cell' },
          h('a', { href: detail, class: 'client-name' }, markedText(c.name)),
          c.public ? h('span', { class: 'tag' }, 'public') : null,
          warningsOf(c).warnings.length
            ? h('span', { class: 'tag tag-warning', title: 'Hidden characters or look-alike hosts: see the details' }, 'check')
            : null,
          c.unreadable_fields?.length ? h('span', { class: 'tag', title: `Could not be read: ${c.unreadable_fields.join(', ')}` }, 'unreadable data') : null,
        ),
      key: () =>
        h(
          'td',
          {},
          h(
            'span',
            { class: 'copy-row' },
            h('code', { class: 'client-key' }, c.client_key),
            copyButton(c.client_key, `key of ${markedString(c.name)}`, { compact: true }),
          ),
        ),
      status: () => h('td', {}, statusBadge(c.status)),
      uris: () => {
        if (c.type === 'oauth1')
          return h('td', { class: 'uri-cell' }, c.callback_url ? markedText(c.callback_url) : h('span', { class: 'muted' }, 'set per request'));
        const shown = c.redirect_uris.slice(0, 2);
        const more = c.redirect_uris.length - shown.length;
        return h(
          'td',
          { class: 'uri-cell' },
          c.redirect_uris.length === 0 ? h('span', { class: 'muted' }, 'none') : null,
          shown.map((u) => h('div', {}, markedText(u))),
          more > 0 ? h('div', { class: 'muted' }, `+${more} more`) : null,
        );
      },
      grants: () => h('td', { class: 'grant-cell' }, c.grant_types.map(grantLabel).join(', ')),
      created: () => h('td', {}, time(c.created_at)),
      used: () => h('td', {}, time(c.last_used_at, 'Never')),
      actions: () => h('td', { class: 'actions-cell' }, rowMenu(c)),
    };
    const tr = h('tr', { dataset: { key: c.client_key } });
    for (const col of columns) {
      const cell = cells[col.id]();
      if (!col.hidden) cell.dataset.label = col.label;
      tr.append(cell);
    }
    return tr;
  }

  /** @param {Client} c */
  function rowMenu(c) {
    const focusKey = `menu:${c.client_key}`;
    const after = () => load();
    /** @type {Array<import('./widgets.js').MenuItem | null>} */
    const all = [
      { label: 'Details', onSelect: () => location.assign(`/admin/clients/${encodeURIComponent(c.client_key)}`) },
      { label: 'Edit', onSelect: (trigger) => editClient(c, { trigger, focusKey, after }) },
      c.status !== 'approved' ? { label: 'Approve', onSelect: (trigger) => approveClient(c, { trigger, focusKey, after }) } : null,
      c.status !== 'disapproved' ? { label: 'Disapprove', onSelect: (trigger) => disapproveClient(c, { trigger, focusKey, after }) } : null,
      {
        label: 'Remove',
        danger: true,
        onSelect: (trigger) => removeClient(c, { trigger, focusKey: 'create-client', after }),
      },
    ];
    const items = all.filter((item) => item !== null);
    return menuButton({ label: '⋯', accessibleName: `Actions for ${markedString(c.name)}`, items, focusKey });
  }

  /** @param {import('./api.js').ClientPage} page */
  function renderPager(page) {
    const pages = Math.max(1, Math.ceil(page.total / state.limit));
    const current = Math.floor(state.offset / state.limit) + 1;
    /**
     * @param {number} offset
     * @param {string} key
     */
    const go = (offset, key) => async () => {
      state.offset = offset;
      await load();
      /** @type {HTMLButtonElement | null} */
      const again = document.querySelector(`[data-focus-key="${key}"]`);
      (again && !again.disabled ? again : document.getElementById('table-summary'))?.focus();
    };
    const prev = h('button', { type: 'button', disabled: current <= 1, dataset: { focusKey: 'page-prev' } }, '‹ Previous');
    const next = h('button', { type: 'button', disabled: current >= pages, dataset: { focusKey: 'page-next' } }, 'Next ›');
    prev.addEventListener('click', go(Math.max(0, state.offset - state.limit), 'page-prev'));
    next.addEventListener('click', go(state.offset + state.limit, 'page-next'));
    const size = h(
      'select',
      { id: 'page-size' },
      PAGE_SIZES.map((n) => h('option', { value: String(n) }, String(n))),
    );
    size.value = String(state.limit);
    size.addEventListener('change', () => {
      state.limit = Number(size.value);
      state.offset = 0;
      load();
    });
    pager.replaceChildren(
      prev,
      h('span', { class: 'page-of' }, `Page ${current.toLocaleString()} of ${pages.toLocaleString()}`),
      next,
      h('span', { class: 'page-size' }, h('label', { for: 'page-size' }, 'Per page'), size),
    );
    pager.hidden = page.total === 0;
  }

  summary.tabIndex = -1;
  load();
}
