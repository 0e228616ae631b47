// @ts-check
// Entry point of the admin console: starts the module of the page the server rendered.
import { pageData } from './dom.js';

/** @type {Record<string, (() => Promise<{ start: (view: HTMLElement) => void }>) | undefined>} */
const PAGES = {
  clients: () => import('./clients.js'),
  client: () => import('./client-detail.js'),
  users: () => import('./users.js'),
  groups: () => import('./groups.js'),
  directories: () => import('./directories.js'),
  audit: () => import('./audit.js'),
  tokens: () => import('./tokens.js'),
};

const { page } = pageData();
const view = document.getElementById('view');
const load = page === undefined ? undefined : PAGES[page];
if (view && load) {
  load()
    .then((m) => m.start(view))
    .catch(() => {
      view.textContent = 'The console could not start. Reload the page; if it persists, check the server log.';
      view.classList.add('form-error');
    });
}
