import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  collectConsoleErrors,
  expectAccessible,
  launchChromium,
  shoot,
} from './browser.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The console in headless Chromium against local mode, as people use it: one browser and one page
 * for the file, moving by links (hash routes) rather than reloads; axe-core on every page.
 */
const LINEAGE = {
  datasets: [{ uri: 's3://data/churn/q3.parquet', sha256: 'd'.repeat(64), role: 'training' }],
  code: { repository: 'https://git.example.com/churn', commit: 'e'.repeat(40) },
  image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn', digest: `sha256:${'c'.repeat(64)}` },
};

describe.skipIf(!chromiumAvailable)('the console in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let model: string;
  let other: string;

  const go = async (hash: string) => {
    // A string, so that this file needs no DOM types: it runs in the page.
    await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  };
  const heading = () => page.locator('main h1');

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 20, waitScale: 0.002, driftIntervalMs: 0 });
    browser = await launchChromium();
    model = uniqueName('console-churn');
    other = uniqueName('console-fraud');
    await createModel(
      api,
      model,
      { riskTier: 'high', purpose: 'Predict churn', tags: { team: 'crm' } },
      'alice',
    );
    await createModel(api, other, { riskTier: 'low', tags: { team: 'risk' } }, 'bob');
    await publishVersion(
      api,
      model,
      undefined,
      { metrics: { auc: 0.91 }, params: { depth: 6 }, lineage: LINEAGE },
      'alice',
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('lists the models, filters them and says who the API sees', async () => {
    const response = await page.goto(`${api.url}/console`);

    expect(response!.status()).toBe(200);
    expect(page.url()).toBe(`${api.url}/console/`);
    await expect.poll(() => heading().textContent()).toBe('Models');
    const rows = page.locator('table.models tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator(`table.models a[href="#/models/${model}"]`).textContent()).toBe(model);
    expect(await page.locator('#principal').inputValue()).toBe('alice');
    await expectAccessible(page);
    await shoot(page, 'console-models');

    // Filters live in the address: a shared link shows the same list.
    await page.locator('#f-risk').selectOption('low');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.url()).toContain('risk=low');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().locator('th a').textContent()).toBe(other);
    await go(`#/models?tag=${encodeURIComponent('team=crm')}`);
    await expect
      .poll(async () => (await rows.count()) === 1 && (await rows.first().locator('th a').textContent()))
      .toBe(model);

    // The principal picker: the API now sees the auditor, who reads but may not change anything.
    await page.locator('#principal').selectOption('auditor');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.evaluate("localStorage.getItem('steward.principal')")).toBe('auditor');
    expect(errors).toEqual([]);
  });
});
