import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalStepFunctions, type LocalStepFunctions, type TaskContext } from '#local/stepfunctions';
import { createLocalTargets, type LocalTargets, type LocalTargetsOptions } from '#local/targets';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'asl');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const TRANSITION_MS = 200;
const TARGET_ROLE = 'arn:aws:iam::222222222222:role/steward-target-deploy';
const EXECUTION_ROLE = 'arn:aws:iam::222222222222:role/steward-sagemaker-execution';
const SM = 'arn:aws:states:::sagemaker:';
const SM_SDK = 'arn:aws:states:::aws-sdk:sagemaker:';
const LAMBDA = 'arn:aws:states:::aws-sdk:lambda:';
const CLOUDWATCH = 'arn:aws:states:::aws-sdk:cloudwatch:';
const CTX: TaskContext = { stateName: 'Direct', executionArn: 'arn:direct', resource: 'direct' };

let targets: LocalTargets | undefined;
let sfn: LocalStepFunctions | undefined;
const dirs: string[] = [];
/** Machines registered on the current runner. */
const registered = new Set<string>();

afterEach(async () => {
  await sfn?.close();
  await targets?.close();
  sfn = undefined;
  targets = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const start = (options: LocalTargetsOptions = {}) => {
  targets = createLocalTargets({ transitionMs: TRANSITION_MS, ...options });
  registered.clear();
  sfn = createLocalStepFunctions({ resources: targets.resources, waitScale: 0.01 });
  return { targets, sfn };
};

const MACHINES: Record<string, string> = {
  'deploy-endpoint': 'targets-sagemaker-deploy.asl.json',
  'deploy-lambda': 'targets-lambda-canary.asl.json',
  transform: 'targets-transform.asl.json',
};

/** Runs a fixture machine to its end (registered on first use: asl-validator takes a while). */
const run = async (machine: string, input: object) => {
  if (!sfn) throw new Error('not started');
  if (!registered.has(machine)) {
    sfn.register(machine, fixture(MACHINES[machine] ?? `${machine}.asl.json`));
    registered.add(machine);
  }
  const { executionArn } = sfn.startExecution(machine, input);
  const done = await sfn.waitForExecution(executionArn);
  return { ...done, history: sfn.getExecutionHistory(executionArn) };
};

/** Calls a handler directly, as the runner would, and returns what it threw. */
const call = (resource: string, input: unknown, ctx: TaskContext = CTX) => {
  const handler = targets?.resources[resource];
  if (!handler) throw new Error(`no handler for ${resource}`);
  return handler(input, ctx);
};

const thrown = async (action: () => unknown): Promise<Error> => {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
};

/** DescribeEndpoint statuses the execution saw, without repeats. */
const statusesSeen = (history: { stateName?: string; type: string; output?: unknown }[]) => {
  const statuses = history
    .filter((e) => e.stateName === 'DescribeEndpoint' && e.type === 'StateExited')
    .map((e) => (e.output as { endpoint: { EndpointStatus: string } }).endpoint.EndpointStatus);
  return statuses.filter((s, i) => s !== statuses[i - 1]);
};

const endpointInput = (overrides: Record<string, unknown> = {}) => ({
  mode: 'create',
  endpointName: 'fraud-prod',
  configName: 'fraud-prod-v1',
  modelName: 'fraud-v1',
  version: 'v1',
  image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/sklearn-inference:1.2-1',
  modelDataUrl: 's3://steward-artifacts/models/fraud/v1/model.tar.gz',
  captureUri: 's3://steward-capture/fraud-prod',
  executionRoleArn: EXECUTION_ROLE,
  targetRoleArn: TARGET_ROLE,
  alarmName: 'fraud-prod-5xx',
  pollSeconds: 2,
  ...overrides,
});

const v2 = { mode: 'update', configName: 'fraud-prod-v2', modelName: 'fraud-v2', version: 'v2' };

describe('local targets: SageMaker deployments through the ASL', { timeout: 15_000 }, () => {
  it('creates model, config and endpoint, and polls DescribeEndpoint until InService', async () => {
    const { targets } = start();
    const result = await run('deploy-endpoint', endpointInput());

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ outcome: 'deployed', endpointConfigName: 'fraud-prod-v1' });
    expect(statusesSeen(result.history)).toEqual(['Creating', 'InService']);
    const endpoint = targets.state().endpoints['fraud-prod'];
    expect(endpoint).toMatchObject({
      EndpointArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/fraud-prod',
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, CurrentInstanceCount: 2 }],
      DataCaptureConfig: {
        EnableCapture: true,
        CaptureStatus: 'Started',
        CurrentSamplingPercentage: 100,
        DestinationS3Uri: 's3://steward-capture/fraud-prod',
      },
    });
    // Every call was made with the Task's Credentials.
    const calls = targets.calls();
    expect(calls.map((c) => c.resource).slice(0, 3)).toEqual([
      `${SM}createModel`,
      `${SM}createEndpointConfig`,
      `${SM}createEndpoint`,
    ]);
    expect(calls.every((c) => c.roleArn === TARGET_ROLE)).toBe(true);
    expect(calls[0]?.input).toMatchObject({ ModelName: 'fraud-v1', ExecutionRoleArn: EXECUTION_ROLE });
  });

  it('updates blue/green onto the new config when no alarm fires during the bake', async () => {
    const { targets } = start();
    await run('deploy-endpoint', endpointInput());
    const result = await run('deploy-endpoint', endpointInput(v2));

    expect(result.output).toEqual({ outcome: 'deployed', endpointConfigName: 'fraud-prod-v2' });
    expect(statusesSeen(result.history)).toEqual(['Updating', 'InService']);
    expect(targets.state().endpoints['fraud-prod']).toMatchObject({
      EndpointConfigName: 'fraud-prod-v2',
      LastDeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'fraud-prod-5xx' }] } },
    });
    expect(targets.state().alarms['fraud-prod-5xx']?.StateValue).toBe('OK');
  });

  it('rolls back automatically to the old config when an alarm fires during the bake', async () => {
    const { targets } = start();
    await run('deploy-endpoint', endpointInput());
    targets.injectFault({ target: 'fraud-prod', alarmDuringBake: 'fraud-prod-5xx' });
    const result = await run('deploy-endpoint', endpointInput(v2));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ outcome: 'rolled-back', endpointConfigName: 'fraud-prod-v1' });
    expect((result.output as { failureReason: string }).failureReason).toContain('fraud-prod-5xx');
    expect(statusesSeen(result.history)).toEqual(['Updating', 'RollingBack', 'InService']);
    const state = targets.state();
    expect(state.endpoints['fraud-prod']).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'fraud-prod-v1',
    });
    expect(state.alarms['fraud-prod-5xx']?.StateValue).toBe('ALARM');
    // The config it rolled back from is still there; the old one serves.
    expect(Object.keys(state.endpointConfigs)).toEqual(['fraud-prod-v1', 'fraud-prod-v2']);

    targets.clearFaults();
    expect(targets.state().alarms['fraud-prod-5xx']?.StateValue).toBe('OK');
  });

  it('returns to InService on the old config with a FailureReason when the update fails', async () => {
    const { targets } = start();
    await run('deploy-endpoint', endpointInput());
    targets.injectFault({ target: 'fraud-prod', failAt: 'updateEndpoint', once: true });
    const result = await run('deploy-endpoint', endpointInput(v2));

    expect(result.output).toMatchObject({ outcome: 'rolled-back', endpointConfigName: 'fraud-prod-v1' });
    expect((result.output as { failureReason: string }).failureReason).toMatch(
      /did not pass the ping health check/,
    );
    expect(statusesSeen(result.history)).toEqual(['Updating', 'InService']);
    expect(targets.state().faults).toEqual([]);
  });

  it('turns an endpoint whose creation fails to Failed, with the reason', async () => {
    const { targets } = start();
    targets.injectFault({ target: 'fraud-prod', failAt: 'createEndpoint' });
    const result = await run('deploy-endpoint', endpointInput());

    expect(result.output).toEqual({
      outcome: 'failed',
      failureReason:
        'The primary container for production variant AllTraffic did not pass the ping health check. ' +
        'Please check CloudWatch logs for this endpoint.',
    });
    expect(statusesSeen(result.history)).toEqual(['Creating', 'Failed']);
  });

  it('raises SageMaker.AmazonSageMakerException from the optimized integration, which the Catch takes', async () => {
    const { targets } = start();
    targets.injectFault({ target: 'fraud-*', failAt: 'createModel' });
    const result = await run('deploy-endpoint', endpointInput());

    expect(result.output).toMatchObject({ outcome: 'rejected', error: 'SageMaker.AmazonSageMakerException' });
    expect((result.output as { cause: string }).cause).toMatch(
      /^Could not access model data at s3:\/\/.* \(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: [0-9a-f-]+; Proxy: null\)$/,
    );
    expect(targets.calls().at(-1)).toMatchObject({
      resource: `${SM}createModel`,
      roleArn: TARGET_ROLE,
      error: 'SageMaker.AmazonSageMakerException',
    });
  });

  it('runs a batch transform with .sync and catches its failure as States.TaskFailed', async () => {
    const { targets } = start();
    await call(`${SM}createModel`, {
      ModelName: 'fraud-v1',
      ExecutionRoleArn: EXECUTION_ROLE,
      PrimaryContainer: { Image: 'img:1', ModelDataUrl: 's3://b/m.tar.gz' },
    });
    const input = {
      modelName: 'fraud-v1',
      inputUri: 's3://steward-batch/in/',
      outputUri: 's3://steward-batch/out/',
      targetRoleArn: TARGET_ROLE,
    };
    const ok = await run('transform', { ...input, jobName: 'score-1' });
    expect(ok.output).toEqual({ outcome: 'completed', status: 'Completed' });

    targets.injectFault({ target: 'score-2', failAt: 'transformJob' });
    const failed = await run('transform', { ...input, jobName: 'score-2' });
    expect(failed.output).toMatchObject({
      outcome: 'failed',
      cause: {
        TransformJobStatus: 'Failed',
        FailureReason: 'AlgorithmError: See job logs for more information',
      },
    });
  });
});

const lambdaInput = (overrides: Record<string, unknown> = {}) => ({
  functionName: 'fraud-scorer',
  aliasName: 'live',
  s3Bucket: 'steward-artifacts',
  s3Key: 'models/fraud/v2/function.zip',
  weight: 0.1,
  alarmName: 'fraud-scorer-errors',
  pollSeconds: 2,
  bakeSeconds: 10,
  targetRoleArn: TARGET_ROLE,
  ...overrides,
});

const withLiveAlias = (targets: LocalTargets) => {
  targets.createFunction('fraud-scorer');
  // The rollback alarm exists before the deployment, as the API requires of a named alarm.
  targets.setAlarm('fraud-scorer-errors', 'OK');
  return call(`${LAMBDA}createAlias`, { FunctionName: 'fraud-scorer', Name: 'live', FunctionVersion: '1' });
};

describe('local targets: Lambda canary through the ASL', { timeout: 15_000 }, () => {
  it('updates code, waits, publishes, shifts a canary and promotes it when the alarm stays OK', async () => {
    const { targets } = start();
    withLiveAlias(targets);
    const result = await run('deploy-lambda', lambdaInput());

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ outcome: 'promoted', version: '2' });
    // The update was seen in progress before it was seen done.
    const seen = result.history
      .filter((e) => e.stateName === 'GetFunctionConfiguration' && e.type === 'StateExited')
      .map((e) => (e.output as { update: { status: string } }).update.status);
    expect(seen[0]).toBe('InProgress');
    expect(seen.at(-1)).toBe('Successful');
    const canary = result.history.find((e) => e.stateName === 'ShiftCanary' && e.type === 'StateExited');
    expect((canary?.output as { canary?: unknown } | undefined)?.canary).toEqual({
      routing: { AdditionalVersionWeights: { '2': 0.1 } },
    });
    const fn = targets.state().functions['fraud-scorer'];
    expect(Object.keys(fn?.versions ?? {})).toEqual(['1', '2']);
    expect(fn?.aliases).toEqual({ live: expect.objectContaining({ Name: 'live', FunctionVersion: '2' }) });
    expect(fn?.aliases).toEqual({ live: expect.not.objectContaining({ RoutingConfig: expect.anything() }) });
    expect(
      targets.calls().every((c) => c.resource === `${LAMBDA}createAlias` || c.roleArn === TARGET_ROLE),
    ).toBe(true);
  });

  it('rolls the alias back when the alarm goes to ALARM as the canary takes traffic', async () => {
    const { targets } = start();
    withLiveAlias(targets);
    targets.injectFault({ target: 'fraud-scorer', alarmDuringBake: 'fraud-scorer-errors' });
    const result = await run('deploy-lambda', lambdaInput());

    expect(result.output).toEqual({ outcome: 'rolled-back', version: '1' });
    const check = result.history.find((e) => e.stateName === 'CheckAlarm' && e.type === 'StateExited');
    expect((check?.output as { alarm?: unknown } | undefined)?.alarm).toEqual({ state: 'ALARM' });
    const state = targets.state();
    expect(state.alarms['fraud-scorer-errors']).toMatchObject({ StateValue: 'ALARM' });
    expect(state.functions['fraud-scorer']?.aliases).toEqual({
      live: expect.not.objectContaining({ RoutingConfig: expect.anything() }),
    });
    expect(state.functions['fraud-scorer']?.aliases).toEqual({
      live: expect.objectContaining({ FunctionVersion: '1' }),
    });
  });

  it('catches Lambda.ResourceNotFoundException for a function that does not exist', async () => {
    start();
    const result = await run('deploy-lambda', lambdaInput({ functionName: 'no-such-function' }));

    expect(result.output).toMatchObject({
      outcome: 'no-such-function',
      error: 'Lambda.ResourceNotFoundException',
    });
    expect((result.output as { cause: string }).cause).toMatch(
      /^Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function \(Service: Lambda, Status Code: 404, Request ID: /,
    );
  });

  it('follows a code update that fails after it was accepted (LastUpdateStatus Failed)', async () => {
    const { targets } = start();
    withLiveAlias(targets);
    targets.injectFault({ target: 'fraud-scorer', failAt: 'functionUpdate' });
    const result = await run('deploy-lambda', lambdaInput());

    expect(result.output).toEqual({ outcome: 'update-failed', previousVersion: '1' });
    expect(targets.state().functions['fraud-scorer']).toMatchObject({
      LastUpdateStatus: 'Failed',
      LastUpdateStatusReasonCode: 'EniLimitExceeded',
    });
  });

  it('catches a rejected code update', async () => {
    const { targets } = start();
    withLiveAlias(targets);
    targets.injectFault({ target: 'fraud-scorer', failAt: 'updateFunctionCode' });
    const result = await run('deploy-lambda', lambdaInput());

    expect(result.output).toMatchObject({
      outcome: 'rejected',
      error: 'Lambda.InvalidParameterValueException',
    });
    expect((result.output as { cause: string }).cause).toContain('S3 Error Code: NoSuchKey');
  });
});

describe('local targets: handlers called directly', { timeout: 15_000 }, () => {
  const model = (name: string) =>
    call(`${SM}createModel`, {
      ModelName: name,
      ExecutionRoleArn: EXECUTION_ROLE,
      PrimaryContainer: { Image: 'img:1', ModelDataUrl: 's3://b/m.tar.gz' },
    });
  const config = (name: string, modelName: string) =>
    call(`${SM}createEndpointConfig`, {
      EndpointConfigName: name,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: modelName,
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 1,
        },
      ],
    });

  it('answers with the API shapes and ARNs', async () => {
    start();
    expect(await model('Fraud-V1')).toEqual({
      ModelArn: 'arn:aws:sagemaker:us-east-1:000000000000:model/fraud-v1',
    });
    expect(await config('cfg-1', 'Fraud-V1')).toEqual({
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint-config/cfg-1',
    });
    expect(await call(`${SM}createEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'cfg-1' })).toEqual({
      EndpointArn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/ep',
    });
    const described = (await call(`${SM_SDK}describeEndpoint`, { EndpointName: 'ep' })) as Record<
      string,
      unknown
    >;
    expect(described).toMatchObject({
      EndpointName: 'ep',
      EndpointConfigName: 'cfg-1',
      EndpointStatus: 'Creating',
    });
    expect(described.ProductionVariants).toBeUndefined();
    expect(Date.parse(String(described.CreationTime))).not.toBeNaN();
    expect(await call(`${SM_SDK}listEndpoints`, { NameContains: 'e' })).toMatchObject({
      Endpoints: [{ EndpointName: 'ep', EndpointStatus: 'Creating' }],
    });
    expect(await call(`${SM_SDK}describeEndpointConfig`, { EndpointConfigName: 'cfg-1' })).toMatchObject({
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'Fraud-V1' }],
    });
  });

  it('names SageMaker errors per integration, as Step Functions does', async () => {
    start();
    const missingConfig = await thrown(() =>
      call(`${SM}createEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'nope' }),
    );
    expect(missingConfig.name).toBe('SageMaker.AmazonSageMakerException');
    expect(missingConfig.message).toMatch(
      /^Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config\/nope"\./,
    );
    const viaSdk = await thrown(() =>
      call(`${SM_SDK}createEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'nope' }),
    );
    expect(viaSdk.name).toBe('SageMaker.SageMakerException');
    expect(viaSdk.message).toMatch(/\(Service: SageMaker, Status Code: 400, Request ID: [0-9a-f-]+\)$/);

    for (const [resource, input, text] of [
      [`${SM_SDK}describeEndpoint`, { EndpointName: 'ghost' }, 'Could not find endpoint'],
      [`${SM_SDK}deleteEndpoint`, { EndpointName: 'ghost' }, 'Could not find endpoint'],
      [
        `${SM_SDK}deleteEndpointConfig`,
        { EndpointConfigName: 'ghost' },
        'Could not find endpoint configuration',
      ],
      [`${SM_SDK}deleteModel`, { ModelName: 'ghost' }, 'Could not find model'],
    ] as const) {
      const error = await thrown(() => call(resource, input));
      expect(error.name, resource).toBe('SageMaker.SageMakerException');
      expect(error.message).toContain(text);
    }
    const job = await thrown(() => call(`${SM_SDK}describeTransformJob`, { TransformJobName: 'ghost' }));
    expect(job.name).toBe('SageMaker.ResourceNotFoundException');

    const badName = await thrown(() => model('not_valid'));
    expect(badName.name).toBe('SageMaker.AmazonSageMakerException');
    expect(badName.message).toContain("Value 'not_valid' at 'modelName' failed to satisfy constraint");
    await model('m1');
    expect((await thrown(() => model('m1'))).message).toContain('Cannot create already existing model');
    expect((await thrown(() => config('c1', 'ghost'))).message).toContain('Could not find model');

    targets?.injectFault({ target: 'job-*', failAt: 'createTransformJob' });
    const limit = await thrown(() =>
      call(`${SM}createTransformJob`, {
        TransformJobName: 'job-1',
        ModelName: 'm1',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } } },
        TransformOutput: { S3OutputPath: 's3://b/out' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    expect(limit.name).toBe('SageMaker.ResourceLimitExceededException');
    expect(limit.message).toContain('Error Code: ResourceLimitExceeded');
  });

  it('refuses to update an endpoint that is not InService, and rolls back on an alarm set mid-bake', async () => {
    let clock = 1_000_000;
    start({ transitionMs: 1000, now: () => clock });
    await model('m1');
    await config('c1', 'm1');
    await config('c2', 'm1');
    await call(`${SM}createEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'c1' });
    const busy = await thrown(() =>
      call(`${SM}updateEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'c2' }),
    );
    expect(busy.message).toMatch(/^Cannot update in-progress endpoint "arn:aws:sagemaker:.*endpoint\/ep"\./);

    clock += 1000;
    const status = () => targets?.state().endpoints.ep;
    expect(status()?.EndpointStatus).toBe('InService');
    await call(`${SM}updateEndpoint`, {
      EndpointName: 'ep',
      EndpointConfigName: 'c2',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 50 },
            WaitIntervalInSeconds: 60,
          },
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'ep-latency' }] },
      },
    });
    expect(status()).toMatchObject({
      EndpointStatus: 'Updating',
      PendingDeploymentSummary: { EndpointConfigName: 'c2' },
    });
    clock += 1000; // provisioned: baking (2 intervals of 60 s, capped at transitionMs)
    expect(status()).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'c1',
      PendingDeploymentSummary: { ProductionVariants: [{ VariantStatus: [{ Status: 'Baking' }] }] },
    });
    clock += 400;
    targets?.setAlarm('ep-latency', 'ALARM');
    expect(status()?.EndpointStatus).toBe('RollingBack');
    clock += 500;
    expect(status()).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'c1' });
    expect(status()?.FailureReason).toContain('ep-latency');

    // A plain update (no DeploymentConfig) goes through without a bake.
    targets?.setAlarm('ep-latency', 'OK');
    await call(`${SM}updateEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'c2' });
    clock += 1000;
    expect(status()).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'c2' });
    expect(status()?.FailureReason).toBeUndefined();

    await call(`${SM_SDK}deleteEndpoint`, { EndpointName: 'ep' });
    expect(status()?.EndpointStatus).toBe('Deleting');
    clock += 1000;
    expect(status()).toBeUndefined();
  });

  it('runs the Lambda API: conflicts while updating, versions, weighted aliases and their errors', async () => {
    let clock = 5_000_000;
    const { targets } = start({ transitionMs: 300, now: () => clock });
    const fn = targets.createFunction('scorer');
    expect(fn).toMatchObject({
      FunctionName: 'scorer',
      Version: '$LATEST',
      State: 'Active',
      PackageType: 'Zip',
    });
    expect(targets.createFunction('scorer')).toEqual(fn);

    const updated = (await call(`${LAMBDA}updateFunctionCode`, {
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:scorer',
      S3Bucket: 'steward-code',
      S3Key: 'k2.zip',
    })) as Record<string, unknown>;
    expect(updated).toMatchObject({ LastUpdateStatus: 'InProgress', Version: '$LATEST' });
    expect(updated.CodeSha256).not.toBe(fn.CodeSha256);
    const busy = await thrown(() => call(`${LAMBDA}publishVersion`, { FunctionName: 'scorer' }));
    expect(busy.name).toBe('Lambda.ResourceConflictException');
    expect(busy.message).toContain(
      'An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:scorer',
    );
    expect(
      (
        await thrown(() =>
          call(`${LAMBDA}updateFunctionCode`, {
            FunctionName: 'scorer',
            S3Bucket: 'steward-code',
            S3Key: 'k3',
          }),
        )
      ).name,
    ).toBe('Lambda.ResourceConflictException');

    clock += 100;
    expect(await call(`${LAMBDA}getFunctionConfiguration`, { FunctionName: 'scorer' })).toMatchObject({
      LastUpdateStatus: 'Successful',
    });
    const mismatch = await thrown(() =>
      call(`${LAMBDA}publishVersion`, { FunctionName: 'scorer', CodeSha256: 'x' }),
    );
    expect(mismatch.name).toBe('Lambda.InvalidParameterValueException');
    const v2 = (await call(`${LAMBDA}publishVersion`, {
      FunctionName: 'scorer',
      CodeSha256: updated.CodeSha256,
    })) as Record<string, unknown>;
    expect(v2).toMatchObject({
      Version: '2',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:scorer:2',
    });
    // Nothing changed since version 2: Lambda hands back version 2.
    expect(await call(`${LAMBDA}publishVersion`, { FunctionName: 'scorer' })).toMatchObject({ Version: '2' });

    const alias = await call(`${LAMBDA}createAlias`, {
      FunctionName: 'scorer',
      Name: 'live',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
    });
    expect(alias).toMatchObject({
      AliasArn: 'arn:aws:lambda:us-east-1:000000000000:function:scorer:live',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
    });
    expect(await call(`${LAMBDA}getFunctionConfiguration`, { FunctionName: 'scorer:live' })).toMatchObject({
      Version: '1',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:scorer:live',
    });
    const errors = {
      duplicate: await thrown(() =>
        call(`${LAMBDA}createAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '1' }),
      ),
      missingAlias: await thrown(() => call(`${LAMBDA}getAlias`, { FunctionName: 'scorer', Name: 'beta' })),
      missingVersion: await thrown(() =>
        call(`${LAMBDA}updateAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '9' }),
      ),
      latestRouting: await thrown(() =>
        call(`${LAMBDA}updateAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '$LATEST' }),
      ),
      twoWeights: await thrown(() =>
        call(`${LAMBDA}updateAlias`, {
          FunctionName: 'scorer',
          Name: 'live',
          RoutingConfig: { AdditionalVersionWeights: { '1': 0.1, '2': 0.1 } },
        }),
      ),
      missingFunction: await thrown(() => call(`${LAMBDA}getAlias`, { FunctionName: 'ghost', Name: 'live' })),
    };
    expect(Object.fromEntries(Object.entries(errors).map(([k, e]) => [k, e.name]))).toEqual({
      duplicate: 'Lambda.ResourceConflictException',
      missingAlias: 'Lambda.ResourceNotFoundException',
      missingVersion: 'Lambda.ResourceNotFoundException',
      latestRouting: 'Lambda.InvalidParameterValueException',
      twoWeights: 'Lambda.InvalidParameterValueException',
      missingFunction: 'Lambda.ResourceNotFoundException',
    });
    expect(errors.missingAlias.message).toMatch(
      /^Alias not found: arn:aws:lambda:us-east-1:000000000000:function:scorer:beta /,
    );

    // Omitting RoutingConfig keeps it; an empty weights map clears it.
    expect(
      await call(`${LAMBDA}updateAlias`, { FunctionName: 'scorer', Name: 'live', Description: 'x' }),
    ).toMatchObject({
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
    });
    const promoted = (await call(`${LAMBDA}updateAlias`, {
      FunctionName: 'scorer',
      Name: 'live',
      FunctionVersion: '2',
      RoutingConfig: { AdditionalVersionWeights: {} },
    })) as Record<string, unknown>;
    expect(promoted.FunctionVersion).toBe('2');
    expect(promoted.RoutingConfig).toBeUndefined();
    expect(await call(`${LAMBDA}deleteAlias`, { FunctionName: 'scorer', Name: 'live' })).toEqual({});

    const image = targets.createFunction('image-fn', { packageType: 'Image' });
    expect(image.PackageType).toBe('Image');
    const noImage = await thrown(() =>
      call(`${LAMBDA}updateFunctionCode`, { FunctionName: 'image-fn', S3Bucket: 'steward-code', S3Key: 'k' }),
    );
    expect(noImage.name).toBe('Lambda.InvalidParameterValueException');
  });

  it('fails the chosen Lambda steps with realistic errors, once when asked', async () => {
    const { targets } = start();
    targets.createFunction('scorer');
    targets.injectFault({ target: 'scorer', failAt: 'publishVersion', once: true });
    const storage = await thrown(() =>
      call(`${LAMBDA}publishVersion`, { FunctionName: 'scorer', Description: 'd' }),
    );
    expect(storage.name).toBe('Lambda.CodeStorageExceededException');
    expect(await call(`${LAMBDA}publishVersion`, { FunctionName: 'scorer', Description: 'd' })).toMatchObject(
      {
        Version: '2',
      },
    );
    targets.injectFault({ target: 'scorer', failAt: 'updateAlias' });
    await call(`${LAMBDA}createAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '1' });
    const conflict = await thrown(() =>
      call(`${LAMBDA}updateAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '2' }),
    );
    expect(conflict.name).toBe('Lambda.ResourceConflictException');
    expect(targets.state().faults).toHaveLength(1);
    targets.clearFaults();
    expect(
      await call(`${LAMBDA}updateAlias`, { FunctionName: 'scorer', Name: 'live', FunctionVersion: '2' }),
    ).toMatchObject({
      FunctionVersion: '2',
    });
    expect(() => targets.injectFault({ target: 'scorer', failAt: 'nope' as never })).toThrow(
      /failAt must be one of/,
    );
  });

  it('answers DescribeAlarms for alarms that exist, leaving out names no alarm has', async () => {
    const { targets } = start();
    expect(await call(`${CLOUDWATCH}describeAlarms`, { AlarmNames: ['a-errors'] })).toEqual({
      MetricAlarms: [],
      CompositeAlarms: [],
    });
    targets.setAlarm('a-errors', 'OK');
    targets.setAlarm('a-latency', 'OK');
    expect(
      await call(`${CLOUDWATCH}describeAlarms`, { AlarmNames: ['a-errors', 'a-latency', 'a-unknown'] }),
    ).toMatchObject({
      MetricAlarms: [
        {
          AlarmName: 'a-errors',
          StateValue: 'OK',
          AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:a-errors',
        },
        { AlarmName: 'a-latency', StateValue: 'OK' },
      ],
      CompositeAlarms: [],
    });
    targets.setAlarm('a-latency', 'ALARM');
    expect(
      await call(`${CLOUDWATCH}describeAlarms`, { AlarmNamePrefix: 'a-', StateValue: 'ALARM' }),
    ).toMatchObject({
      MetricAlarms: [{ AlarmName: 'a-latency', StateValue: 'ALARM' }],
    });
    const both = await thrown(() =>
      call(`${CLOUDWATCH}describeAlarms`, { AlarmNames: ['x'], AlarmNamePrefix: 'a' }),
    );
    expect(both.name).toBe('CloudWatch.InvalidParameterCombinationException');
  });

  it('records each call with the role it was made with', async () => {
    const { targets } = start();
    targets.createFunction('scorer');
    await call(
      `${LAMBDA}getFunctionConfiguration`,
      { FunctionName: 'scorer' },
      { ...CTX, credentials: { RoleArn: TARGET_ROLE } },
    );
    await thrown(() => call(`${LAMBDA}getFunctionConfiguration`, { FunctionName: 'ghost' }));
    expect(targets.calls()).toEqual([
      {
        resource: `${LAMBDA}getFunctionConfiguration`,
        input: { FunctionName: 'scorer' },
        roleArn: TARGET_ROLE,
        at: expect.any(String),
      },
      {
        resource: `${LAMBDA}getFunctionConfiguration`,
        input: { FunctionName: 'ghost' },
        roleArn: null,
        at: expect.any(String),
        error: 'Lambda.ResourceNotFoundException',
      },
    ]);
  });

  it('keeps its state under dataDir and resumes what was under way', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'steward-targets-'));
    dirs.push(dataDir);
    let clock = 10_000_000;
    const first = start({ dataDir, transitionMs: 1000, now: () => clock });
    await model('m1');
    await config('c1', 'm1');
    await call(`${SM}createEndpoint`, { EndpointName: 'ep', EndpointConfigName: 'c1' });
    first.targets.createFunction('scorer');
    await first.targets.close();

    clock += 5000;
    const second = createLocalTargets({ dataDir, transitionMs: 1000, now: () => clock });
    try {
      const state = second.state();
      expect(state.endpoints.ep).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'c1' });
      expect(Object.keys(state.models)).toEqual(['m1']);
      expect(Object.keys(state.functions.scorer?.versions ?? {})).toEqual(['1']);
      expect(JSON.parse(readFileSync(join(dataDir, 'targets.json'), 'utf8'))).toMatchObject({
        version: 1,
        endpoints: [{ EndpointName: 'ep', EndpointStatus: 'InService' }],
      });
    } finally {
      await second.close();
    }
  });

  it('does not keep the process alive once closed', () => {
    const script = `
      import { createLocalTargets } from '#local/targets';
      const targets = createLocalTargets({ transitionMs: 60_000 });
      const sm = 'arn:aws:states:::sagemaker:';
      await targets.resources[sm + 'createModel']({ ModelName: 'm', ExecutionRoleArn: '${EXECUTION_ROLE}', PrimaryContainer: { Image: 'i' } }, {});
      await targets.resources[sm + 'createEndpointConfig']({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }, {});
      await targets.resources[sm + 'createEndpoint']({ EndpointName: 'e', EndpointConfigName: 'c' }, {});
      await targets.close();
      console.log('closed');
    `;
    // The endpoint's transition timer (60 s) outlives the bound given to the child (50 s): a timer
    // left behind by close() keeps the child alive until it is killed, with a signal and no status.
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('closed');
    expect(child.signal, 'the child was killed at the bound: something kept it alive').toBeNull();
    expect(child.status).toBe(0);
  });
});
