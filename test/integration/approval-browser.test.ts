import { mkdtemp } from 'node:fs/promises';
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
 * An approver in a real browser: headless Chromium opens the emailed links and reads the pages as
 * a risk officer would, in their own time zone (Tokyo here), with axe-core checking each page.
 * The version asked for (v2) is compared with the one serving the environment (v1, deployed and
 * monitored, with a drift run), and every state a link can be in has its own plain page.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};
const PIPELINE = 'ci-pipeline';

type Mail = { to: string; subject: string; text: string; html: string; links: string[] };

describe.skipIf(!chromiumAvailable)('approval pages in a browser (needs apt-get install chromium)', () => {
  let api: Api;
  let browser: Browser;
  let model: string;
  let env: string;
  let dir: string;

  const mailsFor = (version: number, count: number) =>
    eventually(
      `${count} approval emails for version ${version}`,
      async () => {
        const outbox = (await api.call<Mail[]>('GET', '/local/outbox')).body;
        const mails = outbox.filter((m) => m.subject.includes(`${model} version ${version} `));
        return mails.length >= count ? mails : undefined;
      },
      WORKFLOW_PATIENCE,
    );
  const linkTo = (mails: Mail[], to: string) => mails.find((m) => m.to === to)!.links[0]!;

  const open = async (link: string): Promise<{ page: Page; status: number; errors: string[] }> => {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-US' });
    const page = await context.newPage();
    const errors = collectConsoleErrors(page);
    const response = await page.goto(link);
    return { page, status: response!.status(), errors };
  };
  const text = async (page: Page, selector: string) =>
    (await page.locator(selector).textContent())?.trim() ?? '';

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 20, waitScale: 0.002, driftIntervalMs: 0 });
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'steward-pages-'));
    model = uniqueName('pages');
    env = uniqueName('env').toLowerCase().slice(0, 30);

    // The environment: two groups, so one group can be complete while the request stays open.
    const policy = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: {
          required: false,
          groups: [
            { name: 'risk', members: ['risk@example.com', 'second@example.com'], minApprovals: 1 },
            { name: 'tech', members: ['lead@example.com', 'other@example.com'], minApprovals: 1 },
          ],
        },
      },
    });
    expect(policy.status, policy.text).toBe(200);

    await createModel(api, model, { riskTier: 'high', purpose: 'Predict churn' }, PIPELINE);
    const card = await api.call('PUT', `/v1/models/${model}/card`, {
      principal: PIPELINE,
      body: {
        purpose: 'Predict which customers leave within 90 days',
        intendedUse: 'Retention offers by the CRM team',
        limitations: 'Not validated for business customers',
        riskTier: 'high',
        owners: ['owner@example.com'],
        validators: ['validator@example.com'],
        validation: {
          done: [{ date: '2026-11-02', by: 'validator@example.com', outcome: 'passed' }],
          planned: [{ date: '2027-05-01', scope: 'annual review' }],
        },
      },
    });
    expect(card.status, card.text).toBe(200);

    // Version 1 serves the environment and is monitored.
    await publishVersion(
      api,
      model,
      undefined,
      {
        params: {},
        metrics: { auc: 0.91, logloss: 0.35 },
        lineage: {
          datasets: [{ uri: 's3://data/churn/q3.parquet', sha256: 'd'.repeat(64) }],
          code: { repository: 'https://git.example.com/churn', commit: 'e'.repeat(40) },
          image: IMAGE,
        },
      },
      PIPELINE,
    );
    const deployed = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
      body: {
        environment: env,
        target: {
          kind: 'sagemaker',
          endpointName: `steward-${model}`.slice(0, 60),
          instanceType: 'ml.m5.large',
        },
        strategy: { bakeMinutes: 0 },
      },
    });
    expect(deployed.status, deployed.text).toBe(202);
    await eventually(
      'the deployment of version 1',
      async () => {
        const d = await api.call('GET', `/v1/deployments/${deployed.body.id}`);
        return d.body.status === 'SUCCEEDED' ? d : undefined;
      },
      WORKFLOW_PATIENCE,
    );
    const data = await writeDriftData(dir, new Date(Date.now() - 10 * 60_000));
    const baseline = await api.call('PUT', `/v1/models/${model}/versions/1/baseline`, {
      principal: PIPELINE,
      body: { dataset: { uri: data.reference, format: 'csv' } },
    });
    expect(baseline.status, baseline.text).toBe(200);
    const monitor = await api.call('PUT', `/v1/deployments/${deployed.body.id}/monitoring`, {
      body: { capture: { uri: data.capture, format: 'sagemaker-capture' } },
    });
    expect(monitor.status, monitor.text).toBe(200);
    const run = await api.call('POST', `/v1/deployments/${deployed.body.id}/drift-runs`, {
      body: data.window,
    });
    expect(run.status, run.text).toBe(201);

    // Version 2, reproducible, asks for approval.
    await publishVersion(
      api,
      model,
      undefined,
      {
        description: 'Retrained on Q4 data',
        framework: 'xgboost-2.1',
        params: { max_depth: 6, eta: 0.1 },
        metrics: { auc: 0.93, logloss: 0.35, 'recall@10': 0.41 },
        lineage: {
          datasets: [{ uri: 's3://data/churn/q4.parquet', sha256: 'a'.repeat(64), role: 'training' }],
          code: { repository: 'https://git.example.com/churn', commit: 'b'.repeat(40) },
          image: IMAGE,
        },
      },
      PIPELINE,
    );
    // A deployment, a baseline and a drift run on a machine other tests share: generous, not timed.
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('shows the approver what the version is and what it changes against what serves now', async () => {
    const created = await api.call('POST', `/v1/models/${model}/versions/2/approvals`, {
      principal: PIPELINE,
      body: { environment: env, reason: 'quarterly retrain' },
    });
    expect(created.status, created.text).toBe(202);
    const mails = await mailsFor(2, 4);
    const mail = mails.find((m) => m.to === 'risk@example.com')!;
    expect(mail.subject).toBe(`Approval requested: ${model} version 2 for ${env}`);
    expect(mail.text).toMatch(/^Expires: +in \d+ (days|hours) \(\w{3} \d{1,2}, \d{2}:\d{2} UTC\)$/m);
    expect(mail.text).toContain('member of risk (1 approval needed)');
    const email = await (await browser.newContext()).newPage();
    await email.setContent(mail.html);
    expect(await email.locator('a').getAttribute('href')).toBe(linkTo(mails, 'risk@example.com'));
    expect(await email.locator('time').textContent()).toMatch(/^in \d+ (days|hours) \(/);
    await expectAccessible(email);

    const { page, status, errors } = await open(linkTo(mails, 'risk@example.com'));

    expect(status).toBe(200);
    expect(await text(page, '#model')).toBe(model);
    expect(await text(page, '#version')).toBe('2');
    expect(await text(page, '#environment')).toBe(env);
    expect(await text(page, '#requester')).toContain(PIPELINE);
    expect(await text(page, '#reason')).toBe('quarterly retrain');
    expect(await text(page, '#registrant')).toBe(PIPELINE);
    // The card.
    expect(await text(page, '#card-purpose')).toBe('Predict which customers leave within 90 days');
    expect(await text(page, '#card-intended-use')).toBe('Retention offers by the CRM team');
    expect(await text(page, '#card-limitations')).toBe('Not validated for business customers');
    expect(await text(page, '#card-risk-tier')).toBe('high');
    expect(await text(page, '#card-owners')).toBe('owner@example.com');
    expect(await text(page, '#card-validators')).toBe('validator@example.com');
    expect(await text(page, '#card-validation-done')).toContain(
      '2026-11-02 by validator@example.com: passed',
    );
    expect(await text(page, '#card-validation-planned')).toContain('2027-05-01: annual review');
    // The version.
    expect(await text(page, '#version-description')).toBe('Retrained on Q4 data');
    expect(await text(page, '#version-framework')).toBe('xgboost-2.1');
    expect(await page.locator('#params tbody tr').allTextContents()).toEqual(['max_depth6', 'eta0.1']);
    expect(await text(page, '#reproducibility')).toMatch(/^yes/);
    // Metrics side by side with version 1, which serves the environment; differences marked.
    expect(await text(page, '#serving-version')).toBe('1');
    const auc = page.locator('#metrics tr[data-metric="auc"] td');
    expect(await auc.allTextContents()).toEqual([
      '0.93',
      '0.91',
      expect.stringContaining('▲ higher by 0.02'),
    ]);
    expect(await auc.nth(2).getAttribute('data-diff')).toBe('higher');
    expect(await page.locator('#metrics tr[data-metric="logloss"] td').nth(2).getAttribute('data-diff')).toBe(
      'same',
    );
    expect(await page.locator('#metrics tr[data-metric="recall@10"] td').nth(2).textContent()).toBe(
      'new metric',
    );
    // The serving version's last drift run.
    expect(await text(page, '#drift')).toContain('Last drift run of version 1');
    expect(await text(page, '#drift')).toContain('spend');
    // Lineage drawn inline: one node per kind, the version itself marked as the start.
    const kinds = await page
      .locator('#lineage svg .node')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-kind')));
    expect(kinds.sort()).toEqual(['code', 'dataset', 'image', 'model-version']);
    expect(await page.locator('#lineage svg [data-start="true"]').getAttribute('data-id')).toBe(`${model}:2`);
    // Quorums: nobody has decided; who may decide.
    expect(await text(page, '#quorums [data-group="risk"]')).toContain('0 of 1 approval');
    expect(await text(page, '#quorums [data-group="risk"] .may-decide')).toBe(
      'may still decide: risk@example.com, second@example.com',
    );
    // Times: the reader's zone (Tokyo, GMT+9) first, UTC beside it, the machine-readable instant kept.
    const expires = page.locator('#expires time');
    const datetime = (await expires.getAttribute('datetime'))!;
    expect(new Date(datetime).toISOString()).toBe(datetime);
    expect(await expires.textContent()).toMatch(/GMT\+9 \(\w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC\)$/);
    expect(await page.locator('button.approve').count()).toBe(1);
    expect(errors).toEqual([]);
    await shoot(page, 'approval-page');
    await expectAccessible(page);

    // Approve, with a comment: the page echoes both and says who still has to decide.
    await page.fill('#comment', 'Better AUC, same calibration');
    await Promise.all([page.waitForURL(linkTo(mails, 'risk@example.com')), page.click('button.approve')]);
    expect(await text(page, '#result')).toBe(`You approved ${model} version 2 for ${env}.`);
    expect(await text(page, '#decision')).toMatch(/^approved, /);
    expect(await text(page, '#comment-echo')).toBe('Better AUC, same calibration');
    expect(await text(page, '#status')).toBe('PENDING');
    expect(await text(page, '#next')).toContain(
      'tech, 1 more approval (from lead@example.com, other@example.com)',
    );
    expect(await text(page, '#quorums [data-group="risk"] .decided')).toContain('risk@example.com approved');
    await shoot(page, 'approval-result');
    await expectAccessible(page);

    // The other member of the complete group: told so, offered no buttons.
    const second = await open(linkTo(mails, 'second@example.com'));
    expect(second.status).toBe(200);
    expect(await text(second.page, '#group-complete')).toContain('Nothing is needed from you');
    expect(await second.page.locator('button').count()).toBe(0);
    await shoot(second.page, 'approval-group-complete');
    await expectAccessible(second.page);

    // The used link: by whom, when, and what was decided.
    const used = await open(linkTo(mails, 'risk@example.com'));
    expect(used.status).toBe(404);
    expect(await used.page.locator('#link-state').getAttribute('data-state')).toBe('used');
    expect(await text(used.page, '#used-by')).toBe('risk@example.com');
    expect(await text(used.page, '#used-decision')).toBe('approve');
    expect(await text(used.page, '#model')).toBe(model);
    expect(await used.page.locator('#link-state time').count()).toBeGreaterThan(0);
    await shoot(used.page, 'link-used');
    await expectAccessible(used.page);

    // A rejection ends it: another approver's link now says it was decided, and how.
    const reject = await open(linkTo(mails, 'lead@example.com'));
    await reject.page.fill('#comment', 'Not before the freeze');
    await Promise.all([
      reject.page.waitForURL(linkTo(mails, 'lead@example.com')),
      reject.page.click('button.reject'),
    ]);
    expect(await text(reject.page, '#status')).toBe('REJECTED');
    expect(await text(reject.page, '#next')).toContain('one rejection ends it');
    const decided = await open(linkTo(mails, 'other@example.com'));
    expect(decided.status).toBe(409);
    expect(await decided.page.locator('#link-state').getAttribute('data-state')).toBe('decided');
    expect(await text(decided.page, '#outcome')).toBe('rejected');
    expect(await text(decided.page, '#link-state')).toContain('by lead@example.com');
    expect(await text(decided.page, '#environment')).toBe(env);
    await expectAccessible(decided.page);
  }, 240_000);

  it('says plainly when a link is unknown or its request expired', async () => {
    const unknown = await open(`${api.url}/v1/approval-links/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.page.locator('#link-state').getAttribute('data-state')).toBe('unknown');
    expect(await text(unknown.page, 'h1')).toBe('We do not recognise this link');
    await expectAccessible(unknown.page);

    const short = await api.call('PUT', `/v1/environments/${env}-x`, {
      principal: 'admin',
      body: {
        approval: { required: true, groups: [{ name: 'g', members: ['late@example.com'], minApprovals: 1 }] },
        approvalTtlHours: 1 / 3600,
      },
    });
    expect(short.status, short.text).toBe(200);
    const created = await api.call('POST', `/v1/models/${model}/versions/1/approvals`, {
      principal: PIPELINE,
      body: { environment: `${env}-x` },
    });
    expect(created.status, created.text).toBe(202);
    const link = linkTo(await mailsFor(1, 1), 'late@example.com');
    await eventually(
      'the expiry',
      async () => {
        const a = await api.call('GET', `/v1/approvals/${created.body.id}`);
        return a.body.status === 'EXPIRED' ? a : undefined;
      },
      WORKFLOW_PATIENCE,
    );

    const expired = await open(link);
    expect(expired.status).toBe(410);
    expect(await expired.page.locator('#link-state').getAttribute('data-state')).toBe('expired');
    expect(await text(expired.page, '#model')).toBe(model);
    expect(await text(expired.page, '#version')).toBe('1');
    expect(await text(expired.page, '#environment')).toBe(`${env}-x`);
    await expectAccessible(expired.page);
  }, 120_000);
});
