// The tables page in a real browser: server-rendered, then hydrated and interactive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.LAKEPORT_URL;
const demoPath = process.env.LAKEPORT_DEMO_PATH;
const shots = new URL('../test-results/', import.meta.url).pathname;
let browser;

async function api(path, body) {
  const response = await fetch(base + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, `${path}: ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  assert.ok(base && demoPath, 'run through end2end/run.sh');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => browser?.close());

test('a synced table shows on the server-rendered page and the page hydrates', async () => {
  const preview = await api('/tables/preview', {
    tableConfig: { tableName: 'lineitem', task: { taskTypeConfigsMap: { ExternalTableSyncTask: {
      catalogType: 'local', 'catalog.local.path': demoPath } } } },
    config: { inference: { embeddedSchemaEnabled: true } },
  });
  await api('/schemas', preview.schema);
  await api('/tables', preview.tableConfigs.offline);
  const deadline = Date.now() + 60_000;
  let status;
  do {
    status = await api('/tables/lineitem_OFFLINE/externalTable/status');
    if (status.status === 'COMPLETED') break;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
  assert.equal(status.status, 'COMPLETED');

  // Before any script runs, the server's HTML already lists the table.
  const html = await (await fetch(base + '/')).text();
  assert.match(html, /lineitem/);

  for (const [name, width] of [['desktop', 1280], ['phone', 390]]) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(base + '/');
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 30_000 });
    const row = page.locator('tr[data-table="lineitem"]');
    await row.waitFor();
    assert.match(await row.innerText(), /Completed/);
    assert.match(await row.innerText(), new RegExp(status.totalRows.toLocaleString('en-US')));
    await page.getByTestId('refresh').click();
    await row.waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, `the page itself must not scroll sideways at ${width}px`);
    await page.screenshot({ path: `${shots}tables-${name}.png`, fullPage: true });
    assert.deepEqual(errors, [], 'no errors in the browser console');
    await page.close();
  }
});
