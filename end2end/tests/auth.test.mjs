// Sign-in is required for pages and the API; a cross-site form post is refused; sign-out ends the session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  base, launch, newPage, signIn, hydrated, checkAccessibility, shot,
} from './lakeport.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => browser?.close());

test('anonymous visitors get the sign-in page, and the API answers 401', async () => {
  const api = await fetch(`${base}/tables`);
  assert.equal(api.status, 401);
  const page = await newPage(browser);
  await page.goto(`${base}/ui/tables`);
  await page.waitForURL(/\/ui\/sign-in\?next=%2Fui%2Ftables/);
  await hydrated(page);
  await checkAccessibility(page, 'sign-in');
  await shot(page, 'sign-in');

  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/failed=1/);
  assert.match(await page.getByRole('alert').innerText(), /Wrong username or password/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a form on another site cannot make a signed-in browser change anything', async () => {
  const page = await newPage(browser);
  await signIn(page);
  // A page on another origin (another port of the same host: same site, so the
  // browser even sends the cookie) posts a form to Lakeport.
  const evil = http.createServer((_, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form id="f" method="post" action="${base}/auth/tokens" enctype="text/plain">
      <input name='{"name":"stolen","x":"' value='"}'></form><script>f.submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  try {
    await page.goto(`http://127.0.0.1:${evil.address().port}/`);
    await page.waitForURL(`${base}/auth/tokens`);
    assert.match(await page.locator('body').innerText(), /cross-site request refused/);
  } finally {
    evil.close();
  }
  await page.goto(`${base}/ui/tokens`);
  await hydrated(page);
  assert.equal(await page.locator('tr[data-token="stolen"]').count(), 0, 'no token was created');
  await page.context().close();
});

test('signing out ends the session', async () => {
  const page = await newPage(browser);
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/sign-in/);
  await page.goto(`${base}/ui/tables`);
  await page.waitForURL(/\/ui\/sign-in/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('without JavaScript, signing in and reading the pages still works (server rendering)', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/ui/tables`);
  await page.waitForURL(/\/ui\/sign-in/);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(process.env.LAKEPORT_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui/tables`);
  assert.match(await page.locator('h1').innerText(), /Tables/);
  assert.equal(await page.locator('[data-hydrated]').count(), 0, 'no WASM ran');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/sign-in/);
  await context.close();
});
