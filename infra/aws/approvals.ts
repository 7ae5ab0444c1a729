import { fileURLToPath } from 'node:url';
import { CfnParameter, CfnRule, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../../functions/commons/facts.ts';
import type { Data } from './data.ts';
import type { DeploymentWorkflow } from './deployments.ts';
import { ServiceFunction, type UnscopedGrant } from './service-function.ts';
import { workflowStateMachine } from './workflow-state-machine.ts';

/** The approval workflow's definition, shared with local mode's runner. */
export const APPROVAL_DEFINITION_FILE = fileURLToPath(
  new URL('../../statemachines/approval.asl.json', import.meta.url),
);
const WORKFLOW_ENTRY = fileURLToPath(new URL('../../functions/workflows/approval.ts', import.meta.url));

/** The sender `cdk.json` ships: a placeholder, with which every approval email would fail. */
export const PLACEHOLDER_MAIL_FROM = 'steward@example.com';

/**
 * The approval emails' sender as the stack parameter `MailFrom`, defaulting to context `mailFrom`
 * (so `cdk deploy -c mailFrom=...` and `--parameters MailFrom=...` both set it). A rule refuses the
 * deployment while it is missing or still the placeholder: without a real SES identity every
 * notification fails and every approval ends EXPIRED, silently. Synth stays possible offline.
 */
export const mailSender = (scope: Construct, contextMailFrom: string): string => {
  const parameter = new CfnParameter(scope, 'MailFrom', {
    type: 'String',
    default: contextMailFrom,
    allowedPattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
    constraintDescription: 'an email address: the sender of approval emails, a verified SES identity',
    description: 'Sender of approval emails: an SES identity verified in this account and region',
  });
  new CfnRule(scope, 'MailFromIsNotThePlaceholder', {
    assertions: [
      {
        assert: Fn.conditionNot(Fn.conditionEquals(parameter.valueAsString, PLACEHOLDER_MAIL_FROM)),
        assertDescription:
          `The approval mail sender is still the placeholder ${PLACEHOLDER_MAIL_FROM}: every approval ` +
          'email would fail and every approval would expire. Deploy with -c mailFrom=<address> (or ' +
          '--parameters MailFrom=<address>), an SES identity verified in this account and region.',
      },
    ],
  });
  return parameter.valueAsString;
};

/** Re-exported for the other workflows' tests and local mode, which have long imported it from here. */
export { placeholdersOf } from './workflow-state-machine.ts';

/**
 * Answering a callback task. The task token is the only thing that names the task, and the actions
 * have no resource type in IAM, so `*` is the only valid resource.
 */
export const TASK_RESPONSE_ACTIONS = ['states:SendTaskSuccess', 'states:SendTaskFailure'] as const;
export const taskResponses = (why: string): UnscopedGrant => ({
  actions: TASK_RESPONSE_ACTIONS,
  reason:
    `states:SendTaskSuccess/SendTaskFailure have no resource type (a task token names the task), so ` +
    `"*" is the only valid resource: ${why}`,
});

/**
 * Task tokens are sealed with the encryption context `{requestId, group}` (see
 * functions/adapters/token-vault.ts). The grants on the token key hold a caller to exactly those
 * keys, so the key cannot be used as a general-purpose encryption service.
 */
const TOKEN_CONTEXT_KEYS = ['requestId', 'group'];
const TOKEN_CONTEXT_CONDITIONS = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': TOKEN_CONTEXT_KEYS },
  Null: { 'kms:EncryptionContextKeys': 'false' },
};

interface TaskExtras {
  readonly environment?: FunctionEnvironment;
  readonly timeout?: Duration;
  readonly unscopedGrants?: readonly UnscopedGrant[];
}

export interface ApprovalWorkflowProps {
  readonly data: Data;
  /** The sender of approval emails: a verified SES identity (the address or its domain); see mailSender. */
  readonly mailFrom: string;
  /** An approved request with `deployOnApproval` starts its deployment from the record task. */
  readonly deployments: DeploymentWorkflow;
}

/**
 * The approval workflow: `statemachines/approval.asl.json` on a STANDARD state machine (it waits
 * for people for days), its three task functions, and the key that seals task tokens at rest.
 * Every event is logged and traced, but without its data: the notify task's input carries the task
 * token, which must never reach a log line.
 */
export class ApprovalWorkflow extends Construct {
  readonly tokenKey: kms.Key;
  readonly validate: ServiceFunction;
  readonly notify: ServiceFunction;
  readonly record: ServiceFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /**
   * What `ses:SendEmail` is allowed on: the sender address's identity and its domain's (SES
   * authorizes on whichever of the two is the verified identity it sends as).
   */
  readonly senderIdentityArns: readonly string[];

  constructor(scope: Construct, id: string, props: ApprovalWorkflowProps) {
    super(scope, id);
    const { data, mailFrom, deployments } = props;
    const stack = Stack.of(this);

    // Tokens only matter while their execution runs, and executions end with the stack: nothing
    // sealed under this key is worth keeping once it is gone, so it is scheduled for deletion with
    // the stack (after KMS's waiting period) instead of billing forever.
    this.tokenKey = new kms.Key(this, 'TokenKey', {
      description: 'Steward approval workflow task tokens',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    // The tasks neither sign cursors nor authorize callers: no cursor key, no role rules.
    const baseEnvironment: FunctionEnvironment = { STEWARD_MODE: 'aws', TABLE_NAME: data.table.tableName };
    const taskFunction = (handler: 'validate' | 'notify' | 'record', extra: TaskExtras = {}) =>
      new ServiceFunction(this, `${handler[0]!.toUpperCase()}${handler.slice(1)}Function`, {
        entry: WORKFLOW_ENTRY,
        handler,
        description: `Steward approval workflow: ${handler}`,
        environment: { ...baseEnvironment, ...extra.environment },
        timeout: extra.timeout,
        unscopedGrants: extra.unscopedGrants,
        invocation: 'state-machine',
      });

    this.validate = taskFunction('validate');
    data.grantItemRead(this.validate, []);

    this.notify = taskFunction('notify', {
      environment: { TOKEN_KEY_ID: this.tokenKey.keyArn, MAIL_FROM: mailFrom },
      // One email per member of the group, sent one after the other.
      timeout: Duration.seconds(30),
      unscopedGrants: [
        taskResponses('notify answers its own task when the decisions came in before it kept the token.'),
      ],
    });
    data.grantItemReadWrite(this.notify, []);
    this.grantToken(this.notify, 'kms:Encrypt');
    // The address is a deploy-time parameter: its domain is split off by CloudFormation.
    const domain = Fn.select(1, Fn.split('@', mailFrom));
    this.senderIdentityArns = [mailFrom, domain].map((identity) =>
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
    );
    this.notify.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [...this.senderIdentityArns],
        conditions: { StringEquals: { 'ses:FromAddress': mailFrom } },
      }),
    );

    // An approval with deployOnApproval starts the deployment as the requester would.
    this.record = taskFunction('record', { environment: { ...deployments.starterEnvironment } });
    data.grantItemReadWrite(this.record, []);
    deployments.grantStart(this.record);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: 'approval',
      definitionFile: APPROVAL_DEFINITION_FILE,
      substitutions: {
        ValidateFunctionArn: this.validate.fn.functionArn,
        NotifyFunctionArn: this.notify.fn.functionArn,
        RecordFunctionArn: this.record.fn.functionArn,
      },
      comment: 'Steward approval: notify approvers, wait for their decisions, record the outcome',
      // Level ALL, but no execution data: a callback task's input holds its task token.
      includeExecutionData: false,
      taskFunctions: [this.validate, this.notify, this.record],
    }));
  }

  /** May start approval executions of this state machine, and no other. */
  grantStart(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }

  /** May unseal task tokens (KMS Decrypt under the tokens' encryption context). */
  grantTokenDecrypt(grantee: iam.IGrantable): void {
    this.grantToken(grantee, 'kms:Decrypt');
  }

  private grantToken(grantee: iam.IGrantable, action: 'kms:Encrypt' | 'kms:Decrypt'): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [action],
        resources: [this.tokenKey.keyArn],
        conditions: TOKEN_CONTEXT_CONDITIONS,
      }),
    );
  }
}
