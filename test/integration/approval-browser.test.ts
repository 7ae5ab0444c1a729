import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './local-api.ts';
import { createModel, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * An approver in a real browser: headless Chromium (Debian's, installed by .ci/run) opens the
 * emailed link, sees the version, clicks Approve and sees the result. CI always runs it; on a
 * machine without Chromium it is reported as skipped, naming what to install.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(`CI needs Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!available)('approval page in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;

  beforeAll(async () => {
    api = await startApi();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('opens the link, shows the version, approves with a click and shows the result', async () => {
    const model = uniqueName('browser');
    await createModel(api, model, {}, 'ci-pipeline');
    await publishVersion(api, model, undefined, { metrics: { auc: 0.9 } }, 'ci-pipeline');
    const env = 'browser-check';
    await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: {
          required: true,
          groups: [{ name: 'leads', members: ['lead@example.com'], minApprovals: 1 }],
        },
      },
    });
    const created = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
      principal: 'ci-pipeline',
      body: { environment: env, reason: 'browser test' },
    });
    expect(created.status).toBe(202);
    let link: string | undefined;
    for (let i = 0; i < 100 && !link; i++) {
      const outbox = (await api.call('GET', '/local/outbox')).body as { subject: string; links: string[] }[];
      link = outbox.find((m) => m.subject.includes(model))?.links[0];
      if (!link) await new Promise((done) => setTimeout(done, 50));
    }
    expect(link).toBeDefined();

    const page = await browser.newPage();
    await page.goto(link!);
    expect(await page.locator('#model').textContent()).toBe(model);
    expect(await page.locator('#version').textContent()).toBe('1');
    await page.fill('#comment', 'Looks good to me');
    await Promise.all([page.waitForURL(link!), page.click('button.approve')]);

    expect(await page.locator('#result').textContent()).toContain(`You approved ${model} version 1`);
    expect(await page.locator('#status').textContent()).toBe('APPROVED');
    const approval = await api.call('GET', `/v1/approvals/${created.body.id}`);
    expect(approval.body.decisions).toEqual([
      expect.objectContaining({ by: 'lead@example.com', decision: 'approve', comment: 'Looks good to me' }),
    ]);
  });
});
