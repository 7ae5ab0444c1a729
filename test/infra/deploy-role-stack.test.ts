import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  readTargetAccountDeployRole,
  StewardDeployRoleStack,
  type TargetAccountDeployRole,
} from '../../infra/aws/deploy-role-stack.ts';
import { addNagPacks } from '../../infra/aws/nag.ts';
import {
  acknowledgementsIn,
  actionsOf,
  cdkContext,
  cfnResourcesUnder,
  findingsOf,
  grantsByResource,
  logicalId,
  roleStatements,
  type Statement,
} from './synth.ts';

const STEWARD_ACCOUNT = '111122223333';
const STATE_MACHINE_ROLE = `arn:aws:iam::${STEWARD_ACCOUNT}:role/Steward-DeploymentsStateMachineRole-AbC123`;
const BUCKET = 'arn:aws:s3:::steward-artifactsbucket-1a2b3c';
const KEY = `arn:aws:kms:eu-west-1:${STEWARD_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const targetContext = (extra: Partial<TargetAccountDeployRole> = {}) => ({
  stewardAccountId: STEWARD_ACCOUNT,
  stateMachineRoleArn: STATE_MACHINE_ROLE,
  artifactsBucketArn: BUCKET,
  artifactsKeyArn: KEY,
  resourcePrefix: 'mlops',
  lambdaTargets: ['scorer-*'],
  ...extra,
});

/** As app.ts builds it: the stack exists only when the context names a target account. */
const synthTarget = (target: unknown, extraContext: Record<string, unknown> = {}) => {
  const app = new App({
    context: cdkContext({ targetAccountDeployRole: target, ...extraContext }),
    builtinCloudFormationValidation: false,
  });
  const settings = readTargetAccountDeployRole(app);
  if (!settings) throw new Error('no target');
  const stack = new StewardDeployRoleStack(app, 'StewardDeployRole', { target: settings });
  return { app, stack, template: Template.fromStack(stack) };
};

const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
const localArn = (service: string, rest: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${rest}`,
    ],
  ],
});
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('deploy-role stack (target accounts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is built only when the context names a target account, from JSON given with -c too', () => {
    expect(readTargetAccountDeployRole(new App({ context: cdkContext() }))).toBeUndefined();
    const parsed = readTargetAccountDeployRole(
      new App({ context: { targetAccountDeployRole: JSON.stringify(targetContext()) } }),
    );
    expect(parsed).toMatchObject({ stewardAccountId: STEWARD_ACCOUNT, resourcePrefix: 'mlops' });
    expect(() =>
      readTargetAccountDeployRole(
        new App({
          context: { targetAccountDeployRole: { ...targetContext(), artifactsBucketArn: 'bucket' } },
        }),
      ),
    ).toThrow(/artifactsBucketArn/);
  });

  describe('with its context set', () => {
    let t: ReturnType<typeof synthTarget>;
    beforeAll(() => {
      t = synthTarget(targetContext());
    });
    const statementsOf = (role: Parameters<typeof logicalId>[0]) =>
      roleStatements(t.template, logicalId(role));

    it('makes the deploy role and the execution role under the names the Steward account expects', () => {
      const resources = t.template.toJSON().Resources;
      expect(resources[logicalId(t.stack.deployRole)].Properties.RoleName).toBe('mlops-deploy');
      expect(resources[logicalId(t.stack.executionRole)].Properties.RoleName).toBe('mlops-model-execution');
      t.template.resourceCountIs('AWS::IAM::Role', 2);
      expect(Object.keys(t.template.toJSON().Outputs).sort()).toEqual([
        'DeployRoleArn',
        'ModelExecutionRoleArn',
      ]);
    });

    it('lets the Steward deployment state machine role assume the deploy role, and nobody else', () => {
      const role = t.template.toJSON().Resources[logicalId(t.stack.deployRole)];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: STATE_MACHINE_ROLE } },
      ]);
    });

    it('scopes SageMaker to prefixed names, PassRole to its execution role, Lambda to its lambdaTargets', () => {
      const statements = statementsOf(t.stack.deployRole);
      const sagemaker = statements.filter(
        (st) => actionsOf(st).some((a) => a.startsWith('sagemaker:')) && st.Resource !== '*',
      );
      expect(statements.filter((st) => st.Resource === '*').flatMap(actionsOf)).toEqual([
        'sagemaker:ListTags',
      ]);
      const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();
      expect(sorted(sagemaker.flatMap(resourcesOf))).toEqual(
        sorted(
          ['endpoint-config', 'endpoint', 'model', 'transform-job'].map((type) =>
            localArn('sagemaker', `${type}/mlops-*`),
          ),
        ),
      );
      expect(statements.filter((st) => actionsOf(st).includes('iam:PassRole'))).toEqual([
        {
          Sid: 'PassTheModelExecutionRoleToSageMaker',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: getAtt(logicalId(t.stack.executionRole)),
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        },
      ]);
      const lambda = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('lambda:')));
      expect(lambda.flatMap(resourcesOf)).toEqual([
        localArn('lambda', 'function:scorer-*'),
        localArn('lambda', 'function:scorer-*:*'),
      ]);
    });

    it('reads model artifacts from the Steward account (models/ only) with its key', () => {
      const grants = grantsByResource(statementsOf(t.stack.deployRole));
      expect(grants[JSON.stringify(`${BUCKET}/models/*`)]).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      expect(grants[JSON.stringify(KEY)]).toEqual(['kms:Decrypt']);
      const execution = grantsByResource(statementsOf(t.stack.executionRole));
      expect(execution[JSON.stringify(`${BUCKET}/models/*`)]).toEqual([
        's3:GetObject',
        's3:GetObjectVersion',
      ]);
      expect(execution[JSON.stringify(KEY)]).toEqual(['kms:Decrypt']);
    });

    it('refuses a context without the state machine role, or with one outside the Steward account', () => {
      const { stateMachineRoleArn: _omitted, ...withoutRole } = targetContext();
      expect(() =>
        readTargetAccountDeployRole(new App({ context: { targetAccountDeployRole: withoutRole } })),
      ).toThrow(/stateMachineRoleArn/);
      expect(() =>
        readTargetAccountDeployRole(
          new App({
            context: {
              targetAccountDeployRole: targetContext({
                stateMachineRoleArn: 'arn:aws:iam::999988887777:role/Steward-DeploymentsStateMachineRole-X',
              }),
            },
          }),
        ),
      ).toThrow(/stateMachineRoleArn: the state machine role is not in stewardAccountId/);
    });
  });

  it('synthesizes with cdk-nag and every finding acknowledged once, none stale', () => {
    const context = cdkContext({
      targetAccountDeployRole: targetContext({ lambdaTargetTag: { key: 'team', value: 'fraud' } }),
      '@aws-cdk/core:appMode': 'inmemory',
    });
    const app = new App({ context });
    const settings = readTargetAccountDeployRole(app)!;
    new StewardDeployRoleStack(app, 'StewardDeployRole', { target: settings });
    addNagPacks(app);
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);

    const acknowledged = acknowledgementsIn(app).map((a) => {
      expect(cfnResourcesUnder(a.construct)).toHaveLength(1);
      expect(a.reason.length).toBeGreaterThan(40);
      return `${a.id} @ ${cfnResourcesUnder(a.construct)[0]!.node.path}`;
    });
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const bare = new App({ context: { ...context, '@aws-cdk/core:appMode': undefined } });
    new StewardDeployRoleStack(bare, 'StewardDeployRole', { target: settings });
    bare.synth();
    expect(findingsOf(bare).sort()).toEqual(acknowledged.sort());
    // Two full synths with the rule packs: minutes on a loaded machine.
  }, 300_000);
});
