// The live stream of a table: records as they commit (INSERT, MODIFY, REMOVE), their keys and
// what changed; pause, filter by event or key. Rendering is batched per animation frame and the
// list keeps the newest 300 records; when the server samples (more than it sends), the page says so.
import { ddb, followStream, listAll } from '../api.js';
import { h, page, field, select, checkbox, notice, describeError, formatNumber, replace } from '../ui.js';
import { display, diff } from '../ddb.js';

const KEEP = 300;
const count = (n, word) => `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;

export async function render(tableName) {
  const names = await listAll('ListTables', { Limit: 100 }, 'TableNames', 'ExclusiveStartTableName', 'LastEvaluatedTableName', 1000);
  const chooser = select([['', 'Choose a table'], ...names], tableName || '');
  chooser.addEventListener('change', () => { location.hash = chooser.value ? `#/stream/${encodeURIComponent(chooser.value)}` : '#/stream'; });
  const paused = checkbox('Pause');
  const events = { INSERT: checkbox('INSERT', true), MODIFY: checkbox('MODIFY', true), REMOVE: checkbox('REMOVE', true) };
  const keyFilter = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false', placeholder: 'part of a key' });
  const state = h('div', { 'aria-live': 'polite' });
  const counts = h('p', { class: 'muted' });
  const list = h('ul', { class: 'records', 'aria-label': 'Stream records, newest first' });
  page('Live stream', h('div', { class: 'toolbar' }, field('Table', chooser, { inline: true }), field('Key contains', keyFilter, { inline: true }),
    h('fieldset', {}, h('legend', {}, 'Events'), Object.values(events).map((c) => c.element)), h('div', { class: 'field inline' }, paused.element)),
  state, counts, list);
  if (!tableName) { replace(state, notice('Choose a table with a stream to watch its changes.')); return undefined; }

  const controller = new AbortController();
  let queue = [], scheduled = false, received = 0, shown = 0, sampled = 0;
  const paint = () => {
    scheduled = false;
    const fresh = queue; queue = [];
    if (paused.input.checked) return;
    const filter = keyFilter.value.trim();
    const rows = [];
    for (const record of fresh.reverse()) {
      if (!events[record.eventName]?.input.checked) continue;
      const keys = Object.entries(record.dynamodb.Keys).map(([k, v]) => `${k}=${display(v)}`).join(', ');
      if (filter && !keys.includes(filter)) continue;
      const changes = diff(record.dynamodb.OldImage, record.dynamodb.NewImage);
      rows.push(h('li', {}, h('strong', {}, record.eventName), ' ', h('code', {}, keys), ' ',
        h('span', { class: 'muted' }, new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toLocaleTimeString()),
        changes.length ? h('div', {}, changes.slice(0, 12).map((c) => h('span', { class: c.kind === 'added' ? 'diff-add' : c.kind === 'removed' ? 'diff-del' : 'diff-mod' },
          `${c.kind === 'added' ? '+' : c.kind === 'removed' ? '−' : '~'}${c.name}${c.after ? `=${display(c.after).slice(0, 40)}` : ''}  `))) : null));
    }
    shown += rows.length;
    list.prepend(...rows);
    while (list.children.length > KEEP) list.lastElementChild.remove();
    counts.textContent = `${count(received, 'record')} received${sampled ? `, ${formatNumber(sampled)} of them not sent (the server samples above 400 a second)` : ''}; ${formatNumber(shown)} shown.`;
  };
  replace(state, h('p', {}, `Connecting to ${tableName}'s stream…`));
  const connect = async () => {
    try {
      await followStream(tableName, (name, data) => {
        if (name === 'ready') replace(state, h('p', {}, 'Watching: new records appear at the top. ', h('code', {}, data.StreamArn)));
        else if (name === 'records') {
          received += data.Seen; sampled += data.Seen - data.Records.length;
          queue.push(...data.Records);
          if (!scheduled) { scheduled = true; requestAnimationFrame(paint); }
        } else if (name === 'end') {
          replace(state, notice(`${data.Reason}. Reconnecting…`, 'warn'));
        }
      }, controller.signal);
      if (!controller.signal.aborted) setTimeout(connect, 1000);
    } catch (error) {
      if (!controller.signal.aborted) replace(state, notice(describeError(error), 'bad'));
    }
  };
  try { await ddb('DescribeTable', { TableName: tableName }); } catch (error) { replace(state, notice(describeError(error), 'bad')); return undefined; }
  connect();
  return () => controller.abort();
}
