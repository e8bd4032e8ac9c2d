// Triggers: every event source mapping with its state, position and lag per shard, the last error;
// enable or disable it, change its batch size, start it again from TRIM_HORIZON or LATEST; and the
// functions, with whether a Runtime API client is polling. Refreshes every 5 seconds.
import { lambda, functions } from '../api.js';
import { h, page, field, notice, describeError, dataTable, formatNumber, formatTime, badge, dialog, toast, busy, replace } from '../ui.js';

/** The table a stream ARN belongs to (arn:…:table/NAME/stream/LABEL). */
const tableOf = (arn) => (arn && arn.includes(':table/') ? arn.split(':table/')[1].split('/stream/')[0] : arn || '(no stream)');

export async function render() {
  const mappingsBox = h('div', { 'aria-live': 'polite' });
  const functionsBox = h('div');
  const updated = h('p', { class: 'muted' });
  page('Triggers', updated, h('h2', {}, 'Event source mappings'), mappingsBox, h('h2', {}, 'Functions'), functionsBox);
  let previous = new Map();
  let timer = null, stopped = false;

  async function refresh() {
    try {
      const [list, fns] = await Promise.all([lambda('GET', ''), functions()]);
      const now = Date.now();
      const mappings = list.EventSourceMappings || [];
      // Only redraw when nothing has focus inside, so keyboard users are not thrown out.
      if (!mappingsBox.contains(document.activeElement)) replace(mappingsBox, ...(mappings.length ? mappings.map((m) => card(m, now)) : [h('p', { class: 'muted' }, 'No event source mappings. Create one with Lambda\'s API (aws lambda create-event-source-mapping) or a triggers file.')]));
      previous = new Map(mappings.map((m) => [m.UUID, { delivered: delivered(m), at: now }]));
      replace(functionsBox, dataTable('Functions', [
        ['Name', (f) => f.FunctionName], ['Kind', (f) => ({ RuntimeApi: 'Runtime API', Webhook: 'Webhook', InProcess: 'In process' }[f.Kind] || f.Kind)],
        ['Timeout', (f) => `${f.Timeout} s`],
        ['Client', (f) => (f.Kind === 'RuntimeApi' ? (f.WaitingClients > 0 ? badge(`${f.WaitingClients} polling`, 'ok') : badge('no client polling', 'warn')) : (f.Url || '–'))],
        ['Last init error', (f) => f.LastInitError || '–'],
      ], fns.Functions || [], { empty: 'No functions registered.' }));
      updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}; refreshes every 5 seconds.`;
    } catch (error) {
      replace(mappingsBox, notice(describeError(error), 'bad'));
    }
    if (!stopped) timer = setTimeout(refresh, 5000);
  }

  const delivered = (m) => Number(m.ShoalProgress?.RecordsSent || 0);

  function card(m, now) {
    const fn = m.FunctionArn.split(':').pop();
    const progress = m.ShoalProgress || {};
    const before = previous.get(m.UUID);
    const rate = before && now > before.at ? Math.max(0, (delivered(m) - before.delivered) / ((now - before.at) / 1000)) : null;
    const enabled = m.State === 'Enabled' || m.State === 'Enabling';
    const batch = h('input', { type: 'number', min: '1', max: '10000', value: String(m.BatchSize) });
    const failure = m.DestinationConfig?.OnFailure?.Destination;
    return h('section', { class: 'card', 'aria-label': `Mapping of ${fn}` },
      h('h3', {}, `${fn} ← ${progress.TableName || tableOf(m.EventSourceArn)}`),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, badge(m.State, enabled ? 'ok' : 'warn'), ' ', m.StateTransitionReason || ''),
        h('dt', {}, 'Last result'), h('dd', {}, m.LastProcessingResult),
        h('dt', {}, 'Behind'), h('dd', {}, `${formatNumber(progress.RecordsBehind)} records, ${Number(progress.SecondsBehind || 0).toFixed(1)} s`),
        h('dt', {}, 'Records/s sent'), h('dd', {}, rate === null ? 'measuring…' : rate.toFixed(1)),
        h('dt', {}, 'Last error'), h('dd', { class: progress.LastError ? 'error' : null }, progress.LastError || 'none',
          progress.LastErrorTime ? ` (${formatTime(progress.LastErrorTime)})` : ''),
        h('dt', {}, 'On failure'), h('dd', {}, failure || 'none'),
        h('dt', {}, 'Modified'), h('dd', {}, formatTime(m.LastModified)),
        h('dt', {}, 'UUID'), h('dd', {}, h('code', {}, m.UUID))),
      dataTable(`Shards of ${fn}`, [['Shard', (s) => s.ShardId], ['Position', (s) => s.Checkpoint || 'start'],
        ['Behind', (s) => `${formatNumber(s.RecordsBehind)} / ${Number(s.SecondsBehind).toFixed(1)} s`]], progress.Shards || [], { empty: 'No shards read yet.' }),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, () => update(m, { Enabled: !enabled })) }, enabled ? 'Disable' : 'Enable'),
        field('Batch size', batch, { inline: true }),
        h('button', { type: 'button', onclick: (e) => busy(e.currentTarget, () => update(m, { BatchSize: Number(batch.value) })) }, 'Set batch size'),
        h('button', { type: 'button', onclick: () => restart(m) }, 'Restart…')));
  }

  async function update(m, change) {
    try {
      await lambda('PUT', m.UUID, change);
      toast('Mapping updated');
      clearTimeout(timer);
      await refresh();
    } catch (error) {
      toast(describeError(error));
    }
  }

  async function restart(m) {
    const position = await dialog('Restart the mapping', h('p', {}, 'Lambda keeps a mapping\'s starting position for good, so the console deletes this mapping and creates it again with the same settings from the position you choose. Its UUID changes.'),
      [['From TRIM_HORIZON (oldest record)', 'TRIM_HORIZON'], ['From LATEST (new records only)', 'LATEST'], ['Cancel', false]]);
    if (!position) return;
    const settings = { FunctionName: m.FunctionArn.split(':').pop(), EventSourceArn: m.EventSourceArn, StartingPosition: position, BatchSize: m.BatchSize,
      MaximumBatchingWindowInSeconds: m.MaximumBatchingWindowInSeconds, ParallelizationFactor: m.ParallelizationFactor,
      MaximumRetryAttempts: m.MaximumRetryAttempts, MaximumRecordAgeInSeconds: m.MaximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: m.BisectBatchOnFunctionError, TumblingWindowInSeconds: m.TumblingWindowInSeconds,
      FunctionResponseTypes: m.FunctionResponseTypes, Enabled: m.State !== 'Disabled' };
    if (m.FilterCriteria) settings.FilterCriteria = m.FilterCriteria;
    if (m.DestinationConfig?.OnFailure?.Destination && !m.DestinationConfig.OnFailure.Destination.includes('***')) settings.DestinationConfig = m.DestinationConfig;
    try {
      await lambda('DELETE', m.UUID);
      await lambda('POST', '', settings);
      toast(`Mapping restarted from ${position}`);
    } catch (error) {
      toast(describeError(error));
    }
    clearTimeout(timer);
    await refresh();
  }

  await refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
