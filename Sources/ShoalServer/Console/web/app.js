// The console's shell: the session, the navigation and a small hash router. Each page is a
// module with render(params) that may return a function to call when the page is left (to
// close its stream or stop its timers).
import { session, loadSession, logIn, logOut } from './api.js';
import { h, page, field, notice, describeError, replace } from './ui.js';

const routes = [
  [/^tables\/new$/, () => import('./pages/create-table.js')],
  [/^tables$/, () => import('./pages/tables.js')],
  [/^table\/(.+)$/, () => import('./pages/table.js')],
  [/^items\/(.+)$/, () => import('./pages/items.js')],
  [/^partiql$/, () => import('./pages/partiql.js')],
  [/^stream(?:\/(.+))?$/, () => import('./pages/stream.js')],
  [/^triggers$/, () => import('./pages/triggers.js')],
  [/^metrics$/, () => import('./pages/metrics.js')],
  [/^operations$/, () => import('./pages/operations.js')],
];

let leave = null;
let generation = 0;

async function route() {
  // In-page anchors (the skip link's #main) are not pages.
  if (location.hash && !location.hash.startsWith('#/')) return;
  const path = location.hash.replace(/^#\/?/, '') || 'tables';
  if (leave) { try { leave(); } catch { /* the page is gone either way */ } leave = null; }
  const mine = ++generation;
  markNavigation(path);
  if (session.auth === 'sigv4' && !session.authenticated) return showLogin();
  for (const [pattern, load] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    try {
      const module = await load();
      if (mine !== generation) return;
      const params = match.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
      const cleanup = await module.render(...params);
      if (mine === generation) leave = typeof cleanup === 'function' ? cleanup : null;
      else if (typeof cleanup === 'function') cleanup();
    } catch (error) {
      if (mine === generation) page('Something went wrong', notice(describeError(error), 'bad'));
    }
    return;
  }
  page('Not found', h('p', {}, 'No console page has this address. ', h('a', { href: '#/tables' }, 'Go to the tables.')));
}

function markNavigation(path) {
  for (const link of document.querySelectorAll('nav a')) {
    const target = link.getAttribute('href').slice(2);
    const current = path === target || path.startsWith(`${target}/`) || (target === 'tables' && /^(table|items)\//.test(path));
    if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  const nav = document.getElementById('nav');
  nav.classList.remove('open');
  document.getElementById('menu-toggle').setAttribute('aria-expanded', 'false');
}

function renderAccount() {
  const box = document.getElementById('account');
  replace(box);
  if (session.auth !== 'sigv4') {
    box.append(h('span', { class: 'muted' }, 'auth: none (same-origin only)'));
    return;
  }
  if (!session.authenticated) return;
  box.append(h('span', {}, `Signed in as ${session.accessKeyId}`),
    h('button', { type: 'button', onclick: async () => { await logOut(); renderAccount(); showLogin(); } }, 'Log out'));
}

function showLogin(message) {
  const key = h('input', { type: 'text', autocomplete: 'username', spellcheck: 'false', required: true });
  const secret = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'polite' }, message ? notice(message, 'warn') : null);
  const form = h('form', { class: 'login', onsubmit: async (event) => {
    event.preventDefault();
    replace(status);
    try {
      await logIn(key.value.trim(), secret.value);
      secret.value = '';
      renderAccount();
      route();
    } catch (error) {
      replace(status, notice(describeError(error), 'bad'));
      secret.value = '';
      secret.focus();
    }
  } },
  h('p', {}, 'This server verifies AWS Signature Version 4. Log in with one of its access keys; the console then holds a session (a cookie no script can read) until it expires or you log out. The secret is not kept in this page.'),
  field('Access key ID', key), field('Secret access key', secret), status,
  h('button', { type: 'submit', class: 'primary' }, 'Log in'));
  page('Log in to Shoal', form);
  key.focus();
}

document.getElementById('menu-toggle').addEventListener('click', (event) => {
  const nav = document.getElementById('nav');
  const open = nav.classList.toggle('open');
  event.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', route);
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('shoal-login-required', () => {
  if (session.auth === 'sigv4' && session.authenticated) {
    session.authenticated = false;
    renderAccount();
    showLogin('Your session ended: log in again.');
  }
});

(async () => {
  try {
    await loadSession();
  } catch (error) {
    page('The console cannot reach the server', notice(describeError(error), 'bad'));
    return;
  }
  renderAccount();
  route();
})();
