import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '#commons/config';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, tableClient, uniqueName } from './registry-fixtures.ts';

/**
 * Drift monitoring end to end in local mode: a baseline from a reference CSV, a deployment's
 * SageMaker data capture with one shifted feature, a drift run on request and one on the schedule,
 * the alarm made and removed with the monitor, labels joined by inference id.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};

/** A seeded generator, so the data (and so the figures) are the same every run. */
const rng = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const normal = (next: () => number) =>
  Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());

describe('drift monitoring', () => {
  let api: Api;
  let dir: string;
  let model: string;
  let deploymentId: string;
  const at = new Date(Date.now() - 30 * 60_000);

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 50, waitScale: 0.005, driftIntervalMs: 0 });
    dir = await mkdtemp(join(tmpdir(), 'steward-drift-'));
    const next = rng(7);

    // Reference: tenure ~ N(0,1), spend ~ N(50,10), plan in {basic, pro}, prediction score.
    const reference = ['tenure,spend,plan,score'];
    for (let i = 0; i < 2000; i++)
      reference.push(
        `${normal(next).toFixed(4)},${(50 + 10 * normal(next)).toFixed(3)},${next() < 0.7 ? 'basic' : 'pro'},${next().toFixed(4)}`,
      );
    await writeFile(join(dir, 'reference.csv'), `${reference.join('\n')}\n`);

    // Capture: spend shifted by +15, a new plan 'enterprise', CSV-encoded input, one hour folder.
    const hour = `${at.toISOString().slice(0, 4)}/${at.toISOString().slice(5, 7)}/${at.toISOString().slice(8, 10)}/${at.toISOString().slice(11, 13)}`;
    const lines: string[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const score = next();
      const input = `${normal(next).toFixed(4)},${(65 + 10 * normal(next)).toFixed(3)},${next() < 0.6 ? 'basic' : next() < 0.5 ? 'pro' : 'enterprise'}`;
      const id = `inf-${i}`;
      lines.push(
        JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: input, encoding: 'CSV' },
            endpointOutput: {
              observedContentType: 'text/csv',
              mode: 'OUTPUT',
              data: score.toFixed(4),
              encoding: 'CSV',
            },
          },
          eventMetadata: {
            eventId: `e-${i}`,
            inferenceId: id,
            inferenceTime: new Date(at.getTime() + i * 100).toISOString(),
          },
          eventVersion: '0',
        }),
      );
      labels.push(
        JSON.stringify({
          groundTruthData: { data: score > 0.5 === (i % 4 !== 0) ? '1' : '0', encoding: 'CSV' },
          eventMetadata: { eventId: id },
          eventVersion: '0',
        }),
      );
    }
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'capture', 'AllTraffic', hour), { recursive: true });
    // Three capture files: a window a Distributed Map can split over several children.
    for (let part = 0; part < 3; part++)
      await writeFile(
        join(dir, 'capture', 'AllTraffic', hour, `capture-000${part + 1}.jsonl`),
        `${lines.slice(part * 500, (part + 1) * 500).join('\n')}\n`,
      );
    await mkdir(join(dir, 'labels'), { recursive: true });
    await writeFile(join(dir, 'labels', 'labels.jsonl'), `${labels.join('\n')}\n`);

    model = uniqueName('drift');
    await createModel(api, model);
    await publishVersion(api, model, undefined, { lineage: { image: IMAGE } });
    const deployed = await api.call('POST', `/v1/models/${model}/versions/1/deployments`, {
      body: {
        environment: 'dev',
        target: { kind: 'sagemaker', endpointName: `steward-${model}`, instanceType: 'ml.m5.large' },
        strategy: { bakeMinutes: 0 },
      },
    });
    expect(deployed.status, deployed.text).toBe(202);
    deploymentId = deployed.body.id;
    await eventually(`deployment ${deploymentId} SUCCEEDED`, async () =>
      (await api.call('GET', `/v1/deployments/${deploymentId}`)).body.status === 'SUCCEEDED'
        ? true
        : undefined,
    );
  });
  afterAll(() => api.close());

  const file = (...parts: string[]) => pathToFileURL(join(dir, ...parts)).href;

  it('profiles a reference dataset as the version baseline', async () => {
    const res = await api.call('PUT', `/v1/models/${model}/versions/1/baseline`, {
      body: { dataset: { uri: file('reference.csv'), format: 'csv' }, prediction: 'score' },
    });

    expect(res.status, res.text).toBe(200);
    expect(res.body.rows).toBe(2000);
    const byName = Object.fromEntries(res.body.features.map((f: { name: string }) => [f.name, f]));
    expect(byName.tenure).toMatchObject({ kind: 'numeric' });
    expect(byName.tenure.edges).toHaveLength(9);
    expect(byName.plan).toMatchObject({ kind: 'categorical' });
    expect(res.body.prediction).toMatchObject({ name: 'score', kind: 'numeric' });
    const audit = await api.call('GET', `/v1/audit?model=${model}&limit=100`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('version.baseline-set');
  });

  it('configures a monitor with its alarm, runs drift on request and finds the shifted feature', async () => {
    const put = await api.call('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
      body: {
        capture: { uri: file('capture'), format: 'sagemaker-capture' },
        schedule: 'rate(1 hour)',
        groundTruth: { uri: file('labels'), task: 'binary' },
      },
    });
    expect(put.status, put.text).toBe(200);
    const alarms = (await api.call('GET', '/local/alarms')).body as {
      AlarmName: string;
      MetricName: string;
      Dimensions: unknown;
    }[];
    expect(alarms.find((a) => a.AlarmName === put.body.alarmName)).toMatchObject({
      MetricName: 'DriftedShare',
      Dimensions: [
        { Name: 'service', Value: 'steward' },
        { Name: 'model', Value: model },
        { Name: 'environment', Value: 'dev' },
      ],
    });

    const run = await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, {
      body: { from: new Date(at.getTime() - 60_000).toISOString(), to: new Date().toISOString() },
    });

    expect(run.status, run.text).toBe(201);
    expect(run.body.rows).toBe(1500);
    const features = Object.fromEntries(run.body.features.map((f: { name: string }) => [f.name, f]));
    expect(features.spend.drifted).toBe(true);
    expect(features.spend.psi).toBeGreaterThan(0.2);
    expect(features.spend.ksPValue).toBeLessThan(0.05);
    expect(features.tenure.drifted).toBe(false);
    expect(features.plan.unseenCategories).toEqual(['enterprise']);
    expect(Number.isFinite(features.plan.chiSquare)).toBe(true);
    expect(run.body.driftedShare).toBeCloseTo(2 / 3, 10);
    expect(run.body.prediction).toMatchObject({ name: 'score' });
    expect(run.body.performance).toMatchObject({ task: 'binary', joined: 1500 });
    expect(run.body.performance.accuracy).toBeCloseTo(0.75, 1);
    expect(run.body.health).toBe('UNKNOWN');

    const runs = await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs`);
    expect(runs.body.items[0]).toMatchObject({
      id: run.body.id,
      status: 'DRIFTED',
      trigger: 'request',
      rows: 1500,
    });
    // Each run in the list carries every feature's headline figures: drift over time is one read.
    const listed = Object.fromEntries(runs.body.items[0].features.map((f: { name: string }) => [f.name, f]));
    expect(listed.spend).toEqual({
      name: 'spend',
      kind: 'numeric',
      psi: features.spend.psi,
      jsDistance: features.spend.jsDistance,
      jsDistanceBase2: features.spend.jsDistanceBase2,
      drifted: true,
    });
    expect(listed.tenure.drifted).toBe(false);
    const inventory = await api.call('GET', '/v1/inventory');
    expect(inventory.body.items.find((r: { name: string }) => r.name === model)).toMatchObject({
      lastDriftStatus: 'DRIFTED',
      health: 'UNKNOWN',
      deployed: { dev: expect.objectContaining({ version: 1 }) },
    });
  });

  it('reports an empty window as such', async () => {
    const run = await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, {
      body: { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' },
    });
    expect(run.status, run.text).toBe(201);
    expect(run.body).toMatchObject({ rows: 0, empty: true, status: 'NO_DATA', driftedShare: 0 });
    expect(run.body.reason).toMatch(/no rows/);
  });

  it('runs due monitors on the schedule, once each', async () => {
    await tableClient(api.system).send(
      new UpdateCommand({
        TableName: 'steward',
        Key: { pk: `D#${deploymentId}`, sk: 'MONITOR' },
        UpdateExpression: 'SET nextRunAt = :past, gsi1sk = :sk',
        ExpressionAttributeValues: {
          ':past': '2020-01-01T00:00:00.000Z',
          ':sk': `2020-01-01T00:00:00.000Z#${deploymentId}`,
        },
      }),
    );

    const [first, second] = await Promise.all([api.system.dispatchDrift(), api.system.dispatchDrift()]);

    const ran = [first, second].flatMap(
      (e) =>
        ((e as { output?: { runs?: unknown[] } }).output?.runs ?? []) as {
          result: { deploymentId: string };
        }[],
    );
    expect(ran.filter((r) => r.result.deploymentId === deploymentId)).toHaveLength(1);
    const runs = await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs`);
    expect(runs.body.items.filter((r: { trigger: string }) => r.trigger === 'schedule')).toHaveLength(1);
    const monitor = await api.call('GET', `/v1/deployments/${deploymentId}/monitoring`);
    expect(Date.parse(monitor.body.nextRunAt)).toBeGreaterThan(Date.now());
  });

  it('splits a large window over a local Distributed Map and gets the report of the single job', async () => {
    const due = () =>
      tableClient(api.system).send(
        new UpdateCommand({
          TableName: 'steward',
          Key: { pk: `D#${deploymentId}`, sk: 'MONITOR' },
          UpdateExpression: 'SET nextRunAt = :past, gsi1sk = :sk',
          ExpressionAttributeValues: {
            ':past': '2020-01-01T00:00:00.000Z',
            ':sk': `2020-01-01T00:00:00.000Z#${deploymentId}`,
          },
        }),
      );
    await due();
    // Every window is "large", and each child gets one capture object.
    process.env.DRIFT_DISTRIBUTED_BYTES = '1';
    process.env.DRIFT_CHILD_BYTES = '1';
    resetConfig();
    let execution: unknown;
    try {
      execution = await api.system.dispatchDrift();
    } finally {
      delete process.env.DRIFT_DISTRIBUTED_BYTES;
      delete process.env.DRIFT_CHILD_BYTES;
      resetConfig();
    }
    const results = ((execution as { output?: { runs?: unknown[] } }).output?.runs ?? []) as {
      result?: { deploymentId: string; distributed?: boolean; children?: number; runId?: string };
    }[];
    const mine = results.find((r) => r.result?.deploymentId === deploymentId)?.result;
    expect(mine, JSON.stringify(results)).toMatchObject({ distributed: true, children: 3 });

    const runs = await api.call('GET', `/v1/deployments/${deploymentId}/drift-runs`);
    const distributed = runs.body.items.find((r: { id: string }) => r.id === mine!.runId);
    const single = await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, {
      body: distributed.window,
    });
    expect(single.status, single.text).toBe(201);
    const read = async (uri: string) => {
      const { getJson } = await import('#adapters/json-store');
      return getJson<Record<string, unknown>>(uri);
    };
    const [split, whole] = await Promise.all([read(distributed.reportUri), read(single.body.reportUri)]);
    const { id: _a, execution: splitExecution, ...splitReport } = split;
    const { id: _b, execution: wholeExecution, ...wholeReport } = whole;
    expect(splitReport).toEqual(wholeReport);
    expect(splitReport.rows).toBe(1500);
    expect(splitExecution).toMatchObject({ children: 3, objects: 3, records: 1500, outsideWindowShare: 0 });
    expect(wholeExecution).toMatchObject({ objects: 3, records: 1500 });
    expect((wholeExecution as { children?: number }).children).toBeUndefined();
  });

  it('refuses bad monitoring input and removes the alarm with the monitor', async () => {
    const bad = await api.call('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
      body: { capture: { uri: 'ftp://x', format: 'parquet' }, schedule: 'every minute' },
    });
    const problem = expectProblem(bad, 400);
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['body.capture.format', 'body.schedule']);
    expectProblem(
      await api.call('PUT', `/v1/deployments/${deploymentId}/monitoring`, {
        body: { capture: { uri: 'ftp://x', format: 'jsonl' } },
      }),
      400,
    );

    const removed = await api.call('DELETE', `/v1/deployments/${deploymentId}/monitoring`);
    expect(removed.status).toBe(204);
    const alarms = (await api.call('GET', '/local/alarms')).body as { AlarmName: string }[];
    expect(alarms.some((a) => a.AlarmName.endsWith(deploymentId))).toBe(false);
    expectProblem(await api.call('POST', `/v1/deployments/${deploymentId}/drift-runs`, { body: {} }), 404);
  });
});
