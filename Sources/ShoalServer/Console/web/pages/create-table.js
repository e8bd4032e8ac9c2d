// Create a table: keys, billing, stream, TTL, global and local secondary indexes. The server's own
// validation message is shown next to the field it is about.
import { ddb } from '../api.js';
import { h, page, field, select, notice, describeError, uid, busy, replace } from '../ui.js';

const TYPES = [['S', 'String'], ['N', 'Number'], ['B', 'Binary']];

function keyInputs(prefix, optional) {
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: !optional, 'data-field': `${prefix}-name` });
  const type = select(TYPES, 'S', { 'data-field': `${prefix}-type` });
  return { name, type };
}

function indexRow(kind, onRemove) {
  const id = uid(kind);
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const partition = kind === 'gsi' ? keyInputs(`${id}-pk`, false) : null;
  const sort = keyInputs(`${id}-sk`, kind === 'gsi');
  const projection = select(['ALL', 'KEYS_ONLY', 'INCLUDE'], 'ALL');
  const include = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'attr1, attr2' });
  const nameField = field('Index name', name, { inline: true });
  const parts = [nameField];
  if (partition) parts.push(field('Partition key', partition.name, { inline: true }), field('Type', partition.type, { inline: true }));
  parts.push(field(kind === 'gsi' ? 'Sort key (optional)' : 'Sort key', sort.name, { inline: true }), field('Type', sort.type, { inline: true }),
    field('Projection', projection, { inline: true }), field('Included attributes', include, { inline: true }));
  const legend = kind === 'gsi' ? 'Global secondary index' : 'Local secondary index';
  const box = h('fieldset', {}, h('legend', {}, legend), parts,
    h('button', { type: 'button', class: 'danger', onclick: () => { box.remove(); onRemove(row); } }, `Remove ${legend.toLowerCase()}`));
  const row = { kind, box, name, partition, sort, projection, include, nameField };
  return row;
}

export async function render() {
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const pk = keyInputs('pk', false), sk = keyInputs('sk', true);
  const billing = select([['PAY_PER_REQUEST', 'On demand'], ['PROVISIONED', 'Provisioned']], 'PAY_PER_REQUEST');
  const rcu = h('input', { type: 'number', min: '1', value: '5' }), wcu = h('input', { type: 'number', min: '1', value: '5' });
  const capacity = h('div', { hidden: true }, field('Read capacity units', rcu, { inline: true }), field('Write capacity units', wcu, { inline: true }));
  billing.addEventListener('change', () => { capacity.hidden = billing.value !== 'PROVISIONED'; });
  const stream = select([['', 'Off'], 'KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'], '');
  const ttl = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'expiresAt' });
  const indexes = [];
  const indexBox = h('div');
  const addIndex = (kind) => {
    const row = indexRow(kind, (gone) => indexes.splice(indexes.indexOf(gone), 1));
    indexes.push(row);
    indexBox.append(row.box);
    row.name.focus();
  };
  const fields = {
    name: field('Table name', name, { hint: '3 to 255 letters, digits, _ - .' }),
    pk: field('Partition key', pk.name, { inline: true }), pkType: field('Type', pk.type, { inline: true }),
    sk: field('Sort key (optional)', sk.name, { inline: true }), skType: field('Type', sk.type, { inline: true }),
    billing: field('Billing mode', billing), stream: field('Stream', stream, { hint: 'Needed for the live view and for triggers.' }),
    ttl: field('Time-to-live attribute (optional)', ttl, { hint: 'Items whose attribute holds a past epoch second are deleted.' }),
  };
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create table');
  const form = h('form', { novalidate: true, onsubmit: (event) => { event.preventDefault(); busy(submit, create); } },
    fields.name,
    h('fieldset', {}, h('legend', {}, 'Primary key'), fields.pk, fields.pkType, h('br'), fields.sk, fields.skType),
    h('fieldset', {}, h('legend', {}, 'Capacity and stream'), fields.billing, capacity, fields.stream, fields.ttl),
    indexBox,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => addIndex('gsi') }, 'Add global secondary index'),
      h('button', { type: 'button', onclick: () => addIndex('lsi') }, 'Add local secondary index')),
    status, h('div', { class: 'toolbar' }, submit, h('a', { class: 'button', href: '#/tables' }, 'Cancel')));
  page('Create table', form);

  async function create() {
    for (const f of [...Object.values(fields), ...indexes.map((i) => i.nameField)]) f.showError('');
    replace(status);
    const definitions = new Map();
    const define = (key) => { if (key.name.value.trim()) definitions.set(key.name.value.trim(), key.type.value); };
    const schema = (partition, sort) => [
      { AttributeName: partition.name.value.trim(), KeyType: 'HASH' },
      ...(sort && sort.name.value.trim() ? [{ AttributeName: sort.name.value.trim(), KeyType: 'RANGE' }] : []),
    ];
    define(pk); define(sk);
    const request = { TableName: name.value.trim(), KeySchema: schema(pk, sk), BillingMode: billing.value };
    if (billing.value === 'PROVISIONED') request.ProvisionedThroughput = { ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) };
    if (stream.value) request.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.value };
    const projection = (row) => {
      const p = { ProjectionType: row.projection.value };
      if (row.projection.value === 'INCLUDE') p.NonKeyAttributes = row.include.value.split(',').map((s) => s.trim()).filter(Boolean);
      return p;
    };
    const gsis = indexes.filter((i) => i.kind === 'gsi'), lsis = indexes.filter((i) => i.kind === 'lsi');
    if (gsis.length) {
      request.GlobalSecondaryIndexes = gsis.map((row) => {
        define(row.partition); define(row.sort);
        const index = { IndexName: row.name.value.trim(), KeySchema: schema(row.partition, row.sort), Projection: projection(row) };
        if (billing.value === 'PROVISIONED') index.ProvisionedThroughput = request.ProvisionedThroughput;
        return index;
      });
    }
    if (lsis.length) {
      request.LocalSecondaryIndexes = lsis.map((row) => {
        define(row.sort);
        return { IndexName: row.name.value.trim(), KeySchema: schema(pk, row.sort), Projection: projection(row) };
      });
    }
    request.AttributeDefinitions = [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
    try {
      await ddb('CreateTable', request);
      if (ttl.value.trim()) await ddb('UpdateTimeToLive', { TableName: request.TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: ttl.value.trim() } });
      location.hash = `#/table/${encodeURIComponent(request.TableName)}`;
    } catch (error) {
      placeError(error);
    }
  }

  /** Puts the server's message next to the field it names, or above the buttons. */
  function placeError(error) {
    const message = describeError(error);
    const text = error.message || '';
    const index = indexes.find((i) => i.name.value.trim() && text.includes(i.name.value.trim()));
    let target = null;
    if (index) target = index.nameField;
    else if (/table ?name|TableName/i.test(text) || /Table already exists|ResourceInUse/i.test(message)) target = fields.name;
    else if (/TimeToLive|AttributeName.*TTL/i.test(text)) target = fields.ttl;
    else if (/Throughput|capacity/i.test(text)) target = fields.billing;
    else if (/StreamViewType|StreamSpecification/i.test(text)) target = fields.stream;
    else if (/KeySchema|AttributeDefinitions|key/i.test(text)) target = fields.pk;
    if (target) {
      target.showError(message);
      target.querySelector('input, select').focus();
    }
    replace(status, notice(message, 'bad'));
  }
}
