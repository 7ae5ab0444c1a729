import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDriftData } from '../../infra/local/drift-data.ts';
import { eventually } from '../eventually.ts';
import { WORKFLOW_PATIENCE } from './browser.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, uniqueName } from './registry-fixtures.ts';

/**
 * The evidence pack of a version against a local-mode history: registered with lineage, approved
 * (after a refused attempt by its registrant), deployed, monitored for drift and rolled back.
 * Every section carries that history, and its chain head is the one the live trail verifies.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};
const DATASET_SHA = 'a'.repeat(64);
const COMMIT = 'b'.repeat(40);

describe('evidence pack', () => {
  let api: Api;
  let model: string;
  let approvalId: string;
  let deploymentId: string;
  let runId: string;
  let pack: { status: number; headers: Headers; text: string };

  const settled = (id: string, status: string) =>
    eventually(
      `deployment ${id} ${status}`,
      async () => {
        const d = await api.call('GET', `/v1/deployments/${id}`);
        return d.body.status === status ? d.body : undefined;
      },
      WORKFLOW_PATIENCE,
    );

  const deploy = async (version: number) => {
    const res = await api.call('POST', `/v1/models/${model}/versions/${version}/deployments`, {
      body: {
        environment: 'dev',
        target: { kind: 'sagemaker', endpointName: `steward-${model}`, instanceType: 'ml.m5.large' },
        strategy: { bakeMinutes: 0 },
      },
    });
    expect(res.status, res.text).toBe(202);
    await settled(res.body.id, 'SUCCEEDED');
    return res.body.id as string;
  };

  beforeAll(async () => {
    // A role map with a principal that has no role at all, besides local mode's defaults.
    const dataDir = await mkdtemp(join(tmpdir(), 'steward-evidence-'));
    await writeFile(
      join(dataDir, 'roles.json'),
      JSON.stringify([
        { pattern: 'nobody', roles: [] },
        { pattern: 'auditor', roles: ['auditor'] },
        { pattern: 'admin', roles: ['admin', 'publisher', 'approver', 'deployer'] },
        { pattern: '*', roles: ['publisher', 'approver', 'deployer'] },
      ]),
    );
    api = await startApi({ dataDir, targetTransitionMs: 50, waitScale: 0.005, driftIntervalMs: 0 });
    model = uniqueName('evidence');
    await createModel(api, model, { riskTier: 'medium' });
    const card = await api.call('PUT', `/v1/models/${model}/card`, {
      body: {
        purpose: 'Predict churn for retention offers',
        limitations: 'Not validated for business accounts <img src=x onerror=alert(1)>',
        riskTier: 'medium',
      },
    });
    expect(card.status, card.text).toBe(200);
    await publishVersion(api, model, undefined, { lineage: { image: IMAGE } });
    await publishVersion(api, model, undefined, {
      params: { max_depth: 6 },
      metrics: { auc: 0.93 },
      lineage: {
        datasets: [{ uri: 's3://data/churn/q4.parquet', sha256: DATASET_SHA, role: 'training' }],
        code: { repository: 'https://git.example.com/churn', commit: COMMIT },
        image: IMAGE,
      },
    });

    // Approval for a gated environment: the registrant is refused, then ops approves.
    const env = uniqueName('gated');
    const policy = await api.call('PUT', `/v1/environments/${env}`, {
      principal: 'admin',
      body: {
        approval: {
          required: true,
          groups: [{ name: 'ops', members: ['ops@example.com'], minApprovals: 1 }],
        },
      },
    });
    expect(policy.status, policy.text).toBe(200);
    const request = await api.call('POST', `/v1/models/${model}/versions/2/approvals`, {
      body: { environment: env, reason: 'quarterly retrain' },
    });
    expect(request.status, request.text).toBe(202);
    approvalId = request.body.id;
    expectProblem(
      await api.call('POST', `/v1/approvals/${approvalId}/decisions`, { body: { decision: 'approve' } }),
      403,
    );
    await eventually(
      'the approval decision',
      async () => {
        const res = await api.call('POST', `/v1/approvals/${approvalId}/decisions`, {
          principal: 'ops@example.com',
          body: { decision: 'approve', comment: 'validation report reviewed' },
        });
        // The group's task is answered once the workflow has reached it.
        return res.status === 200 ? res : undefined;
      },
      WORKFLOW_PATIENCE,
    );
    await eventually(
      'the approval outcome',
      async () => {
        const a = await api.call('GET', `/v1/approvals/${approvalId}`);
        return a.body.status === 'APPROVED' ? a : undefined;
      },
      WORKFLOW_PATIENCE,
    );

    // Version 1 serves, version 2 replaces it, is monitored for drift, and is rolled back.
    await deploy(1);
    deploymentId = await deploy(2);
    const dir = await mkdtemp(join(tmpdir(), 'steward-evidence-drift-'));
    const data = await writeDriftData(dir, new Date(Date.now() - 10 * 60_000));
    const baseline = await api.call('PUT', `/v1/models/${model}/versions/2/baseline`, {
      body: { dataset: { uri: data.reference, format: 'csv' } },
    });
    expect(baseline.status, baseline.text).toBe(200);
    const monitor = await api.call('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
      body: { capture: { uri: data.capture, format: 'sagemaker-capture' } },
    });
    expect(monitor.status, monitor.text).toBe(200);
    const run = await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, { body: data.window });
    expect(run.status, run.text).toBe(201);
    runId = run.body.id;
    const rollback = await api.call('POST', `/v1/deployments/${deploymentId}/rollback`, {
      body: { reason: 'latency regression' },
    });
    expect(rollback.status, rollback.text).toBe(202);
    await settled(deploymentId, 'ROLLED_BACK');

    pack = await api.call('GET', `/v1/models/${model}/versions/2/evidence`, { principal: 'auditor' });
  }, 240_000);
  afterAll(() => api?.close());

  /** The text of one section of the pack, by its id. */
  const section = (id: string): string => {
    const match = new RegExp(`<section id="${id}"[\\s\\S]*?</section>`).exec(pack.text);
    expect(match, `section ${id}`).not.toBeNull();
    return match![0];
  };

  it('answers one self-contained HTML page that fetches nothing', () => {
    expect(pack.status, pack.text).toBe(200);
    expect(pack.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(pack.headers.get('content-disposition')).toBe(`inline; filename="evidence-${model}-v2.html"`);
    expect(pack.text).toMatch(/^<!doctype html>/);
    expect(pack.text).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';');
    // Nothing outside the document: no external source, stylesheet, import or remote URL in CSS.
    expect(pack.text).not.toMatch(/\s(src|href)="(?!#)[^"]*"/);
    expect(pack.text).not.toMatch(/<link\b|@import|url\((?!#)/);
    expect(pack.text).not.toMatch(/<script[^>]*\ssrc=/);
  });

  it('carries the card, and the manifest with its hashes', async () => {
    expect(section('card')).toContain('Predict churn for retention offers');
    // What people wrote is text on the page, never markup.
    expect(section('card')).toContain(
      'Not validated for business accounts &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(pack.text).not.toContain('<img');
    const version = (await api.call('GET', `/v1/models/${model}/versions/2`)).body;
    const manifest = section('manifest');
    expect(manifest).toContain(version.artifact.sha256);
    expect(manifest).toContain(DATASET_SHA);
    expect(manifest).toContain(COMMIT);
    expect(manifest).toContain(IMAGE.digest);
    expect(manifest).toContain('max_depth');
    expect(manifest).toMatch(/reproducible<\/dt><dd><span class="badge good">yes/);
  });

  it('draws the lineage', () => {
    const lineage = section('lineage');
    expect(lineage).toMatch(/<svg[^>]*role="img"/);
    expect(lineage).toContain('s3://data/churn/q4.parquet');
    expect(lineage).toContain(`model-version:${model}:2`);
  });

  it('shows the approval with its quorum, its decision and the refused attempt', () => {
    const approvals = section('approvals');
    expect(approvals).toContain(approvalId);
    expect(approvals).toContain('APPROVED');
    expect(approvals).toMatch(
      /<td>ops@example\.com<\/td><td>ops<\/td><td>approve<\/td><td>validation report reviewed<\/td>/,
    );
    const attempts = new RegExp(`<table id="attempts-${approvalId}">[\\s\\S]*?</table>`).exec(approvals);
    expect(attempts?.[0]).toContain('local-user');
    expect(attempts?.[0]).toContain('decideApproval');
  });

  it('shows the deployment, the period it served and its rollback', () => {
    const deployments = section('deployments');
    expect(deployments).toContain(deploymentId);
    expect(deployments).toContain('ROLLED_BACK');
    expect(deployments).toContain('latency regression');
    const served = new RegExp(`<table id="served-${deploymentId}">[\\s\\S]*?</table>`).exec(deployments)?.[0];
    // One closed stretch: from the deployment until the rollback.
    expect(served?.match(/<tr><td><time/g)).toHaveLength(1);
    expect(served).not.toContain('serving now');
  });

  it('shows the drift run with its figures', () => {
    const drift = section('drift');
    expect(drift).toContain(runId);
    const features = new RegExp(`<table id="features-${runId}">[\\s\\S]*?</table>`).exec(drift)?.[0];
    expect(features).toMatch(/<td>spend<\/td><td>numeric<\/td><td>\d+\.\d{4}<\/td>/);
    expect(features).toMatch(/<td>plan<\/td>[\s\S]*?<strong>yes<\/strong>/);
  });

  it('lists the version events with a chain head that the live verification confirms', async () => {
    const audit = section('audit');
    for (const action of ['version.registered', 'approval.requested', 'deployment.rolled-back'])
      expect(audit, action).toContain(`<td>${action}</td>`);
    const head =
      /data-chain="([^"]+)" data-valid="true" data-head-seq="(\d+)" data-head-hash="([0-9a-f]{64})"/.exec(
        audit,
      );
    expect(head?.[1]).toBe(model);
    const verify = await api.call('GET', `/v1/audit/verify?model=${model}`);
    expect(verify.body).toMatchObject({ valid: true, events: Number(head![2]), headHash: head![3] });
    // The events of version 1 alone are not this version's.
    const events = await api.call('GET', `/v1/audit?model=${model}&limit=100`);
    const v1 = events.body.items.find((e: { target: string }) => e.target === `version:${model}:1`);
    expect(audit).not.toContain(v1.hash);
  });

  it('changes nothing: the chains are as they were', async () => {
    const before = (await api.call('GET', `/v1/audit/verify?model=${model}`)).body;
    const again = await api.call('GET', `/v1/models/${model}/versions/2/evidence`);
    expect(again.status).toBe(200);
    expect((await api.call('GET', `/v1/audit/verify?model=${model}`)).body).toEqual(before);
  });

  it('names the field or the thing that is missing', async () => {
    const unknownModel = expectProblem(
      await api.call('GET', `/v1/models/${model}x/versions/2/evidence`),
      404,
    );
    expect(unknownModel.detail).toContain(`model ${model}x`);
    const unknownVersion = expectProblem(
      await api.call('GET', `/v1/models/${model}/versions/9/evidence`),
      404,
    );
    expect(unknownVersion.detail).toContain('version 9');
    const notANumber = expectProblem(await api.call('GET', `/v1/models/${model}/versions/two/evidence`), 400);
    expect(notANumber.errors?.map((e) => e.path)).toEqual(['path.version']);
    const format = expectProblem(
      await api.call('GET', `/v1/models/${model}/versions/2/evidence?format=docx`),
      400,
    );
    expect(format.errors?.map((e) => e.path)).toEqual(['query.format']);
  });

  it('refuses a principal without a role, as every read does', async () => {
    const refused = expectProblem(
      await api.call('GET', `/v1/models/${model}/versions/2/evidence`, { principal: 'nobody' }),
      403,
    );
    expect(refused.detail).toContain('nobody');
  });
});
