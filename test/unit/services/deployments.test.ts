import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { asHttpError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#commons/errors';
import { DeploymentBody, type DeploymentStatus } from '#domain/deployment';
import {
  ApprovalRequiredError,
  DeploymentChangedError,
  RollbackTargetArchivedError,
  TargetBusyError,
  VersionNotReadyError,
} from '#domain/errors';
import type { VersionItem } from '#domain/items';
import type { VersionStatus } from '#domain/lifecycle';
import { startDeployment, startOperation } from '#services/deployments';
import {
  cancelledAt,
  ddb,
  deploymentItem,
  modelItem,
  refusal,
  resetAws,
  sfn,
  store,
  targetItem,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/**
 * Every refusal of starting a deployment and of a rollback or decommission, against mocked
 * DynamoDB, Step Functions and CloudWatch: those decided from the request and what was read (no
 * write is sent, no workflow started), and those the creating write's conditions meet, named
 * from the cancellation reason (never from the write's position). A version's own lifecycle
 * transitions (deprecate, archive) are registry.test.ts's.
 */
const cloudwatch = mockClient(CloudWatchClient);
afterAll(() => cloudwatch.restore());

const ENVIRONMENTS = {
  dev: { approval: { required: false, groups: [] } },
  prod: {
    approval: { required: true, groups: [{ name: 'risk', members: ['risk@example.com'], minApprovals: 1 }] },
  },
  remote: {
    approval: { required: false, groups: [] },
    account: { id: '210987654321', deployRoleArn: 'arn:aws:iam::210987654321:role/steward-deploy' },
  },
};
const IMAGE = {
  uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn',
  digest: `sha256:${'c'.repeat(64)}`,
};

const version = (n: number, status: VersionStatus, overrides: Partial<VersionItem> = {}) =>
  store(
    keys.version('churn', n),
    versionItem({ version: n, status, lineage: { image: IMAGE }, ...overrides }),
  );

const sagemaker = (endpointName = 'steward-churn') => ({
  kind: 'sagemaker' as const,
  endpointName,
  instanceType: 'ml.m5.large',
});
const deploy = (body: Record<string, unknown>, n = 1) =>
  startDeployment({
    model: 'churn',
    version: n,
    actor: 'bob',
    body: { environment: 'dev', target: sagemaker(), ...body } as DeploymentBody,
  });

/** Nothing written, no workflow started. */
const nothingSent = () => {
  expect(transactions()).toHaveLength(0);
  expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
};

beforeEach(() => {
  resetAws({
    STEWARD_ENVIRONMENTS: JSON.stringify(ENVIRONMENTS),
    DEPLOYMENT_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:steward-deployment',
    LAMBDA_TARGETS: JSON.stringify(['scorer-*']),
  });
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  store(keys.model('churn'), modelItem({ owners: ['bob'], latestVersion: 5, auditSeq: 7 }));
  version(1, 'READY');
  version(2, 'PENDING_UPLOAD');
  version(3, 'ARCHIVED');
  // Nothing a target can run: no image for SageMaker, a file that is no .zip for Lambda.
  version(4, 'READY', {
    lineage: {},
    artifact: { ...versionItem().artifact, fileName: 'model.tar.gz' },
  });
  version(5, 'DEPRECATED');
});

describe('starting a deployment: refused from the request and what was read', () => {
  it('refuses an environment that does not exist, naming body.environment (400)', async () => {
    // `constructor` is an Object member, not an environment.
    for (const environment of ['staging', 'constructor']) {
      const error = await refusal(deploy({ environment }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([
        { path: 'body.environment', message: 'unknown environment' },
      ]);
    }
    nothingSent();
  });

  it('refuses an endpoint name outside the resource prefix, which the deploy role cannot touch (400)', async () => {
    const error = await refusal(deploy({ target: sagemaker('prod-churn') }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors?.[0]?.path).toBe('body.target.endpointName');
    nothingSent();
  });

  it('refuses a Lambda function this Steward is not configured to manage (403)', async () => {
    const error = await refusal(deploy({ target: { kind: 'lambda', functionName: 'billing' } }));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error.message).toBe('function billing is not one this Steward is configured to manage');
    nothingSent();
  });

  it('refuses an invalid strategy: at the door (naming the field), and in the service before any write', async () => {
    const body = { environment: 'dev', target: sagemaker(), strategy: { kind: 'canary' } };
    const parsed = DeploymentBody.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain('strategy.percent');
    const tooLong = DeploymentBody.safeParse({
      ...body,
      strategy: { kind: 'all-at-once', bakeMinutes: 24 * 60 },
    });
    expect(tooLong.error?.issues.map((i) => i.path.join('.'))).toContain('strategy.bakeMinutes');

    // A caller that skipped the schema (an approval's stored request) is refused all the same.
    const unchecked = await refusal(deploy({ strategy: { kind: 'linear' } }));
    expect(unchecked.message).toContain('canary and linear need a percent');
    nothingSent();
  });

  it('refuses rollback alarms that do not exist, naming each (409)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'p99-latency' }] });
    const error = await refusal(
      deploy({ strategy: { kind: 'all-at-once', bakeMinutes: 0, alarms: ['p99-latency', 'errors', 'oom'] } }),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/^rollback alarms errors, oom do not exist/);
    expect((error as ConflictError).errors).toEqual([
      { path: 'body.strategy.alarms.1', message: 'no CloudWatch alarm is named errors' },
      { path: 'body.strategy.alarms.2', message: 'no CloudWatch alarm is named oom' },
    ]);
    nothingSent();
  });

  it('does not ask for alarms kept in another account, out of sight of this account', async () => {
    await deploy({
      environment: 'remote',
      strategy: { kind: 'all-at-once', bakeMinutes: 0, alarms: ['theirs'] },
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(transactions()).toHaveLength(1);
  });

  it('answers 404 for a model or a version that does not exist', async () => {
    const noModel = await refusal(
      startDeployment({ model: 'nope', version: 1, actor: 'bob', body: deployBody() }),
    );
    expect(noModel).toBeInstanceOf(NotFoundError);
    expect(await refusal(deploy({}, 9))).toBeInstanceOf(NotFoundError);
    nothingSent();
  });

  it.each([
    [2, 'version 2 is PENDING_UPLOAD; only a READY version can be deployed'],
    [3, 'version 3 is ARCHIVED; only a READY version can be deployed'],
    [5, 'version 5 is DEPRECATED; only a READY version can be deployed'],
  ])('refuses version %i, which is not READY (409)', async (n, message) => {
    const error = await refusal(deploy({}, n));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(message);
    nothingSent();
  });

  it('refuses a version with nothing to run: no image for SageMaker, no zip nor image for Lambda (409)', async () => {
    const noImage = await refusal(deploy({}, 4));
    expect(noImage.message).toMatch(/needs the container image/);
    const noZip = await refusal(deploy({ target: { kind: 'lambda', functionName: 'scorer-eu' } }, 4));
    expect(noZip.message).toBe(
      'a Lambda deployment needs a .zip artifact or a container image in the version lineage',
    );
    nothingSent();
  });
});

const deployBody = (): DeploymentBody => ({ environment: 'dev', target: sagemaker() }) as DeploymentBody;

describe('starting a deployment: refused by the conditions of the write', () => {
  it('names a busy target (409), and starts no workflow', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(3, { busyWith: 'dep-other' }));
    const error = await refusal(deploy({}));
    expect(error).toBeInstanceOf(TargetBusyError);
    expect(error.message).toBe('target sagemaker:steward-churn in dev is busy with another deployment');
    expect(asHttpError(error)?.statusCode).toBe(409);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('names a version that left READY between the read and the write (409)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelledAt(4, { status: 'DEPRECATED' }));
    const error = await refusal(deploy({}));
    expect(error).toBeInstanceOf(VersionNotReadyError);
    expect(error.message).toContain('(it is DEPRECATED)');
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('requires an APPROVED request where the environment says so, as a condition of the write', async () => {
    await deploy({ environment: 'prod' });
    const [sent] = transactions();
    const check = sent!.find((w) => w.ConditionCheck)?.ConditionCheck;
    expect(check?.Key).toEqual(keys.approvalSlot('churn', 1, 'prod'));
    expect(check?.ExpressionAttributeValues).toEqual({ ':approved': 'APPROVED' });

    ddb.on(TransactWriteCommand).rejects(cancelledAt(5, { status: 'PENDING' }));
    const error = await refusal(deploy({ environment: 'prod' }));
    expect(error).toBeInstanceOf(ApprovalRequiredError);
    expect(error.message).toBe('environment prod requires an APPROVED approval request for version 1');
    expect(asHttpError(error)?.statusCode).toBe(409);
  });

  it('sends no approval check where none is required', async () => {
    await deploy({});
    expect(transactions()[0]!.some((w) => w.ConditionCheck)).toBe(false);
  });

  it('records the failure and frees the target when the workflow cannot start', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const error = await refusal(deploy({}));
    expect(error.name).toBe('AccessDeniedException');
    const [created, abandoned] = transactions();
    expect(created).toBeDefined();
    const writes = abandoned!.map((w) => w.Update?.Key ?? w.Put?.Item);
    const id = (created![2]!.Put!.Item as { id: string }).id;
    expect(writes).toContainEqual(keys.deployment(id));
    expect(JSON.stringify(abandoned)).toContain('the deployment workflow could not start');
  });
});

describe('rollback and decommission', () => {
  const deployment = (id: string, status: DeploymentStatus) =>
    store(
      keys.deployment(id),
      deploymentItem({
        id,
        environment: 'dev',
        target: { ...sagemaker(), instanceCount: 1 },
        targetId: 'sagemaker:steward-churn',
        status,
      }),
    );
  const target = (overrides: Parameters<typeof targetItem>[0]) =>
    store(
      keys.target('dev', 'sagemaker:steward-churn'),
      targetItem({ environment: 'dev', targetId: 'sagemaker:steward-churn', ...overrides }),
    );

  beforeEach(() => {
    deployment('dep-1', 'SUCCEEDED');
    deployment('dep-0', 'SUCCEEDED');
    deployment('dep-f', 'FAILED');
    target({ current: { deploymentId: 'dep-1' } });
  });

  it('answers 404 for a deployment that does not exist', async () => {
    expect(await refusal(startOperation('dep-x', 'rollback', 'bob'))).toBeInstanceOf(NotFoundError);
    nothingSent();
  });

  it('refuses a deployment that is not the one serving, or did not succeed (409)', async () => {
    const failed = await refusal(startOperation('dep-f', 'decommission', 'bob'));
    expect(failed).toBeInstanceOf(ConflictError);
    expect(failed.message).toBe(
      'deployment dep-f is FAILED and does not serve on sagemaker:steward-churn now',
    );
    const replaced = await refusal(startOperation('dep-0', 'decommission', 'bob'));
    expect(replaced.message).toMatch(/does not serve on/);
    nothingSent();
  });

  it('refuses a target busy with another operation (409)', async () => {
    target({ current: { deploymentId: 'dep-1' }, busyWith: 'dep-2' });
    const error = await refusal(startOperation('dep-1', 'decommission', 'bob'));
    expect(error.message).toBe('target sagemaker:steward-churn is busy with another operation');
    nothingSent();
  });

  it('refuses a rollback with nothing served before (409), and lets a decommission go on', async () => {
    const error = await refusal(startOperation('dep-1', 'rollback', 'bob'));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'nothing served on sagemaker:steward-churn before deployment dep-1: there is nothing to roll back to',
    );
    nothingSent();
    await startOperation('dep-1', 'decommission', 'bob');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('names a previous version archived since (409), and a deployment that changed meanwhile for a rollback or a decommission (409)', async () => {
    target({
      current: { deploymentId: 'dep-1' },
      previous: { deploymentId: 'dep-0', model: 'churn', version: 3 },
    });
    ddb.on(TransactWriteCommand).rejects(cancelledAt(4, { status: 'ARCHIVED' }));
    const archived = await refusal(startOperation('dep-1', 'rollback', 'bob'));
    expect(archived).toBeInstanceOf(RollbackTargetArchivedError);
    expect(asHttpError(archived)?.statusCode).toBe(409);

    ddb.on(TransactWriteCommand).rejects(cancelledAt(3, { busyWith: 'dep-2' }));
    for (const operation of ['rollback', 'decommission'] as const) {
      const changed = await refusal(startOperation('dep-1', operation, 'bob'));
      expect(changed).toBeInstanceOf(DeploymentChangedError);
      expect(asHttpError(changed)?.statusCode).toBe(409);
    }
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
