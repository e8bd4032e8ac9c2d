// One table: its description, indexes (with backfill progress), stream and the mappings reading
// it, TTL, PITR, tags; delete it (typing its name) or purge its items.
import { ddb, lambda } from '../api.js';
import { h, page, dataTable, notice, describeError, formatNumber, formatBytes, formatTime, badge, confirmByName, toast, busy, replace } from '../ui.js';
import { keyOf } from '../ddb.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value ?? '–')]));
}

export async function render(name) {
  let described;
  try {
    described = (await ddb('DescribeTable', { TableName: name })).Table;
  } catch (error) {
    page(name, notice(describeError(error), 'bad'), h('p', {}, h('a', { href: '#/tables' }, 'Back to the tables')));
    return undefined;
  }
  const [ttl, backups, tags, mappings] = await Promise.allSettled([
    ddb('DescribeTimeToLive', { TableName: name }), ddb('DescribeContinuousBackups', { TableName: name }),
    ddb('ListTagsOfResource', { ResourceArn: described.TableArn }),
    lambda('GET', ''),
  ]);
  const t = described;
  const keys = (schema) => (schema || []).map((k) => `${k.AttributeName} (${k.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(', ');
  const indexes = [...(t.GlobalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'global' })), ...(t.LocalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'local' }))];
  const reading = (mappings.value?.EventSourceMappings || []).filter((m) => m.EventSourceArn === t.LatestStreamArn || m.ShoalProgress?.TableName === name);
  const purgeStatus = h('div', { 'aria-live': 'polite' });
  const stop = { requested: false };
  const purgeButton = h('button', { type: 'button', class: 'danger', onclick: () => purge(purgeButton) }, 'Purge items');
  page(`Table ${name}`,
    h('div', { class: 'toolbar' },
      h('a', { class: 'button primary', href: `#/items/${encodeURIComponent(name)}` }, 'Browse items'),
      t.StreamSpecification?.StreamEnabled ? h('a', { class: 'button', href: `#/stream/${encodeURIComponent(name)}` }, 'Watch stream') : null,
      purgeButton,
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete table')),
    purgeStatus,
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'table-summary' }, h('h2', { id: 'table-summary' }, 'Summary'), facts([
        ['Status', badge(t.TableStatus, t.TableStatus === 'ACTIVE' ? 'ok' : 'warn')], ['Keys', keys(t.KeySchema)],
        ['Items', formatNumber(t.ItemCount)], ['Size', formatBytes(t.TableSizeBytes)],
        ['Billing', t.BillingModeSummary?.BillingMode || 'PROVISIONED'],
        t.ProvisionedThroughput?.ReadCapacityUnits ? ['Capacity', `${t.ProvisionedThroughput.ReadCapacityUnits} RCU / ${t.ProvisionedThroughput.WriteCapacityUnits} WCU`] : null,
        ['Created', formatTime(t.CreationDateTime)], ['ARN', h('code', {}, t.TableArn)],
        ['Deletion protection', t.DeletionProtectionEnabled ? 'on' : 'off'],
      ])),
      h('section', { class: 'card', 'aria-labelledby': 'table-stream' }, h('h2', { id: 'table-stream' }, 'Stream, TTL, recovery'), facts([
        ['Stream', t.StreamSpecification?.StreamEnabled ? t.StreamSpecification.StreamViewType : 'off'],
        t.LatestStreamArn ? ['Stream ARN', h('code', {}, t.LatestStreamArn)] : null,
        ['Time to live', ttl.value?.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' ? `on (${ttl.value.TimeToLiveDescription.AttributeName})` : 'off'],
        ['Point-in-time recovery', backups.value?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus || 'DISABLED'],
        ['Tags', (tags.value?.Tags || []).map((tag) => `${tag.Key}=${tag.Value}`).join(', ') || '–'],
      ]))),
    h('h2', {}, 'Indexes'),
    dataTable('Indexes', [
      ['Name', (i) => i.IndexName], ['Kind', (i) => i.kind], ['Keys', (i) => keys(i.KeySchema)],
      ['Projection', (i) => [i.Projection?.ProjectionType, ...(i.Projection?.NonKeyAttributes || [])].join(' ')],
      ['Status', (i) => (i.kind === 'global' ? [badge(i.Backfilling ? 'BACKFILLING' : i.IndexStatus, i.IndexStatus === 'ACTIVE' && !i.Backfilling ? 'ok' : 'warn'),
        i.Backfilling ? backfill(i) : null] : 'ACTIVE')],
      ['Items', (i) => formatNumber(i.ItemCount), { num: true }], ['Size', (i) => formatBytes(i.IndexSizeBytes), { num: true }],
    ], indexes, { empty: 'No secondary indexes.' }),
    h('h2', {}, 'Triggers reading the stream'),
    dataTable('Event source mappings', [
      ['Function', (m) => m.FunctionArn.split(':').pop()], ['State', (m) => m.State], ['Batch size', (m) => m.BatchSize, { num: true }],
      ['Behind', (m) => `${formatNumber(m.ShoalProgress?.RecordsBehind)} records`], ['Last result', (m) => m.LastProcessingResult],
    ], reading, { empty: t.LatestStreamArn ? 'No mapping reads this stream.' : 'The table has no stream.' }),
    h('details', {}, h('summary', {}, 'DescribeTable as returned'), h('pre', { tabindex: '0' }, JSON.stringify(t, null, 2))));

  /** A backfill's progress: the entries indexed so far against the table's items (an upper bound: items without the index's key are not indexed). */
  function backfill(index) {
    const total = Math.max(1, t.ItemCount || 0), done = Math.min(total, index.ItemCount || 0);
    return h('span', {}, ' ', h('progress', { max: String(total), value: String(done), 'aria-label': `Backfill of ${index.IndexName}` }),
      ` ${formatNumber(done)} of up to ${formatNumber(t.ItemCount)} items`);
  }

  async function remove() {
    const sure = await confirmByName(`Delete table ${name}?`, 'The table, its indexes and its stream are deleted. This cannot be undone.', name, 'Delete table');
    if (!sure) return;
    try {
      await ddb('DeleteTable', { TableName: name });
      toast(`Table ${name} deleted`);
      location.hash = '#/tables';
    } catch (error) {
      replace(purgeStatus, notice(describeError(error), 'bad'));
    }
  }

  async function purge(button) {
    const sure = await confirmByName(`Purge every item of ${name}?`, 'Every item is deleted (the table and its settings stay). This cannot be undone.', name, 'Purge items');
    if (!sure) return;
    stop.requested = false;
    const cancel = h('button', { type: 'button', onclick: () => { stop.requested = true; } }, 'Stop purging');
    const progress = h('p', {}, 'Deleting…');
    replace(purgeStatus, progress, cancel);
    const keyNames = t.KeySchema.map((k) => k.AttributeName);
    let deleted = 0;
    await busy(button, async () => {
      try {
        let start;
        do {
          const names = Object.fromEntries(keyNames.map((k, i) => [`#k${i}`, k]));
          const page = await ddb('Scan', { TableName: name, Limit: 500, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names, ...(start ? { ExclusiveStartKey: start } : {}) });
          for (let i = 0; i < page.Items.length && !stop.requested; i += 25) {
            let requests = page.Items.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: keyOf(item, t.KeySchema) } }));
            while (requests.length) {
              const answer = await ddb('BatchWriteItem', { RequestItems: { [name]: requests } });
              deleted += requests.length - (answer.UnprocessedItems?.[name]?.length || 0);
              requests = answer.UnprocessedItems?.[name] || [];
            }
            progress.textContent = `Deleted ${formatNumber(deleted)} items…`;
          }
          start = page.LastEvaluatedKey;
        } while (start && !stop.requested);
        replace(purgeStatus, notice(`${stop.requested ? 'Stopped after deleting' : 'Purged'} ${formatNumber(deleted)} items.`));
      } catch (error) {
        replace(purgeStatus, notice(`After ${formatNumber(deleted)} items: ${describeError(error)}`, 'bad'));
      }
    });
  }
  // While an index is being built, the page looks again every 2 seconds.
  const building = t.TableStatus !== 'ACTIVE' || indexes.some((i) => i.Backfilling || (i.IndexStatus && i.IndexStatus !== 'ACTIVE'));
  // (A hashchange event makes the router show the page afresh, ending this one properly.) It
  // waits while a dialog is open or focus is on a control, so a keyboard user is not moved.
  let again = null;
  const refresh = () => {
    const focus = document.activeElement;
    const busyHere = document.querySelector('dialog[open]') || (focus && focus !== document.body && !focus.matches('main, main h1'));
    if (busyHere) again = setTimeout(refresh, 2000);
    else window.dispatchEvent(new HashChangeEvent('hashchange'));
  };
  if (building) again = setTimeout(refresh, 2000);
  return () => { stop.requested = true; clearTimeout(again); };
}
