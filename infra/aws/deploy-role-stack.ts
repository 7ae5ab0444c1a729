import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { z } from 'zod';
import { EcrRepository, LambdaTarget, LambdaTargetTag, ResourcePrefix } from './context.ts';
import {
  DeployRole,
  ModelExecutionRole,
  targetDeployRoleName,
  targetExecutionRoleName,
} from './deploy-roles.ts';
import { addAcknowledgementAspects } from './nag.ts';

/**
 * Context `targetAccountDeployRole`: what the deploy-role stack needs to know about the Steward
 * account it serves. Given only when deploying that stack into a target account (docs/deploy-role.md).
 */
export const TargetAccountDeployRole = z
  .strictObject({
    stewardAccountId: z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits'),
    /**
     * The Steward stack's `DeploymentStateMachineRoleArn` output: the only principal the deploy role
     * trusts. Required: trusting the Steward account as a whole would let whoever IAM there allows
     * assume the role.
     */
    stateMachineRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN'),
    artifactsBucketArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,62}$/, 'an S3 bucket ARN'),
    artifactsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/, 'a KMS key ARN'),
    resourcePrefix: ResourcePrefix,
    lambdaTargets: z.array(LambdaTarget).max(50).default([]),
    lambdaTargetTag: LambdaTargetTag.optional(),
    ecrRepositories: z.array(EcrRepository).max(50).default([]),
  })
  .refine((t) => t.stateMachineRoleArn.split(':')[4] === t.stewardAccountId, {
    message: 'the state machine role is not in stewardAccountId',
    path: ['stateMachineRoleArn'],
  });
export type TargetAccountDeployRole = z.infer<typeof TargetAccountDeployRole>;

/** The `targetAccountDeployRole` context, validated; undefined when it is not given. */
export const readTargetAccountDeployRole = (scope: IConstruct): TargetAccountDeployRole | undefined => {
  const raw: unknown = scope.node.tryGetContext('targetAccountDeployRole');
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(`context "targetAccountDeployRole" is not valid JSON: ${raw}`);
    }
  }
  const parsed = TargetAccountDeployRole.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid targetAccountDeployRole context: ${problems}`);
  }
  return parsed.data;
};

export interface StewardDeployRoleStackProps extends StackProps {
  readonly target: TargetAccountDeployRole;
}

/**
 * Deployed into a target account (not the Steward account): the deploy role Steward's deployment
 * state machine assumes there, with the same grants as the Steward account's own (SageMaker
 * resources named `<prefix>-...`, the configured Lambda functions, model artifacts read across
 * accounts), and the role SageMaker models run as there. Both have fixed names, so the Steward
 * account can name them before they exist: `<prefix>-deploy` and `<prefix>-model-execution`.
 */
export class StewardDeployRoleStack extends Stack {
  readonly deployRole: iam.Role;
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: StewardDeployRoleStackProps) {
    super(scope, id, props);
    const { target } = props;
    addAcknowledgementAspects(this);
    const artifacts = { bucketArn: target.artifactsBucketArn, keyArn: target.artifactsKeyArn };

    this.executionRole = new ModelExecutionRole(this, 'ModelExecution', {
      roleName: targetExecutionRoleName(target.resourcePrefix),
      description: 'Steward: the role SageMaker models deployed by Steward run as in this account',
      artifacts,
      ecrRepositories: target.ecrRepositories,
    }).role;

    this.deployRole = new DeployRole(this, 'Deploy', {
      assumedBy: new iam.ArnPrincipal(target.stateMachineRoleArn),
      roleName: targetDeployRoleName(target.resourcePrefix),
      description: `Steward (account ${target.stewardAccountId}): what its deployments may change here`,
      resourcePrefix: target.resourcePrefix,
      executionRoleArn: this.executionRole.roleArn,
      artifacts,
      lambdaTargets: target.lambdaTargets,
      lambdaTargetTag: target.lambdaTargetTag,
    }).role;

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: "The environment's account.deployRoleArn in the Steward stack's stewardEnvironments",
    });
    new CfnOutput(this, 'ModelExecutionRoleArn', { value: this.executionRole.roleArn });
  }
}
