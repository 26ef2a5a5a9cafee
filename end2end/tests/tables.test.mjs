// The signed-in pages on real synced tables: the list, the table dashboard with pause and resume,
// the query console and API tokens; each checked with axe and kept as a screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  base, launch, api, apiToken, waitFor, onboardLocal, newPage, signIn, hydrated,
  checkAccessibility, shot, demoPath,
} from './lakeport.mjs';

let browser;
let lineitem;
before(async () => {
  browser = await launch();
  lineitem = await onboardLocal('lineitem', demoPath);
});
after(async () => browser?.close());

test('the tables list renders on the server, hydrates and fits desktop and phone', async () => {
  const html = await (await fetch(`${base}/ui/tables`, {
    headers: { Authorization: `Bearer ${await apiToken()}` },
  })).text();
  assert.match(html, /lineitem/, 'the server-rendered HTML already lists the table');

  for (const [name, width] of [['desktop', 1280], ['phone', 390]]) {
    const page = await newPage(browser, width);
    await signIn(page);
    const row = page.locator('tr[data-table="lineitem"]');
    await row.waitFor();
    assert.match(await row.innerText(), /Completed/);
    assert.match(await row.innerText(), new RegExp(lineitem.totalRows.toLocaleString('en-US')));
    await page.getByTestId('refresh').click();
    await row.waitFor();
    await checkAccessibility(page, `tables (${name})`);
    await shot(page, `tables-${name}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('the dashboard pauses and resumes a table that syncs every two seconds', async () => {
  await onboardLocal('ticking', demoPath, '*/2 * * * * ?');
  const page = await newPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await signIn(page, '/ui/tables/ticking');
  assert.match(await page.getByTestId('rows').innerText(), new RegExp(lineitem.totalRows.toLocaleString('en-US')));
  assert.match(await page.getByTestId('checkpoint').innerText(), /files up to \d{4}-\d\d-\d\d/);
  assert.match(await page.getByTestId('sql-snippet').innerText(), /SELECT count\(\*\) FROM ticking/);
  await page.getByTestId('schema').waitFor();
  assert.ok(await page.locator('[data-testid="schema"] tbody tr').count() > 5, 'the schema is listed');
  assert.ok(await page.locator('[data-testid="ledger"] tr[data-file]').count() >= 2, 'the files are listed');
  await checkAccessibility(page, 'table detail');
  await shot(page, 'table-detail');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'table-detail-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.getByTestId('toggle-state').click();
  await waitFor('the table to pause', async () => !(await api('/tables/ticking_OFFLINE/externalTable/status')).enabled);
  // A run already under way finishes normally; after it, nothing new starts.
  const settled = await waitFor('runs to settle', async () => {
    const s = await api('/tables/ticking_OFFLINE/externalTable/status');
    return s.runs[0]?.status !== 'RUNNING' && s;
  });
  await new Promise((r) => setTimeout(r, 5_000));
  const later = await api('/tables/ticking_OFFLINE/externalTable/status');
  assert.equal(later.runs[0].runId, settled.runs[0].runId, 'no run while paused');
  await page.locator('[data-status="PAUSED"]').first().waitFor();
  await shot(page, 'table-detail-paused');

  await page.getByTestId('toggle-state').click();
  const resumed = await waitFor('a run after resuming', async () => {
    const s = await api('/tables/ticking_OFFLINE/externalTable/status');
    return s.runs[0].runId > settled.runs[0].runId && s;
  });
  // Run ids are shared by every table (other test files sync theirs meanwhile), so the
  // row to wait for is the new run's own id, not the paused one's plus one.
  await page.locator(`tr[data-run="${resumed.runs[0].runId}"]`).waitFor({ timeout: 10_000 });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the query console answers with the synced row count and explains bad SQL', async () => {
  const page = await newPage(browser);
  await signIn(page, '/ui/query?sql=SELECT%20count(*)%20FROM%20lineitem');
  await page.getByTestId('run-query').click();
  const results = page.getByTestId('results');
  await results.waitFor();
  assert.equal((await results.locator('tbody td').first().innerText()).trim(), String(lineitem.totalRows));
  assert.match(await page.getByTestId('query-summary').innerText(), /1 rows in/);
  await checkAccessibility(page, 'query');
  await shot(page, 'query');

  await page.getByLabel('SQL').fill('DROP TABLE lineitem');
  await page.getByTestId('run-query').click();
  await page.getByTestId('query-error').waitFor();
  assert.match(await page.getByTestId('query-error').innerText(), /DROP/i);
  await page.context().close();
});

test('API tokens are created in the UI, work for scripts, and stop working when revoked', async () => {
  const page = await newPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await signIn(page, '/ui/tokens');
  await page.getByLabel('Token name').fill('ci-script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('new-token').inputValue();
  assert.match(secret, /^lp_/);
  const asScript = () => fetch(`${base}/tables`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal((await asScript()).status, 200);
  await checkAccessibility(page, 'tokens');
  await shot(page, 'tokens');

  await page.getByRole('button', { name: 'Revoke token ci-script' }).click();
  await page.locator('tr[data-token="ci-script"]').waitFor({ state: 'detached' });
  assert.equal((await asScript()).status, 401);
  await page.goto(`${base}/ui/connections`);
  await hydrated(page);
  await checkAccessibility(page, 'connections');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
