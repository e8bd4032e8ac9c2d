// DynamoDB JSON in the page: an exact JSON reader (numbers keep their text: DynamoDB numbers have
// 38 digits), conversions between plain JSON and DynamoDB JSON, checks before saving, display.

/** A number as written, never rounded. */
class Num { constructor(text) { this.text = text; } }

const MAX_DEPTH = 32;

/** Parses JSON text; numbers become Num. Throws an Error saying where the text is wrong. */
export function parseJSON(text) {
  let at = 0;
  const fail = (what) => {
    const before = text.slice(0, at);
    const line = before.split('\n').length, column = at - before.lastIndexOf('\n');
    throw new Error(`${what} at line ${line}, column ${column}`);
  };
  const space = () => { while (at < text.length && ' \t\n\r'.includes(text[at])) at += 1; };
  const value = (depth) => {
    if (depth > MAX_DEPTH) fail(`Nested deeper than ${MAX_DEPTH} levels`);
    space();
    const c = text[at];
    if (c === '{') {
      at += 1; const object = {}; space();
      if (text[at] === '}') { at += 1; return object; }
      for (;;) {
        space(); if (text[at] !== '"') fail('Expected a member name in double quotes');
        const name = string(); space();
        if (text[at] !== ':') fail('Expected ":"'); at += 1;
        if (Object.prototype.hasOwnProperty.call(object, name)) fail(`Member "${name}" appears twice`);
        object[name] = value(depth + 1); space();
        if (text[at] === ',') { at += 1; continue; }
        if (text[at] === '}') { at += 1; return object; }
        fail('Expected "," or "}"');
      }
    }
    if (c === '[') {
      at += 1; const array = []; space();
      if (text[at] === ']') { at += 1; return array; }
      for (;;) {
        array.push(value(depth + 1)); space();
        if (text[at] === ',') { at += 1; continue; }
        if (text[at] === ']') { at += 1; return array; }
        fail('Expected "," or "]"');
      }
    }
    if (c === '"') return string();
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (match) { at += match[0].length; return new Num(match[0]); }
    for (const [word, result] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, at)) { at += word.length; return result; }
    }
    fail(at >= text.length ? 'Unexpected end of text' : `Unexpected "${c}"`);
  };
  const string = () => {
    const start = at;
    at += 1;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('Unterminated string');
    at += 1;
    try { return JSON.parse(text.slice(start, at)); } catch { at = start; return fail('Bad escape in string'); }
  };
  const result = value(0);
  space();
  if (at < text.length) fail('Unexpected text after the value');
  return result;
}

const TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Checks one attribute value in DynamoDB JSON (as parseJSON gives it); throws naming the path. */
export function checkAttribute(value, path, depth = 0) {
  if (depth > MAX_DEPTH) throw new Error(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Num) throw new Error(`${path}: an attribute value is an object such as {"S": "text"}`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || !TYPES.includes(keys[0])) throw new Error(`${path}: needs exactly one of ${TYPES.join(', ')} (has ${keys.join(', ') || 'none'})`);
  const [type] = keys, inner = value[type];
  const isString = (x) => typeof x === 'string';
  switch (type) {
    case 'S': case 'B': if (!isString(inner)) throw new Error(`${path}: ${type} takes a string`); break;
    case 'N': if (!isString(inner) || !NUMBER.test(inner.trim())) throw new Error(`${path}: N takes a number in a string, e.g. {"N": "42"}`); break;
    case 'BOOL': if (typeof inner !== 'boolean') throw new Error(`${path}: BOOL takes true or false`); break;
    case 'NULL': if (inner !== true) throw new Error(`${path}: NULL takes true`); break;
    case 'SS': case 'BS': case 'NS':
      if (!Array.isArray(inner) || !inner.length || !inner.every(isString)) throw new Error(`${path}: ${type} takes a non-empty list of strings`);
      if (new Set(inner).size !== inner.length) throw new Error(`${path}: ${type} holds a value twice`);
      if (type === 'NS' && !inner.every((x) => NUMBER.test(x.trim()))) throw new Error(`${path}: NS takes numbers in strings`);
      break;
    case 'L': if (!Array.isArray(inner)) throw new Error(`${path}: L takes a list`); inner.forEach((x, i) => checkAttribute(x, `${path}[${i}]`, depth + 1)); break;
    case 'M': checkItem(inner, path, depth + 1); break;
    default: break;
  }
}

/** Checks an item in DynamoDB JSON: an object of attribute values. */
export function checkItem(item, path = 'item', depth = 0) {
  if (!item || typeof item !== 'object' || Array.isArray(item) || item instanceof Num) throw new Error(`${path}: must be a JSON object of attributes`);
  for (const [name, value] of Object.entries(item)) checkAttribute(value, path === 'item' ? name : `${path}.${name}`, depth);
  return item;
}

/** Plain JSON (numbers as Num) → DynamoDB JSON. */
function fromPlain(value, path = 'item', depth = 0) {
  if (depth > MAX_DEPTH) throw new Error(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (value === null) return { NULL: true };
  if (value instanceof Num) return { N: value.text };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map((x, i) => fromPlain(x, `${path}[${i}]`, depth + 1)) };
  const map = {};
  for (const [name, inner] of Object.entries(value)) map[name] = fromPlain(inner, `${path}.${name}`, depth + 1);
  return { M: map };
}

export function itemFromPlain(object) {
  if (!object || typeof object !== 'object' || Array.isArray(object) || object instanceof Num) throw new Error('The item must be a JSON object of attributes');
  const item = {};
  for (const [name, value] of Object.entries(object)) item[name] = fromPlain(value, name);
  return item;
}

/** Whether an item reads as plain JSON without losing anything (no binary, no sets). */
export function isPlain(value) {
  const [type] = Object.keys(value);
  if (['B', 'SS', 'NS', 'BS'].includes(type)) return false;
  if (type === 'L') return value.L.every(isPlain);
  if (type === 'M') return Object.values(value.M).every(isPlain);
  return true;
}

/** JSON text of an item, as plain JSON (numbers unquoted, exactly) or as DynamoDB JSON. */
export function itemText(item, plain) {
  if (!plain) return JSON.stringify(item, null, 2);
  const write = (value, indent) => {
    const [type] = Object.keys(value);
    const inner = value[type];
    const pad = '  '.repeat(indent + 1), end = '  '.repeat(indent);
    switch (type) {
      case 'S': return JSON.stringify(inner);
      case 'N': return inner.trim();
      case 'BOOL': return String(inner);
      case 'NULL': return 'null';
      case 'L': return inner.length ? `[\n${inner.map((x) => pad + write(x, indent + 1)).join(',\n')}\n${end}]` : '[]';
      case 'M': return object(inner, indent);
      default: return JSON.stringify(inner);
    }
  };
  const object = (map, indent) => {
    const entries = Object.entries(map);
    if (!entries.length) return '{}';
    const pad = '  '.repeat(indent + 1), end = '  '.repeat(indent);
    return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${write(v, indent + 1)}`).join(',\n')}\n${end}}`;
  };
  return object(item, 0);
}

/** A short text for a table cell. */
export function display(value) {
  if (!value) return '';
  const [type] = Object.keys(value);
  const inner = value[type];
  switch (type) {
    case 'S': case 'N': case 'B': return inner;
    case 'BOOL': return String(inner);
    case 'NULL': return 'null';
    case 'SS': case 'NS': case 'BS': return `{${inner.join(', ')}}`;
    default: return JSON.stringify(inner).slice(0, 200);
  }
}

/** The key of an item under a key schema. */
export function keyOf(item, keySchema) {
  const key = {};
  for (const element of keySchema) key[element.AttributeName] = item[element.AttributeName];
  return key;
}

export const sameValue = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical(value[k]);
    return out;
  }
  return value;
}

/** What changed from one image to the other: [{name, kind: 'added'|'removed'|'changed', before, after}]. */
export function diff(oldImage = {}, newImage = {}) {
  const names = [...new Set([...Object.keys(oldImage || {}), ...Object.keys(newImage || {})])].sort();
  const changes = [];
  for (const name of names) {
    const before = oldImage ? oldImage[name] : undefined, after = newImage ? newImage[name] : undefined;
    if (before === undefined) changes.push({ name, kind: 'added', after });
    else if (after === undefined) changes.push({ name, kind: 'removed', before });
    else if (!sameValue(before, after)) changes.push({ name, kind: 'changed', before, after });
  }
  return changes;
}

/** A value typed by an attribute type (S, N, B) from a text box. */
export function typed(type, text) {
  if (type === 'N') {
    if (!NUMBER.test(text.trim())) throw new Error(`"${text}" is not a number`);
    return { N: text.trim() };
  }
  if (type === 'BOOL') return { BOOL: text === 'true' };
  return { [type]: text };
}
