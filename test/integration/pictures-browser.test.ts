import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/main';
import { writeDriftData } from '../../infra/local/drift-data.ts';
import { eventually } from '../eventually.ts';
import {
  chromiumAvailable,
  collectConsoleErrors,
  expectAccessible,
  launchChromium,
  shoot,
  WORKFLOW_PATIENCE,
} from './browser.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * Lineage as a picture, looked at in headless Chromium: the page GET /v1/lineage answers with
 * Accept: text/html or format=html, self-contained (strict CSP, nothing loaded), checked by axe;
 * and drift as a picture: the report page each run writes beside its JSON, opened from S3 through
 * the presigned URL GET .../drift-runs/{run}/report answers.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};

describe.skipIf(!chromiumAvailable)('pictures in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;
  let model: string;
  let deploymentId: string;

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 20, waitScale: 0.002, driftIntervalMs: 0 });
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
    deploymentId = deployed.body.id;
    const done = await eventually(
      'the deployment of version 2',
      async () => {
        const d = await api.call('GET', `/v1/deployments/${deploymentId}`);
        return ['SUCCEEDED', 'FAILED', 'ROLLED_BACK'].includes(d.body.status) ? d : undefined;
      },
      WORKFLOW_PATIENCE,
    );
    expect(done.body.status, done.text).toBe('SUCCEEDED');
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

  it('draws a drift run: baseline against window per feature, drifted first, figures beside thresholds', async () => {
    const data = await writeDriftData(
      await mkdtemp(join(tmpdir(), 'steward-pic-')),
      new Date(Date.now() - 10 * 60_000),
    );
    const baseline = await api.call('PUT', `/v1/models/${model}/versions/2/baseline`, {
      body: { dataset: { uri: data.reference, format: 'csv' } },
    });
    expect(baseline.status, baseline.text).toBe(200);
    const monitor = await api.call('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
      body: { capture: { uri: data.capture, format: 'sagemaker-capture' } },
    });
    expect(monitor.status, monitor.text).toBe(200);
    expectProblem(await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs/latest/report`), 404);
    const run = await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, { body: data.window });
    expect(run.status, run.text).toBe(201);
    expect(run.body.reportPageUri).toBe(run.body.reportUri.replace(/\.json$/, '.html'));

    const report = await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs/${run.body.id}/report`, {
      principal: 'auditor',
    });
    expect(report.status, report.text).toBe(200);
    expect(report.body).toMatchObject({
      runId: run.body.id,
      url: expect.any(String),
      expiresAt: expect.any(String),
    });
    const latest = await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs/latest/report`);
    expect(latest.body.runId).toBe(run.body.id);
    expectProblem(
      await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs/run-0000000000000000/report`),
      404,
    );
    expectProblem(await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs/nope/report`), 400);

    // The CLI saves the same page.
    const saved = join(await mkdtemp(join(tmpdir(), 'steward-pic-')), 'drift.html');
    expect(
      await main(['node', 'steward', '--url', api.url, 'drift', 'report', deploymentId, '-o', saved]),
    ).toBe(0);
    expect(await readFile(saved, 'utf8')).toContain(`<code>${run.body.id}</code>`);

    const page = await (await browser.newContext()).newPage();
    const errors = collectConsoleErrors(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const response = await page.goto(report.body.url);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-type']).toMatch(/^text\/html/);
    expect(requests).toHaveLength(1);
    expect(await page.locator('#model').textContent()).toBe(model);
    expect(await page.locator('#environment').textContent()).toBe('dev');
    expect(await page.locator('#rows').textContent()).toBe('200');
    expect(await page.locator('#thresholds').textContent()).toContain('PSI ≥ 0.2');
    // Drifted features first: spend and plan before tenure.
    const order = await page
      .locator('#features .feature')
      .evaluateAll((sections) =>
        sections.map((s) => `${s.getAttribute('data-feature')}:${s.getAttribute('data-drifted')}`),
      );
    expect(order.slice(0, 2).sort()).toEqual(['plan:true', 'spend:true']);
    expect(order[2]).toBe('tenure:false');
    // spend: the histogram on the baseline's 10 bins, the window's mass in the last bin.
    const spend = page.locator('[data-feature="spend"]');
    const bins = await spend
      .locator('svg.histogram .bin')
      .evaluateAll((g) =>
        g.map((b) => [Number(b.getAttribute('data-reference')), Number(b.getAttribute('data-current'))]),
      );
    expect(bins).toHaveLength(10);
    expect(bins.reduce((a, [r]) => a + r!, 0)).toBeCloseTo(1, 9);
    expect(bins.at(-1)![1]).toBe(1);
    expect(await spend.locator('tr[data-figure="psi"]').getAttribute('class')).toBe('over');
    expect(await spend.locator('tr[data-figure="psi"] td').nth(1).textContent()).toContain(
      'drifted at ≥ 0.2',
    );
    expect(await spend.locator('tr[data-figure="ksPValue"] td').nth(1).textContent()).toContain(
      'drifted below 0.05',
    );
    // plan: bars per category, the unseen one marked.
    const plan = page.locator('[data-feature="plan"]');
    expect(await plan.locator('svg.category-bars [data-unseen="true"]').getAttribute('data-label')).toBe(
      'enterprise',
    );
    expect(await plan.locator('tr[data-figure="chiSquarePValue"]').getAttribute('class')).toBe('over');
    expect(await page.locator('[data-feature="tenure"] tr.over').count()).toBe(0);
    expect(errors).toEqual([]);
    await shoot(page, 'drift-report');
    await expectAccessible(page);
  }, 120_000);
});
