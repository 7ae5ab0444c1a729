import { fileURLToPath } from 'node:url';
import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type FunctionEnvironment, S3_PREFIX } from '../../functions/commons/facts.ts';
import type { Artifacts } from './artifacts.ts';
import type { DataBucket, StewardContext } from './context.ts';
import type { Data } from './data.ts';
import { CAPTURE_PREFIX, type DeploymentWorkflow } from './deployments.ts';
import { wildcardResourceFinding } from './nag.ts';
import { ServiceFunction, type UnscopedGrant } from './service-function.ts';
import { workflowStateMachine } from './workflow-state-machine.ts';

/** The drift dispatch workflow's definition, shared with local mode's runner. */
export const DRIFT_DEFINITION_FILE = fileURLToPath(
  new URL('../../statemachines/drift.asl.json', import.meta.url),
);
const SCHEDULED_ENTRY = fileURLToPath(new URL('../../functions/scheduled/drift.ts', import.meta.url));

/** Where baseline profiles and drift reports are kept in the artifacts bucket (functions/commons/facts.ts). */
export const BASELINES_PREFIX = S3_PREFIX.baselines;
export const REPORTS_PREFIX = S3_PREFIX.reports;
const SHARDS_PREFIX = S3_PREFIX.driftShards;
/** Two vCPUs: the run and each Distributed Map child summarise on two worker threads. */
const TWO_VCPU_MB = 3538;

/** A drift run reads its target's own metrics (invocations, errors) for the health beside drift. */
export const targetMetricsRead: UnscopedGrant = {
  actions: ['cloudwatch:GetMetricData'],
  reason:
    'cloudwatch:GetMetricData has no resource type, so "*" is the only valid resource: a drift run reads ' +
    "its target's invocations and errors (SageMaker endpoint or Lambda alias) for its health status.",
};

const bucketName = (entry: DataBucket): string => (typeof entry === 'string' ? entry : entry.bucket);

export interface DriftWorkflowProps {
  readonly data: Data;
  readonly artifacts: Artifacts;
  /** Its inference data bucket holds SageMaker data capture. */
  readonly deployments: DeploymentWorkflow;
  readonly settings: StewardContext;
}

/**
 * The drift job on AWS: an EventBridge Scheduler schedule (context `driftDispatchRate`) starts
 * `statemachines/drift.asl.json` on a STANDARD state machine, whose `due` task claims every monitor
 * due now and whose Map runs one `run` task per claimed monitor, a few at a time. A thousand
 * monitored deployments are a thousand Lambda invocations of up to 15 minutes each, never one.
 *
 * A dispatch that never starts loses nothing: the monitors it would have claimed are still due at
 * the next one. So the schedule retries a few times and keeps no dead-letter queue.
 */
export class DriftWorkflow extends Construct {
  readonly due: ServiceFunction;
  readonly run: ServiceFunction;
  /** A Distributed Map child: one batch of capture objects to a partial summary. */
  readonly shard: ServiceFunction;
  /** The Distributed Map's reducer: the partials to the report, metrics and alarm status. */
  readonly reduce: ServiceFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;
  readonly scheduleRole: iam.Role;
  /** What a function that runs drift reads besides the table (functions/services/drift-runs.ts). */
  readonly runEnvironment: Readonly<FunctionEnvironment>;
  private readonly props: DriftWorkflowProps;

  constructor(scope: Construct, id: string, props: DriftWorkflowProps) {
    super(scope, id);
    this.props = props;
    const { data, artifacts, settings } = props;
    const stack = Stack.of(this);

    this.runEnvironment = {
      ARTIFACTS_BUCKET: artifacts.bucket.bucketName,
      S3_CHECKSUMS: 'true',
      RESOURCE_PREFIX: settings.resourcePrefix,
    };
    // The tasks neither sign cursors nor authorize callers: no cursor key, no role rules.
    const baseEnvironment: FunctionEnvironment = { STEWARD_MODE: 'aws', TABLE_NAME: data.table.tableName };

    this.due = new ServiceFunction(this, 'DueFunction', {
      entry: SCHEDULED_ENTRY,
      handler: 'due',
      description: 'Steward drift workflow: claim the monitors due now',
      environment: baseEnvironment,
      // One query and one conditional update per due monitor, a thousand of them at most.
      timeout: Duration.minutes(5),
      invocation: 'state-machine',
    });
    // dueMonitors queries gsi1; claimMonitorRun moves a monitor's next run with UpdateItem.
    data.grantItemActions(this.due, ['dynamodb:UpdateItem'], ['gsi1']);

    this.run = new ServiceFunction(this, 'RunFunction', {
      entry: SCHEDULED_ENTRY,
      handler: 'run',
      description: "Steward drift workflow: one monitor's drift run",
      environment: { ...baseEnvironment, ...this.runEnvironment },
      // A window of captured data is streamed with bounded memory, however long it takes (the
      // Map iteration's TimeoutSeconds is the same 900).
      timeout: Duration.minutes(15),
      memorySize: TWO_VCPU_MB,
      invocation: 'state-machine',
      unscopedGrants: [targetMetricsRead],
    });
    // Monitor, deployment and version reads; the run's summary and the model's last drift status.
    data.grantItemReadWrite(this.run, []);
    this.grantDriftRun(this.run);
    const shards = artifacts.bucket.arnForObjects(`${SHARDS_PREFIX}*`);
    const shardsReason =
      'A Distributed Map run keeps its plan, object manifest, partial summaries and Map results under ' +
      `${SHARDS_PREFIX}<model>/<deployment>/<run>/ of the artifacts bucket, named at run time; nothing else.`;
    // A large window's plan and object manifest.
    iam.Grant.addToPrincipal({ grantee: this.run, actions: ['s3:PutObject'], resourceArns: [shards] });
    this.run.acknowledgePolicyFinding(wildcardResourceFinding(this, shards), shardsReason);

    this.shard = new ServiceFunction(this, 'ShardFunction', {
      entry: SCHEDULED_ENTRY,
      handler: 'summariseBatch',
      description:
        'Steward drift workflow: one Distributed Map batch of capture objects to a partial summary',
      environment: { ...baseEnvironment, ...this.runEnvironment },
      timeout: Duration.minutes(15),
      memorySize: TWO_VCPU_MB,
      invocation: 'state-machine',
    });
    // Reads its plan and the capture objects of its batch; writes its partial summary.
    iam.Grant.addToPrincipal({
      grantee: this.shard,
      actions: ['s3:GetObject', 's3:PutObject'],
      resourceArns: [shards],
    });
    artifacts.key.grant(this.shard, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.shard.acknowledgePolicyFinding(wildcardResourceFinding(this, shards), shardsReason);
    this.grantCaptureRead(this.shard);

    this.reduce = new ServiceFunction(this, 'ReduceFunction', {
      entry: SCHEDULED_ENTRY,
      handler: 'reduceShards',
      description: "Steward drift workflow: a Distributed Map run's partial summaries to its report",
      environment: { ...baseEnvironment, ...this.runEnvironment },
      timeout: Duration.minutes(15),
      memorySize: TWO_VCPU_MB,
      invocation: 'state-machine',
      unscopedGrants: [targetMetricsRead],
    });
    data.grantItemReadWrite(this.reduce, []);
    this.grantDriftRun(this.reduce);
    iam.Grant.addToPrincipal({ grantee: this.reduce, actions: ['s3:GetObject'], resourceArns: [shards] });
    iam.Grant.addToPrincipal({
      grantee: this.reduce,
      actions: ['s3:ListBucket'],
      resourceArns: [artifacts.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${SHARDS_PREFIX}*`] } },
    });
    this.reduce.acknowledgePolicyFinding(wildcardResourceFinding(this, shards), shardsReason);

    this.stateMachineRole = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Steward drift state machine: invokes its task functions, runs its Distributed Maps',
    });
    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'drift',
      definitionFile: DRIFT_DEFINITION_FILE,
      substitutions: {
        DueFunctionArn: this.due.fn.functionArn,
        RunFunctionArn: this.run.fn.functionArn,
        ShardFunctionArn: this.shard.fn.functionArn,
        ReduceFunctionArn: this.reduce.fn.functionArn,
      },
      comment: 'Steward drift dispatch: claim the due monitors, run each in a Map iteration',
      role: this.stateMachineRole,
      // The state carries deployment ids, run ids and statuses, no secret.
      includeExecutionData: true,
      taskFunctions: [this.due, this.run, this.shard, this.reduce],
    }));

    // Distributed Map: child executions of this state machine, the object manifest read by the
    // ItemReader, the Map results written by the ResultWriter. A policy of its own, because the
    // state machine's ARN is only known after the machine (which depends on its role's policy).
    const executions = Fn.join(':', [
      `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution`,
      Fn.select(6, Fn.split(':', this.stateMachine.stateMachineArn)),
      '*',
    ]);
    const distributedMap = new iam.Policy(this, 'DistributedMapPolicy', {
      roles: [this.stateMachineRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [this.stateMachine.stateMachineArn],
        }),
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [executions],
        }),
        new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [shards] }),
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [artifacts.key.keyArn],
        }),
      ],
    });
    Validations.of(distributedMap).acknowledge({
      id: wildcardResourceFinding(this, shards),
      reason: shardsReason,
    });
    Validations.of(distributedMap).acknowledge({
      id: wildcardResourceFinding(this, executions),
      reason:
        "The Distributed Map's child executions are named by Step Functions at run time; Describe and " +
        'Stop only, on executions of this state machine only.',
    });

    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Steward drift schedule: starts drift dispatch executions',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Steward: dispatch the drift monitors that are due',
      schedule: scheduler.ScheduleExpression.expression(settings.driftDispatchRate),
      // On time: a monitor's window ends when its run starts.
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        role: this.scheduleRole,
        retryAttempts: 3,
        // A dispatch older than this is overtaken by the next one anyway.
        maxEventAge: Duration.minutes(10),
      }),
    });
  }

  /**
   * A drift run (the scheduled one, the reducer, the API's run on request): read the baseline
   * profiles, write the reports and their pages, read the captured data.
   */
  grantDriftRun(fn: ServiceFunction): void {
    const { artifacts } = this.props;
    const baselines = artifacts.bucket.arnForObjects(`${BASELINES_PREFIX}*`);
    const reports = artifacts.bucket.arnForObjects(`${REPORTS_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [reports] });
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [baselines] });
    artifacts.key.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, baselines),
      `Baseline profiles are named per model and version at run time (${BASELINES_PREFIX}<model>/<version>.json); ` +
        `read only, under ${BASELINES_PREFIX} of the artifacts bucket only.`,
    );
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, reports),
      'Drift reports and their pages are named per model, deployment and run at run time; PutObject ' +
        `only, under ${REPORTS_PREFIX} of the artifacts bucket only.`,
    );
    this.grantCaptureRead(fn);
  }

  /**
   * The monitoring API: profile a reference dataset (read it, write and read the baseline), and
   * presign GETs of report pages (GET .../drift-runs/{run}/report). It runs no drift itself.
   */
  grantBaselines(fn: ServiceFunction): void {
    const { artifacts } = this.props;
    const baselines = artifacts.bucket.arnForObjects(`${BASELINES_PREFIX}*`);
    const reports = artifacts.bucket.arnForObjects(`${REPORTS_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [baselines] });
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [baselines, reports] });
    artifacts.key.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, baselines),
      `Baseline profiles are named per model and version at run time (${BASELINES_PREFIX}<model>/<version>.json); ` +
        `read and written, under ${BASELINES_PREFIX} of the artifacts bucket only.`,
    );
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, reports),
      'Drift report pages are named per model, deployment and run at run time; GetObject only, to ' +
        `presign a page for a reader, under ${REPORTS_PREFIX} of the artifacts bucket only.`,
    );
    this.grantCaptureRead(fn);
  }

  /** Read the drift reports (GetObject under reports/ only) and decrypt them: the evidence pack's figures. */
  grantReportsRead(fn: ServiceFunction): void {
    const reports = this.props.artifacts.bucket.arnForObjects(`${REPORTS_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [reports] });
    this.props.artifacts.key.grant(fn, 'kms:Decrypt');
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, reports),
      'Drift reports are named per model, deployment and run at run time; GetObject only, under ' +
        `${REPORTS_PREFIX} of the artifacts bucket only.`,
    );
  }

  /**
   * Read captured inference data (`capture/` of the inference data bucket) and the buckets of
   * context `dataBuckets` (GetObject and ListBucket), decrypting them where their keys are known.
   * Datasets are read only.
   *
   * ListBucket has no prefix condition: the reader first asks for the URI as an object and reads
   * it as a folder on 404, and S3 answers 404 rather than 403 for a missing key only to a caller
   * who may list the bucket unconditionally.
   */
  grantCaptureRead(fn: ServiceFunction): void {
    const { deployments, settings } = this.props;
    const stack = Stack.of(this);
    const capture = deployments.inferenceData.arnForObjects(`${CAPTURE_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [capture] });
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['s3:ListBucket'],
      resourceArns: [deployments.inferenceData.bucketArn],
    });
    deployments.inferenceDataKey.grantDecrypt(fn);
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, capture),
      'SageMaker data capture names its objects per endpoint, variant and hour; a drift run reads ' +
        `them (GetObject only) under ${S3_PREFIX.capture} of the inference data bucket, not ${S3_PREFIX.batch}.`,
    );

    for (const entry of settings.dataBuckets) {
      const name = bucketName(entry);
      const bucketArn = stack.formatArn({ service: 's3', region: '', account: '', resource: name });
      const objects = `${bucketArn}/*`;
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject'], resourceArns: [objects] });
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [bucketArn] });
      if (typeof entry !== 'string')
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['kms:Decrypt'],
          resourceArns: [entry.keyArn],
          conditions: { StringLike: { 'kms:ViaService': `s3.*.${stack.urlSuffix}` } },
        });
      fn.acknowledgePolicyFinding(
        wildcardResourceFinding(this, objects),
        `Reference datasets, captured data and labels are read (GetObject only) from bucket ${name}, ` +
          'which context dataBuckets names; which objects is up to each baseline and monitor.',
      );
    }
  }
}
