// @ts-check
// Groups (for holders of manage_users or manage_roles): native groups, edited here, and external
// groups, imported from a directory, whose members follow the directory. Roles given to a group
// (manage_roles) are held by its members for as long as they are members.
import { ApiError, api, query } from './api.js';
import { confirmDialog, createDialog } from './dialog.js';
import { announce, h, pageData, uid } from './dom.js';
import { choiceGroup, dataTable, field, menuButton, onSearchInput, renderPager } from './widgets.js';

const data = pageData();
const ROLES = data.roles ?? [];
/** @type {string[]} */
const MY_PERMISSIONS = data.permissions ?? [];
const MANAGES_ROLES = MY_PERMISSIONS.includes('manage_roles');
/** @type {Array<{ id: string, domain: string, name: string }>} */
const DIRECTORIES = data.directories ?? [];

/**
 * @typedef {import('./api.js').Group} Group
 * @typedef {import('./api.js').User} User
 */

/** @param {string} id */
const roleName = (id) => ROLES.find((r) => r.id === id)?.name ?? id;
/** @param {Group} g */
const groupPath = (g) => `/admin/api/groups/${encodeURIComponent(g.id)}`;
/** @param {Group} g */
const kindLabel = (g) => {
  if (g.kind === 'native') return 'Native';
  const d = DIRECTORIES.find((x) => x.id === g.directory_id);
  return d ? `External (${d.domain})` : 'External';
};

/** @param {HTMLElement} view */
export function start(view) {
  const params = new URLSearchParams(location.search);
  const state = { search: params.get('q') ?? '', kind: params.get('kind') ?? '', limit: 50, offset: 0 };
  const search = h('input', { type: 'search', id: 'group-search', value: state.search, autocomplete: 'off' });
  const kind = h(
    'select',
    { id: 'group-kind' },
    [
      ['', 'All groups'],
      ['native', 'Native'],
      ['external', 'External (from a directory)'],
    ].map(([value, text]) => h('option', { value, selected: value === state.kind }, text)),
  );
  const createButton = h('button', { type: 'button', class: 'primary', dataset: { focusKey: 'create-group' } }, '+ Create group');
  const summary = h('p', { class: 'table-summary', 'aria-live': 'polite', tabindex: '-1' });
  const host = h('div', { class: 'table-host' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of groups' });
  view.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field grow' }, h('label', { for: 'group-search' }, 'Search by name'), search),
      h('div', { class: 'field' }, h('label', { for: 'group-kind' }, 'Kind'), kind),
      createButton,
    ),
    summary,
    host,
    pager,
  );
  onSearchInput(search, (text) => {
    state.search = text;
    state.offset = 0;
    load();
  });
  kind.addEventListener('change', () => {
    state.kind = kind.value;
    state.offset = 0;
    load();
  });
  createButton.addEventListener('click', () => editGroup(null, createButton));

  let seq = 0;
  async function load() {
    history.replaceState(null, '', `${location.pathname}${query({ q: state.search, kind: state.kind })}`);
    const mine = ++seq;
    /** @type {import('./api.js').Page<Group>} */
    let page;
    try {
      page = await api('GET', `/admin/api/groups${query({ search: state.search, kind: state.kind, limit: state.limit, offset: state.offset })}`);
    } catch (err) {
      host.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load groups: ${/** @type {Error} */ (err).message}`));
      return;
    }
    if (mine !== seq) return;
    summary.textContent = page.total === 0 ? 'No groups match.' : `${page.total.toLocaleString()} ${page.total === 1 ? 'group' : 'groups'}`;
    const columns = ['Name', 'Kind', 'Roles', 'Actions'];
    host.replaceChildren(page.total === 0 ? '' : dataTable({ className: 'groups-table', caption: 'Groups', columns, rows: page.items.map(cellsOf) }));
    renderPager(pager, state, page.total, { previous: '‹ Previous', next: 'Next ›' }, () => load().then(() => summary.focus()));
  }

  /** @param {Group} g */
  function cellsOf(g) {
    const focusKey = `group:${g.id}`;
    /** @type {Array<import('./widgets.js').MenuItem | null>} */
    const all = [
      { label: g.kind === 'native' ? 'Members' : 'Members (from the directory)', onSelect: (trigger) => members(g, trigger, focusKey) },
      { label: g.kind === 'native' ? 'Edit' : MANAGES_ROLES ? 'Edit roles' : 'Edit description', onSelect: (trigger) => editGroup(g, trigger) },
      { label: 'Remove', danger: true, onSelect: (trigger) => remove(g, trigger, focusKey) },
    ];
    const items = all.filter((item) => item !== null);
    return [
      h('th', { scope: 'row' }, g.name, g.description ? h('div', { class: 'muted small' }, g.description) : null),
      h('td', {}, kindLabel(g)),
      h('td', {}, g.roles.length ? g.roles.map(roleName).join(', ') : h('span', { class: 'muted' }, 'none')),
      h('td', { class: 'actions-cell' }, menuButton({ label: '⋯', accessibleName: `Actions for ${g.name}`, items, focusKey })),
    ];
  }

  /** @param {Group | null} g @param {HTMLElement} trigger */
  function editGroup(g, trigger) {
    const dlg = createDialog({ title: g ? `Edit ${g.name}` : 'Create a group', trigger });
    const formId = uid('group-form');
    const external = g?.kind === 'external';
    const name = field({
      label: 'Name',
      input: h('input', { type: 'text', value: g?.name ?? '', autocomplete: 'off', disabled: external }),
      hint: external ? 'An external group keeps the name its directory gives it.' : undefined,
    });
    const description = field({ label: 'Description (optional)', input: h('input', { type: 'text', value: g?.description ?? '', autocomplete: 'off' }) });
    const roles = choiceGroup({
      legend: 'Roles given to the members',
      name: 'roles',
      options: ROLES.map((r) => ({ value: r.id, label: r.name, checked: g?.roles.includes(r.id) ?? false })),
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { id: formId, novalidate: true }, error, name.wrapper, description.wrapper, MANAGES_ROLES ? roles.fieldset : null);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      /** @type {Record<string, unknown>} */
      const body = { description: description.input.value.trim() };
      if (!external) body.name = name.input.value.trim();
      if (MANAGES_ROLES) body.roles = roles.values();
      dlg.setBusy(true);
      try {
        /** @type {Group} */
        const saved = await api(g ? 'PATCH' : 'POST', g ? groupPath(g) : '/admin/api/groups', body);
        await load();
        announce(`Group ${saved.name} ${g ? 'saved' : 'created'}`);
        dlg.close('saved');
      } catch (err) {
        dlg.setBusy(false);
        if (!(err instanceof ApiError)) throw err;
        const slots = { name, description, roles };
        /** @type {string[]} */
        const rest = [];
        for (const f of err.fields) {
          const slot = /** @type {Record<string, { setError: (m: string) => void } | undefined>} */ (slots)[String(f.field).split('.')[0] ?? ''];
          if (slot) slot.setError(f.message);
          else rest.push(`${f.field}: ${f.message}`);
        }
        if (rest.length || err.fields.length === 0) {
          error.textContent = rest.length ? rest.join('; ') : err.message;
          error.hidden = false;
        }
        dlg.heading.focus();
      }
    });
    dlg.body.append(form);
    dlg.footer.append(
      h('button', { type: 'button', onClick: () => dlg.close('cancel') }, 'Cancel'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, g ? 'Save' : 'Create group'),
    );
    dlg.show();
  }

  /** @param {Group} g @param {HTMLElement} trigger @param {string} focusKey */
  function remove(g, trigger, focusKey) {
    return confirmDialog({
      title: `Remove the group ${g.name}?`,
      message:
        g.kind === 'external'
          ? 'Its members lose its roles at once. Importing it again from the directory brings it back without roles.'
          : 'Its members lose its roles at once; the users themselves stay.',
      confirmLabel: 'Remove group',
      danger: true,
      trigger,
      focusKey,
      action: async () => {
        await api('DELETE', groupPath(g));
        await load();
        announce(`Group ${g.name} removed`);
      },
    });
  }

  /** @param {Group} g @param {HTMLElement} trigger @param {string} focusKey */
  function members(g, trigger, focusKey) {
    const dlg = createDialog({ title: `Members of ${g.name}`, trigger, focusKey, wide: true });
    const list = h('div', { 'aria-live': 'polite' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const formId = uid('member-form');
    const username = field({ label: 'Add a user by username', input: h('input', { type: 'text', autocomplete: 'off' }) });
    const form = h(
      'form',
      { id: formId, class: 'inline-actions', novalidate: true },
      username.wrapper,
      h('button', { type: 'submit', class: 'secondary' }, 'Add member'),
    );
    const state = { limit: 50, offset: 0 };
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of members' });

    async function show() {
      try {
        /** @type {import('./api.js').Page<User>} */
        const page = await api('GET', `${groupPath(g)}/members${query({ limit: state.limit, offset: state.offset })}`);
        list.replaceChildren(
          page.total === 0
            ? h('p', { class: 'muted' }, 'No members.')
            : h(
                'ul',
                { class: 'member-list' },
                page.items.map((u) =>
                  h(
                    'li',
                    {},
                    h('span', {}, u.username, u.display_name && u.display_name !== u.username ? h('span', { class: 'muted' }, ` — ${u.display_name}`) : null),
                    g.kind === 'native'
                      ? h(
                          'button',
                          { type: 'button', class: 'link-button', 'aria-label': `Remove ${u.username} from ${g.name}`, onClick: () => drop(u) },
                          'Remove',
                        )
                      : null,
                  ),
                ),
              ),
        );
        renderPager(pager, state, page.total, { previous: '‹ Previous', next: 'Next ›' }, show);
      } catch (err) {
        list.replaceChildren(h('p', { class: 'form-error' }, /** @type {Error} */ (err).message));
      }
    }
    /** @param {User} u */
    async function drop(u) {
      error.hidden = true;
      try {
        await api('DELETE', `${groupPath(g)}/members/${encodeURIComponent(u.username)}`);
        announce(`${u.username} removed from ${g.name}`);
        await show();
        username.input.focus();
      } catch (err) {
        error.textContent = /** @type {Error} */ (err).message;
        error.hidden = false;
      }
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      const name = username.input.value.trim();
      username.setError(name === '' ? 'Enter a username.' : null);
      if (name === '') return username.input.focus();
      try {
        await api('POST', `${groupPath(g)}/members`, { username: name });
        username.input.value = '';
        announce(`${name} added to ${g.name}`);
        await show();
      } catch (err) {
        error.textContent = /** @type {Error} */ (err).message;
        error.hidden = false;
      }
    });
    dlg.body.append(
      g.kind === 'external'
        ? h('p', { class: 'hint' }, 'The members of an external group follow its directory: they change at import, re-sync and sign-in, not here.')
        : form,
      error,
      list,
      pager,
    );
    dlg.footer.append(h('button', { type: 'button', class: 'primary', onClick: () => dlg.close('done') }, 'Close'));
    dlg.show();
    show();
  }

  load();
}
