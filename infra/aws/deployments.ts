import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type FunctionEnvironment, S3_PREFIX } from '../../functions/commons/facts.ts';
import type { Artifacts } from './artifacts.ts';
import type { StewardContext } from './context.ts';
import type { Data } from './data.ts';
import { DeployRole, ModelExecutionRole } from './deploy-roles.ts';
import { wildcardResourceFinding } from './nag.ts';
import { acknowledgeUnreplicated } from './replication.ts';
import { ServiceFunction } from './service-function.ts';
import { workflowStateMachine } from './workflow-state-machine.ts';

/** The deployment workflow's definition, shared with local mode's runner. */
export const DEPLOYMENT_DEFINITION_FILE = fileURLToPath(
  new URL('../../statemachines/deployment.asl.json', import.meta.url),
);
const WORKFLOW_ENTRY = fileURLToPath(new URL('../../functions/workflows/deployment.ts', import.meta.url));

/**
 * Prefixes of the inference data bucket: SageMaker data capture writes under `capture/` (a
 * deployment's `dataCapture.destinationS3Uri` points there), batch transform reads its input and
 * writes its output under `batch/`.
 */
export const CAPTURE_PREFIX = S3_PREFIX.capture;
export const BATCH_PREFIX = S3_PREFIX.batch;

export interface DeploymentWorkflowProps {
  readonly data: Data;
  readonly artifacts: Artifacts;
  readonly accessLogsBucket: s3.IBucket;
  readonly settings: StewardContext;
}

/**
 * The deployment workflow: `statemachines/deployment.asl.json` on a STANDARD state machine, its three
 * task functions, the deploy role its SageMaker, Lambda and CloudWatch tasks run with (each Task's
 * `Credentials` names the plan's role: this one, or an environment's in another account), the role
 * SageMaker models run as, and the bucket captured inference data lands in.
 *
 * The state machine's own role can invoke the task functions and assume deploy roles, nothing else:
 * every change to a target is made by a deploy role, whose grants say what Steward may change.
 */
export class DeploymentWorkflow extends Construct {
  readonly prepare: ServiceFunction;
  readonly progress: ServiceFunction;
  readonly finish: ServiceFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly stateMachineRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly deployRole: iam.Role;
  readonly executionRole: iam.Role;
  readonly inferenceData: s3.Bucket;
  readonly inferenceDataKey: kms.Key;
  /** The deploy roles of environments in other accounts (context `stewardEnvironments`). */
  readonly crossAccountDeployRoleArns: readonly string[];
  /** What a function that starts deployments reads (functions/services/deployments.ts). */
  readonly starterEnvironment: Readonly<FunctionEnvironment>;
  /** What the task functions read; `finish` also runs in the reconcile function (reconcile.ts). */
  readonly taskEnvironment: Readonly<FunctionEnvironment>;

  constructor(scope: Construct, id: string, props: DeploymentWorkflowProps) {
    super(scope, id);
    const { data, artifacts, settings } = props;
    const stack = Stack.of(this);
    const artifactsLocation = { bucketArn: artifacts.bucket.bucketArn, keyArn: artifacts.key.keyArn };

    this.inferenceDataKey = new kms.Key(this, 'InferenceDataKey', {
      description: 'Steward captured inference data and batch transform data',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.inferenceData = new s3.Bucket(this, 'InferenceData', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.inferenceDataKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'inference-data/',
      lifecycleRules: [
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    acknowledgeUnreplicated(
      this.inferenceData,
      'Captured inference data and batch transform files are working data that age out of drift ' +
        'windows, re-captured from live traffic and re-run from the registry; a replica would double ' +
        'the largest volume Steward stores for no record that is not kept elsewhere.',
    );

    const execution = new ModelExecutionRole(this, 'ModelExecution', {
      description: 'Steward: the role SageMaker models run as',
      artifacts: artifactsLocation,
      ecrRepositories: settings.ecrRepositories,
    });
    this.executionRole = execution.role;
    const capture = this.inferenceData.arnForObjects(`${CAPTURE_PREFIX}*`);
    const batch = this.inferenceData.arnForObjects(`${BATCH_PREFIX}*`);
    execution.allow(['s3:PutObject'], [capture, batch]);
    execution.allow(['s3:GetObject'], [batch]);
    execution.allow(['s3:ListBucket'], [this.inferenceData.bucketArn], {
      StringLike: { 's3:prefix': [`${BATCH_PREFIX}*`] },
    });
    execution.allow(['kms:GenerateDataKey', 'kms:Decrypt'], [this.inferenceDataKey.keyArn]);
    execution.acknowledge(
      capture,
      `SageMaker data capture writes objects it names per endpoint, variant and hour under ${CAPTURE_PREFIX} of ` +
        'the inference data bucket; write only, nothing else in the bucket.',
    );
    execution.acknowledge(
      batch,
      `Batch transform reads its input and writes its output under ${BATCH_PREFIX} of the inference data ` +
        'bucket; the object names come from the job at run time.',
    );

    this.stateMachineRole = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Steward deployment state machine: invokes its task functions, assumes deploy roles',
    });

    const deploy = new DeployRole(this, 'Deploy', {
      assumedBy: new iam.ArnPrincipal(this.stateMachineRole.roleArn),
      description: 'Steward: what the deployment workflow may change in this account',
      resourcePrefix: settings.resourcePrefix,
      executionRoleArn: this.executionRole.roleArn,
      artifacts: artifactsLocation,
      lambdaTargets: settings.lambdaTargets,
      lambdaTargetTag: settings.lambdaTargetTag,
    });
    this.deployRole = deploy.role;

    this.crossAccountDeployRoleArns = [
      ...new Set(
        Object.values(settings.stewardEnvironments).flatMap((policy) =>
          policy.account ? [policy.account.deployRoleArn] : [],
        ),
      ),
    ];

    const lambdaTargets = JSON.stringify(settings.lambdaTargets);
    const environments = JSON.stringify(settings.stewardEnvironments);
    const taskEnvironment: FunctionEnvironment = (this.taskEnvironment = {
      STEWARD_MODE: 'aws',
      TABLE_NAME: data.table.tableName,
      // prepare resolves the environment's policy for its deploy role.
      STEWARD_ENVIRONMENTS: environments,
      RESOURCE_PREFIX: settings.resourcePrefix,
      SAGEMAKER_EXECUTION_ROLE_ARN: this.executionRole.roleArn,
      DEPLOY_ROLE_ARN: this.deployRole.roleArn,
      DEPLOY_POLL_SECONDS: String(settings.deployPollSeconds),
    });
    const taskFunction = (handler: 'prepare' | 'progress' | 'finish') => {
      const fn = new ServiceFunction(this, `${handler[0]!.toUpperCase()}${handler.slice(1)}Function`, {
        entry: WORKFLOW_ENTRY,
        handler,
        description: `Steward deployment workflow: ${handler}`,
        environment: taskEnvironment,
        // A few reads and a transaction, retried on a conflicting writer.
        timeout: Duration.seconds(30),
        invocation: 'state-machine',
      });
      data.grantItemReadWrite(fn, []);
      return fn;
    };
    this.prepare = taskFunction('prepare');
    this.progress = taskFunction('progress');
    this.finish = taskFunction('finish');

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'deployment',
      definitionFile: DEPLOYMENT_DEFINITION_FILE,
      substitutions: {
        PrepareFunctionArn: this.prepare.fn.functionArn,
        ProgressFunctionArn: this.progress.fn.functionArn,
        FinishFunctionArn: this.finish.fn.functionArn,
      },
      comment: 'Steward deployment: SageMaker endpoint, batch transform or Lambda alias, with rollback',
      role: this.stateMachineRole,
      // The state carries names, ARNs and plans, no secret: keeping it makes a failed rollout readable.
      includeExecutionData: true,
      taskFunctions: [this.prepare, this.progress, this.finish],
    }));
    this.stateMachineRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeDeployRolesOnly',
        actions: ['sts:AssumeRole'],
        resources: [this.deployRole.roleArn, ...this.crossAccountDeployRoleArns],
      }),
    );

    this.starterEnvironment = {
      DEPLOYMENT_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
      RESOURCE_PREFIX: settings.resourcePrefix,
      LAMBDA_TARGETS: lambdaTargets,
      STEWARD_ENVIRONMENTS: environments,
    };
  }

  /**
   * May start deployment executions of this state machine, and no other; and read which alarms
   * exist, so a deployment naming a rollback alarm that does not is refused at the door (409).
   */
  grantStart(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
    const alarms = Stack.of(this).formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarms] }),
    );
    const policy = (grantee.grantPrincipal as Partial<iam.Role>).node?.tryFindChild('DefaultPolicy');
    if (policy)
      Validations.of(policy).acknowledge({
        id: wildcardResourceFinding(this, alarms),
        reason:
          "cloudwatch:DescribeAlarms (read-only) on this account's alarms: a deployment request names " +
          'the rollback alarms that must exist, at run time.',
      });
  }
}
