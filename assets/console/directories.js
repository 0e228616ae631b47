// @ts-check
// Settings → Directories (configure_server): the LDAP directories in sign-in order, with order arrows,
// enable/disable, test connection, test a user's sign-in, import of users and groups, edit and removal.
import { ApiError, api, query } from './api.js';
import { confirmDialog, createDialog } from './dialog.js';
import { announce, h, time, uid } from './dom.js';
import { choiceGroup, dataTable, field, menuButton } from './widgets.js';

/**
 * @typedef {import('./api.js').Directory} Directory
 * @typedef {import('./api.js').DirectoryEntry} DirectoryEntry
 * @typedef {import('./api.js').DirectoryGroupFound} DirectoryGroupFound
 * @typedef {{ setError: (message: string | null | undefined) => void }} ErrorSlot
 */

const SECURITY_LABEL = { none: 'Plain LDAP', ldaps: 'LDAPS', starttls: 'StartTLS' };
/** @param {Directory} d */
const dirPath = (d) => `/admin/api/directories/${encodeURIComponent(d.id)}`;

/**
 * Puts the API's field problems on the fields named by their path ("users.base_dn"); returns the rest.
 * @param {ApiError} err
 * @param {Record<string, ErrorSlot | undefined>} slots
 */
function placeErrors(err, slots) {
  /** @type {string[]} */
  const rest = [];
  for (const f of err.fields) {
    const path = String(f.field);
    const target = slots[path] ?? slots[path.split('.')[0] ?? ''];
    if (target) target.setError(f.message);
    else rest.push(`${path}: ${f.message}`);
  }
  return rest;
}

/** @param {string} value */
const orNull = (value) => (value.trim() === '' ? null : value.trim());

/**
 * @param {string} label
 * @param {string | number | null | undefined} value
 * @param {{ hint?: string, type?: string, placeholder?: string, autocomplete?: string }} [o]
 */
function textField(label, value, o = {}) {
  const input = h('input', {
    type: o.type ?? 'text',
    value: value === null || value === undefined ? '' : String(value),
    autocomplete: o.autocomplete ?? 'off',
    spellcheck: 'false',
    placeholder: o.placeholder,
  });
  return field({ label, input, hint: o.hint });
}

/**
 * @param {string} label
 * @param {Array<[string, string]>} options
 * @param {string} selected
 * @param {string} [hint]
 */
function selectField(label, options, selected, hint) {
  const input = h(
    'select',
    {},
    options.map(([value, text]) => h('option', { value, selected: value === selected }, text)),
  );
  return field({ label, input, hint });
}

/** @param {string} label @param {boolean} checked @param {string} [note] */
function checkbox(label, checked, note) {
  const group = choiceGroup({ legend: h('span', { class: 'visually-hidden' }, label), name: uid('check'), options: [{ value: 'on', label, checked, note }] });
  const input = /** @type {HTMLInputElement} */ (group.inputs[0]);
  return { wrapper: group.fieldset, input, setError: group.setError };
}

/** The health column: when it last answered and its last error. @param {Directory} d */
function healthCell(d) {
  const { last_success_at: ok, last_error_at: failed, last_error: error } = d.health;
  const failing = failed !== null && (ok === null || failed > ok);
  return h(
    'div',
    { class: 'health' },
    h(
      'span',
      { class: `badge ${failing ? 'badge-disapproved' : ok ? 'badge-approved' : 'badge-pending'}` },
      h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, failing ? '⚠' : ok ? '✓' : '•'),
      failing ? ' Failing' : ok ? ' Answering' : ' Not contacted yet',
    ),
    h('div', { class: 'muted small' }, 'Last success: ', time(ok, 'never')),
    error ? h('div', { class: 'muted small' }, 'Last error ', time(failed, ''), ': ', h('span', { class: 'health-error' }, error)) : null,
  );
}

/** @param {HTMLElement} view */
export function start(view) {
  const addButton = h('button', { type: 'button', class: 'primary', dataset: { focusKey: 'add-directory' } }, '+ Add directory');
  const summary = h('p', { class: 'table-summary', 'aria-live': 'polite', tabindex: '-1' });
  const host = h('div', { class: 'table-host' });
  view.replaceChildren(h('div', { class: 'toolbar' }, h('div', { class: 'grow' }), addButton), summary, host);
  addButton.addEventListener('click', () => editDirectory(null, addButton));

  /** @type {Directory[]} */
  let directories = [];

  async function load() {
    try {
      /** @type {{ items: Directory[] }} */
      const answer = await api('GET', '/admin/api/directories');
      directories = answer.items;
    } catch (err) {
      host.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load the directories: ${/** @type {Error} */ (err).message}`));
      return;
    }
    summary.textContent =
      directories.length === 0
        ? 'No directory yet: only internal users can sign in.'
        : `${directories.length} ${directories.length === 1 ? 'directory' : 'directories'}, asked in this order.`;
    const columns = ['Order', 'Name', 'Server', 'Status', 'Health', 'Actions'];
    host.replaceChildren(
      directories.length === 0
        ? ''
        : dataTable({ className: 'directories-table', caption: 'Directories in sign-in order', columns, rows: directories.map(cellsOf) }),
    );
  }

  /**
   * @param {Directory} d
   * @param {number} i
   */
  function cellsOf(d, i) {
    const focusKey = `directory:${d.id}`;
    const up = h(
      'button',
      { type: 'button', class: 'icon-button', 'aria-label': `Move ${d.name} up`, disabled: i === 0, dataset: { focusKey: `${focusKey}:up` } },
      '↑',
    );
    const down = h(
      'button',
      {
        type: 'button',
        class: 'icon-button',
        'aria-label': `Move ${d.name} down`,
        disabled: i === directories.length - 1,
        dataset: { focusKey: `${focusKey}:down` },
      },
      '↓',
    );
    up.addEventListener('click', () => move(d, i - 1, `${focusKey}:up`));
    down.addEventListener('click', () => move(d, i + 1, `${focusKey}:down`));
    /** @type {import('./widgets.js').MenuItem[]} */
    const items = [
      { label: 'Test connection', onSelect: (trigger) => testConnection(d, trigger, focusKey) },
      { label: 'Test a user’s sign-in', onSelect: (trigger) => testUser(d, trigger, focusKey) },
      { label: 'Import users and groups', onSelect: (trigger) => importDialog(d, trigger, focusKey) },
      { label: 'Edit', onSelect: (trigger) => editDirectory(d, trigger) },
      { label: d.enabled ? 'Disable' : 'Enable', danger: d.enabled, onSelect: (trigger) => toggle(d, trigger, focusKey) },
      { label: 'Remove', danger: true, onSelect: (trigger) => remove(d, trigger, focusKey) },
    ];
    return [
      h('td', { class: 'order-cell' }, h('span', { class: 'order-number' }, String(i + 1)), up, down),
      h('th', { scope: 'row' }, d.name, h('div', { class: 'muted small' }, 'Domain ', h('code', {}, d.domain))),
      h(
        'td',
        {},
        `${d.host}:${d.port}`,
        h('div', { class: 'muted small' }, SECURITY_LABEL[d.security], d.bind_dn ? ` · binds as ${d.bind_dn}` : ' · anonymous'),
      ),
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge ${d.enabled ? 'badge-approved' : 'badge-disapproved'}` },
          h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, d.enabled ? '✓' : '⊘'),
          d.enabled ? ' Enabled' : ' Disabled',
        ),
      ),
      h('td', {}, healthCell(d)),
      h('td', { class: 'actions-cell' }, menuButton({ label: '⋯', accessibleName: `Actions for ${d.name}`, items, focusKey })),
    ];
  }

  /**
   * @param {Directory} d
   * @param {number} position
   * @param {string} focusKey
   */
  async function move(d, position, focusKey) {
    try {
      await api('POST', `${dirPath(d)}/move`, { position });
      await load();
      announce(`${d.name} moved to position ${position + 1}`);
      /** @type {HTMLButtonElement | null} */
      const again = host.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      // At the top or bottom the arrow is disabled: the row's menu button takes the focus.
      /** @type {HTMLElement | null} */
      const menu = host.querySelector(`[data-focus-key="${CSS.escape(focusKey.replace(/:(up|down)$/, ''))}"]`);
      if (again && !again.disabled) again.focus();
      else menu?.focus();
    } catch (err) {
      summary.textContent = `Could not move ${d.name}: ${/** @type {Error} */ (err).message}`;
      summary.focus();
    }
  }

  /** @param {Directory} d @param {HTMLElement} trigger @param {string} focusKey */
  function toggle(d, trigger, focusKey) {
    const enable = !d.enabled;
    return confirmDialog({
      title: `${enable ? 'Enable' : 'Disable'} ${d.name}?`,
      message: enable
        ? 'Sign-ins will ask this directory again, in its place in the list.'
        : [
            h('p', {}, 'Sign-ins stop asking this directory. Its users who are signed in stay signed in until they sign out;'),
            h('p', {}, 'another directory in the list may still sign them in, and its users can still be imported.'),
          ],
      confirmLabel: enable ? 'Enable' : 'Disable',
      danger: !enable,
      trigger,
      focusKey,
      action: async () => {
        await api('PATCH', dirPath(d), { enabled: enable });
        await load();
        announce(`${d.name} ${enable ? 'enabled' : 'disabled'}`);
      },
    });
  }

  /** @param {Directory} d @param {HTMLElement} trigger @param {string} focusKey */
  function remove(d, trigger, focusKey) {
    return confirmDialog({
      title: `Remove ${d.name}?`,
      message: [
        h('p', {}, 'Removing a directory is permanent:'),
        h(
          'ul',
          {},
          h('li', {}, 'its external users are disabled (kept, with their audit history), their sessions end and their tokens stop working;'),
          h('li', {}, 'its external groups are removed, and their members lose the groups’ roles.'),
        ),
      ],
      confirmLabel: 'Remove directory',
      danger: true,
      typeToConfirm: d.domain,
      trigger,
      focusKey,
      action: async () => {
        await api('DELETE', dirPath(d));
        await load();
        announce(`${d.name} removed`);
      },
    });
  }

  /** @param {Directory} d @param {HTMLElement} trigger @param {string} focusKey */
  function testConnection(d, trigger, focusKey) {
    const dlg = createDialog({ title: `Test the connection to ${d.name}`, trigger, focusKey });
    const result = h('div', { role: 'status', 'aria-live': 'polite' }, h('p', { class: 'muted' }, `Connecting to ${d.host}:${d.port}…`));
    dlg.body.append(h('p', {}, 'Connects, binds with the configured credentials and reads the user base.'), result);
    dlg.footer.append(h('button', { type: 'button', class: 'primary', onClick: () => dlg.close('done') }, 'Close'));
    dlg.show();
    /** @type {Promise<{ ok: boolean, reason?: string }>} */
    const asked = api('POST', `${dirPath(d)}/test`);
    asked
      .then(async (r) => {
        result.replaceChildren(
          r.ok
            ? h('p', { class: 'success' }, '✓ The directory answered and the bind succeeded.')
            : h('p', { class: 'form-error' }, `⚠ The test failed: ${r.reason ?? 'no reason given'}`),
        );
        announce(r.ok ? 'Connection test passed' : 'Connection test failed');
        await load();
      })
      .catch((/** @type {Error} */ err) => result.replaceChildren(h('p', { class: 'form-error' }, `The test could not run: ${err.message}`)));
  }

  /** @param {Directory} d @param {HTMLElement} trigger @param {string} focusKey */
  function testUser(d, trigger, focusKey) {
    const dlg = createDialog({ title: `Test a sign-in against ${d.name}`, trigger, focusKey, wide: true });
    const formId = uid('test-user');
    const username = textField('Username', '');
    const password = textField('Password (optional)', '', {
      type: 'password',
      autocomplete: 'new-password',
      hint: 'Without a password the user is only looked up.',
    });
    const result = h('div', { role: 'status', 'aria-live': 'polite' });
    const form = h(
      'form',
      { id: formId, novalidate: true },
      h('p', { class: 'hint' }, 'Asks this directory alone. Nobody is signed in and no user is created.'),
      username.wrapper,
      password.wrapper,
      result,
    );
    /** @type {Record<string, string>} */
    const OUTCOME = {
      signed_in: '✓ The password is right: this user can sign in.',
      found: '✓ The user exists in the directory.',
      wrong_password: '⚠ The directory refused the password (or the account is disabled there).',
      unknown_user: '⚠ The directory does not know this user.',
      unavailable: '⚠ The directory could not be asked.',
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = username.input.value.trim();
      username.setError(name === '' ? 'Enter a username.' : null);
      if (name === '') return username.input.focus();
      dlg.setBusy(true);
      try {
        /** @type {{ outcome: string, reason?: string, entry?: DirectoryEntry }} */
        const r = await api('POST', `${dirPath(d)}/test-user`, password.input.value ? { username: name, password: password.input.value } : { username: name });
        const ok = r.outcome === 'signed_in' || r.outcome === 'found';
        result.replaceChildren(h('p', { class: ok ? 'success' : 'form-error' }, OUTCOME[r.outcome] ?? r.outcome, r.reason ? ` ${r.reason}` : ''));
        if (r.entry) result.append(entryDetails(r.entry));
        announce(OUTCOME[r.outcome] ?? r.outcome);
      } catch (err) {
        result.replaceChildren(h('p', { class: 'form-error' }, /** @type {Error} */ (err).message));
      } finally {
        dlg.setBusy(false);
        password.input.value = '';
      }
    });
    dlg.body.append(form);
    dlg.footer.append(
      h('button', { type: 'button', onClick: () => dlg.close('cancel') }, 'Close'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, 'Test'),
    );
    dlg.show();
  }

  /** @param {Directory | null} existing @param {HTMLElement} trigger */
  function editDirectory(existing, trigger) {
    const dlg = createDialog({ title: existing ? `Edit ${existing.name}` : 'Add a directory', trigger, wide: true });
    const formId = uid('directory-form');
    const d = existing;
    const search =
      d === null || 'base_dn' in d.users
        ? /** @type {{ base_dn?: string, filter?: string, username_attribute?: string, scope?: string }} */ (d?.users ?? {})
        : {};
    const template = d !== null && 'dn_template' in d.users ? d.users.dn_template : '';
    const g = d?.groups ?? { kind: 'member_of' };
    const f = {
      name: textField('Name', d?.name ?? ''),
      domain: textField('Domain', d?.domain ?? '', { hint: 'Short id: users may sign in as DOMAIN\\name or name@domain. "internal" is reserved.' }),
      host: textField('Server address', d?.host ?? '', { hint: 'Host name or IP address, without scheme or port.' }),
      port: textField('Port', d?.port ?? '', { type: 'number', placeholder: '389 or 636 for LDAPS' }),
      security: selectField(
        'Connection security',
        [
          ['none', 'Plain LDAP (no encryption)'],
          ['starttls', 'StartTLS'],
          ['ldaps', 'LDAPS'],
        ],
        d?.security ?? 'starttls',
      ),
      ca_bundle: field({
        label: 'CA certificates (PEM, optional)',
        input: h('textarea', { rows: '3', spellcheck: 'false' }),
        hint: 'Trusted for this server; empty: the system’s trusted CAs.',
      }),
      verify_hostname: checkbox('Verify that the certificate names the server', d?.verify_hostname ?? true),
      connect_timeout_ms: textField('Connect timeout (ms)', d?.connect_timeout_ms ?? 5000, { type: 'number' }),
      read_timeout_ms: textField('Read timeout (ms)', d?.read_timeout_ms ?? 10000, { type: 'number' }),
      bind_dn: textField('Bind DN', d?.bind_dn ?? '', { hint: 'Service account for searching; empty: bind anonymously.' }),
      bind_password: textField(d?.bind_password_set ? 'Bind password (leave empty to keep it)' : 'Bind password', '', {
        type: 'password',
        autocomplete: 'new-password',
        hint: 'Stored encrypted; never shown again.',
      }),
      'users.base_dn': textField('User base DN', search.base_dn ?? '', { placeholder: 'ou=people,dc=example,dc=com' }),
      'users.filter': textField('User filter', search.filter ?? '', { placeholder: 'From the preset' }),
      'users.username_attribute': textField('Username attribute', search.username_attribute ?? '', { placeholder: 'uid or sAMAccountName' }),
      'users.dn_template': textField('User DN template', template, {
        placeholder: 'uid={username},ou=people,dc=example,dc=com',
        hint: 'Instead of a search: bind directly as this DN. {username} is escaped.',
      }),
      'attributes.display_name': textField('Display name attribute', d?.attributes.display_name ?? '', { placeholder: 'cn' }),
      'attributes.email': textField('E-mail attribute', d?.attributes.email ?? '', { placeholder: 'mail' }),
      'attributes.unique_id': textField('Unique id attribute', d?.attributes.unique_id ?? '', { placeholder: 'entryUUID or objectGUID' }),
      'groups.kind': selectField(
        'Groups',
        [
          ['none', 'Not read'],
          ['member_of', 'From the user’s memberOf attribute'],
          ['search', 'By a group search'],
        ],
        g.kind,
      ),
      'groups.base_dn': textField('Group base DN', g.kind === 'search' ? g.base_dn : '', { placeholder: 'ou=groups,dc=example,dc=com' }),
      'groups.nested': checkbox('Follow nested groups (Active Directory)', g.kind === 'search' ? g.nested : false),
      email_verified: checkbox('E-mail addresses from this directory are verified', d?.email_verified ?? false),
      create_users_on_sign_in: checkbox('Create external user on successful authentication', d?.create_users_on_sign_in ?? false),
      default_group_id: textField('Default group id (optional)', d?.default_group_id ?? '', { hint: 'Users created at sign-in join this native group.' }),
      sync_interval_minutes: textField('Re-sync interval (minutes)', d?.sync_interval_minutes ?? 0, { type: 'number', hint: '0: only at sign-in.' }),
    };
    f.ca_bundle.input.value = d?.ca_bundle ?? '';
    const preset = selectField(
      'Preset',
      [
        ['openldap', 'OpenLDAP'],
        ['active_directory', 'Active Directory'],
      ],
      'openldap',
      'Fills the filter, attributes and groups left empty.',
    );
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const form = h(
      'form',
      { id: formId, novalidate: true },
      error,
      h('fieldset', {}, h('legend', {}, 'Directory'), d ? null : preset.wrapper, f.name.wrapper, f.domain.wrapper),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Connection'),
        f.host.wrapper,
        f.port.wrapper,
        f.security.wrapper,
        f.ca_bundle.wrapper,
        f.verify_hostname.wrapper,
        f.connect_timeout_ms.wrapper,
        f.read_timeout_ms.wrapper,
        f.bind_dn.wrapper,
        f.bind_password.wrapper,
      ),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Users'),
        f['users.base_dn'].wrapper,
        f['users.filter'].wrapper,
        f['users.username_attribute'].wrapper,
        f['users.dn_template'].wrapper,
        f['attributes.display_name'].wrapper,
        f['attributes.email'].wrapper,
        f['attributes.unique_id'].wrapper,
      ),
      h('fieldset', {}, h('legend', {}, 'Groups'), f['groups.kind'].wrapper, f['groups.base_dn'].wrapper, f['groups.nested'].wrapper),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Sign-in'),
        f.email_verified.wrapper,
        f.create_users_on_sign_in.wrapper,
        f.default_group_id.wrapper,
        f.sync_interval_minutes.wrapper,
      ),
    );
    const groupSearch = () => {
      const isSearch = f['groups.kind'].input.value === 'search';
      f['groups.base_dn'].wrapper.hidden = !isSearch;
      f['groups.nested'].wrapper.hidden = !isSearch;
    };
    f['groups.kind'].input.addEventListener('change', groupSearch);
    groupSearch();

    /** The request body: only what the form says, empty optional fields left to the defaults. */
    function body() {
      const v = (/** @type {keyof typeof f} */ k) => /** @type {HTMLInputElement} */ (f[k].input).value.trim();
      const num = (/** @type {keyof typeof f} */ k) => (v(k) === '' ? undefined : Number(v(k)));
      /** @type {Record<string, unknown>} */
      const users = v('users.dn_template')
        ? { dn_template: v('users.dn_template') }
        : Object.fromEntries(
            [
              ['base_dn', v('users.base_dn')],
              ['filter', v('users.filter')],
              ['username_attribute', v('users.username_attribute')],
            ].filter(([k, value]) => k === 'base_dn' || value !== ''),
          );
      /** @type {Record<string, unknown>} */
      const attributes = {};
      for (const k of /** @type {const} */ (['display_name', 'email', 'unique_id'])) {
        const value = v(`attributes.${k}`);
        if (value !== '') attributes[k] = value;
      }
      const kind = v('groups.kind');
      const groups =
        kind === 'search' ? { kind, ...(v('groups.base_dn') ? { base_dn: v('groups.base_dn') } : {}), nested: f['groups.nested'].input.checked } : { kind };
      /** @type {Record<string, unknown>} */
      const out = {
        name: v('name'),
        domain: v('domain'),
        host: v('host'),
        port: num('port'),
        security: v('security'),
        ca_bundle: orNull(f.ca_bundle.input.value),
        verify_hostname: f.verify_hostname.input.checked,
        connect_timeout_ms: num('connect_timeout_ms'),
        read_timeout_ms: num('read_timeout_ms'),
        bind_dn: orNull(v('bind_dn')),
        users,
        attributes,
        groups,
        email_verified: f.email_verified.input.checked,
        create_users_on_sign_in: f.create_users_on_sign_in.input.checked,
        default_group_id: orNull(v('default_group_id')),
        sync_interval_minutes: num('sync_interval_minutes'),
      };
      const pw = /** @type {HTMLInputElement} */ (f.bind_password.input).value;
      if (pw !== '') out.bind_password = pw;
      if (!d) out.preset = preset.input.value;
      for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
      return out;
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      for (const slot of Object.values(f)) slot.setError(null);
      dlg.setBusy(true);
      try {
        /** @type {Directory} */
        const saved = await api(d ? 'PATCH' : 'POST', d ? dirPath(d) : '/admin/api/directories', body());
        await load();
        announce(`${saved.name} ${d ? 'saved' : 'added'}`);
        dlg.close('saved');
      } catch (err) {
        dlg.setBusy(false);
        if (!(err instanceof ApiError)) throw err;
        const rest = placeErrors(err, f);
        if (rest.length || err.fields.length === 0) {
          error.textContent = rest.length ? rest.join('; ') : err.message;
          error.hidden = false;
        }
        /** @type {HTMLElement | null} */
        const invalid = form.querySelector('[aria-invalid="true"]');
        (invalid ?? dlg.heading).focus();
      }
    });
    dlg.body.append(form);
    dlg.footer.append(
      h('button', { type: 'button', onClick: () => dlg.close('cancel') }, 'Cancel'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, d ? 'Save' : 'Add directory'),
    );
    dlg.show();
  }

  /** @param {Directory} d @param {HTMLElement} trigger @param {string} focusKey */
  function importDialog(d, trigger, focusKey) {
    const dlg = createDialog({ title: `Import from ${d.name}`, trigger, focusKey, wide: true });
    const formId = uid('import');
    const term = textField('Search the directory', '', { type: 'search' });
    term.wrapper.classList.add('grow');
    const find = h('button', { type: 'button', class: 'secondary' }, 'Search');
    const found = h('div', { 'aria-live': 'polite' });
    const outcome = h('div', { role: 'status', 'aria-live': 'polite' });
    /** @type {ReturnType<typeof choiceGroup> | null} */
    let users = null;
    /** @type {ReturnType<typeof choiceGroup> | null} */
    let groups = null;

    async function preview() {
      found.replaceChildren(h('p', { class: 'muted' }, 'Searching…'));
      const q = query({ query: term.input.value.trim(), limit: 50 });
      try {
        /** @type {Promise<{ items: DirectoryEntry[] }>} */
        const askUsers = api('GET', `${dirPath(d)}/users${q}`);
        /** @type {Promise<{ items: DirectoryGroupFound[] }>} */
        const askGroups = api('GET', `${dirPath(d)}/groups${q}`);
        const [u, g] = await Promise.all([askUsers, askGroups]);
        users = choiceGroup({
          legend: `Users (${u.items.length})`,
          name: 'users',
          options: u.items.map((e) => ({
            value: e.username,
            label: `${e.username}${e.display_name ? ` — ${e.display_name}` : ''}`,
            note: e.imported_as ? `imported as ${e.imported_as}` : (e.email ?? undefined),
            checked: false,
          })),
        });
        groups = choiceGroup({
          legend: `Groups (${g.items.length})`,
          name: 'groups',
          options: g.items.map((e) => ({
            value: e.dn,
            label: e.name,
            note: `${e.members} ${e.members === 1 ? 'member' : 'members'}${e.imported ? ', imported' : ''} · ${e.dn}`,
          })),
        });
        found.replaceChildren(
          u.items.length || g.items.length
            ? h('div', { class: 'import-lists' }, users.fieldset, groups.fieldset)
            : h('p', { class: 'muted' }, 'Nothing found.'),
        );
      } catch (err) {
        found.replaceChildren(h('p', { class: 'form-error' }, /** @type {Error} */ (err).message));
      }
    }
    find.addEventListener('click', preview);
    term.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        preview();
      }
    });

    const form = h(
      'form',
      { id: formId, novalidate: true },
      h(
        'p',
        { class: 'hint' },
        'Imported users sign in through this directory; imported groups follow its membership. Search by the start of a username or group name; empty lists the first entries.',
      ),
      h('div', { class: 'toolbar' }, term.wrapper, find),
      found,
      outcome,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = { users: users?.values() ?? [], groups: groups?.values() ?? [] };
      if (chosen.users.length === 0 && chosen.groups.length === 0) {
        outcome.replaceChildren(h('p', { class: 'form-error' }, 'Choose users or groups to import.'));
        return;
      }
      dlg.setBusy(true);
      try {
        /** @type {{ users: import('./api.js').User[], groups: import('./api.js').Group[], not_found: string[] }} */
        const r = await api('POST', `${dirPath(d)}/import`, chosen);
        const text = `Imported ${r.users.length} ${r.users.length === 1 ? 'user' : 'users'} and ${r.groups.length} ${r.groups.length === 1 ? 'group' : 'groups'}`;
        outcome.replaceChildren(h('p', { class: 'success' }, `${text}.`));
        if (r.not_found.length) outcome.append(h('p', { class: 'form-error' }, `Not found: ${r.not_found.join(', ')}`));
        announce(text);
        await preview();
      } catch (err) {
        outcome.replaceChildren(h('p', { class: 'form-error' }, /** @type {Error} */ (err).message));
      } finally {
        dlg.setBusy(false);
      }
    });
    dlg.body.append(form);
    dlg.footer.append(
      h('button', { type: 'button', onClick: () => dlg.close('done') }, 'Close'),
      h('button', { type: 'submit', form: formId, class: 'primary' }, 'Import selected'),
    );
    dlg.show();
    preview();
  }

  load();
}

/** What the directory says about a user: attributes and groups. @param {DirectoryEntry} e */
function entryDetails(e) {
  /** @type {Array<[string, string | null]>} */
  const rows = [
    ['Username', e.username],
    ['Display name', e.display_name],
    ['E-mail', e.email],
    ['Given name', e.given_name],
    ['Family name', e.family_name],
    ['Unique id', e.unique_id],
    ['DN', e.dn],
    ['Latchkey user', e.imported_as],
  ];
  return h(
    'div',
    { class: 'entry-details' },
    h(
      'dl',
      { class: 'settings' },
      rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? h('span', { class: 'muted' }, '—'))]),
    ),
    h('h3', {}, `Groups (${e.groups.length})`),
    e.groups.length
      ? h(
          'ul',
          { class: 'entry-groups' },
          e.groups.map((g) => h('li', {}, g.name, h('span', { class: 'muted small' }, ` ${g.dn}`))),
        )
      : h('p', { class: 'muted' }, 'None found.'),
  );
}
