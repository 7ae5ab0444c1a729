import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { resourceNames, S3_PREFIX } from '../../functions/commons/facts.ts';
import { wildcardResourceFinding } from './nag.ts';

/**
 * The two roles a deployment acts through, in the Steward account (`DeploymentWorkflow`) and in a
 * target account (`StewardDeployRoleStack`) alike:
 * - the deploy role, which the deployment state machine assumes for every SageMaker, Lambda and
 *   CloudWatch call (the Task states' `Credentials`), may touch Steward-prefixed SageMaker
 *   resources, the Lambda functions it is configured to manage, and read model artifacts;
 * - the model execution role, which SageMaker runs a model as: it reads the model's artifact,
 *   pulls its image and writes its logs (and, in the Steward account, captured inference data).
 */

/** Artifacts live under `models/<model>/<uuid>/<file>` (`s3Keys.artifact`). */
export const MODELS_PREFIX = S3_PREFIX.models;

/** The artifacts bucket and its key, by ARN: tokens in the Steward stack, strings in a target account. */
export interface ArtifactsLocation {
  readonly bucketArn: string;
  readonly keyArn: string;
}

/** What the deployment state machine does to SageMaker (statemachines/deployment.asl.json). */
export const SAGEMAKER_DEPLOY_ACTIONS = [
  'sagemaker:CreateModel',
  'sagemaker:DeleteModel',
  'sagemaker:CreateEndpointConfig',
  'sagemaker:DeleteEndpointConfig',
  'sagemaker:CreateEndpoint',
  'sagemaker:UpdateEndpoint',
  'sagemaker:DescribeEndpoint',
  'sagemaker:DeleteEndpoint',
  'sagemaker:CreateTransformJob',
  'sagemaker:DescribeTransformJob',
];
/**
 * Step Functions' optimized SageMaker integrations (`arn:aws:states:::sagemaker:*`) list the tags of
 * what they create, with the task's credentials; AWS documents the grant on `*` (Step Functions
 * developer guide, "IAM policies for Amazon SageMaker"), and the CDK's own SageMaker task
 * constructs grant it so. Without it every optimized SageMaker task fails with AccessDenied.
 */
export const SAGEMAKER_INTEGRATION_ACTIONS = ['sagemaker:ListTags'];
/** The SageMaker resource types those actions make or change; each is named `<prefix>-...`. */
export const SAGEMAKER_RESOURCE_TYPES = ['model', 'endpoint-config', 'endpoint', 'transform-job'] as const;

/** What the deployment state machine does to a Lambda function: new code, a version, the alias. */
export const LAMBDA_DEPLOY_ACTIONS = [
  'lambda:UpdateFunctionCode',
  'lambda:GetFunctionConfiguration',
  'lambda:PublishVersion',
  'lambda:GetAlias',
  'lambda:CreateAlias',
  'lambda:UpdateAlias',
  'lambda:DeleteAlias',
];

const ARTIFACT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/** The name the target-account stack gives its roles, so the Steward account can refer to them. */
export const targetDeployRoleName = (prefix: string): string => `${prefix}-deploy`;
export const targetExecutionRoleName = (prefix: string): string => `${prefix}-model-execution`;

export interface DeployRoleProps {
  /** Who may assume it: the Steward deployment state machine's role, never an account as a whole. */
  readonly assumedBy: iam.IPrincipal;
  readonly roleName?: string;
  readonly description: string;
  readonly resourcePrefix: string;
  /** The role SageMaker models run as: the only role this one may pass. */
  readonly executionRoleArn: string;
  readonly artifacts: ArtifactsLocation;
  /** Function names or ARNs, `*` wildcards allowed; a name means a function of this account. */
  readonly lambdaTargets: readonly string[];
  readonly lambdaTargetTag?: { readonly key: string; readonly value: string } | undefined;
}

/** A function name or ARN pattern as the function ARN IAM matches. */
const functionArn = (stack: Stack, target: string): string =>
  target.startsWith('arn:')
    ? target
    : stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: target,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });

export class DeployRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeployRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy,
      roleName: props.roleName,
      description: props.description,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: iam.Conditions) =>
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }),
      );
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
        id: wildcardResourceFinding(this, resource),
        reason,
      });

    const sagemakerResources = SAGEMAKER_RESOURCE_TYPES.map((type) =>
      stack.formatArn({
        service: 'sagemaker',
        resource: type,
        resourceName: resourceNames.any(props.resourcePrefix),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    allow('SageMakerPrefixedResources', SAGEMAKER_DEPLOY_ACTIONS, sagemakerResources);
    for (const [i, resource] of sagemakerResources.entries())
      acknowledge(
        resource,
        `SageMaker ${SAGEMAKER_RESOURCE_TYPES[i]}s named "${props.resourcePrefix}-..." only: Steward names ` +
          'each one per model version and deployment at run time, and refuses endpoints outside the prefix.',
      );

    allow('SageMakerOptimizedIntegrationsListTags', SAGEMAKER_INTEGRATION_ACTIONS, ['*']);
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sagemaker:ListTags (read-only) for the optimized SageMaker integrations of Step Functions, ' +
        'which call it with the task credentials; AWS documents this grant on "*" (Step Functions ' +
        'developer guide, IAM policies for Amazon SageMaker), as the CDK SageMaker tasks grant it.',
    });

    allow('PassTheModelExecutionRoleToSageMaker', ['iam:PassRole'], [props.executionRoleArn], {
      StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    });

    if (props.lambdaTargets.length > 0) {
      const arns = props.lambdaTargets.map((target) => functionArn(stack, target));
      // `:*` covers the function's versions and aliases (GetAlias, UpdateAlias name them qualified).
      const resources = arns.flatMap((arn) => [arn, `${arn}:*`]);
      allow('ConfiguredLambdaTargets', LAMBDA_DEPLOY_ACTIONS, resources);
      for (const resource of resources.filter((r) => r.includes('*')))
        acknowledge(
          resource,
          'A Lambda function Steward is configured to manage (context lambdaTargets, wildcards as the ' +
            'platform team wrote them) and its versions and aliases (":*"), nothing else.',
        );
    }
    if (props.lambdaTargetTag) {
      const { key, value } = props.lambdaTargetTag;
      const anyFunction = functionArn(stack, '*');
      allow('TaggedLambdaTargets', LAMBDA_DEPLOY_ACTIONS, [anyFunction, `${anyFunction}:*`], {
        StringEquals: { [`aws:ResourceTag/${key}`]: value },
      });
      for (const resource of [anyFunction, `${anyFunction}:*`])
        acknowledge(
          resource,
          `Only functions tagged ${key}=${value} (context lambdaTargetTag; the condition on ` +
            'aws:ResourceTag is what scopes the grant) and their versions and aliases.',
        );
    }

    const models = `${props.artifacts.bucketArn}/${MODELS_PREFIX}*`;
    // UpdateFunctionCode from S3 reads the object with the caller's permissions.
    allow('ReadModelArtifacts', ARTIFACT_READ_ACTIONS, [models]);
    allow('DecryptModelArtifacts', ['kms:Decrypt'], [props.artifacts.keyArn]);
    acknowledge(
      models,
      `Model artifacts under ${MODELS_PREFIX} of the artifacts bucket, read only; object keys are made per ` +
        'model and version at run time.',
    );

    // DescribeAlarms takes alarm ARNs; the alarms a deployment watches are named in its request.
    const alarms = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    allow('ReadAlarmStates', ['cloudwatch:DescribeAlarms'], [alarms]);
    acknowledge(
      alarms,
      "cloudwatch:DescribeAlarms (read-only) on this account's alarms: a deployment names the alarms " +
        'that gate it at run time, so their names are not known at deploy time.',
    );
    // A deployment that names no alarms is gated by its target's default `<target>-rollback` alarm,
    // which the workflow makes (PutMetricAlarm) before it changes anything.
    const rollbackAlarms = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: resourceNames.rollbackAlarmPattern,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    allow('MakeDefaultRollbackAlarms', ['cloudwatch:PutMetricAlarm'], [rollbackAlarms]);
    acknowledge(
      rollbackAlarms,
      `cloudwatch:PutMetricAlarm on alarms named "${resourceNames.rollbackAlarmPattern}" only: the default rollback alarm of each ` +
        'target (named after the target at run time), made by the deployment workflow.',
    );
  }
}

export interface ModelExecutionRoleProps {
  readonly roleName?: string;
  readonly description: string;
  readonly artifacts: ArtifactsLocation;
  /** Repository names (this account) or ARNs; none: any repository of this account and region. */
  readonly ecrRepositories: readonly string[];
}

/** The role a SageMaker model runs as: read its artifact, pull its image, write its logs. */
export class ModelExecutionRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ModelExecutionRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      // SageMaker acting for this account only (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      roleName: props.roleName,
      description: props.description,
    });

    const models = `${props.artifacts.bucketArn}/${MODELS_PREFIX}*`;
    this.allow(ARTIFACT_READ_ACTIONS, [models]);
    // A multi-file version is served from its prefix (S3DataType S3Prefix): SageMaker lists it.
    this.allow(['s3:ListBucket'], [props.artifacts.bucketArn], {
      StringLike: { 's3:prefix': [`${MODELS_PREFIX}*`] },
    });
    this.allow(['kms:Decrypt'], [props.artifacts.keyArn]);
    this.acknowledge(
      models,
      `SageMaker reads the model artifact it serves; artifacts sit under ${MODELS_PREFIX} of the artifacts bucket ` +
        'with keys made per model and version at run time. Read only.',
    );

    const repositories =
      props.ecrRepositories.length > 0
        ? props.ecrRepositories.map((repo) =>
            repo.startsWith('arn:')
              ? repo
              : stack.formatArn({
                  service: 'ecr',
                  resource: 'repository',
                  resourceName: repo,
                  arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
                }),
          )
        : [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })];
    this.allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], repositories);
    for (const repository of repositories.filter((r) => r.includes('*')))
      this.acknowledge(
        repository,
        'Pulling model images (read only) from ECR repositories of this account and region: which ' +
          'repository a model version runs from is recorded at registration, not known at deploy time. ' +
          'Narrow it with context ecrRepositories.',
      );
    this.allow(['ecr:GetAuthorizationToken'], ['*']);
    this.acknowledge(
      '*',
      'ecr:GetAuthorizationToken has no resource type; "*" is the only valid resource (it returns a ' +
        'registry login; pulls are scoped to the repositories granted above).',
    );

    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.allow(
      ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      [logGroups, `${logGroups}:log-stream:*`],
    );
    for (const resource of [logGroups, `${logGroups}:log-stream:*`])
      this.acknowledge(
        resource,
        'SageMaker endpoints and transform jobs log to /aws/sagemaker/<kind>/<name> log groups and ' +
          'streams it names at run time; nothing outside /aws/sagemaker/.',
      );
  }

  /** Identity-based grant on this role. */
  allow(actions: string[], resources: string[], conditions?: iam.Conditions): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
    );
  }

  /** Acknowledges the IAM5 finding a wildcard resource of this role's policy raises. */
  acknowledge(resource: string, reason: string): void {
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: resource === '*' ? 'AwsSolutions-IAM5[Resource::*]' : wildcardResourceFinding(this, resource),
      reason,
    });
  }
}
