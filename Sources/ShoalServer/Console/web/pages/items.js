// A table's items: Scan or Query (the table or an index) with a key condition, filters, a
// projection, direction and page size, one page at a time; results as a table or JSON; open, edit
// (conditionally), add, duplicate, delete, bulk delete; export the page as JSON lines or CSV.
import { ddb } from '../api.js';
import { h, page, field, select, checkbox, notice, describeError, dialog, download, toast, busy, replace } from '../ui.js';
import { parseJSON, checkItem, itemFromPlain, itemText, isPlain, display, keyOf, typed, sameValue } from '../ddb.js';

const SORT_OPS = [['', 'any'], ['=', '='], ['<', '<'], ['<=', '≤'], ['>', '>'], ['>=', '≥'], ['between', 'between'], ['begins_with', 'begins with']];
const FILTER_OPS = [['=', '='], ['<>', '≠'], ['<', '<'], ['<=', '≤'], ['>', '>'], ['>=', '≥'], ['begins_with', 'begins with'], ['contains', 'contains'], ['attribute_exists', 'exists'], ['attribute_not_exists', 'does not exist']];
const MAX_COLUMNS = 30;

export async function render(tableName) {
  let table;
  try {
    table = (await ddb('DescribeTable', { TableName: tableName })).Table;
  } catch (error) {
    page(`Items of ${tableName}`, notice(describeError(error), 'bad'));
    return;
  }
  const types = Object.fromEntries((table.AttributeDefinitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  const sources = [['', `Table ${tableName}`], ...(table.GlobalSecondaryIndexes || []).map((i) => [i.IndexName, `Index ${i.IndexName} (global)`]),
    ...(table.LocalSecondaryIndexes || []).map((i) => [i.IndexName, `Index ${i.IndexName} (local)`])];
  const schemaOf = (source) => (source ? [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])].find((i) => i.IndexName === source).KeySchema : table.KeySchema);
  const tableKeys = table.KeySchema.map((k) => k.AttributeName);

  // The query form.
  const mode = select([['scan', 'Scan'], ['query', 'Query']], 'scan');
  const source = select(sources, '');
  const pkValue = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const skOp = select(SORT_OPS, '');
  const skValue = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const skValue2 = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const pkField = field('Partition key', pkValue, { inline: true });
  const skOpField = field('Sort key condition', skOp, { inline: true });
  const skField = field('Sort key value', skValue, { inline: true });
  const sk2Field = field('and', skValue2, { inline: true });
  const keyBox = h('div', { hidden: true }, pkField, skOpField, skField, sk2Field);
  const filters = h('div');
  const projection = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'all attributes' });
  const limit = select(['10', '25', '50', '100', '250', '500'], '25');
  const order = select([['forward', 'Ascending'], ['backward', 'Descending']], 'forward');
  const orderField = field('Sort order', order, { inline: true });
  const consistent = checkbox('Strongly consistent read');
  const view = select([['table', 'Table'], ['json', 'JSON']], 'table');
  const results = h('div', { 'aria-live': 'polite' });
  const runButton = h('button', { type: 'submit', class: 'primary' }, 'Run');

  const refreshKeyBox = () => {
    const querying = mode.value === 'query';
    keyBox.hidden = !querying;
    orderField.hidden = !querying;
    const schema = schemaOf(source.value);
    const pk = schema.find((k) => k.KeyType === 'HASH'), sk = schema.find((k) => k.KeyType === 'RANGE');
    pkField.querySelector('label').textContent = `Partition key ${pk.AttributeName} (${types[pk.AttributeName]})`;
    skOpField.hidden = skField.hidden = !sk;
    if (sk) skOpField.querySelector('label').textContent = `Sort key ${sk.AttributeName} (${types[sk.AttributeName]})`;
    sk2Field.hidden = !sk || skOp.value !== 'between';
    consistent.input.disabled = !!(source.value && (table.GlobalSecondaryIndexes || []).some((i) => i.IndexName === source.value));
    if (consistent.input.disabled) consistent.input.checked = false;
  };
  for (const control of [mode, source, skOp]) control.addEventListener('change', refreshKeyBox);

  const addFilter = () => {
    const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const op = select(FILTER_OPS, '=');
    const type = select([['S', 'String'], ['N', 'Number'], ['BOOL', 'Boolean']], 'S');
    const value = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
    const row = h('div', { class: 'filter-row' }, field('Attribute', name, { inline: true }), field('Condition', op, { inline: true }),
      field('Type', type, { inline: true }), field('Value', value, { inline: true }),
      h('button', { type: 'button', onclick: () => row.remove() }, 'Remove filter'));
    row.read = () => ({ name: name.value.trim(), op: op.value, type: type.value, value: value.value });
    filters.append(row);
    name.focus();
  };

  let pages = [undefined];   // ExclusiveStartKey of each page seen; the last is the current one
  let current = { items: [], next: undefined };
  const selected = new Set();

  const form = h('form', { onsubmit: (event) => { event.preventDefault(); pages = [undefined]; busy(runButton, run); } },
    h('div', {}, field('Operation', mode, { inline: true }), field('Read from', source, { inline: true })),
    keyBox,
    h('fieldset', {}, h('legend', {}, 'Filters'), filters, h('button', { type: 'button', onclick: addFilter }, 'Add filter')),
    h('div', {}, field('Attributes to show', projection, { inline: true, hint: 'Comma-separated names; the keys are always read.' }),
      field('Page size', limit, { inline: true }), orderField, h('div', { class: 'field inline' }, consistent.element)),
    h('div', { class: 'toolbar' }, runButton));
  page(`Items of ${tableName}`,
    h('p', {}, h('a', { href: `#/table/${encodeURIComponent(tableName)}` }, `Table details`)),
    form,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => openEditor(null) }, 'Add item'),
      h('button', { type: 'button', class: 'danger', onclick: deleteSelected }, 'Delete selected'),
      h('button', { type: 'button', onclick: () => exportPage('jsonl') }, 'Export JSON lines'),
      h('button', { type: 'button', onclick: () => exportPage('csv') }, 'Export CSV'),
      field('Show as', view, { inline: true })),
    results);
  view.addEventListener('change', () => show());
  refreshKeyBox();

  function names(map, name) {
    const placeholder = `#n${Object.keys(map).length}`;
    map[placeholder] = name;
    return placeholder;
  }

  function request(start) {
    const body = { TableName: tableName, Limit: Number(limit.value) };
    if (source.value) body.IndexName = source.value;
    if (consistent.input.checked) body.ConsistentRead = true;
    if (start) body.ExclusiveStartKey = start;
    const attributeNames = {}, values = {};
    const value = (v) => { const placeholder = `:v${Object.keys(values).length}`; values[placeholder] = v; return placeholder; };
    if (mode.value === 'query') {
      const schema = schemaOf(source.value);
      const pk = schema.find((k) => k.KeyType === 'HASH'), sk = schema.find((k) => k.KeyType === 'RANGE');
      if (!pkValue.value) { pkField.showError('A query needs the partition key value'); pkValue.focus(); throw new Error('A query needs the partition key value'); }
      pkField.showError('');
      const parts = [`${names(attributeNames, pk.AttributeName)} = ${value(typed(types[pk.AttributeName], pkValue.value))}`];
      if (sk && skOp.value) {
        const k = names(attributeNames, sk.AttributeName), t = types[sk.AttributeName];
        if (skOp.value === 'between') parts.push(`${k} BETWEEN ${value(typed(t, skValue.value))} AND ${value(typed(t, skValue2.value))}`);
        else if (skOp.value === 'begins_with') parts.push(`begins_with(${k}, ${value(typed(t, skValue.value))})`);
        else parts.push(`${k} ${skOp.value} ${value(typed(t, skValue.value))}`);
      }
      body.KeyConditionExpression = parts.join(' AND ');
      body.ScanIndexForward = order.value === 'forward';
    }
    const conditions = [...filters.children].map((row) => row.read()).filter((f) => f.name).map((f) => {
      const n = names(attributeNames, f.name);
      if (f.op === 'attribute_exists' || f.op === 'attribute_not_exists') return `${f.op}(${n})`;
      const v = value(typed(f.type, f.value));
      return f.op === 'begins_with' || f.op === 'contains' ? `${f.op}(${n}, ${v})` : `${n} ${f.op} ${v}`;
    });
    if (conditions.length) body.FilterExpression = conditions.join(' AND ');
    const shown = projection.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (shown.length) body.ProjectionExpression = [...new Set([...tableKeys, ...shown])].map((n) => names(attributeNames, n)).join(', ');
    if (Object.keys(attributeNames).length) body.ExpressionAttributeNames = attributeNames;
    if (Object.keys(values).length) body.ExpressionAttributeValues = values;
    return body;
  }

  async function run() {
    let body;
    try { body = request(pages[pages.length - 1]); } catch (error) { replace(results, notice(describeError(error), 'bad')); return; }
    replace(results, h('p', { class: 'muted' }, 'Reading…'));
    try {
      const answer = await ddb(mode.value === 'query' ? 'Query' : 'Scan', body);
      current = { items: answer.Items || [], next: answer.LastEvaluatedKey, scanned: answer.ScannedCount };
      selected.clear();
      show();
    } catch (error) {
      replace(results, notice(describeError(error), 'bad'));
    }
  }

  function show() {
    const { items } = current;
    const seen = [...tableKeys];
    for (const item of items) for (const name of Object.keys(item)) if (!seen.includes(name)) seen.push(name);
    const columns = seen.slice(0, MAX_COLUMNS);
    const pager = h('div', { class: 'toolbar' },
      h('span', {}, `Page ${pages.length}: ${items.length} items (${current.scanned ?? items.length} read)`),
      h('button', { type: 'button', disabled: pages.length <= 1, onclick: () => { pages.pop(); busy(runButton, run); } }, 'Previous page'),
      h('button', { type: 'button', disabled: !current.next, onclick: () => { pages.push(current.next); busy(runButton, run); } }, 'Next page'));
    if (view.value === 'json') {
      replace(results, pager, h('pre', { tabindex: '0', 'aria-label': 'Items as DynamoDB JSON' }, items.map((i) => JSON.stringify(i)).join('\n') || '(no items)'));
      return;
    }
    if (!items.length) { replace(results, pager, h('p', { class: 'muted' }, 'No items on this page.')); return; }
    const keyText = (item) => tableKeys.map((k) => display(item[k])).join(' / ');
    const table = h('table', { class: 'data' },
      h('caption', { class: 'visually-hidden' }, `Items of ${tableName}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Select')), h('th', { scope: 'col' }, 'Open'),
        columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, items.map((item, index) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `Select item ${keyText(item)}`, checked: selected.has(index),
          onchange: (event) => (event.target.checked ? selected.add(index) : selected.delete(index)) });
        return h('tr', {}, h('td', {}, box),
          h('td', {}, h('button', { type: 'button', 'aria-label': `Open item ${keyText(item)}`, onclick: () => openEditor(item) }, 'Open')),
          columns.map((c) => h('td', { title: display(item[c]) }, display(item[c]))));
      })));
    replace(results, pager, h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': `Items of ${tableName}` }, table),
      seen.length > MAX_COLUMNS ? h('p', { class: 'muted' }, `${seen.length - MAX_COLUMNS} more attributes: the JSON view shows them.`) : null);
  }

  async function openEditor(original, { duplicate = false } = {}) {
    const plainPossible = !original || Object.values(original).every(isPlain);
    const format = select([['dynamodb', 'DynamoDB JSON'], ['plain', 'Plain JSON']], plainPossible && !original ? 'plain' : 'dynamodb');
    if (!plainPossible) format.querySelector('option[value="plain"]').disabled = true;
    const startItem = original || Object.fromEntries(table.KeySchema.map((k) => [k.AttributeName, { [types[k.AttributeName]]: types[k.AttributeName] === 'N' ? '0' : '' }]));
    const text = h('textarea', { rows: '16', spellcheck: 'false' });
    text.value = itemText(startItem, format.value === 'plain');
    const textField = field('Item', text, { hint: plainPossible ? 'Plain JSON: numbers stay exact; lists become L, objects M.' : 'This item has sets or binary values: edit it as DynamoDB JSON.' });
    let shownFormat = format.value;
    format.addEventListener('change', () => {
      try {
        const item = readItem(shownFormat);
        text.value = itemText(item, format.value === 'plain');
        shownFormat = format.value;
        textField.showError('');
      } catch (error) {
        format.value = shownFormat;
        textField.showError(error.message);
      }
    });
    const readItem = (as = format.value) => {
      const parsed = parseJSON(text.value);
      const item = as === 'plain' ? itemFromPlain(parsed) : checkItem(parsed);
      for (const k of table.KeySchema) {
        const v = item[k.AttributeName];
        if (!v) throw new Error(`The item needs its key attribute ${k.AttributeName}`);
        if (!(types[k.AttributeName] in v)) throw new Error(`Key attribute ${k.AttributeName} must be of type ${types[k.AttributeName]}`);
      }
      return item;
    };
    const status = h('div', { 'aria-live': 'polite' });
    const isNew = !original || duplicate;
    const title = duplicate ? 'Duplicate item' : original ? 'Edit item' : 'Add item';
    await dialog(title, [field('Format', format), textField, status], [
      ['Check', () => { try { readItem(); textField.showError(''); replace(status, notice('The item is valid.')); } catch (error) { textField.showError(error.message); } return undefined; }],
      ['Save', async () => {
        let item;
        try { item = readItem(); textField.showError(''); } catch (error) { textField.showError(error.message); text.focus(); return undefined; }
        return (await save(item, isNew ? null : original, status)) ? true : undefined;
      }, 'primary'],
      original && !duplicate ? ['Duplicate', () => { setTimeout(() => openEditor(original, { duplicate: true })); return true; }] : null,
      original && !duplicate ? ['Delete', async () => { if (await deleteItems([original])) { toast('Item deleted'); return true; } return undefined; }, 'danger'] : null,
      ['Cancel', false],
    ].filter(Boolean));
  }

  /** Saves the item: a new one only if no item has its key; an edited one only if the stored item is still as opened. */
  async function save(item, original, status) {
    const body = { TableName: tableName, Item: item, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' };
    const keyChanged = original && !sameValue(keyOf(original, table.KeySchema), keyOf(item, table.KeySchema));
    if (!original || keyChanged) {
      body.ConditionExpression = 'attribute_not_exists(#k)';
      body.ExpressionAttributeNames = { '#k': tableKeys[0] };
    } else {
      const attributeNames = {}, values = {};
      body.ConditionExpression = Object.entries(original).map(([name, value], i) => {
        attributeNames[`#c${i}`] = name; values[`:c${i}`] = value;
        return `#c${i} = :c${i}`;
      }).join(' AND ');
      body.ExpressionAttributeNames = attributeNames;
      body.ExpressionAttributeValues = values;
    }
    try {
      if (original && !keyChanged) {
        // The condition holds every attribute the item had; an attribute added since is seen by
        // reading the item first (the condition then covers all but that read's milliseconds).
        const now = await ddb('GetItem', { TableName: tableName, Key: keyOf(original, table.KeySchema), ConsistentRead: true });
        if (!now.Item || !sameValue(now.Item, original)) { conflict(now.Item); return false; }
      }
      await ddb('PutItem', body);
      toast(keyChanged ? 'Saved as a new item (the key changed; the original stays)' : 'Item saved');
      await run();
      return true;
    } catch (error) {
      if (error.type !== 'ConditionalCheckFailedException') { replace(status, notice(describeError(error), 'bad')); return false; }
      if (!original || keyChanged) { replace(status, notice('An item with this key exists already.', 'bad')); return false; }
      conflict(error.body?.Item);
      return false;
    }

    function conflict(theirs) {
      replace(status, notice('The item changed since you opened it. Compare both versions:', 'warn'),
        h('div', { class: 'side-by-side' },
          h('div', {}, h('h3', {}, 'In the table now'), h('pre', { tabindex: '0' }, theirs ? JSON.stringify(theirs, null, 2) : '(deleted)')),
          h('div', {}, h('h3', {}, 'Yours'), h('pre', { tabindex: '0' }, JSON.stringify(item, null, 2)))),
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            try { await ddb('PutItem', { TableName: tableName, Item: item }); toast('Item saved over the newer version'); await run(); replace(status, notice('Saved.')); } catch (e) { replace(status, notice(describeError(e), 'bad')); }
          } }, 'Save mine anyway')));
    }
  }

  async function deleteItems(items) {
    let requests = items.map((item) => ({ DeleteRequest: { Key: keyOf(item, table.KeySchema) } }));
    try {
      for (let i = 0; i < requests.length; i += 25) {
        let chunk = requests.slice(i, i + 25);
        for (let attempt = 0; chunk.length && attempt < 10; attempt += 1) {
          const answer = await ddb('BatchWriteItem', { RequestItems: { [tableName]: chunk } });
          chunk = answer.UnprocessedItems?.[tableName] || [];
        }
        if (chunk.length) throw new Error(`${chunk.length} deletes stayed unprocessed`);
      }
      await run();
      return true;
    } catch (error) {
      results.prepend(notice(describeError(error), 'bad'));
      return false;
    }
  }

  async function deleteSelected() {
    const items = [...selected].map((i) => current.items[i]).filter(Boolean);
    if (!items.length) { toast('Select items first'); return; }
    const answer = await dialog(`Delete ${items.length} items?`, h('p', {}, 'The selected items are deleted. This cannot be undone.'), [['Delete', true, 'danger'], ['Cancel', false]]);
    if (answer && await deleteItems(items)) toast(`${items.length} items deleted`);
  }

  function exportPage(kind) {
    const { items } = current;
    if (!items.length) { toast('Nothing to export: run a scan or query first'); return; }
    if (kind === 'jsonl') { download(`${tableName}.jsonl`, 'application/x-ndjson', items.map((i) => JSON.stringify({ Item: i })).join('\n') + '\n'); return; }
    const columns = [...tableKeys];
    for (const item of items) for (const name of Object.keys(item)) if (!columns.includes(name)) columns.push(name);
    const cell = (text) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const lines = [columns.map(cell).join(','), ...items.map((item) => columns.map((c) => cell(item[c] ? display(item[c]) : '')).join(','))];
    download(`${tableName}.csv`, 'text/csv', lines.join('\r\n') + '\r\n');
  }

  await busy(runButton, run);
}
