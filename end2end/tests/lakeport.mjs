// Shared helpers for the browser tests: the browser, signing in, the REST API with a token,
// accessibility checks with axe-core, and screenshots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export const base = process.env.LAKEPORT_URL;
export const adminPassword = process.env.LAKEPORT_ADMIN_PASSWORD;
export const demoPath = process.env.LAKEPORT_DEMO_PATH;
/// The folder the live server may read and write local paths under: with no LAKEPORT_LOCAL_ROOTS
/// set (scripts/live-server.sh sets none) its one local root is `<data dir>/lake`.
export const lakeRoot = process.env.LAKEPORT_DATA_DIR && `${process.env.LAKEPORT_DATA_DIR}/lake`;
export const shots = new URL('../test-results/', import.meta.url).pathname;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function launch() {
  assert.ok(base && adminPassword && demoPath, 'run through end2end/run.sh');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

let token;
/// An API token for scripts, created once through a signed-in session.
export async function apiToken() {
  if (token) return token;
  const signIn = await fetch(`${base}/auth/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: adminPassword }),
  });
  assert.equal(signIn.status, 200, 'sign-in for the API token');
  const { csrfToken } = await signIn.json();
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const created = await fetch(`${base}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: `e2e-${Date.now()}-${Math.random()}` }),
  });
  assert.equal(created.status, 200, 'token creation');
  token = (await created.json()).token;
  return token;
}

/// Calls the REST API as a script would; fails the test on a non-2xx answer.
export async function api(path, body, method) {
  const response = await fetch(base + path, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await apiToken()}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/// Pushes rows into a REALTIME table as NDJSON, as a script would; fails the test on a non-2xx answer.
export async function push(table, rows, idempotencyKey) {
  const response = await fetch(`${base}/ingest/${table}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-ndjson',
      Authorization: `Bearer ${await apiToken()}`,
      ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
    },
    body: rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
  });
  const json = await response.json();
  assert.ok(response.ok, `/ingest/${table}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/// `1234567` as `1,234,567` and epoch ms as `2025-01-15 08:30`: how the pages print them.
export const thousands = (n) => n.toLocaleString('en-US');
export const utcMinutes = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/// Creates a table from a local folder through the API (preview → schema → table).
export async function onboardLocal(table, path, schedule) {
  const preview = await api('/tables/preview', {
    tableConfig: { tableName: table, task: { taskTypeConfigsMap: { ExternalTableSyncTask: {
      catalogType: 'local', 'catalog.local.path': path, ...(schedule ? { schedule } : {}) } } } },
    config: { inference: { embeddedSchemaEnabled: true } },
  });
  await api('/schemas', preview.schema);
  await api('/tables', preview.tableConfigs.offline);
  return waitFor(`${table} to complete`, async () => {
    const status = await api(`/tables/${table}_OFFLINE/externalTable/status`);
    return status.status === 'COMPLETED' && status;
  });
}

/// A new page that records console errors; `page.errors` lists them.
export async function newPage(browser, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  return page;
}

export async function signIn(page, next = '/ui/tables') {
  await page.goto(`${base}${next}`);
  await page.waitForURL(/\/ui\/sign-in/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
  await hydrated(page);
}

export async function hydrated(page) {
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 30_000 });
  // The security headers' CSP must allow everything the app itself loads and runs.
  const blocked = (page.errors ?? []).filter((e) => /Content Security Policy/i.test(e));
  assert.deepEqual(blocked, [], 'the CSP blocked part of the app');
}

/// Runs axe-core on the page and fails on any serious or critical violation.
export async function checkAccessibility(page, name) {
  // Evaluated over the DevTools protocol: the page's CSP rightly refuses injected inline scripts.
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const serious = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target.join(' ')}: ${n.any[0]?.message ?? ''}`).join('; ')})`),
    [], `accessibility violations on ${name}`);
}

/// The page must not scroll sideways, and a full-page screenshot is kept.
export async function shot(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, `${name}: the page itself must not scroll sideways`);
  await page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
}
