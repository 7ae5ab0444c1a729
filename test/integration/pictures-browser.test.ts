import type { Browser } from 'playwright-core';
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
 * Lineage as a picture, looked at in headless Chromium: the page GET /v1/lineage answers with
 * Accept: text/html or format=html, self-contained (strict CSP, nothing loaded), checked by axe.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};

describe.skipIf(!chromiumAvailable)('pictures in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;
  let model: string;

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 20, waitScale: 0.002 });
    browser = await launchChromium();
    model = uniqueName('pic');
    await createModel(api, model);
    const lineage = {
      datasets: [{ uri: 's3://data/churn/q4.parquet', sha256: 'a'.repeat(64) }],
      code: { repository: 'https://git.example.com/churn', commit: 'b'.repeat(40) },
      image: IMAGE,
    };
    await publishVersion(api, model, undefined, { lineage });
    await publishVersion(api, model, undefined, { lineage });
    const deployed = await api.call('POST', `/v1/models/${model}/versions/2/deployments`, {
      body: {
        environment: 'dev',
        target: {
          kind: 'sagemaker',
          endpointName: `steward-${model}`.slice(0, 60),
          instanceType: 'ml.m5.large',
        },
        strategy: { bakeMinutes: 0 },
      },
    });
    expect(deployed.status, deployed.text).toBe(202);
    for (let i = 0; i < 400; i++) {
      if ((await api.call('GET', `/v1/deployments/${deployed.body.id}`)).body.status === 'SUCCEEDED') break;
      await new Promise((done) => setTimeout(done, 50));
    }
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('draws the lineage of a dataset: nodes by kind, versions linked, the deployment marked', async () => {
    const node = encodeURIComponent('dataset:s3://data/churn/q4.parquet');
    const viaAccept = await api.call('GET', `/v1/lineage?node=${node}&direction=downstream`, {
      headers: { accept: 'text/html' },
    });
    expect(viaAccept.status).toBe(200);
    expect(viaAccept.headers.get('content-type')).toMatch(/^text\/html/);
    expect(viaAccept.headers.get('content-security-policy')).toContain("default-src 'none'");

    // A browser on the local API (which takes the caller from a header, as IAM does on AWS).
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-steward-principal': 'auditor' } });
    const page = await context.newPage();
    const errors = collectConsoleErrors(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const url = `${api.url}/v1/lineage?node=${node}&direction=downstream&format=html`;
    const response = await page.goto(url);

    expect(response!.status()).toBe(200);
    expect(requests).toEqual([url]);
    expect(await page.locator('#start').textContent()).toBe('dataset:s3://data/churn/q4.parquet');
    const kinds = await page
      .locator('#lineage svg .node')
      .evaluateAll((nodes) =>
        nodes.map((n) => `${n.getAttribute('data-kind')}|${n.getAttribute('data-id')}`),
      );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'dataset|s3://data/churn/q4.parquet',
        `model-version|${model}:1`,
        `model-version|${model}:2`,
        expect.stringMatching(/^deployment\|/),
      ]),
    );
    // Versions link to their own lineage picture; the deployment and the serving version are marked.
    const v1 = page.locator(`#lineage svg a[data-id="${model}:1"]`);
    expect(await v1.getAttribute('href')).toContain('format=html');
    expect(await page.locator('#lineage svg [data-kind="deployment"]').getAttribute('data-deployed')).toBe(
      'true',
    );
    expect(await page.locator(`#lineage svg [data-id="${model}:2"]`).getAttribute('data-deployed')).toBe(
      'true',
    );
    expect(
      await page.locator(`#lineage svg [data-id="${model}:1"]`).getAttribute('data-deployed'),
    ).toBeNull();
    expect(await page.locator('#nodes ul[data-kind="model-version"] li').count()).toBe(2);
    expect(await page.locator('#edges tbody tr').count()).toBeGreaterThanOrEqual(3);
    await shoot(page, 'lineage-page');
    await expectAccessible(page);

    // Following a version's link opens that version's picture.
    await Promise.all([page.waitForURL(/format=html/), v1.click()]);
    expect(await page.locator('#start').textContent()).toBe(`model-version:${model}:1`);
    expect(await page.locator('#lineage svg [data-start="true"]').getAttribute('data-id')).toBe(`${model}:1`);
    expect(errors).toEqual([]);
    await expectAccessible(page);
  }, 120_000);
});
