// @ts-check
// The Create client and Edit dialogs: one form per client type, validated as the administrator
// types, with the OAuth 2.0 Security BCP's warnings next to discouraged choices. After Save the
// key and secret are shown once with copy buttons and a configuration snippet.
import { ApiError, api } from './api.js';
import {
  defaultAuthMethod,
  grantAllowedFor,
  CLIENT_SETTINGS_RULES as RULES,
  redirectUriLines,
  redirectUriProblem,
  requiresPkce,
  settingsViolations,
  uriList,
} from './client-settings.js';
import { createDialog } from './dialog.js';
import { announce, grantLabel, h, pageData, replace, statusBadge, TYPE_LABEL, uid } from './dom.js';
import { choiceGroup, copyButton, field } from './widgets.js';

const data = pageData();
const MIN_SECRET = data.minSecretLength ?? 16;
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
/** @type {readonly ClientType[]} */
const CLIENT_TYPES = ['oauth1', 'oauth2', 'oidc'];

/**
 * @typedef {import('./api.js').Client} Client
 * @typedef {Client['type']} ClientType
 * @typedef {ReturnType<typeof field<HTMLInputElement>>} InputField
 * @typedef {ReturnType<typeof field<HTMLTextAreaElement>>} TextField
 * @typedef {ReturnType<typeof choiceGroup>} ChoiceGroup
 * @typedef {{ note: string, warn?: boolean }} ChoiceNote
 * @typedef {{ input?: HTMLElement }} Problem
 */

/**
 * The form's controls; render() fills in those of the chosen client type.
 * @typedef {{
 *   name: InputField, public?: ChoiceGroup, secret?: InputField, retype?: InputField,
 *   callback_url?: InputField, rsa_public_key?: TextField,
 *   redirect_uris?: TextField, redirectList?: HTMLUListElement, post_logout_redirect_uris?: TextField,
 *   grant_types?: ChoiceGroup, response_types?: ChoiceGroup, require_pkce?: HTMLInputElement, resource_server?: HTMLInputElement,
 *   resources?: TextField,
 * }} Fields
 */

/**
 * What Save sends: the whole client on POST; changes() picks the differing members for a PATCH.
 * @typedef {{
 *   name: string, type?: ClientType, public?: boolean, secret?: string,
 *   callback_url?: string | null, rsa_public_key?: string | null,
 *   redirect_uris?: string[], post_logout_redirect_uris?: string[], grant_types?: string[], response_types?: string[],
 *   require_pkce?: boolean, resource_server?: boolean, resources?: string[],
 * }} ClientBody
 * @typedef {Partial<ClientBody>} ClientPatch
 */

/**
 * @typedef {{ trigger?: HTMLElement | null, focusKey?: string | null, onSaved?: (client: Client) => void }} FormCommon
 * @typedef {FormCommon & { mode: 'create', type?: string }} CreateOptions
 * @typedef {FormCommon & { mode: 'edit', client: Client }} EditOptions
 */

/** @type {Record<string, ChoiceNote | undefined>} */
const GRANT_NOTES = {
  authorization_code: { note: 'Users sign in and consent in their browser. The recommended flow.' },
  refresh_token: { note: 'Keeps access without asking the user again.' },
  password: {
    note: "The application handles the user's password itself. The OAuth 2.0 Security BCP (RFC 9700 §2.4) says not to use this grant.",
    warn: true,
  },
  [DEVICE]: { note: 'For TVs and command-line tools: the user approves on another device.' },
  client_credentials: { note: 'The application acts for itself, with no user. Confidential clients only.' },
};

/**
 * @param {string} responseType
 * @returns {ChoiceNote | null}
 */
function responseNote(responseType) {
  const parts = responseType.split(' ');
  if (parts.includes('token')) {
    const flow = parts.length === 1 ? 'implicit' : 'hybrid';
    return {
      note: `Returns an access token in the browser's address bar (${flow} flow), where it can leak. The OAuth 2.0 Security BCP (RFC 9700 §2.1.2) says not to; use "code" with PKCE.`,
      warn: true,
    };
  }
  if (responseType === 'code') return { note: 'Authorization code, exchanged at the token endpoint. Recommended.' };
  return null;
}

/** 256 random bits, base64url (the same strength as a secret the server generates). */
export function generateSecret() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** @type {(a: readonly string[], b: readonly string[]) => boolean} */
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
/** @type {(a: readonly string[], b: readonly string[]) => boolean} */
const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Opens the dialog. mode 'create' (options.type preselects a type) or 'edit' (options.client).
 * options.onSaved(client) runs after a successful save.
 * @param {CreateOptions | EditOptions} options
 */
export function openClientForm(options) {
  const original = options.mode === 'edit' ? options.client : undefined;
  const editing = original !== undefined;
  /** @type {ClientType} */
  let type = options.mode === 'edit' ? options.client.type : (CLIENT_TYPES.find((t) => t === options.type) ?? 'oauth2');
  const d = createDialog({
    title: editing ? `Edit ${original.name}` : 'Create client',
    trigger: options.trigger,
    focusKey: options.focusKey,
    wide: true,
  });

  const formId = uid('client-form');
  const form = h('form', { class: 'client-form', id: formId, novalidate: true });
  const summary = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const sections = h('div', { class: 'form-sections' });
  form.append(summary);

  // --- Type (creation only; a key never changes type) ---
  let typeGroup = null;
  if (!editing) {
    typeGroup = choiceGroup({
      legend: 'Client type',
      name: 'client-type',
      type: 'radio',
      options: CLIENT_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t], checked: t === type })),
    });
    typeGroup.fieldset.classList.add('inline-choices');
    for (const input of typeGroup.inputs) {
      input.addEventListener('change', () => {
        if (!input.checked) return;
        type = CLIENT_TYPES.find((t) => t === input.value) ?? type;
        render();
      });
    }
    form.append(typeGroup.fieldset);
  } else {
    form.append(
      h(
        'dl',
        { class: 'settings compact' },
        h('dt', {}, 'Type'),
        h('dd', {}, TYPE_LABEL[type]),
        h('dt', {}, type === 'oauth1' ? 'Consumer key' : 'Client key'),
        h('dd', {}, h('code', {}, original.client_key), h('span', { class: 'hint' }, ' (never changes)')),
      ),
    );
  }
  form.append(sections);

  // Values survive switching the type.
  const nameInput = h('input', { type: 'text', maxlength: '200', autocomplete: 'off', required: true, value: editing ? original.name : '' });
  const secretInput = h('input', { type: 'password', autocomplete: 'new-password', spellcheck: 'false' });
  const retypeInput = h('input', { type: 'password', autocomplete: 'new-password', spellcheck: 'false' });
  let publicClient = editing ? original.public : false;

  /** @type {Fields} */
  let fields;

  function render() {
    const oauth1 = type === 'oauth1';
    const noun = oauth1 ? 'Consumer' : 'Client';
    sections.replaceChildren();
    if (!editing) d.setTitle(oauth1 ? 'Create OAuth 1.0a consumer' : `Create ${TYPE_LABEL[type]} client`);

    fields = { name: field({ label: `${noun} name`, input: nameInput, hint: 'Shown to users on the consent page.' }) };
    sections.append(fields.name.wrapper);

    if (!oauth1) {
      const kind = choiceGroup({
        legend: 'Client kind',
        name: 'client-kind',
        type: 'radio',
        options: [
          { value: 'confidential', label: 'Confidential', note: 'A server-side application that keeps a secret.', checked: !publicClient, disabled: editing },
          {
            value: 'public',
            label: 'Public',
            note: 'A native or browser application that cannot keep a secret; PKCE is required.',
            checked: publicClient,
            disabled: editing,
          },
        ],
        hint: editing ? 'Cannot change after creation; create a new client instead.' : undefined,
      });
      for (const input of kind.inputs) {
        input.addEventListener('change', () => {
          if (!input.checked) return;
          publicClient = input.value === 'public';
          render();
        });
      }
      fields.public = kind;
      sections.append(kind.fieldset);
    }

    if (oauth1 || !publicClient) {
      const keepHint = editing ? 'Leave both empty to keep the current secret. A new one replaces the old at once.' : 'Leave both empty to have one generated.';
      const secret = field({ label: `${noun} secret`, input: secretInput, hint: `At least ${MIN_SECRET} characters. ${keepHint}` });
      const retype = field({ label: 'Re-type secret', input: retypeInput });
      fields.secret = secret;
      fields.retype = retype;
      const generate = h('button', { type: 'button', class: 'secondary' }, 'Generate');
      const show = h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(secretInput.type === 'text') }, 'Show secret');
      generate.addEventListener('click', () => {
        const s = generateSecret();
        secretInput.value = s;
        retypeInput.value = s;
        secretInput.type = 'text';
        retypeInput.type = 'text';
        show.setAttribute('aria-pressed', 'true');
        checkSecrets(true);
        announce('A new secret was generated and filled in both fields');
      });
      show.addEventListener('click', () => {
        const visible = secretInput.type === 'password';
        secretInput.type = visible ? 'text' : 'password';
        retypeInput.type = secretInput.type;
        show.setAttribute('aria-pressed', String(visible));
      });
      sections.append(h('div', { class: 'secret-pair' }, secret.wrapper, retype.wrapper, h('div', { class: 'inline-actions' }, generate, show)));
    } else {
      sections.append(h('p', { class: 'hint' }, 'A public client has no secret: it proves itself with PKCE instead.'));
    }

    if (type === 'oauth1') {
      const callback = h('input', {
        type: 'text',
        inputmode: 'url',
        autocomplete: 'off',
        spellcheck: 'false',
        value: editing ? (original.callback_url ?? '') : '',
      });
      const callbackField = field({
        label: 'Callback URL (optional)',
        input: callback,
        hint: 'If set, every request must use this callback (or "oob"). Empty: the consumer names it per request.',
      });
      callback.addEventListener('input', () => checkCallback());
      const rsa = h('textarea', { rows: '4', spellcheck: 'false', class: 'mono', placeholder: '-----BEGIN PUBLIC KEY-----' });
      rsa.value = editing ? (original.rsa_public_key ?? '') : '';
      const rsaField = field({ label: 'RSA public key (optional)', input: rsa, hint: 'PEM, for consumers that sign with RSA-SHA1.' });
      fields.callback_url = callbackField;
      fields.rsa_public_key = rsaField;
      sections.append(callbackField.wrapper, rsaField.wrapper);
    } else {
      const uris = h('textarea', { rows: '3', spellcheck: 'false', class: 'mono', placeholder: 'https://app.example.com/callback' });
      uris.value = editing ? original.redirect_uris.join('\n') : '';
      const redirectField = field({
        label: 'Redirect URIs',
        input: uris,
        hint: 'One per line. https, http on loopback only, or a private-use scheme (com.example.app:/cb).',
      });
      const redirectList = h('ul', { class: 'uri-problems', 'aria-live': 'polite' });
      fields.redirect_uris = redirectField;
      fields.redirectList = redirectList;
      redirectField.wrapper.append(redirectList);
      uris.addEventListener('input', () => checkRedirects());
      sections.append(redirectField.wrapper);
      if (type === 'oidc') {
        const post = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
        post.value = editing ? original.post_logout_redirect_uris.join('\n') : '';
        const postField = field({ label: 'Post-logout redirect URIs (optional)', input: post, hint: 'One per line.' });
        fields.post_logout_redirect_uris = postField;
        post.addEventListener('input', () => checkPostLogout());
        sections.append(postField.wrapper);
      }

      const grants = editing ? original.grant_types : RULES.defaultGrantTypes;
      const grantGroup = choiceGroup({
        legend: 'Grant types',
        name: 'grant-types',
        options: RULES.grantTypes.map((g) => {
          const blocked = !grantAllowedFor(publicClient, g);
          return { value: g, label: grantLabel(g), checked: grants.includes(g) && !blocked, disabled: blocked, ...(GRANT_NOTES[g] ?? {}) };
        }),
      });
      const responses = editing ? original.response_types : RULES.defaultResponseTypes;
      const responseGroup = choiceGroup({
        legend: 'Response types',
        name: 'response-types',
        hint: type === 'oidc' ? 'OpenID Connect response types.' : 'OAuth 2.0 response types.',
        options: RULES.responseTypes[type].map((r) => ({ value: r, label: r, checked: responses.includes(r), ...(responseNote(r) ?? {}) })),
      });
      fields.grant_types = grantGroup;
      fields.response_types = responseGroup;
      sections.append(h('div', { class: 'choice-columns' }, grantGroup.fieldset, responseGroup.fieldset));

      // RFC 8707: the APIs this client may ask tokens for; each becomes the access token's aud.
      const resources = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono', placeholder: 'https://api.example.com/' });
      resources.value = editing ? (original.resources ?? []).join('\n') : '';
      const resourcesField = field({
        label: 'Resources (optional)',
        input: resources,
        hint: 'One absolute URI per line, without #fragment: the APIs this client may name in the resource parameter. Empty: tokens for Latchkey’s own API only.',
      });
      fields.resources = resourcesField;
      sections.append(resourcesField.wrapper);

      const pkce = h('input', {
        type: 'checkbox',
        id: 'require-pkce',
        checked: requiresPkce(publicClient, editing ? original.require_pkce : false),
        disabled: requiresPkce(publicClient, false),
      });
      fields.require_pkce = pkce;
      sections.append(
        h(
          'div',
          { class: 'choice' },
          pkce,
          h('label', { for: 'require-pkce' }, 'Require PKCE'),
          h('span', { class: 'choice-note' }, publicClient ? 'Always on for public clients.' : 'Refuse authorization requests without a code challenge.'),
        ),
      );
      if (!publicClient) {
        // RFC 7662: only a resource server learns about tokens issued to other clients.
        const rs = h('input', { type: 'checkbox', id: 'resource-server', checked: editing ? original.resource_server === true : false });
        fields.resource_server = rs;
        sections.append(
          h(
            'div',
            { class: 'choice' },
            rs,
            h('label', { for: 'resource-server' }, 'Resource server'),
            h(
              'span',
              { class: 'choice-note' },
              'An API that accepts Latchkey’s tokens: it may introspect access tokens issued to other clients and verify OAuth 1.0a requests. Leave off for applications; they introspect only their own tokens.',
            ),
          ),
        );
      }
    }
  }

  // --- live checks ---
  /**
   * @param {boolean} final
   * @returns {Problem[]}
   */
  function checkSecrets(final) {
    const { secret, retype } = fields;
    if (!secret || !retype) return [];
    /** @type {Problem[]} */
    const problems = [];
    const s = secretInput.value;
    const r = retypeInput.value;
    secret.setError(s !== '' && s.length < MIN_SECRET && (final || s.length > 0) ? `Use at least ${MIN_SECRET} characters.` : null);
    if (s !== '' && s.length < MIN_SECRET) problems.push(secret);
    const mismatch = (final || r.length >= s.length) && s !== r;
    retype.setError(mismatch ? 'The two secrets differ.' : null);
    if (mismatch) problems.push(retype);
    return problems;
  }
  secretInput.addEventListener('input', () => checkSecrets(false));
  retypeInput.addEventListener('input', () => checkSecrets(false));

  /** @returns {Problem[]} */
  function checkRedirects() {
    const f = fields.redirect_uris;
    if (!f) return [];
    const problems = redirectUriLines(f.input.value);
    fields.redirectList?.replaceChildren(...problems.map((p) => h('li', {}, `Line ${p.line}: "${p.uri}" ${p.message}`)));
    f.setError(problems.length ? `${problems.length} redirect URI${problems.length > 1 ? 's need' : ' needs'} fixing (listed below).` : null);
    return problems.length ? [f] : [];
  }
  /** @returns {Problem[]} */
  function checkPostLogout() {
    const f = fields.post_logout_redirect_uris;
    if (!f) return [];
    const problems = redirectUriLines(f.input.value);
    f.setError(problems.length ? problems.map((p) => `Line ${p.line}: "${p.uri}" ${p.message}`).join(' · ') : null);
    return problems.length ? [f] : [];
  }
  /** @returns {Problem[]} */
  function checkCallback() {
    const f = fields.callback_url;
    if (!f) return [];
    const v = f.input.value.trim();
    const problem = v === '' || v === 'oob' ? null : redirectUriProblem(v);
    f.setError(problem ? `"${v}" ${problem}` : null);
    return problem ? [f] : [];
  }

  /** @returns {Problem[]} */
  function validate() {
    /** @type {Problem[]} */
    const bad = [];
    const name = nameInput.value.trim();
    fields.name.setError(name === '' ? 'Enter a name.' : null);
    if (name === '') bad.push(fields.name);
    bad.push(...checkSecrets(true));
    if (type === 'oauth1') {
      bad.push(...checkCallback());
    } else {
      bad.push(...checkRedirects(), ...checkPostLogout());
      const { redirect_uris: redirects, grant_types: grants, response_types: responses } = fields;
      if (!redirects || !grants || !responses) return bad;
      // The server's rules, worded for the form; URI problems are listed per line above.
      const violations = settingsViolations({
        type,
        isPublic: publicClient,
        redirectUris: uriList(redirects.input.value),
        postLogoutRedirectUris: fields.post_logout_redirect_uris ? uriList(fields.post_logout_redirect_uris.input.value) : [],
        grantTypes: grants.values(),
        responseTypes: responses.values(),
      });
      /** @param {ReturnType<typeof settingsViolations>[number]['rule']} rule */
      const broken = (rule) => violations.some((v) => v.rule === rule);
      let grantError = null;
      let responseError = null;
      if (broken('grant_required')) grantError = 'Choose at least one grant type.';
      else if (broken('refresh_token_alone')) grantError = 'refresh_token alone cannot obtain a first token.';
      else if (broken('code_grant_needs_code_response')) grantError = 'authorization_code needs a response type containing "code".';
      if (broken('code_response_needs_code_grant')) responseError = 'A response type containing "code" needs the authorization_code grant.';
      grants.setError(grantError);
      responses.setError(responseError);
      if (grantError) bad.push({ input: grants.inputs.find((i) => !i.disabled) });
      if (responseError) bad.push({ input: responses.inputs[0] });
      if (broken('redirect_uri_required') && !redirects.input.hasAttribute('aria-invalid')) {
        redirects.setError('Add at least one redirect URI: the chosen flow sends users back to the application.');
        bad.push(redirects);
      }
    }
    return bad;
  }

  /** @returns {ClientBody} */
  function payload() {
    /** @type {ClientBody} */
    const body = { name: nameInput.value.trim() };
    if (fields.secret && secretInput.value !== '') body.secret = secretInput.value;
    if (type === 'oauth1') {
      if (fields.callback_url) body.callback_url = fields.callback_url.input.value.trim() || null;
      if (fields.rsa_public_key) body.rsa_public_key = fields.rsa_public_key.input.value.trim() || null;
    } else {
      if (fields.redirect_uris) body.redirect_uris = uriList(fields.redirect_uris.input.value);
      if (fields.post_logout_redirect_uris) body.post_logout_redirect_uris = uriList(fields.post_logout_redirect_uris.input.value);
      if (fields.grant_types) body.grant_types = fields.grant_types.values();
      if (fields.response_types) body.response_types = fields.response_types.values();
      if (fields.require_pkce) body.require_pkce = fields.require_pkce.checked;
      if (fields.resource_server) body.resource_server = fields.resource_server.checked;
      if (fields.resources) body.resources = uriList(fields.resources.input.value);
      if (!editing) body.public = publicClient;
    }
    if (!editing) body.type = type;
    return body;
  }

  /**
   * The fields of a PATCH that differ from the stored client, with a sentence for each.
   * @param {Client} original
   * @returns {{ patch: ClientPatch, lines: string[] }}
   */
  function changes(original) {
    const next = payload();
    /** @type {ClientPatch} */
    const patch = {};
    /** @type {string[]} */
    const lines = [];
    if (next.name !== original.name) {
      patch.name = next.name;
      lines.push(`Name: "${original.name}" becomes "${next.name}".`);
    }
    if (next.secret !== undefined) {
      patch.secret = next.secret;
      lines.push('Secret: replaced. The old secret stops working at once; give the new one to the developer.');
    }
    /**
     * @param {'redirect_uris' | 'post_logout_redirect_uris' | 'grant_types' | 'response_types' | 'resources'} key
     * @param {string} label
     */
    const listChange = (key, label) => {
      const before = original[key] ?? [];
      const after = next[key];
      if (after !== undefined && !sameList(before, after)) {
        patch[key] = after;
        const added = after.filter((x) => !before.includes(x));
        const removed = before.filter((x) => !after.includes(x));
        lines.push(
          `${label}: ${[added.length ? `adds ${added.map(grantLabel).join(', ')}` : '', removed.length ? `removes ${removed.map(grantLabel).join(', ')}` : ''].filter(Boolean).join('; ') || 'reordered'}.`,
        );
      }
    };
    listChange('redirect_uris', 'Redirect URIs');
    listChange('post_logout_redirect_uris', 'Post-logout redirect URIs');
    listChange('resources', 'Resources');
    if (next.grant_types && !sameSet(original.grant_types, next.grant_types)) listChange('grant_types', 'Grant types');
    if (next.response_types && !sameSet(original.response_types, next.response_types)) listChange('response_types', 'Response types');
    if (next.require_pkce !== undefined && next.require_pkce !== original.require_pkce) {
      patch.require_pkce = next.require_pkce;
      lines.push(`PKCE: ${next.require_pkce ? 'now required' : 'no longer required'}.`);
    }
    if (next.resource_server !== undefined && next.resource_server !== (original.resource_server === true)) {
      patch.resource_server = next.resource_server;
      lines.push(
        next.resource_server
          ? 'Resource server: it may now introspect tokens issued to other clients.'
          : 'Resource server: no longer; it introspects only its own tokens.',
      );
    }
    if (type === 'oauth1') {
      if ((next.callback_url ?? null) !== (original.callback_url ?? null)) {
        patch.callback_url = next.callback_url;
        lines.push(`Callback URL: ${next.callback_url ? `"${next.callback_url}"` : 'none (named per request)'}.`);
      }
      if ((next.rsa_public_key ?? null) !== (original.rsa_public_key ?? null)) {
        patch.rsa_public_key = next.rsa_public_key;
        lines.push(`RSA public key: ${next.rsa_public_key ? 'replaced' : 'removed'}.`);
      }
    }
    return { patch, lines };
  }

  /** @param {ApiError} err */
  function showServerErrors(err) {
    /** @type {string[]} */
    const unplaced = [];
    /** @type {HTMLElement | null | undefined} */
    let first = null;
    /** @type {Record<string, Fields[keyof Fields]>} */
    const byName = fields;
    for (const f of err.fields) {
      const key = String(f.field).split('.')[0] ?? '';
      const target = byName[key === 'public' ? 'public' : key];
      if (target && 'setError' in target) {
        target.setError(f.message);
        first ??= 'input' in target ? target.input : target.inputs[0];
      } else unplaced.push(`${f.field}: ${f.message}`);
    }
    replace(
      summary,
      h('p', {}, err.fields.length ? 'The server refused some values:' : err.message),
      unplaced.length
        ? h(
            'ul',
            {},
            unplaced.map((u) => h('li', {}, u)),
          )
        : null,
    );
    summary.hidden = false;
    (first ?? d.heading).focus();
  }

  const cancel = h('button', { type: 'button', onClick: () => d.close('cancel') }, 'Cancel');
  const save = h('button', { type: 'submit', class: 'primary', form: formId }, 'Save');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    summary.hidden = true;
    const bad = validate();
    if (bad.length > 0) {
      summary.replaceChildren(h('p', {}, `Please fix ${bad.length} problem${bad.length > 1 ? 's' : ''} marked below.`));
      summary.hidden = false;
      bad[0]?.input?.focus();
      return;
    }
    if (original) {
      const { patch, lines } = changes(original);
      if (lines.length === 0) {
        summary.replaceChildren(h('p', {}, 'Nothing changed.'));
        summary.hidden = false;
        return;
      }
      confirmStep(original, patch, lines);
      return;
    }
    d.setBusy(true);
    try {
      /** @type {Client} */
      const created = await api('POST', '/admin/api/clients', payload());
      d.setBusy(false);
      showCreated(created);
      options.onSaved?.(created);
    } catch (err) {
      d.setBusy(false);
      if (err instanceof ApiError) showServerErrors(err);
      else throw err;
    }
  });

  /**
   * Edit's confirmation: what will change, then Save changes or go back to the form.
   * @param {Client} original
   * @param {ClientPatch} patch
   * @param {string[]} lines
   */
  function confirmStep(original, patch, lines) {
    const back = h('button', { type: 'button' }, 'Back to the form');
    const apply = h('button', { type: 'button', class: 'primary', 'data-autofocus': true }, 'Save changes');
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const view = h(
      'div',
      { class: 'confirm-changes' },
      h('p', {}, `Saving changes ${original.name} as follows:`),
      h(
        'ul',
        {},
        lines.map((l) => h('li', {}, l)),
      ),
      error,
    );
    form.hidden = true;
    d.body.append(view);
    d.footer.replaceChildren(back, apply);
    d.setTitle(`Save changes to ${original.name}?`);
    apply.focus();
    back.addEventListener('click', () => {
      view.remove();
      form.hidden = false;
      d.footer.replaceChildren(cancel, save);
      d.setTitle(`Edit ${original.name}`);
      nameInput.focus();
    });
    apply.addEventListener('click', async () => {
      d.setBusy(true);
      try {
        /** @type {Client} */
        const updated = await api('PATCH', `/admin/api/clients/${encodeURIComponent(original.client_key)}`, patch);
        d.setBusy(false);
        options.onSaved?.(updated);
        if (updated.client_secret) {
          view.remove();
          showSecret(updated, 'Secret changed', [
            h('p', {}, 'The old secret no longer works. Give this one to the developer of ', h('strong', {}, updated.name), '.'),
          ]);
        } else {
          announce(`${updated.name} saved`);
          d.close('saved');
        }
      } catch (err) {
        d.setBusy(false);
        if (err instanceof ApiError && err.fields.length > 0) {
          back.click();
          showServerErrors(err);
        } else {
          error.textContent = err instanceof Error ? err.message : String(err);
          error.hidden = false;
        }
      }
    });
  }

  /** @param {Client} client */
  function showCreated(client) {
    const pendingNote = h(
      'p',
      { class: 'notice' },
      'Status: ',
      statusBadge(client.status),
      ' — the key cannot be used until an administrator approves it (row menu → Approve).',
    );
    showSecret(client, type === 'oauth1' ? 'Consumer created' : 'Client created', [pendingNote]);
    announce(`${client.name} created; pending approval`);
  }

  /**
   * Replaces the form by the key, the secret (shown this once) and a configuration snippet.
   * @param {Client} client
   * @param {string} title
   * @param {import('./dom.js').Children} intro
   */
  function showSecret(client, title, intro) {
    form.remove();
    const oauth1 = client.type === 'oauth1';
    const key = client.client_key;
    const secret = client.client_secret ?? null;
    const snippet = configSnippet(client, secret);
    const snippetId = 'config-snippet';
    const rows = [
      h('dt', {}, oauth1 ? 'Consumer key' : 'Client key'),
      h('dd', { class: 'copy-row' }, h('code', { class: 'created-key' }, key), copyButton(key, oauth1 ? 'consumer key' : 'client key')),
      h('dt', {}, oauth1 ? 'Consumer secret' : 'Client secret'),
      secret
        ? h('dd', { class: 'copy-row' }, h('code', { class: 'created-secret' }, secret), copyButton(secret, oauth1 ? 'consumer secret' : 'client secret'))
        : h('dd', {}, client.has_secret ? 'unchanged' : 'none (public client)'),
    ];
    d.body.append(
      h(
        'div',
        { class: 'created' },
        intro,
        h('dl', { class: 'settings' }, rows),
        secret
          ? h(
              'p',
              { class: 'warning', role: 'note' },
              'Copy the secret now: it is shown only this once. Latchkey keeps it encrypted and cannot show it again (you can set a new one with Edit).',
            )
          : null,
        h('div', { class: 'snippet-head' }, h('h3', { id: `${snippetId}-title` }, 'Client configuration'), copyButton(snippet, 'configuration')),
        h('pre', { class: 'snippet', tabindex: '0', 'aria-labelledby': `${snippetId}-title` }, h('code', { id: snippetId }, snippet)),
      ),
    );
    d.setTitle(title);
    const done = h('button', { type: 'button', class: 'primary', onClick: () => d.close('done') }, 'Done');
    d.footer.replaceChildren(done);
    d.heading.focus();
  }

  render();
  d.body.append(form);
  d.footer.append(cancel, save);
  d.show();
  nameInput.focus();
  return d;
}

/**
 * A ready-to-paste configuration for the client's developer (JSON).
 * @param {Client} client
 * @param {string | null} secret
 */
export function configSnippet(client, secret) {
  const issuer = String(data.issuer ?? location.origin).replace(/\/+$/, '');
  if (client.type === 'oauth1') {
    return JSON.stringify(
      {
        consumer_key: client.client_key,
        consumer_secret: secret ?? '(unchanged)',
        signature_method: client.rsa_public_key ? 'RSA-SHA1' : 'HMAC-SHA1',
        request_token_url: `${issuer}/oauth1/request_token`,
        authorize_url: `${issuer}/oauth1/authorize`,
        access_token_url: `${issuer}/oauth1/access_token`,
        ...(client.callback_url ? { callback_url: client.callback_url } : {}),
      },
      null,
      2,
    );
  }
  const oidc = client.type === 'oidc';
  const config = {
    issuer,
    [oidc ? 'discovery_url' : 'metadata_url']: oidc ? `${issuer}/.well-known/openid-configuration` : `${issuer}/.well-known/oauth-authorization-server`,
    authorization_endpoint: `${issuer}${oidc ? '/oidc/authorize' : '/oauth2/authorize'}`,
    token_endpoint: `${issuer}${oidc ? '/api/oidc/token' : '/api/oauth2/token'}`,
    ...(client.grant_types.includes(DEVICE) ? { device_authorization_endpoint: `${issuer}${oidc ? '/api/oidc/device_code' : '/api/oauth2/device_code'}` } : {}),
    client_id: client.client_key,
    ...(client.public ? {} : { client_secret: secret ?? '(unchanged)' }),
    token_endpoint_auth_method: defaultAuthMethod(client.public),
    redirect_uris: client.redirect_uris,
    grant_types: client.grant_types,
    response_types: client.response_types,
    scope: oidc ? 'openid profile' : 'profile',
    ...(client.require_pkce ? { code_challenge_method: 'S256' } : {}),
  };
  return JSON.stringify(config, null, 2);
}
