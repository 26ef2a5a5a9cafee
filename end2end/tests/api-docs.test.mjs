// The API reference: Swagger UI renders the generated OpenAPI document under the site's CSP
// (no violation, no script error), without signing in, and its "Try it out" reaches the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { base, launch, newPage, shot } from './lakeport.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => browser?.close());

test('Swagger UI shows every documented operation and calls the API', async () => {
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const operations = Object.values(spec.paths)
    .reduce((n, item) => n + Object.keys(item).length, 0);

  const page = await newPage(browser);
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`)));
  await page.goto(`${base}/api-docs/`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'Lakeport' }).waitFor();
  await page.locator('.opblock').first().waitFor();
  assert.equal(await page.locator('.opblock').count(), operations,
    'one block per documented operation');

  // "Try it out" on GET /health: the answer comes back from the server.
  const health = page.locator('#operations-operations-health');
  await health.locator('.opblock-summary').click();
  await health.getByRole('button', { name: 'Try it out' }).click();
  await health.getByRole('button', { name: 'Execute' }).click();
  await health.locator('.response .response-col_status').filter({ hasText: '200' }).first().waitFor();
  await shot(page, 'api-docs');
  assert.deepEqual(violations, [], 'no CSP violation');
  assert.deepEqual(page.errors, [], 'no script error');
});
