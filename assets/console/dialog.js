// @ts-check
// Modal dialogs on the native <dialog> element: showModal() keeps focus inside and makes the page
// behind inert, Escape closes, and focus goes back to the control that opened the dialog (or to its
// re-rendered twin, found by data-focus-key) when it closes.
import { focusByKey, h, uid } from './dom.js';

const FOCUSABLE = 'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]';

/**
 * Builds a dialog; fill `body` and `footer`, then call show().
 * @param {{
 *   title: import('./dom.js').Child, trigger?: HTMLElement | null, focusKey?: string | null, wide?: boolean,
 *   onClose?: (returnValue: string) => void,
 * }} options
 */
export function createDialog(options) {
  const titleId = uid('dialog-title');
  const heading = h('h2', { id: titleId, tabindex: '-1' }, options.title);
  const dialog = h('dialog', { class: `dialog${options.wide ? ' dialog-wide' : ''}`, 'aria-labelledby': titleId });
  const closeButton = h('button', { type: 'button', class: 'dialog-close', 'aria-label': 'Close dialog' }, '×');
  const body = h('div', { class: 'dialog-body' });
  const footer = h('div', { class: 'dialog-footer actions' });
  dialog.append(h('div', { class: 'dialog-header' }, heading, closeButton), body, footer);
  // The focused element, when not named: the control that opened the dialog.
  const trigger = options.trigger ?? /** @type {HTMLElement | null} */ (document.activeElement);
  const focusKey = options.focusKey ?? trigger?.dataset?.focusKey;
  let busy = false;

  closeButton.addEventListener('click', () => dialog.close('cancel'));
  // While a request is running the dialog stays, so its outcome is seen.
  dialog.addEventListener('cancel', (event) => {
    if (busy) event.preventDefault();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (trigger?.isConnected && trigger.offsetParent !== null) trigger.focus();
    else focusByKey(focusKey);
    options.onClose?.(dialog.returnValue);
  });

  return {
    dialog,
    heading,
    body,
    footer,
    /** @param {string} text */
    setTitle(text) {
      heading.textContent = text;
    },
    /** @param {boolean} value */
    setBusy(value) {
      busy = value;
      dialog.toggleAttribute('aria-busy', value);
      for (const b of footer.querySelectorAll('button')) b.disabled = value || b.dataset.disabled === 'true';
    },
    show() {
      document.body.append(dialog);
      dialog.showModal();
      focusInitial(dialog, heading);
    },
    close(value = 'done') {
      busy = false;
      dialog.close(value);
    },
  };
}

/**
 * Focuses [data-autofocus] if present, else the first field or button of the body, else the title.
 * @param {HTMLDialogElement} dialog
 * @param {HTMLElement} heading
 */
export function focusInitial(dialog, heading) {
  /** @type {HTMLElement | null} */
  const preferred = dialog.querySelector('[data-autofocus]');
  /** @type {HTMLElement | null} */
  const first =
    preferred ?? dialog.querySelector(`.dialog-body ${FOCUSABLE.split(', ').join(', .dialog-body ')}`) ?? dialog.querySelector('.dialog-footer button');
  (first ?? heading).focus();
}

/**
 * A confirmation dialog that says what will happen. `action` runs when confirmed; the dialog
 * closes after it succeeds (so focus returns to a re-rendered trigger) and shows its error otherwise.
 * Resolves true when the action ran, false when cancelled.
 * @param {{
 *   title: import('./dom.js').Child, message: import('./dom.js').Child, confirmLabel: string, danger?: boolean,
 *   typeToConfirm?: string, trigger?: HTMLElement | null, focusKey?: string | null, action: () => Promise<unknown>,
 * }} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog(options) {
  return new Promise((resolve) => {
    let done = false;
    const d = createDialog({ title: options.title, trigger: options.trigger, focusKey: options.focusKey, onClose: () => resolve(done) });
    const paragraphs = (Array.isArray(options.message) ? options.message : [options.message]).map((m) => (m instanceof Node ? m : h('p', {}, m)));
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    d.body.append(...paragraphs);

    const confirm = h('button', { type: 'button', class: options.danger ? 'danger' : 'primary' }, options.confirmLabel);
    const cancel = h('button', { type: 'button', onClick: () => d.close('cancel') }, 'Cancel');

    /** @type {HTMLInputElement | null} */
    let typed = null;
    if (options.typeToConfirm !== undefined) {
      const id = uid('confirm-name');
      typed = h('input', { type: 'text', id, autocomplete: 'off', spellcheck: 'false', 'data-autofocus': true, 'aria-describedby': `${id}-hint` });
      d.body.append(
        h('label', { for: id }, 'Type the name to confirm'),
        h('p', { class: 'hint', id: `${id}-hint` }, 'Type ', h('strong', { class: 'typed-name' }, options.typeToConfirm), ' exactly.'),
        typed,
      );
      confirm.disabled = true;
      confirm.dataset.disabled = 'true';
      const input = typed;
      input.addEventListener('input', () => {
        const ok = input.value === options.typeToConfirm;
        confirm.disabled = !ok;
        confirm.dataset.disabled = String(!ok);
      });
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !confirm.disabled) confirm.click();
      });
    } else if (options.danger) {
      cancel.dataset.autofocus = 'true';
    } else {
      confirm.dataset.autofocus = 'true';
    }
    d.body.append(error);

    confirm.addEventListener('click', async () => {
      if (typed && typed.value !== options.typeToConfirm) return;
      error.hidden = true;
      d.setBusy(true);
      try {
        await options.action();
        done = true;
        d.close('confirm');
      } catch (err) {
        d.setBusy(false);
        error.textContent = /** @type {{ message?: string } | null | undefined} */ (err)?.message ?? 'Something went wrong.';
        error.hidden = false;
        confirm.focus();
      }
    });
    d.footer.append(cancel, confirm);
    d.show();
  });
}

/**
 * Finishes a dialog around a form: Cancel and the submit button in the footer; on submit, runs
 * `action` with the dialog busy, closes it when the action succeeds and shows the error's message
 * in `error` otherwise.
 * @param {ReturnType<typeof createDialog>} d
 * @param {HTMLFormElement} form
 * @param {{ submitLabel: string, error: HTMLElement, action: () => Promise<void> }} options
 */
export function submitDialog(d, form, { submitLabel, error, action }) {
  if (!form.id) form.id = uid('dialog-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    d.setBusy(true);
    try {
      await action();
      d.close('saved');
    } catch (err) {
      d.setBusy(false);
      error.textContent = /** @type {Error} */ (err).message;
      error.hidden = false;
    }
  });
  d.body.append(form);
  d.footer.append(
    h('button', { type: 'button', onClick: () => d.close('cancel') }, 'Cancel'),
    h('button', { type: 'submit', form: form.id, class: 'primary' }, submitLabel),
  );
  d.show();
}
