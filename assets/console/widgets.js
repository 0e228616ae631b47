// @ts-check
// Small widgets: copy buttons, the row menu (a WAI-ARIA menu button), form fields with their errors.
import { announce, h, uid } from './dom.js';

/**
 * Writes text to the clipboard; falls back to a hidden text area where the Clipboard API is unavailable.
 * @param {string} text
 */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the older way
    }
  }
  const area = h('textarea', { class: 'visually-hidden', readonly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

/** Two overlapping sheets, drawn inline (no image request, nothing for the CSP to allow). */
function copyIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 16 16', width: '14', height: '14', 'aria-hidden': 'true', class: 'icon', focusable: 'false' }))
    svg.setAttribute(k, v);
  const front = document.createElementNS(ns, 'rect');
  for (const [k, v] of Object.entries({ x: '5.5', y: '5.5', width: '8.5', height: '8.5', rx: '1.5' })) front.setAttribute(k, v);
  const back = document.createElementNS(ns, 'path');
  back.setAttribute('d', 'M10.5 5.5V3.5a1.5 1.5 0 0 0-1.5-1.5H3.5A1.5 1.5 0 0 0 2 3.5V9a1.5 1.5 0 0 0 1.5 1.5h2');
  svg.append(back, front);
  return svg;
}

/**
 * A "Copy" button; `what` names the value for screen readers ("Copy client key"). `compact` shows the icon only.
 * @param {string | (() => string)} getText
 * @param {string} what
 * @param {{ compact?: boolean }} [options]
 */
export function copyButton(getText, what, { compact = false } = {}) {
  const label = h('span', { class: compact ? 'visually-hidden' : '' }, 'Copy');
  const button = h(
    'button',
    { type: 'button', class: `copy${compact ? ' copy-compact' : ''}`, 'aria-label': `Copy ${what}`, title: `Copy ${what}` },
    copyIcon(),
    label,
  );
  button.addEventListener('click', async () => {
    const ok = await copyText(typeof getText === 'function' ? getText() : getText);
    label.textContent = ok ? 'Copied' : 'Copy failed';
    if (compact) button.classList.toggle('copied', ok);
    announce(ok ? `${what} copied` : `Could not copy the ${what}; select it and copy by hand`);
    setTimeout(() => {
      label.textContent = 'Copy';
      button.classList.remove('copied');
    }, 1500);
  });
  return button;
}

/**
 * A menu button with a popup of actions. Keyboard: Enter/Space/ArrowDown open it on the first item,
 * ArrowUp on the last; arrows, Home and End move; Escape closes and returns to the button; Tab closes.
 * @typedef {{ label: string, onSelect: (button: HTMLButtonElement) => void, danger?: boolean }} MenuItem
 * @param {{ label: string, accessibleName: string, focusKey?: string, items: MenuItem[] }} options
 */
export function menuButton({ label, accessibleName, items, focusKey }) {
  const menuId = uid('menu');
  const button = h(
    'button',
    {
      type: 'button',
      class: 'menu-button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
      'aria-label': accessibleName,
      dataset: { focusKey },
    },
    h('span', { 'aria-hidden': 'true' }, label),
  );
  const entries = items.map((item) =>
    h('li', { role: 'none' }, h('button', { type: 'button', role: 'menuitem', tabindex: '-1', class: item.danger ? 'menu-danger' : '' }, item.label)),
  );
  const menu = h('ul', { role: 'menu', id: menuId, class: 'menu', hidden: true, 'aria-label': accessibleName }, entries);
  const wrapper = h('div', { class: 'menu-wrapper' }, button, menu);
  const menuItems = () => /** @type {HTMLButtonElement[]} */ ([...menu.querySelectorAll('[role="menuitem"]')]);

  function open(focusLast = false) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    const list = menuItems();
    (focusLast ? list[list.length - 1] : list[0])?.focus();
    document.addEventListener('pointerdown', outside, true);
  }
  /** @param {boolean} returnFocus */
  function close(returnFocus) {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (returnFocus) button.focus();
  }
  /** @param {PointerEvent} event */
  function outside(event) {
    if (!(event.target instanceof Node && wrapper.contains(event.target))) close(false);
  }

  button.addEventListener('click', () => (menu.hidden ? open() : close(true)));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open(event.key === 'ArrowUp');
    }
  });
  menu.addEventListener('keydown', (event) => {
    const list = menuItems();
    // indexOf finds nothing (-1) when the focus is elsewhere.
    const i = list.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    /** @type {Record<string, number | undefined>} */
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: list.length - 1 };
    const move = moves[event.key];
    if (move !== undefined) {
      event.preventDefault();
      list[(move + list.length) % list.length]?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
    } else if (event.key === 'Tab') {
      close(false);
    }
  });
  items.forEach((item, i) => {
    entries[i]?.firstChild?.addEventListener('click', () => {
      close(true);
      item.onSelect(button);
    });
  });
  return wrapper;
}

/**
 * A labelled field: { label, input, hint } → wrapper; `setError(message)` marks the input invalid
 * and ties the message to it with aria-describedby.
 * @template {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} I
 * @param {{ label: import('./dom.js').Child, input: I, hint?: import('./dom.js').Child, className?: string }} options
 */
export function field({ label, input, hint, className }) {
  if (!input.id) input.id = uid('field');
  const hintEl = hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${input.id}-error`, hidden: true });
  const wrapper = h('div', { class: `field${className ? ` ${className}` : ''}` }, h('label', { for: input.id }, label), input, hintEl, errorEl);
  const describe = () => {
    const ids = [hintEl && !hintEl.hidden ? hintEl.id : null, errorEl.hidden ? null : errorEl.id].filter(Boolean);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };
  describe();
  return {
    wrapper,
    input,
    hintEl,
    /** @param {string | null | undefined} message */
    setError(message) {
      errorEl.textContent = message ?? '';
      errorEl.hidden = !message;
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      describe();
    },
  };
}

/**
 * A fieldset of checkboxes or radios with a legend and an error line.
 * @param {{
 *   legend: import('./dom.js').Child, name: string, type?: 'checkbox' | 'radio', hint?: import('./dom.js').Child,
 *   options: Array<{ value: string, label: import('./dom.js').Child, checked?: boolean, disabled?: boolean, note?: string, warn?: boolean }>,
 * }} options
 */
export function choiceGroup({ legend, name, type = 'checkbox', options, hint }) {
  const errorEl = h('p', { class: 'field-error', id: uid('group-error'), hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: uid('group-hint') }, hint) : null;
  /** @type {HTMLInputElement[]} */
  const inputs = [];
  const rows = options.map((o) => {
    const input = h('input', { type, name, value: o.value, id: uid(name), checked: Boolean(o.checked), disabled: Boolean(o.disabled) });
    inputs.push(input);
    const note = o.note ? h('span', { class: `choice-note${o.warn ? ' warning-inline' : ''}`, id: `${input.id}-note` }, o.warn ? '⚠ ' : '', o.note) : null;
    if (note) input.setAttribute('aria-describedby', note.id);
    return h('div', { class: 'choice' }, input, h('label', { for: input.id }, o.label), note);
  });
  const fieldset = h('fieldset', { class: 'choices', 'aria-describedby': hintEl ? hintEl.id : null }, h('legend', {}, legend), hintEl, rows, errorEl);
  return {
    fieldset,
    inputs,
    values: () => inputs.filter((i) => i.checked).map((i) => i.value),
    /** @param {string | null | undefined} message */
    setError(message) {
      errorEl.textContent = message ?? '';
      errorEl.hidden = !message;
      const ids = [hintEl?.id, message ? errorEl.id : null].filter(Boolean).join(' ');
      if (ids) fieldset.setAttribute('aria-describedby', ids);
      else fieldset.removeAttribute('aria-describedby');
    },
  };
}

/**
 * Previous/next paging over a limit/offset list: fills `pager` with the two buttons and
 * "Page X of Y", moves `state.offset`, and calls `reload` after a move.
 * @param {HTMLElement} pager
 * @param {{ limit: number, offset: number }} state
 * @param {number} total
 * @param {{ previous: string, next: string }} labels
 * @param {() => void} reload
 */
export function renderPager(pager, state, total, labels, reload) {
  const pages = Math.max(1, Math.ceil(total / state.limit));
  const current = Math.floor(state.offset / state.limit) + 1;
  const prev = h('button', { type: 'button', disabled: current <= 1 }, labels.previous);
  const next = h('button', { type: 'button', disabled: current >= pages }, labels.next);
  prev.addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - state.limit);
    reload();
  });
  next.addEventListener('click', () => {
    state.offset += state.limit;
    reload();
  });
  pager.replaceChildren(prev, h('span', { class: 'page-of' }, `Page ${current.toLocaleString()} of ${pages.toLocaleString()}`), next);
  pager.hidden = pages <= 1;
}

/**
 * A data table: a caption for screen readers, the column headers (the last column, the row
 * actions, named for screen readers only) and the rows. Each cell but the last is labelled with its
 * column, which the narrow layout shows beside the value.
 * @param {{ className: string, caption: string, columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<HTMLElement>> }} options
 */
export function dataTable({ className, caption, columns, rows }) {
  const last = columns.length - 1;
  return h(
    'table',
    { class: `data-table ${className}` },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c, i) => h('th', { scope: 'col' }, i === last ? h('span', { class: 'visually-hidden' }, c) : c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) => {
        cells.forEach((cell, i) => {
          if (i < last && columns[i] !== undefined) cell.dataset.label = columns[i];
        });
        return h('tr', {}, cells);
      }),
    ),
  );
}

/**
 * Calls `onChange` with the trimmed text a quarter of a second after typing in a search box stops.
 * @param {HTMLInputElement} input
 * @param {(text: string) => void} onChange
 */
export function onSearchInput(input, onChange) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => onChange(input.value.trim()), 250);
  });
}
