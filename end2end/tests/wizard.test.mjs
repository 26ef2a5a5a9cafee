// The Connect External Table wizard end to end, against a real S3 server (SigV4 checked)
// and a local folder: validate (a wrong secret is shown at its field), browse, review, create,
// then the table completes and the query console counts its rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  base, launch, api, waitFor, newPage, signIn, hydrated, checkAccessibility, shot, demoPath,
} from './lakeport.mjs';

const s3 = {
  region: process.env.E2E_S3_REGION,
  accessKey: process.env.E2E_S3_ACCESS_KEY,
  secretKey: process.env.E2E_S3_SECRET_KEY,
};
let browser;
before(async () => { browser = await launch(); });
after(async () => browser?.close());

async function step(page, name) {
  await page.locator(`section[data-step="${name}"]`).waitFor();
  assert.match(await page.locator('[aria-current="step"]').innerText(), new RegExp(name, 'i'));
}

async function next(page) {
  const button = page.getByTestId('next');
  await waitFor('Next to be enabled', async () => button.isEnabled());
  await button.click();
}

/// Browse → schema → settings → create, shared by both sources; returns the table's status.
/// `folder` is opened and used, or with `root` the connection's own folder (named `folder`).
async function finish(page, { folder, table, shots, root = false }) {
  await step(page, 'browse');
  if (root) {
    await page.getByTestId('browse-items').waitFor();
    await page.getByTestId('use-folder').click();
    assert.match(await page.getByTestId('selection').innerText(), /whole connection root/);
  } else {
    await page.locator(`[data-testid="browse-items"] button[data-item="${folder}/"]`).click();
    await page.getByTestId('use-folder').click();
    assert.match(await page.getByTestId('selection').innerText(), new RegExp(folder));
  }
  if (shots) {
    await checkAccessibility(page, 'wizard browse step');
    await shot(page, 'wizard-4-browse');
  }
  await next(page);

  await step(page, 'schema');
  await page.getByTestId('sample-rows').locator('tbody tr').first().waitFor();
  assert.ok(await page.getByTestId('schema-columns').locator('tbody tr').count() > 5);
  // The schema is named after the folder being onboarded, as the table is.
  assert.equal(await page.getByLabel('Schema name').inputValue(), folder);
  await page.getByLabel('Schema name').fill(table);
  if (shots) {
    await checkAccessibility(page, 'wizard schema step');
    await shot(page, 'wizard-5-schema');
  }
  await next(page);

  await step(page, 'settings');
  await page.getByLabel('Table name').fill(table);
  await page.getByTestId('schedule-description').waitFor();
  assert.equal(await page.getByTestId('schedule-description').innerText(), 'every 5 minutes');
  if (shots) {
    await checkAccessibility(page, 'wizard settings step');
    await shot(page, 'wizard-6-settings');
  }
  await next(page);

  await step(page, 'create');
  if (shots) {
    await checkAccessibility(page, 'wizard create step');
    await shot(page, 'wizard-7-create');
  }
  await page.getByTestId('create-table').click();
  await page.waitForURL(`${base}/ui/tables/${table}`);
  // The first sync started by itself; the dashboard follows it to Completed.
  await page.locator('[data-testid="table-status"] [data-status="COMPLETED"]').waitFor({ timeout: 60_000 });
  return api(`/tables/${table}_OFFLINE/externalTable/status`);
}

async function countInConsole(page, table) {
  await page.goto(`${base}/ui/query?sql=${encodeURIComponent(`SELECT count(*) FROM ${table}`)}`);
  await hydrated(page);
  await page.getByTestId('run-query').click();
  const cell = page.getByTestId('results').locator('tbody td').first();
  await cell.waitFor();
  return Number((await cell.innerText()).trim());
}

test('S3 Data Lake: a wrong secret is shown at its field, then the table is created and synced', async () => {
  assert.ok(s3.accessKey, 'run through end2end/run.sh (it starts the S3 server)');
  const page = await newPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await signIn(page, '/ui/connect');

  await step(page, 'provider');
  assert.equal(await page.getByTestId('next').isEnabled(), false, 'Next waits for a provider');
  await page.getByLabel(/S3 Data Lake/).check();
  await checkAccessibility(page, 'wizard provider step');
  await shot(page, 'wizard-1-provider');
  await next(page);

  await step(page, 'credentials');
  await page.getByTestId('next').click();
  assert.match(await page.locator('[data-error-for="catalog.s3.bucketName"]').innerText(), /S3 Bucket is required/);
  await page.getByLabel('S3 Bucket').fill('lake');
  await page.getByLabel('Prefix').fill('tpch/');
  await page.getByLabel('Region').fill(s3.region);
  await page.getByLabel('Access Key').fill(s3.accessKey);
  await page.getByLabel('Secret Key').fill('not-the-secret');
  assert.equal(await page.getByLabel('Secret Key').getAttribute('type'), 'password');
  await checkAccessibility(page, 'wizard credentials step');
  await shot(page, 'wizard-2-credentials');
  await next(page);

  await step(page, 'validate');
  assert.equal(await page.getByTestId('next').isEnabled(), false, 'Next waits for validation');
  await page.getByTestId('validate').click();
  const secretError = page.locator('[data-error-for="catalog.s3.secretKey"]');
  await waitFor('the error at the secret', async () => (await secretError.innerText()).length > 0);
  assert.equal(await page.getByLabel('Secret Key').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByTestId('next').isEnabled(), false);
  await shot(page, 'wizard-3-validate-failed');

  // Back and forth keeps what was typed.
  await page.getByTestId('back').click();
  await step(page, 'credentials');
  assert.equal(await page.getByLabel('S3 Bucket').inputValue(), 'lake');
  await next(page);
  await page.getByLabel('Secret Key').fill(s3.secretKey);
  await page.getByTestId('validate').click();
  await page.getByText('✓ Connection validated').waitFor();
  await checkAccessibility(page, 'wizard validate step');
  await shot(page, 'wizard-3-validate');
  await next(page);

  const status = await finish(page, { folder: 'lineitem', table: 's3_lineitem', shots: true });
  assert.ok(status.totalRows > 0);
  await checkAccessibility(page, 'new table detail');
  await shot(page, 'wizard-done-table-detail');
  assert.equal(await countInConsole(page, 's3_lineitem'), status.totalRows);

  // The connection was saved (secret masked) and is offered the next time: picking it
  // jumps to validation with the stored secret, which is never sent to the browser.
  await page.goto(`${base}/ui/connect`);
  await hydrated(page);
  await page.locator('button[data-connection]').first().click();
  await step(page, 'validate');
  assert.equal(await page.getByLabel('Secret Key').inputValue(), '*****');
  await page.getByTestId('validate').click();
  await page.getByText('✓ Connection validated').waitFor();

  await page.goto(`${base}/ui/connections`);
  await hydrated(page);
  const saved = page.locator('li[data-connection]').first();
  assert.match(await saved.innerText(), /\*\*\*\*\*/);
  // A plain substring test: the random secret may hold regex characters ('+', '/').
  assert.ok(!(await page.content()).includes(s3.secretKey), 'the secret is not on the page');
  await saved.getByRole('button', { name: 'Re-validate' }).click();
  await saved.getByText('Connection works.').waitFor();
  await saved.getByRole('button', { name: 'Delete' }).click();
  await saved.getByRole('alert').waitFor();
  assert.match(await saved.getByRole('alert').innerText(), /s3_lineitem/, 'refused while a table uses it');
  await checkAccessibility(page, 'connections with a saved connection');
  await shot(page, 'connections');
  assert.deepEqual(page.errors.filter((e) => !/status of 40\d/.test(e)), []);
  await page.context().close();
});

test('the wizard works with the keyboard alone, on a phone and in dark mode', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${base}/ui/connect`);
  await page.waitForURL(/sign-in/);
  await page.getByLabel('Username').focus();
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(process.env.LAKEPORT_ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/ui/connect`);
  await hydrated(page);
  // Tab to the first provider, pick it with the arrow keys, then Tab on to Next.
  await page.getByLabel(/S3 Data Lake/).focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel(/Glue/).isChecked(), true);
  await page.getByTestId('next').focus();
  await page.keyboard.press('Enter');
  await step(page, 'credentials');
  assert.equal(await page.getByLabel('Warehouse').count(), 1, 'Glue asks for its warehouse');
  await checkAccessibility(page, 'wizard (phone, dark)');
  await shot(page, 'wizard-phone-dark');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('Local folder: the wizard onboards a folder and the query console counts it', async () => {
  const page = await newPage(browser);
  page.on('dialog', (dialog) => dialog.accept());
  await signIn(page, '/ui/connect');
  await page.getByLabel(/Local folder/).check();
  await next(page);
  // The folder holding the files itself: its root is what gets onboarded.
  await page.getByLabel('Folder').fill(demoPath);
  await next(page);
  await page.getByTestId('validate').click();
  await page.getByText('✓ Connection validated').waitFor();
  await next(page);
  const status = await finish(page, { folder: path.basename(demoPath), table: 'local_lineitem', shots: false, root: true });
  assert.equal(await countInConsole(page, 'local_lineitem'), status.totalRows);
  await page.context().close();
});
