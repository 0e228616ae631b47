// @ts-check
// Users (for holders of manage_users or manage_roles): list; create, enable/disable and reset passwords
// (manage_users); assign roles (manage_roles). The server decides; the page offers what may succeed.
import { ApiError, api, query } from './api.js';
import { generateSecret } from './client-form.js';
import { confirmDialog, createDialog, submitDialog } from './dialog.js';
import { announce, h, pageData, time, uid } from './dom.js';
import { choiceGroup, dataTable, field, menuButton, onSearchInput, renderPager } from './widgets.js';

const data = pageData();
const ROLES = data.roles ?? [];
/** @type {string[]} */
const MY_PERMISSIONS = data.permissions ?? [];
const MANAGES_USERS = MY_PERMISSIONS.includes('manage_users');
const MANAGES_ROLES = MY_PERMISSIONS.includes('manage_roles');
const MIN_PASSWORD = data.minPasswordLength ?? 8;
const DIRECTORIES = data.directories ?? [];
/**
 * @typedef {import('./api.js').User} User
 * @typedef {{ setError: (message: string | null | undefined) => void }} ErrorSlot
 */

/** @type {Record<string, string | undefined>} */
const PERMISSION_LABEL = { configure_server: 'Configure Server', manage_users: 'Manage Users', manage_roles: 'Manage Roles' };

/** @param {string} id */
const roleName = (id) => ROLES.find((r) => r.id === id)?.name ?? id;
/** @param {readonly string[]} checked */
const roleOptions = (checked) =>
  ROLES.map((r) => ({
    value: r.id,
    label: r.name,
    checked: checked.includes(r.id),
    note: `Permission: ${r.permissions.map((p) => PERMISSION_LABEL[p] ?? p).join(', ')}`,
  }));
/** @param {NonNullable<User['source']>} source */
function directoryLabel(source) {
  const d = DIRECTORIES.find((x) => x.id === source.directory_id);
  return d ? `${d.name} (${d.domain})` : `${source.domain} (removed)`;
}
/** @param {User} u */
const userPath = (u) => `/admin/api/users/${encodeURIComponent(u.username)}`;

/**
 * Maps API field problems onto fields; returns the messages that fit nowhere.
 * @param {ApiError} err
 * @param {Record<string, ErrorSlot | undefined>} fields
 */
function placeErrors(err, fields) {
  /** @type {string[]} */
  const rest = [];
  for (const f of err.fields) {
    const [name = ''] = String(f.field).split('.');
    const target = fields[name];
    if (target) target.setError(f.message);
    else rest.push(`${f.field}: ${f.message}`);
  }
  return rest;
}

/** @param {string} labelText */
function passwordFields(labelText) {
  const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: String(MIN_PASSWORD) });
  const again = h('input', { type: 'password', autocomplete: 'new-password' });
  const password = field({ label: labelText, input: pw, hint: `At least ${MIN_PASSWORD} characters.` });
  const retype = field({ label: 'Re-type password', input: again });
  const generate = h('button', { type: 'button', class: 'secondary' }, 'Generate');
  generate.addEventListener('click', () => {
    const s = generateSecret().slice(0, 20);
    pw.value = s;
    again.value = s;
    pw.type = 'text';
    again.type = 'text';
    announce('A password was generated and filled in; it is shown so you can pass it on');
  });
  const check = () => {
    let ok = true;
    password.setError(pw.value.length < MIN_PASSWORD ? `Use at least ${MIN_PASSWORD} characters.` : null);
    if (pw.value.length < MIN_PASSWORD) ok = false;
    retype.setError(pw.value !== again.value ? 'The two passwords differ.' : null);
    if (pw.value !== again.value) ok = false;
    return ok;
  };
  return {
    password,
    retype,
    generate,
    check,
    value: () => pw.value,
    nodes: [password.wrapper, retype.wrapper, h('div', { class: 'inline-actions' }, generate)],
  };
}

/** @param {HTMLElement} view */
export function start(view) {
  const params = new URLSearchParams(location.search);
  const state = {
    search: params.get('q') ?? '',
    source: params.get('source') ?? '',
    limit: 50,
    offset: Math.max(0, Number.parseInt(params.get('offset') ?? '0', 10) || 0),
  };
  const me = data.user?.username;

  const search = h('input', { type: 'search', id: 'user-search', value: state.search, autocomplete: 'off' });
  // "internal", "external", or "directory:<id>" for the users of one directory.
  const source = h(
    'select',
    { id: 'user-source' },
    [
      ['', 'All users'],
      ['internal', 'Internal'],
      ['external', 'External (any directory)'],
      ...DIRECTORIES.map((d) => [`directory:${d.id}`, `From ${d.name} (${d.domain})`]),
    ].map(([value, text]) => h('option', { value, selected: value === state.source }, text)),
  );
  const createButton = h('button', { type: 'button', class: 'primary', dataset: { focusKey: 'create-user' } }, '+ Create user');
  const summary = h('p', { class: 'table-summary', 'aria-live': 'polite', tabindex: '-1', id: 'users-summary' });
  const host = h('div', { class: 'table-host' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of users' });
  view.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field grow' }, h('label', { for: 'user-search' }, 'Search by username or name'), search),
      h('div', { class: 'field' }, h('label', { for: 'user-source' }, 'Source'), source),
      MANAGES_USERS ? createButton : null,
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
  source.addEventListener('change', () => {
    state.source = source.value;
    state.offset = 0;
    load();
  });
  createButton.addEventListener('click', () => createUser(createButton));

  let seq = 0;
  async function load() {
    history.replaceState(null, '', `${location.pathname}${query({ q: state.search, source: state.source, offset: state.offset || '' })}`);
    const [kind, directory] = state.source.startsWith('directory:') ? ['external', state.source.slice('directory:'.length)] : [state.source, ''];
    const mine = ++seq;
    /** @type {import('./api.js').Page<User>} */
    let page;
    try {
      page = await api('GET', `/admin/api/users${query({ search: state.search, source: kind, directory, limit: state.limit, offset: state.offset })}`);
    } catch (err) {
      host.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load users: ${/** @type {Error} */ (err).message}`));
      return;
    }
    if (mine !== seq) return;
    const from = page.total === 0 ? 0 : state.offset + 1;
    summary.textContent = page.total === 0 ? 'No users match.' : `Showing ${from}–${state.offset + page.items.length} of ${page.total.toLocaleString()}`;
    const columns = ['Username', 'Display name', 'Email', 'Source', 'Roles', 'Status', 'Last sign-in', 'Actions'];
    host.replaceChildren(page.total === 0 ? '' : dataTable({ className: 'users-table', caption: 'Users', columns, rows: page.items.map(userCells) }));
    renderPager(pager, state, page.total, { previous: '‹ Previous', next: 'Next ›' }, () => load().then(() => summary.focus()));
  }

  /** @param {User} u */
  function userCells(u) {
    const focusKey = `user:${u.username}`;
    const self = u.username === me;
    /** @type {Array<import('./widgets.js').MenuItem | null>} */
    const all = [
      MANAGES_ROLES ? { label: 'Assign roles', onSelect: (trigger) => editRoles(u, trigger, focusKey) } : null,
      MANAGES_USERS
        ? { label: u.source ? 'Set a password (make internal)' : 'Reset password', onSelect: (trigger) => resetPassword(u, trigger, focusKey) }
        : null,
      MANAGES_USERS && !u.source && DIRECTORIES.length > 0 && !self
        ? { label: 'Make external…', onSelect: (trigger) => makeExternal(u, trigger, focusKey) }
        : null,
      self || !MANAGES_USERS
        ? null
        : { label: u.enabled ? 'Disable' : 'Enable', danger: u.enabled, onSelect: (trigger) => toggleEnabled(u, trigger, focusKey) },
    ];
    const items = all.filter((item) => item !== null);
    return [
      h('th', { scope: 'row' }, u.username, self ? h('span', { class: 'tag' }, 'you') : null),
      h('td', {}, u.display_name),
      h('td', {}, u.email ?? h('span', { class: 'muted' }, '—')),
      h(
        'td',
        {},
        u.source ? 'External' : 'Internal',
        u.source ? h('div', { class: 'muted small' }, directoryLabel(u.source), u.last_sync_at ? [' · synced ', time(u.last_sync_at, '')] : null) : null,
      ),
      h(
        'td',
        {},
        u.roles.length || u.group_roles.length ? u.roles.map(roleName).join(', ') : h('span', { class: 'muted' }, 'none'),
        u.group_roles.filter((r) => !u.roles.includes(r)).length
          ? h(
              'div',
              { class: 'muted small' },
              `from groups: ${u.group_roles
                .filter((r) => !u.roles.includes(r))
                .map(roleName)
                .join(', ')}`,
            )
          : null,
      ),
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge ${u.enabled ? 'badge-approved' : 'badge-disapproved'}` },
          h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, u.enabled ? '✓' : '⊘'),
          u.enabled ? ' Enabled' : ' Disabled',
        ),
      ),
      h('td', {}, time(u.last_sign_in_at, 'Never')),
      h('td', { class: 'actions-cell' }, items.length > 0 ? menuButton({ label: '⋯', accessibleName: `Actions for ${u.username}`, items, focusKey }) : null),
    ];
  }

  /** @param {HTMLElement} trigger */
  function createUser(trigger) {
    const d = createDialog({ title: 'Create user', trigger });
    const formId = uid('user-form');
    const f = {
      username: field({
        label: 'Username',
        input: h('input', { type: 'text', autocomplete: 'off', required: true }),
        hint: 'Letters, digits and . _ @ - only.',
      }),
      display_name: field({ label: 'Display name', input: h('input', { type: 'text', autocomplete: 'off' }) }),
      email: field({ label: 'Email (optional)', input: h('input', { type: 'text', inputmode: 'email', autocomplete: 'off' }) }),
    };
    const pw = passwordFields('Password');
    const roles = choiceGroup({ legend: 'Roles', name: 'roles', options: roleOptions([]) });
    /** Where the server's field problems show, by field name. */
    const slots = { ...f, password: pw.password, roles };
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
    // Roles for a new user need manage_roles as well.
    const form = h(
      'form',
      { id: formId, novalidate: true },
      error,
      f.username.wrapper,
      f.display_name.wrapper,
      f.email.wrapper,
      pw.nodes,
      MANAGES_ROLES ? roles.fieldset : null,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      const username = f.username.input.value.trim();
      f.username.setError(username === '' ? 'Enter a username.' : null);
      const ok = pw.check() && username !== '';
      if (!ok) {
        /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
        return;
      }
      d.setBusy(true);
      try {
        /** @type {{ username: string, password: string, roles: string[], display_name?: string, email?: string }} */
        const body = { username, password: pw.value(), roles: roles.values() };
        const display = f.display_name.input.value.trim();
        const email = f.email.input.value.trim();
        if (display) body.display_name = display;
        if (email) body.email = email;
        /** @type {User} */
        const user = await api('POST', '/admin/api/users', body);
        await load();
        announce(`User ${user.username} created`);
        d.close('saved');
      } catch (err) {
        d.setBusy(false);
        if (!(err instanceof ApiError)) throw err;
        const rest = placeErrors(err, slots);
        if (rest.length || err.fields.length === 0) {
          error.textContent = rest.length ? rest.join('; ') : err.message;
          error.hidden = false;
        }
        /** @type {HTMLElement | null} */
        const invalid = form.querySelector('[aria-invalid="true"]');
        (invalid ?? d.heading).focus();
      }
    });
    d.body.append(form);
    d.footer.append(
      h('button', { type: 'button', onClick: () => d.close('cancel') }, 'Cancel'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, 'Create user'),
    );
    d.show();
  }

  /**
   * @param {User} u
   * @param {HTMLElement} trigger
   * @param {string} focusKey
   */
  function editRoles(u, trigger, focusKey) {
    const d = createDialog({ title: `Roles of ${u.username}`, trigger, focusKey });
    const roles = choiceGroup({ legend: 'Roles', name: 'roles', options: roleOptions(u.roles) });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const note =
      u.username === me
        ? h('p', { class: 'warning', role: 'note' }, 'These are your own roles: removing one takes its pages away from you at once.')
        : h('p', { class: 'hint' }, 'The change applies at once. Removing a role also signs the user out and ends every token issued for them.');
    const form = h('form', {}, note, roles.fieldset, error);
    submitDialog(d, form, {
      submitLabel: 'Save roles',
      error,
      action: async () => {
        await api('PATCH', userPath(u), { roles: roles.values() });
        await load();
        announce(`Roles of ${u.username} saved`);
      },
    });
  }

  /**
   * @param {User} u
   * @param {HTMLElement} trigger
   * @param {string} focusKey
   */
  function resetPassword(u, trigger, focusKey) {
    const d = createDialog({ title: `Reset the password of ${u.username}`, trigger, focusKey });
    const formId = uid('password-form');
    const pw = passwordFields('New password');
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: formId, novalidate: true },
      u.source
        ? h(
            'p',
            {},
            `With a password of their own ${u.username} becomes an internal user: they stop signing in through ${directoryLabel(u.source)} and leave its groups. Their sessions and tokens end.`,
          )
        : h('p', {}, 'The old password stops working at once, and so do the user’s sessions and tokens. Hand the new one to the user over a safe channel.'),
      pw.nodes,
      error,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!pw.check()) {
        /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'))?.focus();
        return;
      }
      d.setBusy(true);
      try {
        await api('POST', `${userPath(u)}/password`, { password: pw.value() });
        announce(`Password of ${u.username} reset`);
        d.close('saved');
      } catch (err) {
        d.setBusy(false);
        if (err instanceof ApiError && err.fields.length) pw.password.setError(err.fields[0]?.message);
        error.textContent = /** @type {Error} */ (err).message;
        error.hidden = false;
      }
    });
    d.body.append(form);
    d.footer.append(
      h('button', { type: 'button', onClick: () => d.close('cancel') }, 'Cancel'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, 'Reset password'),
    );
    d.show();
  }

  /**
   * Internal → external: the user signs in through the chosen directory from now on.
   * @param {User} u
   * @param {HTMLElement} trigger
   * @param {string} focusKey
   */
  function makeExternal(u, trigger, focusKey) {
    const d = createDialog({ title: `Make ${u.username} external`, trigger, focusKey });
    const choice = choiceGroup({
      legend: 'Directory',
      name: 'directory',
      type: 'radio',
      options: DIRECTORIES.map((x, i) => ({ value: x.id, label: `${x.name} (${x.domain})`, checked: i === 0 })),
    });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      {},
      h(
        'p',
        {},
        `${u.username} keeps their roles and history, loses their own password and signs in through the directory entry of the same name. Their sessions and tokens end.`,
      ),
      choice.fieldset,
      error,
    );
    submitDialog(d, form, {
      submitLabel: 'Make external',
      error,
      action: async () => {
        const [id = ''] = choice.values();
        await api('POST', `/admin/api/directories/${encodeURIComponent(id)}/convert`, { username: u.username });
        await load();
        announce(`${u.username} now signs in through the directory`);
      },
    });
  }

  /**
   * @param {User} u
   * @param {HTMLElement} trigger
   * @param {string} focusKey
   */
  function toggleEnabled(u, trigger, focusKey) {
    const enable = !u.enabled;
    return confirmDialog({
      title: `${enable ? 'Enable' : 'Disable'} ${u.username}?`,
      message: enable
        ? 'Enabling lets this user sign in again with their password.'
        : [
            h('p', {}, 'Disabling takes effect at once:'),
            h(
              'ul',
              {},
              h('li', {}, 'the user cannot sign in anywhere;'),
              h('li', {}, 'their sign-in sessions end and every token issued for them stops working.'),
            ),
          ],
      confirmLabel: enable ? 'Enable' : 'Disable',
      danger: !enable,
      trigger,
      focusKey,
      action: async () => {
        await api('PATCH', userPath(u), { enabled: enable });
        await load();
        announce(`${u.username} ${enable ? 'enabled' : 'disabled'}`);
      },
    });
  }

  load();
}
