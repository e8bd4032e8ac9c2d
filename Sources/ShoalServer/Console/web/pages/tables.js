// The tables: each with its status, items, size, keys, indexes, stream, TTL, PITR and tags.
import { ddb, listAll } from '../api.js';
import { h, page, dataTable, notice, describeError, formatNumber, formatBytes, badge, replace } from '../ui.js';

/** Describes up to `width` tables at a time. */
async function describeAll(names, width = 8) {
  const rows = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      const name = names[index];
      const row = { name };
      try {
        row.table = (await ddb('DescribeTable', { TableName: name })).Table;
        const [ttl, backups, tags] = await Promise.allSettled([
          ddb('DescribeTimeToLive', { TableName: name }),
          ddb('DescribeContinuousBackups', { TableName: name }),
          ddb('ListTagsOfResource', { ResourceArn: row.table.TableArn }),
        ]);
        row.ttl = ttl.value?.TimeToLiveDescription;
        row.pitr = backups.value?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
        row.tags = tags.value?.Tags || [];
      } catch (error) {
        row.error = describeError(error);
      }
      rows[index] = row;
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, names.length) }, worker));
  return rows;
}

export async function render() {
  const status = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading tables…'));
  page('Tables', h('div', { class: 'toolbar' }, h('a', { class: 'button primary', href: '#/tables/new' }, 'Create table'),
    h('button', { type: 'button', onclick: () => render() }, 'Refresh')), status);
  try {
    const names = await listAll('ListTables', { Limit: 100 }, 'TableNames', 'ExclusiveStartTableName', 'LastEvaluatedTableName', 1000);
    const rows = await describeAll(names);
    const keyText = (table) => (table?.KeySchema || []).map((k) => `${k.AttributeName} (${k.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(', ');
    replace(status, dataTable('Tables', [
      ['Name', (r) => h('a', { href: `#/table/${encodeURIComponent(r.name)}` }, r.name)],
      ['Status', (r) => (r.error ? badge('error', 'bad') : badge(r.table.TableStatus, r.table.TableStatus === 'ACTIVE' ? 'ok' : 'warn'))],
      ['Items', (r) => formatNumber(r.table?.ItemCount), { num: true }],
      ['Size', (r) => formatBytes(r.table?.TableSizeBytes), { num: true }],
      ['Keys', (r) => keyText(r.table)],
      ['Indexes', (r) => [...(r.table?.GlobalSecondaryIndexes || []).map((i) => `${i.IndexName} (GSI)`), ...(r.table?.LocalSecondaryIndexes || []).map((i) => `${i.IndexName} (LSI)`)].join(', ') || '–'],
      ['Stream', (r) => (r.table?.StreamSpecification?.StreamEnabled ? r.table.StreamSpecification.StreamViewType : 'off')],
      ['TTL', (r) => (r.ttl?.TimeToLiveStatus === 'ENABLED' ? r.ttl.AttributeName : 'off')],
      ['PITR', (r) => (r.pitr === 'ENABLED' ? 'on' : 'off')],
      ['Tags', (r) => (r.tags || []).map((t) => `${t.Key}=${t.Value}`).join(', ') || '–'],
      ['', (r) => h('a', { href: `#/items/${encodeURIComponent(r.name)}` }, 'Items')],
    ], rows, { empty: 'No tables yet: create one.' }));
    if (names.length >= 1000) status.append(notice('Showing the first 1,000 tables.', 'warn'));
  } catch (error) {
    replace(status, notice(describeError(error), 'bad'));
  }
}
