import {
  type ChoiceRule,
  catchAll,
  invoke,
  type JsonObject,
  placeholder,
  type State,
  stateMachine,
  type TaskState,
  targetTasks,
} from './asl.ts';

/**
 * The deployment workflow. Every call to the target account runs with the environment's deploy
 * role (`$.plan.roleArn`, also inside the Lambda shift Map, whose items carry the plan).
 */
const target = targetTasks({ 'RoleArn.$': '$.plan.roleArn' });

/** Records the deployment's outcome (idempotent: a retried finish records it once). */
const finish = (
  outcome: string,
  options: { readonly operationPath?: string; readonly reason?: string } = {},
): TaskState => {
  const payload: JsonObject = {
    'deploymentId.$': '$.deploymentId',
    'operation.$': options.operationPath ?? '$.plan.operation',
    outcome,
    'state.$': '$',
  };
  if (options.reason) payload['reason'] = options.reason;
  return invoke('FinishFunctionArn', payload, { ResultPath: null, End: true, idempotent: true });
};

/**
 * The back edge of a poll loop: count the poll (`$.polls.n`, started at 0 by StartPolls) and, past
 * the plan's budget (`$.plan.maxPolls`, from the poll interval), leave the loop for `overdue`, so no
 * loop outlives its deadline whatever status the service keeps answering.
 */
const pollAgain = (prefix: string, wait: string, overdue: string): Record<string, State> => ({
  [`${prefix}Tick`]: {
    Type: 'Pass',
    Parameters: { 'n.$': 'States.MathAdd($.polls.n, 1)' },
    ResultPath: '$.polls',
    Next: `${prefix}Deadline`,
  },
  [`${prefix}Deadline`]: {
    Type: 'Choice',
    Choices: [{ Variable: '$.polls.n', NumericGreaterThanPath: '$.plan.maxPolls', Next: overdue }],
    Default: wait,
  },
});

/**
 * A describe whose retries are spent decides nothing (a throttled or unreachable API says nothing
 * about the target), so it leads to this reconcile loop, never to a teardown: describe again at the
 * poll interval, a failed describe counting as one more poll, until the target settles (`choices`,
 * the same as the main loop's) or the poll budget ends (`overdue`, which records the outcome as
 * unknown and leaves everything as it is).
 */
const reconcileLoop = (
  prefix: string,
  describe: (options: Describe) => TaskState,
  choices: Settled,
  overdue: string,
): Record<string, State> => ({
  [`${prefix}Reconcile`]: {
    Type: 'Wait',
    SecondsPath: '$.plan.pollSeconds',
    Next: `${prefix}ReconcileDescribe`,
  },
  [`${prefix}ReconcileDescribe`]: describe({
    Catch: [catchAll(`${prefix}ReconcileTick`, '$.describeError')],
    Next: `${prefix}ReconcileStatus`,
  }),
  [`${prefix}ReconcileStatus`]: { Type: 'Choice', Choices: choices, Default: `${prefix}ReconcileTick` },
  ...pollAgain(`${prefix}Reconcile`, `${prefix}Reconcile`, overdue),
});

const UNRECORDED = 'OutcomeNotRecorded';
/** The fields the Catches of the deployment machine write errors to. */
const DROPPED = ['error', 'finishError', 'describeError', 'noAlias', 'gone'];

/**
 * A finish that cannot record its outcome (its retries spent) must not leave reconcile to guess:
 * each finish Task catches into a Pass that notes the outcome it meant to record, and the execution
 * fails with the whole state as JSON in its cause. Reconcile (the status-change rule) reads the
 * cause and records that outcome, so a rollout that finished on the target is not recorded FAILED
 * because its last write failed (functions/workflows/reconcile.ts).
 */
const withUnrecordedOutcomes = (states: Record<string, State>): Record<string, State> => {
  const out: Record<string, State> = {};
  for (const [name, state] of Object.entries(states)) {
    const payload =
      state.Type === 'Task' && state.Parameters?.['FunctionName'] === placeholder('FinishFunctionArn')
        ? (state.Parameters['Payload'] as JsonObject)
        : undefined;
    if (!payload) {
      out[name] = state;
      continue;
    }
    out[name] = { ...(state as TaskState), Catch: [catchAll(`${name}Unrecorded`, '$.finishError')] };
    out[`${name}Unrecorded`] = {
      Type: 'Pass',
      Result: {
        outcome: payload['outcome'] ?? null,
        ...(payload['reason'] ? { reason: payload['reason'] } : {}),
      },
      ResultPath: '$.unrecorded',
      Next: UNRECORDED,
    };
  }
  // The cause stays small and holds no free text: the errors caught on the way (their causes can
  // be long traces, and Fail's cause is bounded) are dropped first; their names are in the history.
  DROPPED.forEach((field, i) => {
    out[i === 0 ? UNRECORDED : `${UNRECORDED}Drop${i}`] = {
      Type: 'Pass',
      Result: {},
      ResultPath: `$.${field}`,
      Next: i === DROPPED.length - 1 ? `${UNRECORDED}Cause` : `${UNRECORDED}Drop${i + 1}`,
    };
  });
  out[`${UNRECORDED}Cause`] = {
    Type: 'Pass',
    Parameters: { 'cause.$': 'States.JsonToString($)' },
    Next: `${UNRECORDED}Fail`,
  };
  out[`${UNRECORDED}Fail`] = {
    Type: 'Fail',
    Error: 'Steward.OutcomeNotRecorded',
    CausePath: '$.cause',
  };
  return out;
};

/** Records a step of the rollout on the deployment record, then goes on to `next`. */
const progress = (step: string, next: string): TaskState =>
  invoke(
    'ProgressFunctionArn',
    { 'deploymentId.$': '$.deploymentId', step },
    { ResultPath: null, Next: next, idempotent: true },
  );

type Describe = { Catch: ReturnType<typeof catchAll>[]; Next: string };
type Settled = readonly (ChoiceRule & { readonly Next: string })[];

const describeEndpoint = (options: Describe): TaskState =>
  target.sdk(
    'sagemaker',
    'describeEndpoint',
    { 'EndpointName.$': '$.plan.sagemaker.endpointName' },
    {
      ResultSelector: { 'status.$': '$.EndpointStatus', 'configName.$': '$.EndpointConfigName' },
      ResultPath: '$.endpoint',
      ...options,
    },
  );

const describeTransformJob = (options: Describe): TaskState =>
  target.sdk(
    'sagemaker',
    'describeTransformJob',
    { 'TransformJobName.$': '$.plan.batch.transformJobName' },
    { ResultSelector: { 'status.$': '$.TransformJobStatus' }, ResultPath: '$.job', ...options },
  );

/** The alias back on the version that served before, all traffic on it. */
const aliasBack = (options: Describe): TaskState =>
  target.sdk(
    'lambda',
    'updateAlias',
    {
      'FunctionName.$': '$.plan.lambda.functionName',
      'Name.$': '$.plan.lambda.alias',
      'FunctionVersion.$': '$.previous.version',
      RoutingConfig: { AdditionalVersionWeights: {} },
    },
    { ResultPath: '$.rolledBack', ...options },
  );

/** Where a deployment's endpoint, once settled, leads. */
const SM_SETTLED: Settled = [
  {
    And: [
      { Variable: '$.endpoint.status', StringEquals: 'InService' },
      { Variable: '$.endpoint.configName', StringEqualsPath: '$.plan.sagemaker.endpointConfigName' },
    ],
    Next: 'SmSucceeded',
  },
  { Variable: '$.endpoint.status', StringEquals: 'InService', Next: 'SmAutoRolledBack' },
  { Variable: '$.endpoint.status', StringEquals: 'Failed', Next: 'SmEndpointFailed' },
  { Variable: '$.endpoint.status', StringEquals: 'OutOfService', Next: 'SmEndpointFailed' },
  // Neither the update nor its rollback finished: the endpoint serves a mix of both configs.
  { Variable: '$.endpoint.status', StringEquals: 'UpdateRollbackFailed', Next: 'SmUpdateRollbackFailed' },
];

/** Where a manual rollback's endpoint, once settled, leads. */
const SM_ROLLBACK_SETTLED: Settled = [
  {
    And: [
      { Variable: '$.endpoint.status', StringEquals: 'InService' },
      { Variable: '$.endpoint.configName', StringEqualsPath: '$.plan.sagemaker.endpointConfigName' },
    ],
    Next: 'RolledBackManually',
  },
  { Variable: '$.endpoint.status', StringEquals: 'InService', Next: 'RollbackFailed' },
  { Variable: '$.endpoint.status', StringEquals: 'Failed', Next: 'RollbackFailed' },
  { Variable: '$.endpoint.status', StringEquals: 'OutOfService', Next: 'RollbackFailed' },
  { Variable: '$.endpoint.status', StringEquals: 'UpdateRollbackFailed', Next: 'RollbackFailed' },
];

/** Where a transform job, once settled, leads. */
const BT_SETTLED: Settled = [
  { Variable: '$.job.status', StringEquals: 'Completed', Next: 'BtDone' },
  { Variable: '$.job.status', StringEquals: 'Failed', Next: 'BtDeleteModel' },
  { Variable: '$.job.status', StringEquals: 'Stopped', Next: 'BtDeleteModel' },
];

export const deployment = stateMachine('deployment', {
  Comment:
    "Steward deployment: a model version to a SageMaker real-time endpoint (blue/green with alarm auto-rollback), a SageMaker batch transform, or a Lambda alias (weighted canary or linear shifting with alarm checks); also manual rollback and decommission. Every task runs with the environment's deploy role; every failure ends in a FAILED or ROLLED_BACK record.",
  StartAt: 'Prepare',
  // Above SageMaker's longest blue/green update (MaximumExecutionTimeoutInSeconds, 28,800 s) and the
  // poll budget; an execution that still times out is reconciled by the status-change rule.
  TimeoutSeconds: 36000,
  States: withUnrecordedOutcomes({
    Prepare: invoke(
      'PrepareFunctionArn',
      { 'deploymentId.$': '$.deploymentId', 'operation.$': '$.operation' },
      {
        ResultSelector: { 'plan.$': '$.Payload' },
        ResultPath: '$.prepared',
        OutputPath: '$',
        Catch: [catchAll('PrepareFailed')],
        Next: 'UsePlan',
      },
    ),
    PrepareFailed: finish('FAILED', { operationPath: '$.operation' }),
    UsePlan: { Type: 'Pass', InputPath: '$.prepared.plan', ResultPath: '$.plan', Next: 'StartPolls' },
    StartPolls: { Type: 'Pass', Result: { n: 0 }, ResultPath: '$.polls', Next: 'ChooseRollbackAlarm' },
    // A deployment that names no alarms gets its target's default one, made before anything changes,
    // so the alarm checks and SageMaker's auto-rollback never watch an alarm that does not exist.
    ChooseRollbackAlarm: {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.rollbackAlarm', IsPresent: true, Next: 'PutRollbackAlarm' }],
      Default: 'Route',
    },
    PutRollbackAlarm: target.sdk(
      'cloudwatch',
      'putMetricAlarm',
      {
        'AlarmName.$': '$.plan.rollbackAlarm.name',
        'AlarmDescription.$': '$.plan.rollbackAlarm.description',
        'Namespace.$': '$.plan.rollbackAlarm.namespace',
        'MetricName.$': '$.plan.rollbackAlarm.metricName',
        'Dimensions.$': '$.plan.rollbackAlarm.dimensions',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
      { ResultPath: null, Catch: [catchAll('RollbackAlarmFailed')], Next: 'Route' },
    ),
    RollbackAlarmFailed: finish('FAILED', {
      reason: "the target's default rollback alarm could not be made; nothing was changed on the target",
    }),
    Route: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'deploy' },
            { Variable: '$.plan.kind', StringEquals: 'sagemaker' },
          ],
          Next: 'SmCreateModel',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'deploy' },
            { Variable: '$.plan.kind', StringEquals: 'sagemaker-batch' },
          ],
          Next: 'BtCreateModel',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'deploy' },
            { Variable: '$.plan.kind', StringEquals: 'lambda' },
          ],
          Next: 'LmChooseSource',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'rollback' },
            { Variable: '$.plan.kind', StringEquals: 'sagemaker' },
          ],
          Next: 'SmRollbackUpdate',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'rollback' },
            { Variable: '$.plan.kind', StringEquals: 'lambda' },
          ],
          Next: 'LmManualRollback',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'decommission' },
            { Variable: '$.plan.kind', StringEquals: 'sagemaker' },
          ],
          Next: 'SmDeleteEndpoint',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'decommission' },
            { Variable: '$.plan.kind', StringEquals: 'lambda' },
          ],
          Next: 'LmDeleteAlias',
        },
        {
          And: [
            { Variable: '$.plan.operation', StringEquals: 'decommission' },
            { Variable: '$.plan.kind', StringEquals: 'sagemaker-batch' },
          ],
          Next: 'Decommissioned',
        },
      ],
      // Prepare plans only the pairs above (a batch transform is never current, so never rolled
      // back): any other plan is a failure of Prepare, recorded as one.
      Default: 'PrepareFailed',
    },
    SmCreateModel: target.sageMaker(
      'createModel',
      {
        'ModelName.$': '$.plan.sagemaker.modelName',
        'ExecutionRoleArn.$': '$.plan.sagemaker.executionRoleArn',
        // Image and ModelDataUrl, or ModelDataSource (S3Prefix) for a multi-file version.
        'PrimaryContainer.$': '$.plan.sagemaker.container',
      },
      { ResultPath: null, Catch: [catchAll('SmFailedBeforeModel')], Next: 'SmChooseCapture' },
    ),
    SmChooseCapture: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.plan.sagemaker.dataCapture', IsPresent: true, Next: 'SmCreateConfigWithCapture' },
      ],
      Default: 'SmCreateConfig',
    },
    SmCreateConfigWithCapture: target.sageMaker(
      'createEndpointConfig',
      {
        'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName',
        'ProductionVariants.$': '$.plan.sagemaker.variants',
        'DataCaptureConfig.$': '$.plan.sagemaker.dataCapture',
      },
      { ResultPath: null, Catch: [catchAll('SmDeleteModelAfterFailure')], Next: 'SmChooseCreateOrUpdate' },
    ),
    SmCreateConfig: target.sageMaker(
      'createEndpointConfig',
      {
        'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName',
        'ProductionVariants.$': '$.plan.sagemaker.variants',
      },
      { ResultPath: null, Catch: [catchAll('SmDeleteModelAfterFailure')], Next: 'SmChooseCreateOrUpdate' },
    ),
    SmChooseCreateOrUpdate: {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.sagemaker.update', BooleanEquals: true, Next: 'SmProgressUpdate' }],
      Default: 'SmProgressCreate',
    },
    SmProgressCreate: progress('creating-endpoint', 'SmCreateEndpoint'),
    SmCreateEndpoint: target.sageMaker(
      'createEndpoint',
      {
        'EndpointName.$': '$.plan.sagemaker.endpointName',
        'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName',
      },
      { ResultPath: null, Catch: [catchAll('SmDeleteConfigAfterFailure')], Next: 'SmWait' },
    ),
    SmProgressUpdate: progress('shifting-traffic', 'SmUpdateEndpoint'),
    SmUpdateEndpoint: target.sageMaker(
      'updateEndpoint',
      {
        'EndpointName.$': '$.plan.sagemaker.endpointName',
        'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName',
        'DeploymentConfig.$': '$.plan.sagemaker.deploymentConfig',
      },
      { ResultPath: null, Catch: [catchAll('SmDeleteConfigAfterFailure')], Next: 'SmWait' },
    ),
    SmWait: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'SmDescribe' },
    SmDescribe: describeEndpoint({ Catch: [catchAll('SmReconcile', '$.describeError')], Next: 'SmStatus' }),
    SmStatus: { Type: 'Choice', Choices: SM_SETTLED, Default: 'SmTick' },
    ...reconcileLoop('Sm', describeEndpoint, SM_SETTLED, 'SmDescribeFailed'),
    ...pollAgain('Sm', 'SmWait', 'SmOverdue'),
    SmUpdateRollbackFailed: finish('FAILED', {
      reason:
        'SageMaker could neither finish the update nor roll it back (UpdateRollbackFailed); the endpoint, ' +
        'its configs and models are left as they are for an operator',
    }),
    SmOverdue: finish('FAILED', {
      reason:
        'the endpoint did not settle within the poll budget; it and its new config and model are left ' +
        'as they are (no teardown while SageMaker may still be updating)',
    }),
    SmDescribeFailed: finish('FAILED', {
      reason:
        'DescribeEndpoint kept failing until the poll budget ended, so the outcome on SageMaker is ' +
        'unknown; the endpoint and its new config and model are left as they are (no teardown)',
    }),
    SmSucceeded: finish('SUCCEEDED'),
    SmAutoRolledBack: target.sdk(
      'sagemaker',
      'deleteEndpointConfig',
      { 'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName' },
      { ResultPath: null, Catch: [catchAll('SmRolledBack')], Next: 'SmAutoRolledBackModel' },
    ),
    SmAutoRolledBackModel: target.sdk(
      'sagemaker',
      'deleteModel',
      { 'ModelName.$': '$.plan.sagemaker.modelName' },
      { ResultPath: null, Catch: [catchAll('SmRolledBack')], Next: 'SmRolledBack' },
    ),
    SmRolledBack: finish('ROLLED_BACK'),
    SmEndpointFailed: {
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.sagemaker.update', BooleanEquals: true, Next: 'SmAutoRolledBack' }],
      Default: 'SmDeleteFailedEndpoint',
    },
    SmDeleteFailedEndpoint: target.sdk(
      'sagemaker',
      'deleteEndpoint',
      { 'EndpointName.$': '$.plan.sagemaker.endpointName' },
      {
        ResultPath: '$.cleanup',
        Catch: [catchAll('SmDeleteConfigAfterFailure')],
        Next: 'SmFailedEndpointDeleting',
      },
    ),
    SmFailedEndpointDeleting: {
      Type: 'Wait',
      SecondsPath: '$.plan.pollSeconds',
      Next: 'SmFailedEndpointGone',
    },
    SmFailedEndpointGone: target.sdk(
      'sagemaker',
      'describeEndpoint',
      { 'EndpointName.$': '$.plan.sagemaker.endpointName' },
      {
        ResultSelector: { 'status.$': '$.EndpointStatus' },
        ResultPath: '$.endpoint',
        Next: 'SmFailedEndpointTick',
        Catch: [catchAll('SmDeleteConfigAfterFailure', '$.gone')],
      },
    ),
    ...pollAgain('SmFailedEndpoint', 'SmFailedEndpointDeleting', 'SmDeleteConfigAfterFailure'),
    SmDeleteConfigAfterFailure: target.sdk(
      'sagemaker',
      'deleteEndpointConfig',
      { 'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName' },
      {
        ResultPath: '$.cleanup',
        Catch: [catchAll('SmDeleteModelAfterFailure')],
        Next: 'SmDeleteModelAfterFailure',
      },
    ),
    SmDeleteModelAfterFailure: target.sdk(
      'sagemaker',
      'deleteModel',
      { 'ModelName.$': '$.plan.sagemaker.modelName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('SmFailed')], Next: 'SmFailed' },
    ),
    SmFailedBeforeModel: finish('FAILED'),
    SmFailed: finish('FAILED'),
    SmRollbackUpdate: target.sageMaker(
      'updateEndpoint',
      {
        'EndpointName.$': '$.plan.sagemaker.endpointName',
        'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName',
      },
      { ResultPath: null, Catch: [catchAll('RollbackFailed')], Next: 'SmRollbackWait' },
    ),
    SmRollbackWait: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'SmRollbackDescribe' },
    SmRollbackDescribe: describeEndpoint({
      Catch: [catchAll('SmRollbackReconcile', '$.describeError')],
      Next: 'SmRollbackStatus',
    }),
    SmRollbackStatus: { Type: 'Choice', Choices: SM_ROLLBACK_SETTLED, Default: 'SmRollbackTick' },
    ...reconcileLoop('SmRollback', describeEndpoint, SM_ROLLBACK_SETTLED, 'SmRollbackUnknown'),
    ...pollAgain('SmRollback', 'SmRollbackWait', 'RollbackFailed'),
    // The rollback was asked for, but whether SageMaker finished it is unknown: the record must not
    // claim either version serves without saying so.
    SmRollbackUnknown: finish('ROLLBACK_FAILED', {
      reason:
        'DescribeEndpoint kept failing until the poll budget ended, so whether SageMaker finished the ' +
        'rollback is unknown; the endpoint and its configs are left as they are (an operator must check ' +
        'which config it serves)',
    }),
    RolledBackManually: finish('ROLLED_BACK'),
    RollbackFailed: finish('ROLLBACK_FAILED'),
    SmDeleteEndpoint: target.sdk(
      'sagemaker',
      'deleteEndpoint',
      { 'EndpointName.$': '$.plan.sagemaker.endpointName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('DecommissionFailed')], Next: 'SmEndpointDeleting' },
    ),
    SmEndpointDeleting: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'SmEndpointGone' },
    SmEndpointGone: target.sdk(
      'sagemaker',
      'describeEndpoint',
      { 'EndpointName.$': '$.plan.sagemaker.endpointName' },
      {
        ResultSelector: { 'status.$': '$.EndpointStatus' },
        ResultPath: '$.endpoint',
        Next: 'SmEndpointTick',
        Catch: [
          {
            // DescribeEndpoint models no error: "Could not find endpoint" is an unmodeled ValidationException.
            ErrorEquals: ['SageMaker.SageMakerException'],
            ResultPath: '$.gone',
            Next: 'SmDeleteConfig',
          },
          catchAll('DecommissionFailed'),
        ],
      },
    ),
    ...pollAgain('SmEndpoint', 'SmEndpointDeleting', 'DecommissionFailed'),
    SmDeleteConfig: target.sdk(
      'sagemaker',
      'deleteEndpointConfig',
      { 'EndpointConfigName.$': '$.plan.sagemaker.endpointConfigName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('SmDeleteModel')], Next: 'SmDeleteModel' },
    ),
    SmDeleteModel: target.sdk(
      'sagemaker',
      'deleteModel',
      { 'ModelName.$': '$.plan.sagemaker.modelName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('Decommissioned')], Next: 'Decommissioned' },
    ),
    Decommissioned: finish('DECOMMISSIONED'),
    DecommissionFailed: finish('DECOMMISSION_FAILED'),
    BtCreateModel: target.sageMaker(
      'createModel',
      {
        'ModelName.$': '$.plan.batch.modelName',
        'ExecutionRoleArn.$': '$.plan.batch.executionRoleArn',
        'PrimaryContainer.$': '$.plan.batch.container',
      },
      { ResultPath: null, Catch: [catchAll('BtFailed')], Next: 'BtProgress' },
    ),
    BtProgress: progress('transforming', 'BtCreateJob'),
    BtCreateJob: target.sageMaker(
      'createTransformJob',
      {
        'TransformJobName.$': '$.plan.batch.transformJobName',
        'ModelName.$': '$.plan.batch.modelName',
        TransformInput: {
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': '$.plan.batch.inputUri' } },
          'ContentType.$': '$.plan.batch.contentType',
          SplitType: 'Line',
        },
        TransformOutput: { 'S3OutputPath.$': '$.plan.batch.outputUri', AssembleWith: 'Line' },
        TransformResources: {
          'InstanceType.$': '$.plan.batch.instanceType',
          'InstanceCount.$': '$.plan.batch.instanceCount',
        },
      },
      { ResultPath: null, Catch: [catchAll('BtDeleteModel')], Next: 'BtWait' },
    ),
    BtWait: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'BtDescribe' },
    BtDescribe: describeTransformJob({
      Catch: [catchAll('BtReconcile', '$.describeError')],
      Next: 'BtStatus',
    }),
    BtStatus: { Type: 'Choice', Choices: BT_SETTLED, Default: 'BtTick' },
    ...reconcileLoop('Bt', describeTransformJob, BT_SETTLED, 'BtUnknown'),
    BtUnknown: finish('FAILED', {
      reason:
        'DescribeTransformJob kept failing until the poll budget ended, so the outcome on SageMaker is ' +
        'unknown; the job and its model are left as they are (no teardown)',
    }),
    ...pollAgain('Bt', 'BtWait', 'BtDeleteModel'),
    BtDone: target.sdk(
      'sagemaker',
      'deleteModel',
      { 'ModelName.$': '$.plan.batch.modelName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('BtSucceeded')], Next: 'BtSucceeded' },
    ),
    BtSucceeded: finish('SUCCEEDED'),
    BtDeleteModel: target.sdk(
      'sagemaker',
      'deleteModel',
      { 'ModelName.$': '$.plan.batch.modelName' },
      { ResultPath: '$.cleanup', Catch: [catchAll('BtFailed')], Next: 'BtFailed' },
    ),
    BtFailed: finish('FAILED'),
    LmChooseSource: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.plan.lambda.imageUri', IsPresent: true, Next: 'LmUpdateImage' },
        { Variable: '$.plan.lambda.s3ObjectVersion', IsPresent: true, Next: 'LmUpdateZipVersion' },
      ],
      Default: 'LmUpdateZip',
    },
    LmUpdateZipVersion: target.sdk(
      'lambda',
      'updateFunctionCode',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'S3Bucket.$': '$.plan.lambda.s3Bucket',
        'S3Key.$': '$.plan.lambda.s3Key',
        'S3ObjectVersion.$': '$.plan.lambda.s3ObjectVersion',
      },
      {
        ResultSelector: { 'sha.$': '$.CodeSha256' },
        ResultPath: '$.code',
        Catch: [catchAll('LmFailed')],
        Next: 'LmWaitUpdate',
      },
    ),
    LmUpdateZip: target.sdk(
      'lambda',
      'updateFunctionCode',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'S3Bucket.$': '$.plan.lambda.s3Bucket',
        'S3Key.$': '$.plan.lambda.s3Key',
      },
      {
        ResultSelector: { 'sha.$': '$.CodeSha256' },
        ResultPath: '$.code',
        Catch: [catchAll('LmFailed')],
        Next: 'LmWaitUpdate',
      },
    ),
    LmUpdateImage: target.sdk(
      'lambda',
      'updateFunctionCode',
      { 'FunctionName.$': '$.plan.lambda.functionName', 'ImageUri.$': '$.plan.lambda.imageUri' },
      {
        ResultSelector: { 'sha.$': '$.CodeSha256' },
        ResultPath: '$.code',
        Catch: [catchAll('LmFailed')],
        Next: 'LmWaitUpdate',
      },
    ),
    LmWaitUpdate: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'LmGetConfiguration' },
    LmGetConfiguration: target.sdk(
      'lambda',
      'getFunctionConfiguration',
      { 'FunctionName.$': '$.plan.lambda.functionName' },
      {
        ResultSelector: { 'status.$': '$.LastUpdateStatus' },
        ResultPath: '$.configuration',
        Catch: [catchAll('LmFailed')],
        Next: 'LmUpdated',
      },
    ),
    LmUpdated: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.configuration.status', StringEquals: 'Successful', Next: 'LmPublish' },
        { Variable: '$.configuration.status', StringEquals: 'Failed', Next: 'LmFailed' },
      ],
      Default: 'LmTick',
    },
    ...pollAgain('Lm', 'LmWaitUpdate', 'LmFailed'),
    LmPublish: target.sdk(
      'lambda',
      'publishVersion',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'CodeSha256.$': '$.code.sha',
        'Description.$': '$.plan.lambda.description',
      },
      {
        ResultSelector: { 'version.$': '$.Version' },
        ResultPath: '$.published',
        Catch: [catchAll('LmFailed')],
        Next: 'LmGetAlias',
      },
    ),
    LmGetAlias: target.sdk(
      'lambda',
      'getAlias',
      { 'FunctionName.$': '$.plan.lambda.functionName', 'Name.$': '$.plan.lambda.alias' },
      {
        ResultSelector: { 'version.$': '$.FunctionVersion' },
        ResultPath: '$.previous',
        Next: 'LmProgressShift',
        Catch: [
          {
            ErrorEquals: ['Lambda.ResourceNotFoundException'],
            ResultPath: '$.noAlias',
            Next: 'LmCreateAlias',
          },
          catchAll('LmFailed'),
        ],
      },
    ),
    LmCreateAlias: target.sdk(
      'lambda',
      'createAlias',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'Name.$': '$.plan.lambda.alias',
        'FunctionVersion.$': '$.published.version',
      },
      { ResultPath: '$.aliasCreated', Catch: [catchAll('LmFailed')], Next: 'LmSucceeded' },
    ),
    LmProgressShift: progress('shifting-traffic', 'LmShift'),
    LmShift: {
      Type: 'Map',
      ItemsPath: '$.plan.lambda.steps',
      MaxConcurrency: 1,
      ItemSelector: {
        'weight.$': '$$.Map.Item.Value',
        'functionName.$': '$.plan.lambda.functionName',
        'alias.$': '$.plan.lambda.alias',
        'newVersion.$': '$.published.version',
        'oldVersion.$': '$.previous.version',
        'bakeSeconds.$': '$.plan.stepBakeSeconds',
        'alarms.$': '$.plan.alarms',
        'plan.$': '$.plan',
      },
      ResultPath: null,
      Next: 'LmPromote',
      Catch: [catchAll('LmRollback')],
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'ShiftWeight',
        States: {
          ShiftWeight: target.sdk(
            'lambda',
            'updateAlias',
            {
              'FunctionName.$': '$.functionName',
              'Name.$': '$.alias',
              'FunctionVersion.$': '$.oldVersion',
              RoutingConfig: {
                'AdditionalVersionWeights.$':
                  'States.StringToJson(States.Format(\'\\{"{}":{}\\}\', $.newVersion, $.weight))',
              },
            },
            { ResultPath: '$.shifted', Next: 'StepBake' },
          ),
          StepBake: { Type: 'Wait', SecondsPath: '$.bakeSeconds', Next: 'StepCheckAlarms' },
          StepCheckAlarms: target.sdk(
            'cloudwatch',
            'describeAlarms',
            { 'AlarmNames.$': '$.alarms', StateValue: 'ALARM' },
            {
              ResultSelector: { 'alarms.$': '$.MetricAlarms' },
              ResultPath: '$.alarming',
              Next: 'StepHealthy',
            },
          ),
          StepHealthy: {
            Type: 'Choice',
            Choices: [{ Variable: '$.alarming.alarms[0]', IsPresent: true, Next: 'StepAlarm' }],
            Default: 'StepDone',
          },
          StepAlarm: {
            Type: 'Fail',
            Error: 'AlarmRaised',
            Cause: 'an alarm of the target went into ALARM while traffic was shifting',
          },
          StepDone: { Type: 'Succeed' },
        },
      },
    },
    LmPromote: target.sdk(
      'lambda',
      'updateAlias',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'Name.$': '$.plan.lambda.alias',
        'FunctionVersion.$': '$.published.version',
        RoutingConfig: { AdditionalVersionWeights: {} },
      },
      { ResultPath: '$.promoted', Catch: [catchAll('LmRollback')], Next: 'LmFinalBake' },
    ),
    LmFinalBake: { Type: 'Wait', SecondsPath: '$.plan.bakeSeconds', Next: 'LmFinalCheck' },
    LmFinalCheck: target.sdk(
      'cloudwatch',
      'describeAlarms',
      { 'AlarmNames.$': '$.plan.alarms', StateValue: 'ALARM' },
      {
        ResultSelector: { 'alarms.$': '$.MetricAlarms' },
        ResultPath: '$.alarming',
        Catch: [catchAll('LmRollback')],
        Next: 'LmFinalHealthy',
      },
    ),
    LmFinalHealthy: {
      Type: 'Choice',
      Choices: [{ Variable: '$.alarming.alarms[0]', IsPresent: true, Next: 'LmRollback' }],
      Default: 'LmSucceeded',
    },
    LmSucceeded: finish('SUCCEEDED'),
    LmRollback: aliasBack({
      Catch: [catchAll('LmRollbackAgain', '$.error')],
      Next: 'LmRolledBack',
    }),
    // A rollback that fails leaves the alias sending weighted traffic to the new version: it is
    // tried again at the poll interval until the poll budget ends, never given up at once.
    LmRollbackAgain: { Type: 'Wait', SecondsPath: '$.plan.pollSeconds', Next: 'LmRollbackRetry' },
    LmRollbackRetry: aliasBack({
      Catch: [catchAll('LmRollbackRetryTick', '$.error')],
      Next: 'LmRolledBack',
    }),
    ...pollAgain('LmRollbackRetry', 'LmRollbackAgain', 'LmRollbackFailed'),
    LmRollbackFailed: finish('FAILED', {
      reason:
        'the alias could not be rolled back within the poll budget: it may still send weighted traffic ' +
        'to the new version, which an operator must remove',
    }),
    LmRolledBack: finish('ROLLED_BACK'),
    LmFailed: finish('FAILED'),
    LmManualRollback: target.sdk(
      'lambda',
      'updateAlias',
      {
        'FunctionName.$': '$.plan.lambda.functionName',
        'Name.$': '$.plan.lambda.alias',
        'FunctionVersion.$': '$.plan.lambda.rollbackVersion',
        RoutingConfig: { AdditionalVersionWeights: {} },
      },
      { ResultPath: '$.rolledBack', Catch: [catchAll('RollbackFailed')], Next: 'RolledBackManually' },
    ),
    LmDeleteAlias: target.sdk(
      'lambda',
      'deleteAlias',
      { 'FunctionName.$': '$.plan.lambda.functionName', 'Name.$': '$.plan.lambda.alias' },
      { ResultPath: '$.cleanup', Catch: [catchAll('DecommissionFailed')], Next: 'Decommissioned' },
    ),
  }),
});
