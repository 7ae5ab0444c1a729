import { readFileSync } from 'node:fs';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';
import type { FunctionGroup } from '../../functions/api/routes.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { PARTITION_PLACEHOLDER } from '../../infra/aws/workflow-state-machine.ts';

/** The context `cdk synth` sees (feature flags and Steward's settings), without asset bundling. */
export const cdkContext = (extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...extra };
};

export interface Synthesized {
  readonly app: App;
  readonly stack: StewardStack;
  readonly template: Template;
}

/**
 * Synthesizes the stack for fact checks. The built-in CloudFormation rule engine is left to
 * nag.test.ts, which synthesizes exactly as `cdk synth` does; here it would only cost seconds.
 */
export const synthStack = (extraContext: Record<string, unknown> = {}): Synthesized => {
  const app = new App({ context: cdkContext(extraContext), builtinCloudFormationValidation: false });
  const stack = new StewardStack(app, 'Steward');
  return { app, stack, template: Template.fromStack(stack) };
};

/** The logical ID of a construct's CloudFormation resource (the construct or its default child). */
export const logicalId = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as Parameters<Stack['getLogicalId']>[0];
  return Stack.of(construct).resolve(Stack.of(construct).getLogicalId(element)) as string;
};

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Every IAM statement attached to a role, from the policies that name it. */
export const roleStatements = (template: Template, roleId: string): Statement[] => {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      (p['Properties'].Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((p) => p['Properties'].PolicyDocument.Statement as Statement[]);
};

export const functionStatements = (s: Synthesized, group: FunctionGroup): Statement[] =>
  roleStatements(s.template, logicalId(s.stack.api.functions[group].role));

/**
 * Each resource a function may touch, mapped to the sorted actions it may take on it. A grant with
 * a condition is keyed `<resource> when <condition>`, so that a condition cannot go unnoticed.
 */
export const grantsByResource = (statements: Statement[]): Record<string, string[]> => {
  const grants: Record<string, Set<string>> = {};
  for (const statement of statements.filter((st) => st.Effect !== 'Deny')) {
    expect(statement.Effect).toBe('Allow');
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const key = statement.Condition
        ? `${JSON.stringify(resource)} when ${JSON.stringify(statement.Condition)}`
        : JSON.stringify(resource);
      grants[key] ??= new Set();
      for (const action of actionsOf(statement)) grants[key].add(action);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([k, v]) => [k, [...v].sort()]));
};

/** The token key is usable only under the encryption context tokens are sealed with. */
export const TOKEN_CONTEXT = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['requestId', 'group'] },
  Null: { 'kms:EncryptionContextKeys': 'false' },
};

/** Every finding the three cdk-nag packs raise on the app, acknowledged or not, as `rule @ resource path`. */
export const findingsOf = (app: App): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks(), new NIST80053R5Checks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
  );

export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly construct: IConstruct;
}

export const acknowledgementsIn = (app: App): Acknowledgement[] =>
  app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          construct,
        })),
      ),
  );

export const cfnResourcesUnder = (construct: IConstruct): CfnResource[] =>
  construct.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c));

/** Action sets the grants on the stack's roles come down to (sorted, as grantsByResource gives them). */
export const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
export const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
export const TABLE_READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
export const TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
export const TABLE_KEY_READ = ['kms:Decrypt', 'kms:DescribeKey'];
export const TABLE_KEY_READ_WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/**
 * What a logged and traced state machine's role may do on `*`: log delivery to CloudWatch Logs and
 * X-Ray, neither of which has a resource type.
 */
export const STATE_MACHINE_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  ...XRAY,
];

export const SOURCE_ACCOUNT = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };
/** The one trust statement of a state machine role: Step Functions, of this account only. */
export const STATES_TRUST = {
  Action: 'sts:AssumeRole',
  Effect: 'Allow',
  Principal: { Service: 'states.amazonaws.com' },
  Condition: SOURCE_ACCOUNT,
};

export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
export const joined = (id: string, suffix: string) => ({ 'Fn::Join': ['', [getAtt(id), suffix]] });
/** A template value as a grantsByResource key. */
export const key = (value: unknown): string => JSON.stringify(value);

export type Properties = Record<string, unknown>;
export type Resources = Record<
  string,
  { Type: string; Properties: Properties; DependsOn?: string[]; DeletionPolicy?: string }
>;

/** A synthesized definition with the stack's partition placeholder read as `aws`, as the ASL files say. */
export const asWritten = (definition: string): string =>
  definition.replaceAll(`\${${PARTITION_PLACEHOLDER}}`, 'aws');
