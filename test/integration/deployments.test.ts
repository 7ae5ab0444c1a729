import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.ts';
import { type Api, startApi } from './local-api.ts';
import { createModel, expectProblem, publishVersion, sha256, uniqueName } from './registry-fixtures.ts';

/**
 * Deployments end to end in local mode: the deployment ASL on the local Step Functions runner,
 * against simulated SageMaker, Lambda and CloudWatch that take time, fail when told to and raise
 * alarms during a bake, so the rollback paths run for real.
 */
const IMAGE = {
  uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};
const OUTCOMES = new Set([
  'succeeded',
  'failed',
  'rolled-back',
  'decommissioned',
  'rollback-failed',
  'decommission-failed',
  'failed-to-start',
]);
type Deployment = {
  id: string;
  status: string;
  operation: string;
  history: { step: string; detail?: Record<string, unknown> }[];
  resources: Record<string, string | undefined>;
};

describe('deployments', () => {
  let api: Api;

  const model = async (versions = 2) => {
    const name = uniqueName('dep');
    await createModel(api, name, { riskTier: 'low' });
    for (let i = 0; i < versions; i++)
      await publishVersion(api, name, Buffer.from(`${name}-${i}`), { lineage: { image: IMAGE } });
    return name;
  };

  /** Versions whose artifact is a Lambda zip. */
  const zipModel = async (versions: number) => {
    const name = uniqueName('fn');
    await createModel(api, name);
    for (let i = 0; i < versions; i++) {
      const bytes = Buffer.from(`zip-${name}-${i}`);
      const reg = await api.call('POST', `/v1/models/${name}/versions`, {
        body: { artifact: { sha256: sha256(bytes), sizeBytes: bytes.length, fileName: 'handler.zip' } },
      });
      await fetch(reg.body.upload.url, { method: 'PUT', body: bytes });
      expect((await api.call('POST', `/v1/models/${name}/versions/${reg.body.version}/commit`)).status).toBe(
        200,
      );
    }
    return name;
  };

  const deploy = (name: string, version: number, body: Record<string, unknown>, principal?: string) =>
    api.call<Deployment>('POST', `/v1/models/${name}/versions/${version}/deployments`, {
      body: { environment: 'dev', ...body },
      ...(principal ? { principal } : {}),
    });

  /** Poll until the operation has recorded its outcome (bounded; timing is never asserted). */
  const settle = (id: string, operation = 'deploy'): Promise<Deployment> =>
    eventually(`deployment ${id} settled (${operation})`, async () => {
      const d = (await api.call<Deployment>('GET', `/v1/deployments/${id}`)).body;
      return d.operation === operation && OUTCOMES.has(d.history.at(-1)?.step ?? '') ? d : undefined;
    });

  const sagemaker = (
    endpointName: string,
    strategy: Record<string, unknown> = { kind: 'all-at-once', bakeMinutes: 0 },
  ) => ({
    target: { kind: 'sagemaker', endpointName, instanceType: 'ml.m5.large' },
    strategy,
  });
  const targets = async () => (await api.call('GET', '/local/targets')).body;
  const served = async (target: string, env = 'dev') =>
    (await api.call('GET', `/v1/environments/${env}/served?target=${encodeURIComponent(target)}`)).body
      .items as {
      version: number;
      from: string;
      to?: string;
    }[];

  beforeAll(async () => {
    api = await startApi({ targetTransitionMs: 100, waitScale: 0.005 });
  });
  afterAll(() => api.close());

  it('deploys to a SageMaker endpoint and records what serves there', async () => {
    const name = await model(1);
    const endpoint = `steward-${name}`;

    const started = await deploy(name, 1, {
      ...sagemaker(endpoint),
      target: {
        ...sagemaker(endpoint).target,
        dataCapture: { destinationS3Uri: 's3://steward-capture/churn' },
      },
    });
    expect(started.status, started.text).toBe(202);
    expect(started.body.status).toBe('PENDING');
    const done = await settle(started.body.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.history.map((h) => h.step)).toEqual([
      'requested',
      'started',
      'creating-endpoint',
      'succeeded',
    ]);
    const state = await targets();
    expect(state.endpoints[endpoint]).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: done.resources.endpointConfigName,
    });
    expect(state.endpointConfigs[done.resources.endpointConfigName!].DataCaptureConfig).toMatchObject({
      EnableCapture: true,
    });
    const version = await api.call('GET', `/v1/models/${name}/versions/1`);
    expect(version.body.deployments).toEqual([
      expect.objectContaining({ environment: 'dev', target: `sagemaker:${endpoint}`, deploymentId: done.id }),
    ]);
    expect((await served(`sagemaker:${endpoint}`)).map((s) => s.version)).toEqual([1]);
    const lineage = await api.call('GET', `/v1/lineage?node=model-version:${name}:1&direction=downstream`);
    expect(lineage.body.nodes.map((n: { kind: string; id: string }) => `${n.kind}:${n.id}`).sort()).toEqual(
      [`deployment:${done.id}`, `endpoint:dev/sagemaker:${endpoint}`, `model-version:${name}:1`].sort(),
    );
    const audit = await api.call('GET', `/v1/audit?model=${name}&limit=100`);
    expect(
      audit.body.items
        .map((e: { action: string }) => e.action)
        .filter((a: string) => a.startsWith('deployment.')),
    ).toEqual(['deployment.requested', 'deployment.step', 'deployment.step', 'deployment.succeeded']);
  });

  it('shifts a Lambda alias with a canary, then rolls back on its own when an alarm fires in the bake', async () => {
    const name = await zipModel(3);
    const fn = uniqueName('fn-target');
    await api.call('POST', '/local/targets/functions', { body: { name: fn } });
    const target = { kind: 'lambda', functionName: fn, alias: 'live' };

    const first = await settle((await deploy(name, 1, { target })).body.id);
    expect(first.status).toBe('SUCCEEDED');
    const second = await settle(
      (await deploy(name, 2, { target, strategy: { kind: 'canary', percent: 10, bakeMinutes: 1 } })).body.id,
    );
    expect(second.status).toBe('SUCCEEDED');
    const afterSecond = (await targets()).functions[fn];
    expect(afterSecond.aliases.live).toMatchObject({ FunctionVersion: second.resources.lambdaVersion });
    const weights = (
      (await api.call('GET', '/local/targets/calls')).body as {
        resource: string;
        input: { RoutingConfig?: { AdditionalVersionWeights: Record<string, number> } };
      }[]
    )
      .filter(
        (c) =>
          c.resource.endsWith('lambda:updateAlias') &&
          Object.keys(c.input.RoutingConfig?.AdditionalVersionWeights ?? {}).length,
      )
      .map((c) => c.input.RoutingConfig!.AdditionalVersionWeights);
    expect(weights).toContainEqual({ [second.resources.lambdaVersion!]: 0.1 });

    await api.call('POST', '/local/targets/faults', {
      body: { target: fn, alarmDuringBake: `${fn}-live-rollback` },
    });
    const third = await settle(
      (await deploy(name, 3, { target, strategy: { kind: 'linear', percent: 25, bakeMinutes: 1 } })).body.id,
    );
    await api.call('DELETE', '/local/targets/faults');

    expect(third.status).toBe('ROLLED_BACK');
    expect((await targets()).functions[fn].aliases.live).toMatchObject({
      FunctionVersion: second.resources.lambdaVersion,
    });
    expect((await served(`lambda:${fn}:live`)).map((s) => s.version)).toEqual([2, 1]);
    const v3 = await api.call('GET', `/v1/models/${name}/versions/3`);
    expect(v3.body.deployments).toEqual([]);
  });

  it('rolls a SageMaker blue/green update back on the alarm, keeping the old fleet serving', async () => {
    const name = await model(2);
    const endpoint = `steward-${name}-bg`;
    const first = await settle((await deploy(name, 1, sagemaker(endpoint))).body.id);
    await api.call('POST', '/local/targets/faults', {
      body: { target: endpoint, alarmDuringBake: `${endpoint}-rollback` },
    });

    const second = await settle(
      (await deploy(name, 2, sagemaker(endpoint, { kind: 'canary', percent: 20, bakeMinutes: 1 }))).body.id,
    );
    await api.call('DELETE', '/local/targets/faults');

    expect(second.status).toBe('ROLLED_BACK');
    const state = await targets();
    expect(state.endpoints[endpoint]).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: first.resources.endpointConfigName,
    });
    expect(state.endpointConfigs[second.resources.endpointConfigName!]).toBeUndefined();
    expect((await served(`sagemaker:${endpoint}`)).map((s) => s.version)).toEqual([1]);
  });

  it('fails a deployment whose endpoint cannot be created and leaves nothing half-made', async () => {
    const name = await model(1);
    const endpoint = `steward-${name}-broken`;
    await api.call('POST', '/local/targets/faults', { body: { target: endpoint, failAt: 'createEndpoint' } });

    const done = await settle((await deploy(name, 1, sagemaker(endpoint))).body.id);
    await api.call('DELETE', '/local/targets/faults');

    expect(done.status).toBe('FAILED');
    // Why it failed is on the record's top level, not only in the last history step.
    expect(
      (done as Deployment & { statusReason?: string }).statusReason,
      JSON.stringify(done.history),
    ).toMatch(/^failed: .+/);
    const state = await targets();
    // The workflow waited for the failed endpoint to be deleted before removing its config and model.
    expect(state.endpoints[endpoint]).toBeUndefined();
    expect(Object.keys(state.endpointConfigs).filter((c) => c.includes(done.id.slice(-8)))).toEqual([]);
    expect(Object.keys(state.models).filter((m) => m.includes(done.id.slice(-8)))).toEqual([]);
    // The target is free again.
    expect((await deploy(name, 1, sagemaker(endpoint))).status).toBe(202);
  });

  it('rolls back by hand, decommissions, and answers what served on a date', async () => {
    const name = await model(2);
    const endpoint = `steward-${name}-manual`;
    const first = await settle((await deploy(name, 1, sagemaker(endpoint))).body.id);
    const second = await settle((await deploy(name, 2, sagemaker(endpoint))).body.id);
    expect(second.status).toBe('SUCCEEDED');
    expect((await api.call('GET', `/v1/deployments/${second.id}`)).body.previousVersion).toBe(1);
    expectProblem(
      await api.call('POST', `/v1/models/${name}/versions/2/transitions`, {
        body: { to: 'ARCHIVED', reason: 'x' },
      }),
      409,
    );

    expectProblem(
      await api.call('POST', `/v1/deployments/${first.id}/rollback`, { body: { reason: 'not serving' } }),
      409,
    );
    const rollback = await api.call('POST', `/v1/deployments/${second.id}/rollback`, {
      body: { reason: 'latency' },
    });
    expect(rollback.status, rollback.text).toBe(202);
    const rolled = await settle(second.id, 'rollback');
    expect(rolled.status).toBe('ROLLED_BACK');
    // One spelling: the history step is the audit action's suffix (deployment.rolled-back).
    expect(rolled.history.at(-1)?.step).toBe('rolled-back');
    const events = await api.call('GET', `/v1/audit?model=${name}&limit=100`);
    expect(events.body.items.map((e: { action: string }) => e.action)).toContain('deployment.rolled-back');
    expect((await targets()).endpoints[endpoint].EndpointConfigName).toBe(first.resources.endpointConfigName);

    const history = await served(`sagemaker:${endpoint}`);
    expect(history.map((s) => s.version)).toEqual([1, 2, 1]);
    const during = history[1]!;
    const at = new Date((Date.parse(during.from) + Date.parse(during.to!)) / 2).toISOString();
    const onDate = await api.call('GET', `/v1/environments/dev/served?target=sagemaker:${endpoint}&at=${at}`);
    expect(onDate.body.items.map((s: { version: number }) => s.version)).toEqual([2]);

    expect((await api.call('DELETE', `/v1/deployments/${first.id}`)).status).toBe(202);
    const gone = await settle(first.id, 'decommission');
    expect(gone.status).toBe('DECOMMISSIONED');
    expect((await targets()).endpoints[endpoint]).toBeUndefined();
    expect((await served(`sagemaker:${endpoint}`)).every((s) => s.to !== undefined)).toBe(true);
    const archive = await api.call('POST', `/v1/models/${name}/versions/1/transitions`, {
      body: { to: 'ARCHIVED', reason: 'retired' },
    });
    expect(archive.status, archive.text).toBe(200);
  });

  it('refuses an unapproved version where approval is required, a version not READY, and a busy target', async () => {
    const name = await model(1);
    await api.call('POST', `/v1/models/${name}/versions`, {
      body: { artifact: { sha256: 'a'.repeat(64), sizeBytes: 1 }, lineage: { image: IMAGE } },
    });
    const endpoint = `steward-${name}-gates`;

    expectProblem(
      await api.call('POST', `/v1/models/${name}/versions/1/deployments`, {
        body: { environment: 'staging', ...sagemaker(endpoint) },
      }),
      409,
    );
    expectProblem(await deploy(name, 2, sagemaker(endpoint)), 409);
    const racing = await Promise.all([
      deploy(name, 1, sagemaker(endpoint)),
      deploy(name, 1, sagemaker(endpoint)),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([202, 409]);
    await settle(racing.find((r) => r.status === 202)!.body.id);
    expectProblem(await deploy(name, 1, sagemaker('not-prefixed')), 400);
    expectProblem(await deploy(name, 1, sagemaker(endpoint), 'auditor'), 403);
  });

  it('refuses a deployment naming a rollback alarm that does not exist: 409 naming the field, nothing written', async () => {
    const name = await model(1);
    const endpoint = `steward-${name}-alarmed`;
    const alarm = `${endpoint}-p99-latency`;
    const body = sagemaker(endpoint, { kind: 'canary', percent: 10, bakeMinutes: 1, alarms: [alarm] });

    const refused = expectProblem(await deploy(name, 1, body), 409);

    expect(refused.detail).toContain(alarm);
    expect(refused.errors).toEqual([
      { path: 'body.strategy.alarms.0', message: expect.stringContaining(alarm) },
    ]);
    expect((await api.call('GET', `/v1/models/${name}/versions/1`)).body.deployments).toEqual([]);
    expect((await targets()).endpoints[endpoint]).toBeUndefined();
    // Once the alarm exists, the same request is accepted and the alarm is the one that gates it.
    expect(
      (await api.call('POST', '/local/targets/alarms', { body: { name: alarm, state: 'OK' } })).status,
    ).toBe(200);
    const accepted = await deploy(name, 1, body);
    expect(accepted.status, accepted.text).toBe(202);
    const done = await settle(accepted.body.id);
    expect(done.status).toBe('SUCCEEDED');
    expect((await api.call('GET', `/v1/deployments/${done.id}`)).body.alarms).toEqual([alarm]);
    expect((await targets()).alarms[`${endpoint}-rollback`]).toBeUndefined();
  });

  it('makes the default rollback alarm of a target that names none, on the target errors', async () => {
    const name = await zipModel(1);
    const fn = uniqueName('fn-default-alarm');
    await api.call('POST', '/local/targets/functions', { body: { name: fn } });

    const done = await settle(
      (await deploy(name, 1, { target: { kind: 'lambda', functionName: fn, alias: 'live' } })).body.id,
    );

    expect(done.status).toBe('SUCCEEDED');
    expect((await targets()).alarms[`${fn}-live-rollback`].definition).toMatchObject({
      AlarmName: `${fn}-live-rollback`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: fn },
        { Name: 'Resource', Value: `${fn}:live` },
      ],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('runs every task of an environment in another account with its deploy role', async () => {
    const name = await model(1);
    const role = 'arn:aws:iam::210987654321:role/StewardDeploy';
    await api.call('PUT', '/v1/environments/edge', {
      principal: 'admin',
      body: {
        approval: { required: false, groups: [] },
        account: { id: '210987654321', deployRoleArn: role },
      },
    });
    const endpoint = `steward-${name}-x`;
    const before = ((await api.call('GET', '/local/targets/calls')).body as unknown[]).length;

    const done = await settle(
      (
        await api.call('POST', `/v1/models/${name}/versions/1/deployments`, {
          body: { environment: 'edge', ...sagemaker(endpoint) },
        })
      ).body.id,
    );

    expect(done.status).toBe('SUCCEEDED');
    const calls = (
      (await api.call('GET', '/local/targets/calls')).body as {
        roleArn: string | null;
        input: { EndpointName?: string; ModelName?: string };
      }[]
    ).slice(before);
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((c) => c.roleArn === role)).toBe(true);
  });

  it('starts the deployment an approval names once the approval is APPROVED', async () => {
    const name = await model(1);
    const endpoint = `steward-${name}-onok`;
    await api.call('PUT', '/v1/environments/gated', {
      principal: 'admin',
      body: {
        approval: {
          required: true,
          groups: [{ name: 'ops', members: ['ops@example.com'], minApprovals: 1 }],
        },
      },
    });
    const request = await api.call('POST', `/v1/models/${name}/versions/1/approvals`, {
      body: { environment: 'gated', deployOnApproval: sagemaker(endpoint) },
    });
    expect(request.status, request.text).toBe(202);
    await eventually(`the approval email for ${name}`, async () =>
      (await api.call('GET', '/local/outbox')).body.some((m: { subject: string }) => m.subject.includes(name))
        ? true
        : undefined,
    );
    expect(
      (
        await api.call('POST', `/v1/approvals/${request.body.id}/decisions`, {
          principal: 'ops@example.com',
          body: { decision: 'approve' },
        })
      ).status,
    ).toBe(200);

    const approval = await eventually(`approval ${request.body.id} starting its deployment`, async () => {
      const read = (await api.call('GET', `/v1/approvals/${request.body.id}`)).body;
      return read.deploymentId || read.deploymentError ? read : undefined;
    });
    expect(approval.deploymentError).toBeUndefined();
    const done = await settle(approval.deploymentId);
    expect(done.status).toBe('SUCCEEDED');
    expect((await api.call('GET', `/v1/deployments/${done.id}`)).body.approvalId).toBe(request.body.id);
  });

  it('runs a batch transform and records it like a deployment', async () => {
    const name = await model(1);
    const done = await settle(
      (
        await deploy(name, 1, {
          target: {
            kind: 'sagemaker-batch',
            jobPrefix: 'steward-scoring',
            inputUri: 's3://data/in/',
            outputUri: 's3://data/out/',
            instanceType: 'ml.m5.xlarge',
          },
        })
      ).body.id,
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(Object.values((await targets()).transformJobs)).toContainEqual(
      expect.objectContaining({ TransformJobStatus: 'Completed' }),
    );
    expect(done.resources.transformJobName).toMatch(/^steward-/);
  });
});
