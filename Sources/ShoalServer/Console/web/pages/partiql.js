// PartiQL: a statement with ? parameters (DynamoDB JSON), results page by page, and the
// statements run in this page's session (kept in memory only).
import { ddb } from '../api.js';
import { h, page, field, notice, describeError, busy, replace } from '../ui.js';
import { parseJSON, checkAttribute, display } from '../ddb.js';

const history = [];

export async function render() {
  const statement = h('textarea', { rows: '5', spellcheck: 'false', placeholder: 'SELECT * FROM "Orders" WHERE "customer" = ?' });
  const parameters = h('textarea', { rows: '2', spellcheck: 'false', placeholder: '[{"S": "alice"}]' });
  const statementField = field('Statement', statement);
  const parametersField = field('Parameters (optional)', parameters, { hint: 'A JSON array of DynamoDB JSON values, one per ? in the statement.' });
  const limit = h('input', { type: 'number', min: '1', max: '1000', value: '100' });
  const limitField = field('Items read per page', limit, { hint: 'Limit: how many items one call evaluates before it answers with a NextToken.' });
  const results = h('div', { 'aria-live': 'polite' });
  const historyBox = h('div');
  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');
  let nextToken = null, lastRequest = null, pageNumber = 1;

  const form = h('form', { onsubmit: (event) => { event.preventDefault(); busy(runButton, () => run(false)); } },
    statementField, parametersField, limitField, h('div', { class: 'toolbar' }, runButton));
  statement.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  page('PartiQL', h('p', { class: 'muted' }, 'Ctrl+Enter runs the statement. SELECT, INSERT, UPDATE and DELETE in DynamoDB\'s dialect.'), form, results, h('h2', {}, 'History'), historyBox);
  showHistory();

  async function run(more) {
    statementField.showError(''); parametersField.showError('');
    let body;
    if (more) {
      body = { ...lastRequest, NextToken: nextToken };
    } else {
      body = { Statement: statement.value.trim() };
      if (Number(limit.value) > 0) body.Limit = Math.min(1000, Math.floor(Number(limit.value)));
      if (!body.Statement) { statementField.showError('Write a statement first'); statement.focus(); return; }
      if (parameters.value.trim()) {
        try {
          const list = parseJSON(parameters.value);
          if (!Array.isArray(list)) throw new Error('Parameters are a JSON array');
          list.forEach((value, i) => checkAttribute(value, `parameter ${i + 1}`));
          body.Parameters = list;
        } catch (error) { parametersField.showError(error.message); parameters.focus(); return; }
      }
      pageNumber = 1;
      remember(body);
    }
    try {
      const answer = await ddb('ExecuteStatement', body);
      lastRequest = { Statement: body.Statement, ...(body.Parameters ? { Parameters: body.Parameters } : {}), ...(body.Limit ? { Limit: body.Limit } : {}) };
      nextToken = answer.NextToken || null;
      show(answer.Items || [], more ? ++pageNumber : pageNumber);
    } catch (error) {
      statementField.showError(describeError(error));
      replace(results, notice(describeError(error), 'bad'));
    }
  }

  function show(items, number) {
    const columns = [];
    for (const item of items) for (const name of Object.keys(item)) if (!columns.includes(name)) columns.push(name);
    const next = h('button', { type: 'button', disabled: !nextToken, onclick: (event) => busy(event.currentTarget, () => run(true)) }, 'Next page');
    const table = items.length ? h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Statement results' },
      h('table', { class: 'data' }, h('caption', { class: 'visually-hidden' }, 'Statement results'),
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map((item) => h('tr', {}, columns.map((c) => h('td', {}, display(item[c])))))))) : h('p', { class: 'muted' }, 'The statement returned no items.');
    replace(results, h('div', { class: 'toolbar' }, h('span', {}, `Page ${number}: ${items.length} items`), next), table);
  }

  function remember(body) {
    const text = JSON.stringify(body);
    const at = history.findIndex((entry) => JSON.stringify(entry) === text);
    if (at >= 0) history.splice(at, 1);
    history.unshift(body);
    history.length = Math.min(history.length, 30);
    showHistory();
  }

  function showHistory() {
    if (!history.length) { replace(historyBox, h('p', { class: 'muted' }, 'Statements you run appear here (this tab only).')); return; }
    replace(historyBox, h('ul', {}, history.map((entry) => h('li', {},
      h('button', { type: 'button', onclick: () => {
        statement.value = entry.Statement;
        parameters.value = entry.Parameters ? JSON.stringify(entry.Parameters) : '';
        statement.focus();
      } }, 'Use'), ' ', h('code', {}, entry.Statement)))));
  }
}
