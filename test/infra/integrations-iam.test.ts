import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StewardDeployRoleStack } from '../../infra/aws/deploy-role-stack.ts';
import {
  actionsOf,
  asWritten,
  cdkContext,
  logicalId,
  type Resources,
  roleStatements,
  STATE_MACHINE_DELIVERY,
  type Statement,
  type Synthesized,
  synthStack,
} from './synth.ts';

/**
 * Every Task of every ASL file in statemachines/, mapped to the IAM actions AWS documents for its
 * integration, checked against the roles the stack synthesizes: the role a task runs with (its
 * `Credentials`, else its state machine's role) must hold each of them, and the roles may hold
 * nothing beyond them but what is listed below with its reason.
 */
const STATEMACHINES = fileURLToPath(new URL('../../statemachines/', import.meta.url));

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Credentials?: unknown;
  readonly Parameters?: Record<string, unknown>;
  readonly Branches?: readonly { States: Record<string, AslState> }[];
  readonly Iterator?: { States: Record<string, AslState> };
  readonly ItemProcessor?: { States: Record<string, AslState> };
}
interface Task {
  readonly file: string;
  readonly state: string;
  readonly resource: string;
  readonly withCredentials: boolean;
  readonly functionName?: unknown;
}

const tasksOf = (file: string, states: Record<string, AslState>): Task[] =>
  Object.entries(states).flatMap(([name, st]) => [
    ...(st.Type === 'Task'
      ? [
          {
            file,
            state: name,
            resource: st.Resource!,
            withCredentials: st.Credentials !== undefined,
            functionName: st.Parameters?.['FunctionName'],
          },
        ]
      : []),
    ...(st.Branches ?? []).flatMap((b) => tasksOf(file, b.States)),
    ...(st.Iterator ? tasksOf(file, st.Iterator.States) : []),
    ...(st.ItemProcessor ? tasksOf(file, st.ItemProcessor.States) : []),
  ]);

const aslFiles = readdirSync(STATEMACHINES).filter((f) => f.endsWith('.asl.json'));
const definitionOf = (file: string) =>
  JSON.parse(readFileSync(`${STATEMACHINES}${file}`, 'utf8')) as { States: Record<string, AslState> };
const allTasks = aslFiles.flatMap((file) => tasksOf(file, definitionOf(file).States));

/**
 * Step Functions developer guide, "IAM policies for Amazon SageMaker" (and the CDK's own
 * SageMaker task constructs, node_modules/aws-cdk-lib/aws-stepfunctions-tasks/lib/sagemaker): the
 * API's action, `sagemaker:ListTags` (on "*"), and `iam:PassRole` where the call passes a role.
 */
const SAGEMAKER_OPTIMIZED: Record<string, string[]> = {
  'sagemaker:createModel': ['sagemaker:CreateModel', 'sagemaker:ListTags', 'iam:PassRole'],
  'sagemaker:createEndpointConfig': ['sagemaker:CreateEndpointConfig', 'sagemaker:ListTags'],
  'sagemaker:createEndpoint': ['sagemaker:CreateEndpoint', 'sagemaker:ListTags'],
  // The CDK's SageMakerUpdateEndpoint grants no ListTags; the role holds it for the others anyway.
  'sagemaker:updateEndpoint': ['sagemaker:UpdateEndpoint'],
  'sagemaker:createTransformJob': ['sagemaker:CreateTransformJob', 'sagemaker:ListTags', 'iam:PassRole'],
  'sagemaker:createTransformJob.sync': [
    'sagemaker:CreateTransformJob',
    'sagemaker:DescribeTransformJob',
    'sagemaker:StopTransformJob',
    'sagemaker:ListTags',
    'sagemaker:AddTags',
    'iam:PassRole',
    'events:PutTargets',
    'events:PutRule',
    'events:DescribeRule',
  ],
};

/** AWS SDK integrations whose IAM service prefix differs from the SDK's service name. */
const SDK_IAM_PREFIX: Record<string, string> = { sfn: 'states' };

/** The IAM actions AWS documents for a Task's `Resource`; an integration missing here fails the test. */
const documentedActions = (resource: string): string[] => {
  const integration = resource.replace(/^arn:(aws[a-z-]*|\$\{Partition\}):states:::/, '');
  // "IAM policies for AWS Lambda": lambda:InvokeFunction on the function (and its versions).
  if (/^lambda:invoke(\.waitForTaskToken)?$/.test(integration)) return ['lambda:InvokeFunction'];
  const sagemaker = SAGEMAKER_OPTIMIZED[integration];
  if (sagemaker) return sagemaker;
  // "AWS SDK service integrations": the IAM action is the API's, in the service's IAM prefix.
  const sdk = /^aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(integration);
  if (sdk) return [`${SDK_IAM_PREFIX[sdk[1]!] ?? sdk[1]}:${sdk[2]![0]!.toUpperCase()}${sdk[2]!.slice(1)}`];
  throw new Error(`${resource}: no documented IAM actions; add them from the Step Functions developer guide`);
};

/**
 * What a deploy role holds beyond the integrations' actions, each with its reason. Lambda's
 * UpdateFunctionCode from S3 (S3Bucket/S3Key) reads the object with the caller's permissions.
 */
const DEPLOY_ROLE_EXTRAS: Record<string, string> = {
  's3:GetObject': 'UpdateFunctionCode reads the zip from the artifacts bucket as the caller',
  's3:GetObjectVersion': 'UpdateFunctionCode names the version the artifact was committed with',
  'kms:Decrypt': 'the artifacts are encrypted with the artifacts key',
};

const allows = (statements: Statement[]) => statements.filter((st) => st.Effect === 'Allow');
const heldActions = (statements: Statement[]) => new Set(allows(statements).flatMap(actionsOf));

describe('IAM from the integrations (every Task of statemachines/*.asl.json)', () => {
  let s: Synthesized;
  let resources: Resources;
  let target: Template;
  let targetStack: StewardDeployRoleStack;
  beforeAll(() => {
    // With Lambda targets, so that the Lambda tasks have a grant to check.
    s = synthStack({ lambdaTargets: ['scorer-*'] });
    resources = s.template.toJSON().Resources;
    const app = new App({ context: cdkContext(), builtinCloudFormationValidation: false });
    targetStack = new StewardDeployRoleStack(app, 'StewardDeployRole', {
      target: {
        stewardAccountId: '111122223333',
        stateMachineRoleArn: 'arn:aws:iam::111122223333:role/Steward-DeploymentsStateMachineRole-AbC',
        artifactsBucketArn: 'arn:aws:s3:::steward-artifacts',
        artifactsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        resourcePrefix: 'steward',
        lambdaTargets: ['scorer-*'],
        ecrRepositories: [],
      },
    });
    target = Template.fromStack(targetStack);
  });

  /** The state machine resource whose definition is this file's (its partition left to the stack). */
  const machineOf = (file: string) => {
    const expected = definitionOf(file);
    const found = Object.entries(resources).filter(([, r]) => {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') return false;
      const definition = asWritten(r.Properties['DefinitionString'] as string);
      return JSON.stringify(JSON.parse(definition)) === JSON.stringify(expected);
    });
    expect(found, file).toHaveLength(1);
    const [id, machine] = found[0]!;
    const roleArn = machine.Properties['RoleArn'] as { 'Fn::GetAtt': [string, string] };
    return {
      id,
      roleId: roleArn['Fn::GetAtt'][0],
      substitutions: machine.Properties['DefinitionSubstitutions'] as Record<string, unknown>,
    };
  };

  it('knows the documented IAM actions of every Task resource in every ASL file', () => {
    expect(aslFiles.length).toBeGreaterThanOrEqual(3);
    expect(allTasks.length).toBeGreaterThan(30);
    for (const task of allTasks)
      expect(() => documentedActions(task.resource), `${task.file} ${task.state}`).not.toThrow();
  });

  it("grants each task's documented actions to the deploy roles it runs with, here and in a target account", () => {
    const needed = new Set(
      allTasks.filter((t) => t.withCredentials).flatMap((t) => documentedActions(t.resource)),
    );
    expect(needed.has('sagemaker:ListTags')).toBe(true);
    const own = heldActions(roleStatements(s.template, logicalId(s.stack.deployments.deployRole)));
    const there = heldActions(roleStatements(target, logicalId(targetStack.deployRole)));
    expect([...needed].filter((action) => !own.has(action))).toEqual([]);
    expect([...needed].filter((action) => !there.has(action))).toEqual([]);
  });

  it('grants the deploy roles nothing beyond those actions but what the extras state with a reason', () => {
    const needed = new Set(
      allTasks.filter((t) => t.withCredentials).flatMap((t) => documentedActions(t.resource)),
    );
    for (const held of [
      heldActions(roleStatements(s.template, logicalId(s.stack.deployments.deployRole))),
      heldActions(roleStatements(target, logicalId(targetStack.deployRole))),
    ])
      expect([...held].filter((action) => !needed.has(action) && !(action in DEPLOY_ROLE_EXTRAS))).toEqual(
        [],
      );
  });

  it('lets each state machine that runs tasks with credentials assume the deploy role, and nothing else run them', () => {
    for (const file of aslFiles) {
      const tasks = tasksOf(file, definitionOf(file).States);
      const { roleId } = machineOf(file);
      const statements = allows(roleStatements(s.template, roleId));
      const assumes = statements.filter((st) => actionsOf(st).includes('sts:AssumeRole'));
      if (tasks.some((t) => t.withCredentials)) {
        const assumed = assumes.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]));
        expect(assumed, file).toContainEqual({
          'Fn::GetAtt': [logicalId(s.stack.deployments.deployRole), 'Arn'],
        });
      } else expect(assumes, file).toEqual([]);
      // What a task with credentials calls is the deploy role's, never the state machine role's.
      const own = heldActions(statements);
      for (const action of tasks
        .filter((t) => t.withCredentials)
        .flatMap((t) => documentedActions(t.resource)))
        expect(own.has(action), `${file}: ${action}`).toBe(false);
    }
  });

  it("lets each state machine's role invoke the functions its own tasks name, and hold nothing more", () => {
    for (const file of aslFiles) {
      const { roleId, substitutions } = machineOf(file);
      const statements = allows(roleStatements(s.template, roleId));
      const invokable = statements
        .filter((st) => actionsOf(st).includes('lambda:InvokeFunction'))
        .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .map((r) => JSON.stringify(r));
      const own = tasksOf(file, definitionOf(file).States).filter((t) => !t.withCredentials);
      for (const task of own) {
        expect(documentedActions(task.resource), `${file} ${task.state}`).toEqual(['lambda:InvokeFunction']);
        const placeholder = /^\$\{(\w+)\}$/.exec(String(task.functionName))?.[1];
        expect(placeholder, `${file} ${task.state} names its function by a placeholder`).toBeDefined();
        expect(invokable, `${file} ${task.state}`).toContain(JSON.stringify(substitutions[placeholder!]));
      }
      // A Distributed Map ("Distributed Map state" IAM in the developer guide) starts child
      // executions, and reads its items from S3 (ItemReader) and writes its results (ResultWriter).
      const text = readFileSync(`${STATEMACHINES}${file}`, 'utf8');
      const distributed = text.includes('"DISTRIBUTED"')
        ? [
            'states:StartExecution',
            'states:DescribeExecution',
            'states:StopExecution',
            ...(text.includes('"ItemReader"') ? ['s3:GetObject', 's3:ListBucket', 'kms:Decrypt'] : []),
            ...(text.includes('"ResultWriter"')
              ? ['s3:PutObject', 'kms:GenerateDataKey', 'kms:Decrypt']
              : []),
          ]
        : [];
      const allowed = new Set([
        ...distributed,
        'lambda:InvokeFunction',
        'sts:AssumeRole',
        // Log delivery and X-Ray, which have no resource type (workflowStateMachine).
        ...STATE_MACHINE_DELIVERY,
        // The drift machine's Distributed Map: its own child executions, manifest and results (drift.test.ts).
        ...(file.includes('drift')
          ? [
              'states:StartExecution',
              'states:DescribeExecution',
              'states:StopExecution',
              's3:GetObject',
              's3:PutObject',
              'kms:Decrypt',
              'kms:GenerateDataKey',
            ]
          : []),
      ]);
      expect(
        [...heldActions(statements)].filter((a) => !allowed.has(a)),
        file,
      ).toEqual([]);
    }
  });
});
