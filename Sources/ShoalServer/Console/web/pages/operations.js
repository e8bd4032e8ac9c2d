// Operations: on-demand backups (create, list, restore), export and import jobs, and whether an
// online reshard is running.
import { ddb, admin, listAll } from '../api.js';
import { h, page, field, select, dataTable, notice, describeError, formatBytes, formatTime, badge, toast, busy, dialog, replace } from '../ui.js';

export async function render() {
  const reshard = h('div'), backups = h('div'), exportsBox = h('div'), imports = h('div');
  const status = h('div', { 'aria-live': 'polite' });
  const names = await listAll('ListTables', { Limit: 100 }, 'TableNames', 'ExclusiveStartTableName', 'LastEvaluatedTableName', 1000);

  const backupTable = select(names.length ? names : [['', 'No tables']], names[0] || '');
  const backupName = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const backupButton = h('button', { type: 'submit', class: 'primary' }, 'Create backup');
  const backupForm = h('form', { onsubmit: (e) => { e.preventDefault(); busy(backupButton, createBackup); } },
    field('Table', backupTable, { inline: true }), field('Backup name', backupName, { inline: true }), h('div', { class: 'toolbar' }, backupButton));

  const exportTable = select(names.length ? names : [['', 'No tables']], names[0] || '');
  const bucket = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'my-bucket' });
  const prefix = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'exports/' });
  const format = select([['DYNAMODB_JSON', 'DynamoDB JSON'], ['ION', 'Amazon Ion']], 'DYNAMODB_JSON');
  const exportButton = h('button', { type: 'submit', class: 'primary' }, 'Export to S3 folder');
  const exportForm = h('form', { onsubmit: (e) => { e.preventDefault(); busy(exportButton, startExport); } },
    field('Table', exportTable, { inline: true }), field('S3 bucket', bucket, { inline: true, hint: 'A folder under the server\'s --s3-root.' }),
    field('Prefix', prefix, { inline: true }), field('Format', format, { inline: true }), h('div', { class: 'toolbar' }, exportButton),
    h('p', { class: 'muted' }, 'Exports read the point-in-time recovery log: the table needs point-in-time recovery on.'));

  page('Operations', status,
    h('h2', {}, 'Resharding'), reshard,
    h('h2', {}, 'On-demand backups'), backupForm, backups,
    h('h2', {}, 'Export jobs'), exportForm, exportsBox,
    h('h2', {}, 'Import jobs'), imports);

  async function load() {
    try {
      const state = await admin('DescribeReshard');
      replace(reshard, h('p', {}, state.Active ? `An online reshard is running: ${state.Done} of ${state.Total} steps done.` : 'No reshard is running. Reshard with shoal reshard --data DIR --shards N (online while this server runs).'));
    } catch (error) {
      replace(reshard, notice(describeError(error), 'bad'));
    }
    try {
      const list = await listAll('ListBackups', {}, 'BackupSummaries', 'ExclusiveStartBackupArn', 'LastEvaluatedBackupArn', 500);
      replace(backups, dataTable('Backups', [
        ['Name', (b) => b.BackupName], ['Table', (b) => b.TableName], ['Status', (b) => badge(b.BackupStatus, b.BackupStatus === 'AVAILABLE' ? 'ok' : 'warn')],
        ['Created', (b) => formatTime(b.BackupCreationDateTime)], ['Size', (b) => formatBytes(b.BackupSizeBytes), { num: true }],
        ['', (b) => h('button', { type: 'button', onclick: () => restore(b) }, `Restore ${b.BackupName}`)],
      ], list, { empty: 'No backups yet.' }));
    } catch (error) {
      replace(backups, notice(describeError(error), 'bad'));
    }
    try {
      const list = (await ddb('ListExports', {})).ExportSummaries || [];
      replace(exportsBox, dataTable('Export jobs', [['Export', (e) => h('code', {}, e.ExportArn.split('/').pop())], ['Status', (e) => badge(e.ExportStatus, e.ExportStatus === 'COMPLETED' ? 'ok' : e.ExportStatus === 'FAILED' ? 'bad' : 'warn')], ['Type', (e) => e.ExportType || 'FULL_EXPORT']], list, { empty: 'No export jobs.' }));
    } catch (error) {
      replace(exportsBox, notice(describeError(error), 'bad'));
    }
    try {
      const list = (await ddb('ListImports', {})).ImportSummaryList || [];
      replace(imports, dataTable('Import jobs', [['Import', (i) => h('code', {}, i.ImportArn.split('/').pop())], ['Table', (i) => (i.TableArn || '').split('/').pop()],
        ['Status', (i) => badge(i.ImportStatus, i.ImportStatus === 'COMPLETED' ? 'ok' : i.ImportStatus === 'FAILED' ? 'bad' : 'warn')], ['Format', (i) => i.InputFormat]], list,
      { empty: 'No import jobs. Start one with ImportTable (aws dynamodb import-table).' }));
    } catch (error) {
      replace(imports, notice(describeError(error), 'bad'));
    }
  }

  async function createBackup() {
    try {
      await ddb('CreateBackup', { TableName: backupTable.value, BackupName: backupName.value.trim() });
      toast('Backup created');
      backupName.value = '';
      await load();
    } catch (error) {
      replace(status, notice(describeError(error), 'bad'));
    }
  }

  async function restore(backup) {
    const input = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', value: `${backup.TableName}-restored` });
    const target = await dialog(`Restore ${backup.BackupName}`, field('New table name', input), [['Restore', () => input.value.trim() || undefined, 'primary'], ['Cancel', false]]);
    if (!target) return;
    try {
      await ddb('RestoreTableFromBackup', { BackupArn: backup.BackupArn, TargetTableName: target.trim() });
      toast(`Restoring into ${target}`);
    } catch (error) {
      replace(status, notice(describeError(error), 'bad'));
    }
  }

  async function startExport() {
    try {
      const arn = (await ddb('DescribeTable', { TableName: exportTable.value })).Table.TableArn;
      await ddb('ExportTableToPointInTime', { TableArn: arn, S3Bucket: bucket.value.trim(), S3Prefix: prefix.value.trim() || undefined, ExportFormat: format.value });
      toast('Export started');
      await load();
    } catch (error) {
      replace(status, notice(describeError(error), 'bad'));
    }
  }

  await load();
}
