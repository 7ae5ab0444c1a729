import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fn, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { wildcardResourceFinding } from './nag.ts';
import type { ServiceFunction } from './service-function.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The ASL files name integrations as `arn:aws:states:::...`, which local mode reads as they are. On
 * AWS the partition is the stack's (`aws-cn`, `aws-us-gov`): the definition gets a `${Partition}`
 * placeholder there instead, filled from the stack at deploy time.
 */
export const PARTITION_PLACEHOLDER = 'Partition';
export const withStackPartition = (definition: string): string =>
  definition.replaceAll('"arn:aws:states:::', `"arn:\${${PARTITION_PLACEHOLDER}}:states:::`);

/** The UUID that ends the stack's id (`arn:...:stack/<name>/<uuid>`): new with every create. */
export const stackInstanceId = (stack: Stack): string => Fn.select(2, Fn.split('/', stack.stackId));

/** The `${Name}` placeholders of an ASL file, which `definitionSubstitutions` must fill. */
export const placeholdersOf = (definition: string): string[] =>
  [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();

export interface WorkflowStateMachineProps {
  /** The workflow's name: the suffix of its log group (`/aws/vendedlogs/states/<stack>-<name>`). */
  readonly name: string;
  /** The ASL file, whose placeholders `substitutions` must fill exactly. */
  readonly definitionFile: string;
  readonly substitutions: Record<string, string>;
  readonly comment: string;
  /** The state machine's role; a default one when absent. */
  readonly role?: iam.IRole;
  /** Whether log lines carry execution data (never when a task's input holds a task token). */
  readonly includeExecutionData: boolean;
  /** The task functions the state machine invokes. */
  readonly taskFunctions: readonly ServiceFunction[];
}

export interface WorkflowStateMachine {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
}

/**
 * A workflow's STANDARD state machine, created directly in `scope` (as `Logs` and `StateMachine`):
 * its ASL definition with substitutions checked against the file's placeholders, every event logged
 * and traced, invoke grants on its task functions, and the acknowledgements for the wildcards those
 * grants and the log delivery need.
 */
export const workflowStateMachine = (
  scope: Construct,
  props: WorkflowStateMachineProps,
): WorkflowStateMachine => {
  const stack = Stack.of(scope);
  const { substitutions } = props;
  const definition = readFileSync(props.definitionFile, 'utf8');
  // The partition is the stack's, whether the file names it or not.
  const placeholders = placeholdersOf(definition).filter((name) => name !== PARTITION_PLACEHOLDER);
  const unfilled = placeholders.filter((name) => !(name in substitutions));
  const unused = Object.keys(substitutions).filter((name) => !placeholders.includes(name));
  if (unfilled.length || unused.length)
    throw new Error(
      `${relative(REPO_ROOT, props.definitionFile)} and its substitutions disagree: ` +
        `unfilled ${JSON.stringify(unfilled)}, unused ${JSON.stringify(unused)}`,
    );

  // Under /aws/vendedlogs/ so that Step Functions' log delivery does not grow the account's
  // CloudWatch Logs resource policy with every state machine. The group is kept when the stack
  // goes (or a create fails), so its name ends with this stack instance's id: a fixed name would
  // make the next create of the stack fail with "already exists".
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${props.name}-${stackInstanceId(stack)}`,
    retention: logs.RetentionDays.THREE_MONTHS,
  });

  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromString(withStackPartition(definition)),
    definitionSubstitutions: { ...substitutions, [PARTITION_PLACEHOLDER]: stack.partition },
    role: props.role,
    logs: {
      destination: logGroup,
      level: sfn.LogLevel.ALL,
      includeExecutionData: props.includeExecutionData,
    },
    tracingEnabled: true,
  });
  for (const task of props.taskFunctions) task.fn.grantInvoke(stateMachine);

  const policy = stateMachine.role.node.findChild('DefaultPolicy');
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Log delivery to CloudWatch Logs (logs:CreateLogDelivery and the other vended-log actions) and ' +
      'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) have no resource type; "*" is the ' +
      'only valid resource.',
  });
  for (const task of props.taskFunctions) {
    Validations.of(policy).acknowledge({
      id: wildcardResourceFinding(scope, `${task.fn.functionArn}:*`),
      reason:
        'lambda:InvokeFunction on the versions and aliases of this one task function (the grant ' +
        'that also covers a qualified ARN); no other function.',
    });
  }
  return { stateMachine, logGroup };
};
