// REALTIME tables in the browser: rows pushed over HTTP show in the Ingestion panel as the API
// reports them (before and after a seal), the Tables list shows where their rows come from, and a
// DataExportTask to a local folder exports the sealed segment when "Export now" is clicked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  launch, api, push, waitFor, newPage, signIn, hydrated, checkAccessibility, shot, base,
  lakeRoot, thousands, utcMinutes,
} from './lakeport.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => browser?.close());

const cities = ['Oslo', 'Lima', 'Pune', 'Kyiv'];
// A minute before the run started: a `0s` export buffer lets the rows go, and the same ids
// always make the same body (a retry with its idempotency key must match the first request).
const stamp = Date.now() - 60_000;

/// Event rows with ids `from..to`, stamped `stamp` + id.
function events(from, to) {
  return Array.from({ length: to - from }, (_, k) => {
    const id = from + k;
    return { id, ts: stamp + id, amount: id * 1.5, city: cities[id % 4] };
  });
}

async function createEvents(name, streams, tasks) {
  await api('/schemas', {
    schemaName: name,
    dimensionFieldSpecs: [{ name: 'id', dataType: 'LONG', notNull: true }, { name: 'city', dataType: 'STRING' }],
    metricFieldSpecs: [{ name: 'amount', dataType: 'DOUBLE' }],
    dateTimeFieldSpecs: [{ name: 'ts', dataType: 'TIMESTAMP', format: '1:MILLISECONDS:TIMESTAMP', granularity: '1:MILLISECONDS' }],
  });
  await api('/tables', {
    tableName: `${name}_REALTIME`,
    tableType: 'REALTIME',
    segmentsConfig: { schemaName: name, timeColumnName: 'ts' },
    tableIndexConfig: { streamConfigs: { streamType: 'http', ...streams } },
    ...(tasks ? { task: { taskTypeConfigsMap: tasks } } : {}),
  });
}

const text = async (page, testid) => (await page.getByTestId(testid).innerText()).trim();

/// Every figure of the Ingestion panel against the API's answer of the same moment.
async function assertIngestionShown(page, table) {
  const status = await api(`/tables/${table}/ingestion`);
  assert.equal(await text(page, 'consuming-rows'), thousands(status.consumingRows));
  assert.equal(await text(page, 'consuming-chunks'), thousands(status.consumingChunks));
  assert.equal(await text(page, 'completed-segments'), thousands(status.completedSegments));
  assert.equal(await text(page, 'completed-rows'), thousands(status.completedRows));
  assert.equal(await text(page, 'flush-rows'), thousands(status.flushThresholdRows));
  const seal = await text(page, 'next-seal');
  if (status.nextSealMs === null) assert.equal(seal, '—');
  else assert.equal(seal, utcMinutes(status.nextSealMs));
  const lastHour = status.rowsPerMinute.reduce((sum, m) => sum + m.rows, 0);
  assert.equal(await text(page, 'rows-last-hour'), thousands(lastHour));
  assert.equal(await page.locator('[data-testid="rows-per-minute"] rect').count(), status.rowsPerMinute.length);
  return status;
}

test('a REALTIME table shows its ingestion as the API reports it, before and after a seal', async () => {
  await createEvents('clicks', {
    'realtime.segment.flush.threshold.rows': '100',
    'realtime.segment.flush.threshold.time': '90m',
  });
  const table = 'clicks_REALTIME';
  await push(table, events(0, 40), 'clicks-1');
  await push(table, events(40, 70), 'clicks-2');
  // A retry with a key already used loads nothing, as the page's snippet says.
  assert.equal((await push(table, events(40, 70), 'clicks-2')).duplicate, true);

  const page = await newPage(browser);
  await signIn(page, '/ui/tables/clicks');
  await page.getByTestId('ingestion').waitFor();
  assert.equal(await text(page, 'table-type'), 'REALTIME');
  assert.equal(await text(page, 'flush-time'), '1h30m');
  const before = await assertIngestionShown(page, table);
  assert.equal(before.consumingRows, 70, 'the duplicate request added nothing');
  assert.equal(before.consumingChunks, 2);
  assert.equal(before.completedSegments, 0);
  assert.equal(await text(page, 'consuming-progress'), '70 / 100');
  const snippet = await text(page, 'ingest-snippet');
  assert.match(snippet, /POST "\$LAKEPORT\/ingest\/clicks_REALTIME"/);
  assert.match(snippet, /Idempotency-Key: \$KEY/);
  assert.match(snippet, /application\/x-ndjson/);
  assert.match(await text(page, 'sql-snippet'), /SELECT count\(\*\) FROM clicks$/);
  // The sync's controls and files do not apply to a table whose rows are pushed.
  assert.equal(await page.getByTestId('sync-now').count(), 0);
  assert.equal(await page.getByTestId('ledger').count(), 0);
  assert.equal(await page.getByTestId('runs').count(), 0);
  assert.equal(await page.getByTestId('exports').count(), 0, 'no DataExportTask, no exports panel');
  await page.getByTestId('schema').waitFor();
  await checkAccessibility(page, 'realtime table');
  await shot(page, 'table-realtime');

  // Past the row threshold the consuming rows seal into a completed segment; the open page
  // picks that up by itself.
  await push(table, events(70, 110), 'clicks-3');
  await waitFor('the seal', async () => (await api(`/tables/${table}/ingestion`)).completedSegments === 1);
  await waitFor('the page to show the seal', async () => (await text(page, 'completed-segments')) === '1', 15_000);
  const after = await assertIngestionShown(page, table);
  assert.equal(after.completedRows, 110);
  assert.equal(after.consumingRows, 0);
  await shot(page, 'table-realtime-sealed');

  // The Tables list names the push endpoint as the source.
  await page.goto(`${base}/ui/tables`);
  await hydrated(page);
  const row = page.locator('tr[data-table="clicks"]');
  await row.waitFor();
  const shown = await row.innerText();
  assert.match(shown, /POST \/ingest\/clicks_REALTIME/);
  assert.match(shown, /http · realtime/);
  assert.match(shown, /on push/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('Export now writes the sealed segment to a local folder and the page shows it COMPLETED', async () => {
  assert.ok(lakeRoot, 'run through end2end/run.sh');
  const outputDir = `${lakeRoot}/exports/exported/`;
  mkdirSync(outputDir, { recursive: true });
  await createEvents('exported', { 'realtime.segment.flush.threshold.rows': '50' }, {
    DataExportTask: {
      sourceTableName: 'exported_REALTIME',
      'externalTable.target': 'filesystem',
      outputDirURI: `file://${outputDir}`,
      bufferTimePeriod: '0s',
    },
  });
  const table = 'exported_REALTIME';
  await push(table, events(0, 60));
  await waitFor('the seal', async () => (await api(`/tables/${table}/ingestion`)).completedSegments === 1);

  const page = await newPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await signIn(page, '/ui/tables/exported');
  await page.getByTestId('exports').waitFor();
  assert.equal(await text(page, 'export-target'), 'filesystem');
  const destination = await text(page, 'export-destination');
  assert.ok(destination.includes(outputDir.replace(/\/$/, '')), `${destination} names ${outputDir}`);
  assert.equal(await text(page, 'export-schedule'), 'on demand');
  await page.getByTestId('export-segments-empty').waitFor();

  await page.getByTestId('export-now').click();
  const scheduled = (await text(page, 'export-scheduled')).replace(/^Scheduled\s+/, '');
  assert.match(scheduled, /^Task_DataExportTask_exported_REALTIME_/);
  const completed = page.locator('[data-testid="export-segments"] tr[data-state="COMPLETED"]');
  await completed.first().waitFor({ timeout: 60_000 });

  const status = await api(`/tables/${table}/exports`);
  assert.equal(status.segments.length, 1, JSON.stringify(status.segments));
  const [segment] = status.segments;
  assert.equal(segment.state, 'COMPLETED');
  assert.equal(segment.rowCount, 60);
  const cells = await completed.first().innerText();
  assert.match(cells, new RegExp(segment.segmentName));
  assert.ok(cells.includes(segment.fileUri), `${cells} shows ${segment.fileUri}`);
  const written = segment.fileUri.startsWith('file:') ? fileURLToPath(segment.fileUri) : segment.fileUri;
  assert.ok(written.startsWith(outputDir) && existsSync(written), `${segment.fileUri} was written in ${outputDir}`);
  const cycle = page.locator(`[data-testid="export-runs"] tr[data-task="${scheduled}"]`);
  await cycle.waitFor({ timeout: 15_000 });
  await cycle.locator('[data-status="COMPLETED"]').waitFor({ timeout: 15_000 });
  assert.match(await cycle.innerText(), /EMIT/);
  await checkAccessibility(page, 'realtime table with exports');
  await shot(page, 'table-exports');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
