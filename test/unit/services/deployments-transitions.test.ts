import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { asHttpError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#commons/errors';
import type { Principal } from '#commons/identity';
import type { DeploymentBody } from '#domain/deployment';
import {
  ApprovalRequiredError,
  DeploymentChangedError,
  RollbackTargetArchivedError,
  TargetBusyError,
  VersionDeployingError,
  VersionNotReadyError,
  VersionServingError,
  VersionStatusChangedError,
} from '#domain/errors';
import { startDeployment, startOperation } from '#services/deployments';
import { transitionVersion } from '#services/registry';
import {
  cancelledAt,
  ddb,
  deploymentItem,
  modelItem,
  refusal,
  resetAws,
  servingRef,
  sfn,
  store,
  transactions,
  versionItem,
} from './mocked-aws.ts';

/**
 * Every refusal of starting a deployment operation and of a version's lifecycle transition,
 * against mocked DynamoDB, Step Functions and CloudWatch: the checks made on what was read, and
 * the refusals named from the cancellation reason of the write whose condition failed.
 */
const cloudwatch = mockClient(CloudWatchClient);
afterAll(() => cloudwatch.restore());

const lambda = { kind: 'lambda' as const, functionName: 'churn-scorer', alias: 'live' };
const TARGET = 'lambda:churn-scorer:live';
const body = (extra: Partial<DeploymentBody> = {}): DeploymentBody =>
  ({ environment: 'dev', target: lambda, ...extra }) as DeploymentBody;
const deploy = (extra: Partial<DeploymentBody> = {}, version = 1) =>
  startDeployment({ model: 'churn', version, body: body(extra), actor: 'bob' });

const version = (n: number, extra: Record<string, unknown> = {}) =>
  store(keys.version('churn', n), {
    ...versionItem(),
    entity: 'version',
    name: 'churn',
    version: n,
    status: 'READY',
    revision: 1,
    artifact: {
      bucket: 'artifacts',
      key: `churn/${n}/fn.zip`,
      fileName: 'fn.zip',
      sha256: 'a',
      sizeBytes: 1,
    },
    lineage: {},
    createdBy: 'bob',
    ...extra,
  });

beforeEach(() => {
  resetAws({
    DEPLOYMENT_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:deployment',
    LAMBDA_TARGETS: JSON.stringify(['churn-*']),
    STEWARD_ENVIRONMENTS: JSON.stringify({
      dev: { approval: { required: false, groups: [] } },
      prod: { approval: { required: true, groups: [{ name: 'risk', members: ['carol'], minApprovals: 1 }] } },
    }),
  });
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
  store(keys.model('churn'), {
    ...modelItem(),
    entity: 'model',
    name: 'churn',
    owner: 'bob',
    auditSeq: 3,
    auditHead: 'h',
  });
  version(1);
});

describe('starting a deployment', () => {
  it('refuses an unknown environment and a target the deploy role may not touch, naming the field', async () => {
    const unknown = await refusal(deploy({ environment: 'nowhere' }));
    expect((unknown as ValidationError).errors).toEqual([
      { path: 'body.environment', message: 'unknown environment' },
    ]);

    const endpoint = await refusal(
      deploy({
        target: {
          kind: 'sagemaker',
          endpointName: 'other-churn',
          instanceType: 'ml.m5.large',
          instanceCount: 1,
        },
      }),
    );
    expect(endpoint).toBeInstanceOf(ValidationError);
    expect((endpoint as ValidationError).errors?.[0]?.path).toBe('body.target.endpointName');

    const fn = await refusal(deploy({ target: { ...lambda, functionName: 'payroll' } }));
    expect(fn).toBeInstanceOf(ForbiddenError);
    expect(fn.message).toBe('function payroll is not one this Steward is configured to manage');
    expect(transactions()).toHaveLength(0);
  });

  it('refuses rollback alarms that do not exist, naming each', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'errors' }] });
    const error = await refusal(
      deploy({ strategy: { kind: 'all-at-once', alarms: ['errors', 'latency'] } as never }),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).errors).toEqual([
      { path: 'body.strategy.alarms.1', message: 'no CloudWatch alarm is named latency' },
    ]);
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a missing model or version, a version that is not READY and one the target cannot run', async () => {
    expect(
      await refusal(startDeployment({ model: 'nope', version: 1, body: body(), actor: 'bob' })),
    ).toBeInstanceOf(NotFoundError);
    expect(await refusal(deploy({}, 9))).toBeInstanceOf(NotFoundError);
    version(2, { status: 'DEPRECATED' });
    expect((await refusal(deploy({}, 2))).message).toBe(
      'version 2 is DEPRECATED; only a READY version can be deployed',
    );
    version(3, { artifact: { bucket: 'b', key: 'k', fileName: 'model.tar.gz', sha256: 'a', sizeBytes: 1 } });
    expect((await refusal(deploy({}, 3))).message).toBe(
      'a Lambda deployment needs a .zip artifact or a container image in the version lineage',
    );
    expect(transactions()).toHaveLength(0);
  });

  it('names a busy target, a version no longer READY and a missing approval from the refused write', async () => {
    // model 0, audit event 1, the deployment 2, the target lock 3, the version claim 4, the approval 5
    ddb.on(TransactWriteCommand).rejects(cancelledAt(3));
    const busy = await refusal(deploy());
    expect(busy).toBeInstanceOf(TargetBusyError);
    expect(asHttpError(busy)?.statusCode).toBe(409);

    ddb.on(TransactWriteCommand).rejects(cancelledAt(4, { status: 'ARCHIVED' }));
    expect(await refusal(deploy())).toBeInstanceOf(VersionNotReadyError);

    ddb.on(TransactWriteCommand).rejects(cancelledAt(5));
    const unapproved = await refusal(deploy({ environment: 'prod' }));
    expect(unapproved).toBeInstanceOf(ApprovalRequiredError);
    expect(unapproved.message).toBe('environment prod requires an APPROVED approval request for version 1');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('frees the target and records why when the workflow cannot start', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    expect((await refusal(deploy())).message).toBe('throttled');
    expect(transactions()).toHaveLength(2);
  });
});

describe('rolling back or taking down a deployment', () => {
  const deployment = (status = 'SUCCEEDED') =>
    store(keys.deployment('dep-1'), {
      ...deploymentItem(),
      entity: 'deployment',
      id: 'dep-1',
      model: 'churn',
      version: 2,
      environment: 'dev',
      target: lambda,
      targetId: TARGET,
      status,
      operation: 'deploy',
      history: [],
    });
  const target = (extra: Record<string, unknown> = {}) => {
    const item: Record<string, unknown> = {
      current: { deploymentId: 'dep-1', model: 'churn', version: 2 },
      previous: { deploymentId: 'dep-0', model: 'churn', version: 1 },
      ...extra,
    };
    store(keys.target('dev', TARGET), {
      ...item,
      entity: 'target',
      environment: 'dev',
      targetId: TARGET,
      current: servingRef(item.current),
      previous: servingRef(item.previous),
    });
  };

  it('refuses a deployment that does not exist, does not serve now, or whose target is busy', async () => {
    expect(await refusal(startOperation('dep-1', 'decommission', 'bob'))).toBeInstanceOf(NotFoundError);
    deployment('FAILED');
    target();
    expect((await refusal(startOperation('dep-1', 'decommission', 'bob'))).message).toBe(
      `deployment dep-1 is FAILED and does not serve on ${TARGET} now`,
    );
    deployment();
    target({ current: { deploymentId: 'dep-2' } });
    expect(await refusal(startOperation('dep-1', 'decommission', 'bob'))).toBeInstanceOf(ConflictError);
    target({ busyWith: 'dep-3' });
    expect((await refusal(startOperation('dep-1', 'rollback', 'bob'))).message).toBe(
      `target ${TARGET} is busy with another operation`,
    );
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a rollback with nothing before it', async () => {
    deployment();
    target({ previous: undefined });
    const error = await refusal(startOperation('dep-1', 'rollback', 'bob'));
    expect(error.message).toBe(
      `nothing served on ${TARGET} before deployment dep-1: there is nothing to roll back to`,
    );
  });

  it('names an archived rollback version and a deployment that changed from the refused write', async () => {
    deployment();
    target();
    // the deployment 2, the target 3, the claim of the version rolled back to 4
    ddb.on(TransactWriteCommand).rejects(cancelledAt(4, { status: 'ARCHIVED' }));
    const archived = await refusal(startOperation('dep-1', 'rollback', 'bob'));
    expect(archived).toBeInstanceOf(RollbackTargetArchivedError);
    expect(asHttpError(archived)?.statusCode).toBe(409);

    ddb.on(TransactWriteCommand).rejects(cancelledAt(3));
    const changed = await refusal(startOperation('dep-1', 'decommission', 'bob'));
    expect(changed).toBeInstanceOf(DeploymentChangedError);
    expect(asHttpError(changed)?.statusCode).toBe(409);
  });
});

describe('a version lifecycle transition', () => {
  const as = (id: string, ...roles: string[]): Principal =>
    ({ id, sessionName: undefined, roles: new Set(roles) }) as Principal;
  const bob = as('bob', 'publisher');
  const move = (to: 'DEPRECATED' | 'ARCHIVED', who = bob, n = 1) =>
    transitionVersion(who, 'churn', n, { to, reason: 'superseded' });

  it('refuses a missing model or version, and anyone outside the owning team', async () => {
    expect(
      await refusal(transitionVersion(bob, 'nope', 1, { to: 'DEPRECATED', reason: 'x' })),
    ).toBeInstanceOf(NotFoundError);
    expect(await refusal(move('DEPRECATED', bob, 9))).toBeInstanceOf(NotFoundError);
    expect(await refusal(move('DEPRECATED', as('mallory', 'publisher')))).toBeInstanceOf(ForbiddenError);
    expect(await refusal(move('DEPRECATED', as('bob', 'reader')))).toBeInstanceOf(ForbiddenError);
    expect(transactions()).toHaveLength(0);
  });

  it('refuses a move the lifecycle does not allow', async () => {
    version(2, { status: 'ARCHIVED' });
    expect((await refusal(move('DEPRECATED', bob, 2))).message).toBe(
      'a ARCHIVED version cannot move to DEPRECATED',
    );
    version(3, { status: 'FAILED' });
    expect((await refusal(move('ARCHIVED', bob, 3))).message).toBe(
      'a FAILED version cannot move to ARCHIVED',
    );
    expect(transactions()).toHaveLength(0);
  });

  it('names a deployment under way, a serving version and a status that moved from the version the write met', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelledAt(2, { status: 'READY', deployingIds: new Set(['dep-9']) }));
    const deploying = await refusal(move('DEPRECATED'));
    expect(deploying).toBeInstanceOf(VersionDeployingError);
    expect(deploying.message).toContain('dep-9');

    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { status: 'READY', servingOn: { dev: TARGET } }));
    const serving = await refusal(move('ARCHIVED'));
    expect(serving).toBeInstanceOf(VersionServingError);
    expect(asHttpError(serving)?.statusCode).toBe(409);

    ddb.on(TransactWriteCommand).rejects(cancelledAt(2, { status: 'DEPRECATED' }));
    const moved = await refusal(move('DEPRECATED'));
    expect(moved).toBeInstanceOf(VersionStatusChangedError);
    expect(moved.message).toBe('version 1 of churn is DEPRECATED now: another request changed it');
  });
});
