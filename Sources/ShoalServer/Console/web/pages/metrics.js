// Metrics and health over the last 15 minutes, from what the server keeps in memory: request
// rate, latency p50/p99, errors by type, items and bytes per table, map use, stream records,
// trigger lag; the per-operation figures; hot keys where contributor insights are on.
import { metrics } from '../api.js';
import { h, page, dataTable, notice, describeError, formatNumber, formatBytes, replace } from '../ui.js';
import { lineChart } from '../charts.js';

const ms = (seconds) => (seconds === null || seconds === undefined ? '–' : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`);

export async function render() {
  const body = h('div', { 'aria-live': 'off' });
  const updated = h('p', { class: 'muted' });
  page('Metrics', updated, body);
  let timer = null, stopped = false;

  async function refresh() {
    try {
      const figures = await metrics();
      draw(figures);
      updated.textContent = `Last ${figures.WindowSeconds / 60} minutes in ${figures.BucketSeconds}-second steps; updated ${new Date().toLocaleTimeString()}, every 10 seconds.`;
    } catch (error) {
      replace(body, notice(describeError(error), 'bad'));
    }
    if (!stopped) timer = setTimeout(refresh, 10000);
  }

  function draw(figures) {
    const to = figures.Now, from = to - figures.WindowSeconds, step = figures.BucketSeconds;
    const requests = figures.Requests.map((b) => {
      const operations = Object.values(b.Operations);
      return { t: b.Start + step, count: operations.reduce((s, o) => s + o.Count, 0), errors: operations.reduce((s, o) => s + o.Errors, 0),
        p50: Math.max(0, ...operations.map((o) => o.P50 || 0)), p99: Math.max(0, ...operations.map((o) => o.P99 || 0)) };
    });
    const gauges = figures.Gauges;
    const tables = [...new Set(gauges.flatMap((g) => Object.keys(g.TableItems)))].slice(0, 3);
    const mappings = [...new Set(gauges.flatMap((g) => Object.keys(g.TriggerRecordsBehind)))].slice(0, 3);
    const latest = gauges[gauges.length - 1];
    const errorTypes = {};
    for (const bucket of figures.Requests) for (const [type, count] of Object.entries(bucket.ErrorTypes)) errorTypes[type] = (errorTypes[type] || 0) + count;
    const window = { from, to };
    replace(body, 
      h('div', { class: 'grid' },
        lineChart('Requests per second', [{ label: 'requests/s', points: requests.map((r) => [r.t, r.count / step]) }, { label: 'errors/s', points: requests.map((r) => [r.t, r.errors / step]) }], { ...window, format: (v) => v.toFixed(1) }),
        lineChart('Latency (slowest operation)', [{ label: 'p50', points: requests.map((r) => [r.t, r.p50]) }, { label: 'p99', points: requests.map((r) => [r.t, r.p99]) }], { ...window, format: ms }),
        lineChart('Items per table', tables.map((name) => ({ label: name, points: gauges.map((g) => [g.Time, g.TableItems[name] || 0]) })), { ...window, format: formatNumber }),
        lineChart('Shard map use', [{ label: 'used', points: gauges.map((g) => [g.Time, g.MapUsed]) }], { ...window, format: formatBytes }),
        lineChart('Stream records written', [{ label: 'records', points: gauges.map((g) => [g.Time, g.StreamRecords]) }], { ...window, format: formatNumber }),
        lineChart('Trigger lag (records behind)', mappings.map((uuid) => ({ label: uuid.slice(0, 8), points: gauges.map((g) => [g.Time, g.TriggerRecordsBehind[uuid] || 0]) })), { ...window, format: formatNumber }),
        lineChart('Trigger lag (age of the oldest record waiting)', mappings.map((uuid) => ({ label: uuid.slice(0, 8), points: gauges.map((g) => [g.Time, g.TriggerSecondsBehind[uuid] || 0]) })), { ...window, format: (v) => `${v.toFixed(1)} s` })),
      h('h2', {}, 'Operations (15 minutes)'),
      dataTable('Operations', [['Operation', ([name]) => name], ['Requests', ([, o]) => formatNumber(o.Count), { num: true }],
        ['Errors', ([, o]) => formatNumber(o.Errors), { num: true }], ['p50', ([, o]) => ms(o.P50), { num: true }], ['p99', ([, o]) => ms(o.P99), { num: true }]],
      Object.entries(figures.Totals), { empty: 'No requests in the last 15 minutes.' }),
      h('h2', {}, 'Errors by type'),
      dataTable('Errors by type', [['Type', ([type]) => type], ['Count', ([, count]) => formatNumber(count), { num: true }]], Object.entries(errorTypes), { empty: 'No errors.' }),
      h('h2', {}, 'Tables now'),
      dataTable('Tables now', [['Table', ([name]) => name], ['Items', ([name]) => formatNumber(latest.TableItems[name]), { num: true }],
        ['Bytes', ([name]) => formatBytes(latest.TableBytes[name]), { num: true }]], latest ? Object.entries(latest.TableItems) : [], { empty: 'No sample yet (one is taken every 10 seconds).' }),
      latest ? h('p', {}, `Shard maps: ${formatBytes(latest.MapUsed)} used of ${formatBytes(latest.MapSize)} mapped.`) : null,
      h('h2', {}, 'Hot keys'),
      dataTable('Hot keys', [['Table', (k) => k.TableName + (k.IndexName ? ` / ${k.IndexName}` : '')], ['Rule', (k) => k.Rule],
        ['Key', (k) => JSON.stringify(k.Key)], ['Count', (k) => formatNumber(k.Count), { num: true }]], figures.HotKeys,
      { empty: 'No hot keys: turn contributor insights on for a table (UpdateContributorInsights) to see its most used keys.' }));
  }

  await refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
