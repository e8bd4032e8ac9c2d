// Small helpers the pages share: building elements, the page frame, tables, dialogs, messages.

/** h('button', {class: 'primary', onclick: f}, 'Save'): an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name === 'value') element.value = value;
    else if (name === 'checked') element.checked = !!value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces a node's children, skipping null and false as h() does (the DOM would write "null"). */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let ids = 0;
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** Replaces the main area with a page: its heading gets focus, so keyboard and screen-reader users land on it. */
export function page(title, ...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  const heading = h('h1', { tabindex: '-1' }, title);
  append(main, [heading, children]);
  document.title = `${title} · Shoal console`;
  heading.focus({ preventScroll: false });
  return main;
}

/** A labelled control: field('Table name', input, {hint, error}). The label points at the input. */
export function field(label, control, { hint, inline = false } = {}) {
  if (!control.id) control.id = uid();
  const error = h('p', { class: 'error', id: `${control.id}-error`, hidden: true });
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    parts.push(h('p', { class: 'muted', id: hintId }, hint));
    control.setAttribute('aria-describedby', hintId);
  }
  parts.push(error);
  const wrapper = h('div', { class: inline ? 'field inline' : 'field' }, parts);
  const described = control.getAttribute('aria-describedby');
  wrapper.showError = (message) => {
    error.textContent = message || '';
    error.hidden = !message;
    // The message is read with the field (aria-describedby is what every screen reader follows).
    if (message) { control.setAttribute('aria-invalid', 'true'); control.setAttribute('aria-describedby', [described, error.id].filter(Boolean).join(' ')); }
    else { control.removeAttribute('aria-invalid'); if (described) control.setAttribute('aria-describedby', described); else control.removeAttribute('aria-describedby'); }
  };
  return wrapper;
}

export function checkbox(label, checked = false) {
  const input = h('input', { type: 'checkbox', id: uid('c'), checked });
  return { input, element: h('label', { class: 'check', for: input.id }, input, label) };
}

export function select(options, value, attributes = {}) {
  return h('select', attributes, options.map((option) => {
    const [optionValue, text] = Array.isArray(option) ? option : [option, option];
    return h('option', { value: optionValue, selected: optionValue === value }, text);
  }));
}

/** A table in a keyboard-scrollable frame: columns are [header, row => cell content, {num}]. */
export function dataTable(caption, columns, rows, { empty = 'Nothing here yet.' } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  const table = h('table', { class: 'data' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map(([title]) => h('th', { scope: 'col' }, title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, options = {}]) => h('td', { class: options.num ? 'num' : null }, cell(row)))))));
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption }, table);
}

export function notice(text, kind = '') {
  return h('div', { class: `notice ${kind}`, role: kind === 'bad' ? 'alert' : null }, text);
}

export function toast(message) {
  const box = h('div', {}, message);
  document.getElementById('toast').append(box);
  setTimeout(() => box.remove(), 5000);
}

export function describeError(error) {
  if (!error) return '';
  return error.type && error.message ? `${error.type}: ${error.message}` : String(error.message || error);
}

/** A modal dialog; resolves with the value its buttons give (closing it gives null). */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const titleId = uid('d');
    const box = h('dialog', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), body,
      h('div', { class: 'toolbar' }, buttons.map(([label, value, kind]) => h('button', {
        type: 'button', class: kind || null,
        onclick: async () => {
          const result = typeof value === 'function' ? await value() : value;
          if (result === undefined) return; // the handler keeps the dialog open
          box.close();
          resolve(result);
        },
      }, label))));
    box.addEventListener('close', () => { box.remove(); resolve(null); });
    document.body.append(box);
    box.showModal();
  });
}

/** Asks to type a name before something that cannot be undone. */
export async function confirmByName(title, explanation, name, action) {
  const input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const wrapper = field(`Type ${name} to confirm`, input);
  const answer = await dialog(title, [h('p', {}, explanation), wrapper], [
    [action, () => { if (input.value !== name) { wrapper.showError(`Type exactly ${name}`); input.focus(); return undefined; } return true; }, 'danger'],
    ['Cancel', false],
  ]);
  return answer === true;
}

export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const formatNumber = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));

export function formatBytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Number(n), unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

export function formatTime(seconds) {
  if (!seconds) return '–';
  return new Date(Number(seconds) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function badge(text, kind) { return h('span', { class: `badge ${kind || ''}` }, text); }

/** Runs `work` with the button disabled and its outcome reported. */
export async function busy(button, work) {
  button.disabled = true;
  try { return await work(); } finally { button.disabled = false; }
}
