// Talks to the server's console API: DynamoDB operations, Lambda's mapping API, the live stream.
// Every request carries X-Shoal-Console (a page of another origin cannot send it without a
// preflight the server refuses) and, under --auth sigv4, the session's CSRF token. The session
// itself is an HttpOnly cookie: no script here can read it, and no secret is ever stored.

const root = document.body.dataset.root;
export const session = { auth: 'none', authenticated: false, accessKeyId: null, region: 'us-east-1' };
let csrf = null;

class ApiError extends Error {
  constructor(type, message, status, body) {
    super(message || type);
    this.type = type;
    this.status = status;
    this.body = body;
  }
}

async function call(path, { method = 'GET', headers = {}, body } = {}) {
  const all = { 'X-Shoal-Console': '1', ...headers };
  if (csrf && method !== 'GET') all['X-Shoal-CSRF'] = csrf;
  const response = await fetch(`${root}/api/${path}`, { method, headers: all, body, credentials: 'same-origin', cache: 'no-store' });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { json = null; }
  if (!response.ok) {
    const type = json && (json.__type || json.Type) ? String(json.__type || json.Type).split('#').pop() : `HTTP ${response.status}`;
    const message = json ? (json.message || json.Message || '') : text;
    if (response.status === 401) window.dispatchEvent(new CustomEvent('shoal-login-required'));
    throw new ApiError(type, message, response.status, json);
  }
  return json;
}

/** One DynamoDB operation, e.g. ddb('ListTables', {}). */
export function ddb(operation, body = {}) {
  return call('dynamodb', { method: 'POST', headers: { 'X-Amz-Target': `DynamoDB_20120810.${operation}`, 'Content-Type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
}

/** One of Shoal's own operations (DescribeReshard, …). */
export function admin(operation, body = {}) {
  return call('dynamodb', { method: 'POST', headers: { 'X-Amz-Target': `ShoalAdmin_20261126.${operation}`, 'Content-Type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
}

/** Lambda's event-source-mapping API: lambda('GET', '') lists, lambda('PUT', uuid, {...}) updates. */
export function lambda(method, rest = '', body) {
  const path = `lambda/2015-03-31/event-source-mappings${rest ? '/' + encodeURIComponent(rest) : '/'}`;
  return call(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
}

export const functions = () => call('functions');
export const metrics = () => call('metrics');

export async function loadSession() {
  const answer = await call('session');
  session.auth = answer.Auth;
  session.authenticated = answer.Authenticated;
  session.accessKeyId = answer.AccessKeyId || null;
  session.region = answer.Region || session.region;
  csrf = answer.Csrf || null;
  return session;
}

export async function logIn(accessKeyId, secretAccessKey) {
  const answer = await call('session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey }) });
  csrf = answer.Csrf;
  return loadSession();
}

export async function logOut() {
  try { await call('session', { method: 'DELETE' }); } finally {
    csrf = null;
    session.authenticated = false;
    session.accessKeyId = null;
  }
}

/**
 * Follows a table's stream: calls onEvent(name, data) for each Server-Sent Event until the
 * signal aborts. Uses fetch rather than EventSource so that the console header goes along.
 */
export async function followStream(table, onEvent, signal) {
  const response = await fetch(`${root}/api/stream?table=${encodeURIComponent(table)}`, { headers: { 'X-Shoal-Console': '1' }, credentials: 'same-origin', signal, cache: 'no-store' });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).message || message; } catch { /* keep the status */ }
    throw new ApiError('StreamError', message, response.status);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

/** Every page of a paged DynamoDB listing (ListTables, ListBackups…), up to `limit` entries. */
export async function listAll(operation, body, itemsKey, startKey, nextKey, limit = 1000) {
  const all = [];
  let next;
  do {
    const answer = await ddb(operation, next ? { ...body, [startKey]: next } : body);
    all.push(...(answer[itemsKey] || []));
    next = answer[nextKey];
  } while (next && all.length < limit);
  return all;
}
