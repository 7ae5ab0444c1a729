import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The console in headless Chromium against local mode, as people use it: one browser and one page
 * for the file, moving by links (hash routes) rather than reloads, acting as different principals
 * through the picker; axe-core on every page. alice registers the versions, so she may not decide
 * their approval; bob, an approver, may.
 */
const LINEAGE = {
  datasets: [{ uri: 's3://data/churn/q3.parquet', sha256: 'd'.repeat(64), role: 'training' }],
  code: { repository: 'https://git.example.com/churn', commit: 'e'.repeat(40) },
  image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn', digest: `sha256:${'c'.repeat(64)}` },
};

type Deployment = { id: string; status: string; operation: string; history: { step?: string }[] };

describe.skipIf(!chromiumAvailable)('the console in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let model: string;
  let other: string;
  let env: string;
  let endpoint: string;

  const go = async (hash: string) => {
    // A string, so that this file needs no DOM types: it runs in the page.
    await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  };
  /** What went wrong in the page, but for the API's refusals (4xx) that the console shows as it should. */
  const unexpected = () => errors.filter((e) => !/^Failed to load resource: .* status of 4\d\d/.test(e));
  const heading = () => page.locator('main h1');
  /** A test that begins on the model page goes there itself, so one failure does not take the next tests with it. */
  const openModel = async () => {
    await go(`#/models/${model}`);
    await expect.poll(() => heading().textContent()).toBe(model);
  };
  const actAs = (principal: string) => page.locator('#principal').selectOption(principal);
  /**
   * Switches the inbox to a tab and waits until it shows that tab's list: the tab marked current and
   * the list's own count line, so no card of the list it left is taken for one of this list.
   */
  const openInbox = async (tab: 'Mine to decide' | 'All pending', count: string) => {
    await page.locator('nav.tabs a', { hasText: tab }).click();
    await expect.poll(() => page.locator('nav.tabs a[aria-current="page"]').textContent()).toBe(tab);
    await expect.poll(() => page.locator('main p[role="status"].muted').textContent()).toBe(count);
  };
  const settle = (id: string, operation: string, status: string) =>
    eventually(
      `deployment ${id} to be ${status} after ${operation}`,
      async () => {
        const d = (await api.call<Deployment>('GET', `/v1/deployments/${id}`)).body;
        return d.operation === operation && d.status === status ? d : undefined;
      },
      WORKFLOW_PATIENCE,
    );
  const deploy = async (version: number) => {
    const res = await api.call('POST', `/v1/models/${model}/versions/${version}/deployments`, {
      principal: 'alice',
      body: {
        environment: env,
        target: { kind: 'sagemaker', endpointName: endpoint, instanceType: 'ml.m5.large' },
        strategy: { kind: 'all-at-once', bakeMinutes: 0 },
      },
    });
    expect(res.status, res.text).toBe(202);
    return settle(res.body.id, 'deploy', 'SUCCEEDED');
  };

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 20, waitScale: 0.002, driftIntervalMs: 0 });
    browser = await launchChromium();
    model = uniqueName('console-churn');
    other = uniqueName('console-fraud');
    env = uniqueName('cenv').toLowerCase().slice(0, 30);
    endpoint = `steward-${model}`.slice(0, 60);

    const policy = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: { required: false, groups: [{ name: 'risk', members: ['bob', 'carol'], minApprovals: 1 }] },
      },
    });
    expect(policy.status, policy.text).toBe(200);
    await createModel(
      api,
      model,
      { riskTier: 'high', purpose: 'Predict churn', tags: { team: 'crm' } },
      'alice',
    );
    await createModel(api, other, { riskTier: 'low', tags: { team: 'risk' } }, 'bob');
    const card = await api.call('PUT', `/v1/models/${model}/card`, {
      principal: 'alice',
      body: {
        purpose: 'Predict which customers leave within 90 days',
        limitations: 'Not for business customers',
      },
    });
    expect(card.status, card.text).toBe(200);
    for (const auc of [0.91, 0.93])
      await publishVersion(
        api,
        model,
        undefined,
        { metrics: { auc }, params: { depth: 6 }, lineage: LINEAGE },
        'alice',
      );

    // v1 serves and is monitored, with one drift run; then v2 replaces it and is rolled back.
    const first = await deploy(1);
    const dir = await mkdtemp(join(tmpdir(), 'steward-console-'));
    const data = await writeDriftData(dir, new Date(Date.now() - 10 * 60_000));
    const baseline = await api.call('PUT', `/v1/models/${model}/versions/1/baseline`, {
      principal: 'alice',
      body: { dataset: { uri: data.reference, format: 'csv' } },
    });
    expect(baseline.status, baseline.text).toBe(200);
    const monitor = await api.call('PUT', `/v1/deployments/${first.id}/monitoring`, {
      principal: 'alice',
      body: { capture: { uri: data.capture, format: 'sagemaker-capture' } },
    });
    expect(monitor.status, monitor.text).toBe(200);
    const run = await api.call('POST', `/v1/deployments/${first.id}/drift-runs`, {
      principal: 'alice',
      body: data.window,
    });
    expect(run.status, run.text).toBe(201);
    const second = await deploy(2);
    const rollback = await api.call('POST', `/v1/deployments/${second.id}/rollback`, {
      principal: 'alice',
      body: { reason: 'latency' },
    });
    expect(rollback.status, rollback.text).toBe(202);
    await settle(second.id, 'rollback', 'ROLLED_BACK');

    const asked = await api.call('POST', `/v1/models/${model}/versions/2/approvals`, {
      principal: 'alice',
      body: { environment: env, reason: 'quarterly retrain' },
    });
    expect(asked.status, asked.text).toBe(202);

    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    errors = collectConsoleErrors(page);
  }, 240_000);
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
    const row = rows.filter({ has: page.locator(`a[href="#/models/${model}"]`) });
    expect(await row.locator('td').nth(2).textContent()).toBe('v2');
    expect(await row.locator('td').nth(3).textContent()).toBe(`${env}: v1`);
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

    // The picker: the auditor reads, and the choice survives a reload.
    await actAs('auditor');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.evaluate("localStorage.getItem('steward.principal')")).toBe('auditor');
    await page.reload();
    await expect.poll(() => page.locator('#principal').inputValue()).toBe('auditor');
    await actAs('alice');
    expect(unexpected()).toEqual([]);
  });

  it('shows a model: its card, versions, a version with its lineage drawn and its manifest', async () => {
    await page.locator(`table.models a[href="#/models/${model}"]`).click();

    await expect.poll(() => heading().textContent()).toBe(model);
    await expect.poll(() => page.locator('table.versions tbody tr').count()).toBe(2);
    expect(await page.locator('dl.facts').first().textContent()).toContain(
      'Predict which customers leave within 90 days',
    );
    await expectAccessible(page);

    await page.locator(`a[href="#/models/${model}/versions/2"]`).first().click();
    await expect.poll(() => heading().textContent()).toBe(`${model} · version 2`);
    await expect.poll(() => page.locator('.lineage svg').count()).toBe(1);
    expect(await page.locator('.lineage svg').textContent()).toContain('q3.parquet');
    expect(await page.locator('#reproducible').textContent()).toContain('Reproducible');
    expect(await page.locator('main').textContent()).toContain('auc');
    await expectAccessible(page);
    await shoot(page, 'console-version');

    // The evidence pack: fetched with the identity header, saved as the API's own HTML.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the evidence pack (HTML)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${model}-v2-evidence.html`);
    const pack = await readFile((await download.path())!, 'utf8');
    expect(pack).toMatch(/^<!doctype html>/i);
    expect(pack).toContain(model);
    expect(unexpected()).toEqual([]);
  });

  it('refuses the registrant a decision and records an approver\u2019s from the inbox', async () => {
    // alice registered version 2: the server refuses her, and the console shows its words.
    const panel = page.locator('article.approval').first();
    await expect.poll(() => panel.count()).toBe(1);
    const id = await panel.getAttribute('data-approval');
    await panel.getByRole('button', { name: 'Approve as alice' }).click();
    await expect.poll(() => panel.locator('.problem').textContent()).toContain('403');
    expect(await panel.locator('.problem').textContent()).toContain('registered the version cannot decide');
    await expectAccessible(page);

    // Her inbox has nothing for her; the whole list says why.
    await page.locator('header nav a[href="#/approvals"]').click();
    await expect
      .poll(() => page.locator('main [role="status"]').first().textContent())
      .toBe('Nothing is waiting for alice.');
    await page.locator('nav.tabs a', { hasText: 'All pending' }).click();
    await expect
      .poll(() => page.locator(`[data-why="${id}"]`).textContent())
      .toBe('alice may not decide this: the person who registered the version cannot decide its approval.');
    await expectAccessible(page);

    // bob, an approver, finds it in his inbox and approves it there, with a comment.
    await actAs('bob');
    await openInbox('Mine to decide', '1 pending request bob may decide.');
    const mine = page.locator(`article[data-approval="${id}"]`);
    await expect.poll(() => mine.count()).toBe(1);
    await mine.locator('textarea').fill('checked the metrics');
    await mine.getByRole('button', { name: 'Approve as bob' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('The request is now APPROVED.');
    await expect.poll(() => mine.count()).toBe(0);
    await expectAccessible(page);
    const stored = await api.call('GET', `/v1/approvals/${id}`);
    expect(stored.body.status).toBe('APPROVED');
    expect(stored.body.decisions).toMatchObject([
      { by: 'bob', decision: 'approve', comment: 'checked the metrics' },
    ]);
    await actAs('alice');
  });

  it('keeps a comment typed in the inbox while the approver looks elsewhere, for that approver only', async () => {
    const asked = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
      principal: 'alice',
      body: { environment: env, reason: 'hotfix' },
    });
    expect(asked.status, asked.text).toBe(202);
    await actAs('bob');
    await page.locator('header nav a[href="#/approvals"]').click();
    await openInbox('Mine to decide', '1 pending request bob may decide.');
    const card = page.locator(`article[data-approval="${asked.body.id}"]`);
    await expect.poll(() => card.count()).toBe(1);
    await card.locator('textarea').fill('v1 served for a quarter');

    // He reads the version, comes back to the inbox and looks at the other tab: the card is mounted
    // afresh each time, the comment is still his.
    await card.getByRole('link', { name: `${model} v1` }).click();
    await expect.poll(() => heading().textContent()).toBe(`${model} · version 1`);
    await page.locator('header nav a[href="#/approvals"]').click();
    await openInbox('All pending', '1 pending request.');
    await openInbox('Mine to decide', '1 pending request bob may decide.');
    await expect.poll(() => card.locator('textarea').inputValue()).toBe('v1 served for a quarter');
    // carol, an approver too, does not see what bob typed; bob finds it again.
    await actAs('carol');
    await expect.poll(() => card.getByRole('button', { name: 'Approve as carol' }).count()).toBe(1);
    expect(await card.locator('textarea').inputValue()).toBe('');
    await actAs('bob');
    await expect.poll(() => card.getByRole('button', { name: 'Approve as bob' }).count()).toBe(1);
    expect(await card.locator('textarea').inputValue()).toBe('v1 served for a quarter');

    await card.getByRole('button', { name: 'Approve as bob' }).click();

    await expect.poll(() => card.count()).toBe(0);
    const stored = await api.call('GET', `/v1/approvals/${asked.body.id}`);
    expect(stored.body.decisions).toMatchObject([
      { by: 'bob', decision: 'approve', comment: 'v1 served for a quarter' },
    ]);
    await actAs('alice');
    expect(unexpected()).toEqual([]);
  });

  it('draws the served-by timeline with the rollback marked', async () => {
    await openModel();
    await page.locator(`nav.tabs a[href="#/models/${model}/deployments"]`).click();

    const stretches = page.locator('ol.timeline li');
    await expect.poll(() => stretches.count()).toBe(3);
    const texts = await stretches.allTextContents();
    expect(texts[0]).toMatch(new RegExp(`^${model} v1`));
    expect(texts[1]).toMatch(new RegExp(`^${model} v2 rolled back`));
    expect(texts[2]).toMatch(new RegExp(`^${model} v1 rollback serving now`));
    expect(await page.locator('ol.timeline li.rollback').count()).toBe(1);
    expect(await page.locator('table.deployments').textContent()).toContain('ROLLED_BACK');
    await expectAccessible(page);
    await shoot(page, 'console-deployments');
  });

  it('charts drift per feature and shows the latest report', async () => {
    await openModel();
    await page.locator(`nav.tabs a[href="#/models/${model}/monitoring"]`).click();

    await expect.poll(() => page.locator('figure.chart').count()).toBe(3);
    expect(await page.locator('figure.chart figcaption').allTextContents()).toEqual([
      'tenure',
      'spend',
      'plan',
    ]);
    expect(await page.locator('iframe.report').getAttribute('src')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    await expectAccessible(page);
    await shoot(page, 'console-monitoring');
  });

  it('verifies the audit trail on request', async () => {
    await openModel();
    await page.locator(`nav.tabs a[href="#/models/${model}/audit"]`).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(5);
    const verified = await api.call('GET', `/v1/audit/verify?model=${model}`);

    await page.getByRole('button', { name: 'Verify the chain' }).click();

    await expect.poll(() => page.locator('#verify-result').textContent()).toContain('Valid');
    expect(await page.locator('#verify-result').textContent()).toContain(`${verified.body.events} events`);
    await expectAccessible(page);
  });

  it('shows the inventory and exports it as the API\u2019s CSV', async () => {
    await page.locator('header nav a[href="#/inventory"]').click();
    await expect.poll(() => heading().textContent()).toBe('Model inventory');
    await expect.poll(() => page.locator(`main a[href="#/models/${model}"]`).count()).toBe(1);
    await expectAccessible(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);

    expect(download.suggestedFilename()).toBe('steward-inventory.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    const expected = await api.call('GET', '/v1/inventory?format=csv', { principal: 'alice' });
    expect(csv.split('\r\n')[0]).toBe(expected.text.split('\r\n')[0]);
    expect(csv).toContain(`${model},alice`);
  });

  it('shows environments to all and lets only an admin change one', async () => {
    await page.locator('header nav a[href="#/environments"]').click();
    await expect.poll(() => heading().textContent()).toBe('Environments');
    const section = page.locator(`section[data-environment="${env}"]`);
    await expect.poll(() => section.count()).toBe(1);
    expect(await section.locator('table').textContent()).toContain('bob, carol');
    await expectAccessible(page);

    await section.getByRole('button', { name: `Edit ${env}` }).click();
    await section.getByLabel('Versions must be reproducible').check();
    await section.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => section.locator('.problem').textContent()).toContain('403');
    await expectAccessible(page);

    // Acting as someone else reloads what the page shows: the open editor starts afresh.
    await actAs('admin');
    await expect.poll(() => section.locator('.problem').count()).toBe(0);
    await section.getByLabel('Versions must be reproducible').check();
    await section.getByRole('button', { name: 'Save policy' }).click();
    await expect
      .poll(() => page.locator('.notice').textContent())
      .toContain(`The policy of ${env} is saved.`);
    await expect.poll(() => section.textContent()).toContain('Versions must be reproducible.');
    const stored = await api.call('GET', '/v1/environments');
    expect(stored.body.items.find((e: { name: string }) => e.name === env)).toMatchObject({
      requireReproducibility: true,
      updatedBy: 'admin',
    });
    expect(unexpected()).toEqual([]);
  });

  it('fits a phone: no sideways scrolling of the page, the same pages accessible', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(`${api.url}/console/#/models/${model}/deployments`);
    await expect.poll(() => small.locator('ol.timeline li').count()).toBe(3);

    // Wide tables scroll inside their own box; the page itself stays as wide as the screen.
    expect(await small.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await expectAccessible(small);
    await shoot(small, 'console-phone');
    await phone.close();
  });
});
