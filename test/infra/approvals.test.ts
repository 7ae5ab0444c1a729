import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_DEFINITION_FILE, placeholdersOf } from '../../infra/aws/approvals.ts';
import { contextDefaults } from '../../infra/aws/context.ts';
import type { ServiceFunction } from '../../infra/aws/service-function.ts';
import { withStackPartition } from '../../infra/aws/workflow-state-machine.ts';
import {
  actionsOf,
  getAtt,
  grantsByResource,
  LOGS,
  logicalId,
  type Properties,
  type Resources,
  roleStatements,
  STATE_MACHINE_DELIVERY,
  STATES_TRUST,
  type Statement,
  type Synthesized,
  synthStack,
  TABLE_KEY_READ,
  TABLE_KEY_READ_WRITE,
  TABLE_READ,
  TABLE_READ_WRITE,
  TOKEN_CONTEXT,
  XRAY,
} from './synth.ts';

const TASK_RESPONSE = ['states:SendTaskFailure', 'states:SendTaskSuccess'];
const SUBSTITUTIONS = ['NotifyFunctionArn', 'RecordFunctionArn', 'ValidateFunctionArn'];

/** An SES identity ARN whose name is a deploy-time value (the MailFrom parameter, or its domain). */
const sesIdentity = (identity: unknown) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ses:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':identity/',
      identity,
    ],
  ],
});
const MAIL_FROM = { Ref: 'MailFrom' };
const MAIL_DOMAIN = { 'Fn::Select': [1, { 'Fn::Split': ['@', MAIL_FROM] }] };

describe('approval workflow', () => {
  let s: Synthesized;
  let resources: Resources;
  let machine: Properties;
  let tasks: Record<'validate' | 'notify' | 'record', ServiceFunction>;
  const statementsOf = (task: ServiceFunction) => roleStatements(s.template, logicalId(task.role));
  beforeAll(() => {
    s = synthStack({ mailFrom: 'model-approvals@mail.example.org' });
    resources = s.template.toJSON().Resources;
    machine = resources[logicalId(s.stack.approvals.stateMachine)]!.Properties;
    const { validate, notify, record } = s.stack.approvals;
    tasks = { validate, notify, record };
  });

  describe('state machine', () => {
    it('is a STANDARD state machine, defined by statemachines/approval.asl.json as written', () => {
      // The others are the deployment, drift and registration workflows'.
      s.template.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
      expect(machine['StateMachineType']).toBe('STANDARD');
      expect(machine['DefinitionString']).toBe(
        withStackPartition(readFileSync(APPROVAL_DEFINITION_FILE, 'utf8')),
      );
    });

    it('fills every placeholder of the definition, each with its task function', () => {
      const definition = machine['DefinitionString'] as string;
      const substitutions = machine['DefinitionSubstitutions'] as Record<string, unknown>;

      expect(Object.keys(substitutions).sort()).toEqual([...SUBSTITUTIONS, 'Partition'].sort());
      for (const name of SUBSTITUTIONS) expect(definition).toContain(`\${${name}}`);
      expect(placeholdersOf(definition)).toEqual([...SUBSTITUTIONS, 'Partition'].sort());
      const resolved = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
        name in substitutions ? 'arn' : whole,
      );
      expect(resolved).not.toContain('${');
      expect(substitutions).toEqual({
        ValidateFunctionArn: getAtt(logicalId(tasks.validate.fn)),
        NotifyFunctionArn: getAtt(logicalId(tasks.notify.fn)),
        RecordFunctionArn: getAtt(logicalId(tasks.record.fn)),
        Partition: { Ref: 'AWS::Partition' },
      });
    });

    it('logs ALL events without their data (the notify input holds task tokens) to its own log group, with a retention, and traces with X-Ray', () => {
      const logGroupId = logicalId(s.stack.approvals.logGroup);
      expect(machine['LoggingConfiguration']).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logGroupId) } }],
        IncludeExecutionData: false,
        Level: 'ALL',
      });
      const definition = JSON.parse(machine['DefinitionString'] as string);
      expect(JSON.stringify(definition)).toContain('$$.Task.Token');
      expect(machine['TracingConfiguration']).toEqual({ Enabled: true });
      expect(resources[logGroupId]!.Properties).toMatchObject({
        LogGroupName: {
          'Fn::Join': [
            '',
            [
              '/aws/vendedlogs/states/Steward-approval-',
              { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            ],
          ],
        },
        RetentionInDays: 90,
      });
    });

    it('may invoke exactly the three task functions (and their versions), deliver logs and trace', () => {
      const roleId = (machine['RoleArn'] as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const role = resources[roleId]!;
      const trust = (role.Properties['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement;
      expect(trust).toHaveLength(1);
      expect(trust[0]).toMatchObject(STATES_TRUST);
      expect(role.Properties['ManagedPolicyArns']).toBeUndefined();

      const statements = roleStatements(s.template, roleId);
      const invoke = statements.filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
      const invoked = invoke.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]));
      const fnIds = Object.values(tasks).map((task) => logicalId(task.fn));
      expect(invoke.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction']);
      expect(invoked.map((r) => JSON.stringify(r)).sort()).toEqual(
        fnIds
          .flatMap((id) => [getAtt(id), { 'Fn::Join': ['', [getAtt(id), ':*']] }])
          .map((r) => JSON.stringify(r))
          .sort(),
      );

      const rest = grantsByResource(statements.filter((st) => !invoke.includes(st)));
      expect(rest).toEqual({
        '"*"': STATE_MACHINE_DELIVERY,
      });
    });
  });

  describe('task functions', () => {
    it('run one handler export each of functions/workflows/approval.ts', () => {
      for (const [name, task] of Object.entries(tasks)) {
        expect(resources[logicalId(task.fn)]!.Properties).toMatchObject({
          Handler: `index.${name}`,
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
        });
      }
    });

    it('validate reads the table, nothing more', () => {
      const ids = { table: logicalId(s.stack.data.table), tableKey: logicalId(s.stack.data.tableKey) };
      expect(grantsByResource(statementsOf(tasks.validate))).toEqual({
        [JSON.stringify(getAtt(logicalId(tasks.validate.logGroup)))]: LOGS,
        '"*"': XRAY,
        [JSON.stringify(getAtt(ids.table))]: TABLE_READ,
        [JSON.stringify(getAtt(ids.tableKey))]: TABLE_KEY_READ,
      });
      expect(statementsOf(tasks.validate).filter((st) => st.Effect === 'Deny')).toEqual([]);
    });

    it('notify writes the table, seals tokens, answers its own task and mails as the sender only', () => {
      const ids = {
        table: logicalId(s.stack.data.table),
        tableKey: logicalId(s.stack.data.tableKey),
        tokenKey: logicalId(s.stack.approvals.tokenKey),
      };
      const from = { StringEquals: { 'ses:FromAddress': MAIL_FROM } };
      expect(grantsByResource(statementsOf(tasks.notify))).toEqual({
        [JSON.stringify(getAtt(logicalId(tasks.notify.logGroup)))]: LOGS,
        '"*"': [...TASK_RESPONSE, ...XRAY],
        [JSON.stringify(getAtt(ids.table))]: TABLE_READ_WRITE,
        [JSON.stringify(getAtt(ids.tableKey))]: TABLE_KEY_READ_WRITE,
        [`${JSON.stringify(getAtt(ids.tokenKey))} when ${JSON.stringify(TOKEN_CONTEXT)}`]: ['kms:Encrypt'],
        [`${JSON.stringify(sesIdentity(MAIL_FROM))} when ${JSON.stringify(from)}`]: ['ses:SendEmail'],
        [`${JSON.stringify(sesIdentity(MAIL_DOMAIN))} when ${JSON.stringify(from)}`]: ['ses:SendEmail'],
      });
    });

    it('record writes the table, starts deployments (deployOnApproval) and reads which alarms exist, nothing more', () => {
      const ids = { table: logicalId(s.stack.data.table), tableKey: logicalId(s.stack.data.tableKey) };
      expect(grantsByResource(statementsOf(tasks.record))).toEqual({
        [JSON.stringify(getAtt(logicalId(tasks.record.logGroup)))]: LOGS,
        '"*"': XRAY,
        [JSON.stringify(getAtt(ids.table))]: TABLE_READ_WRITE,
        [JSON.stringify(getAtt(ids.tableKey))]: TABLE_KEY_READ_WRITE,
        [JSON.stringify({ Ref: logicalId(s.stack.deployments.stateMachine) })]: ['states:StartExecution'],
        // A deployOnApproval naming rollback alarms is refused when one does not exist.
        [JSON.stringify({
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:*',
            ],
          ],
        })]: ['cloudwatch:DescribeAlarms'],
      });
    });

    it('notify and record, which write the table, are denied overwriting audit items', () => {
      for (const task of [tasks.notify, tasks.record]) {
        const deny = statementsOf(task).filter((st): st is Statement => st.Effect === 'Deny');
        expect(deny).toEqual([
          {
            Sid: 'AuditItemsAreAppendOnly',
            Effect: 'Deny',
            Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
            Resource: getAtt(logicalId(s.stack.data.table)),
            Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
          },
        ]);
      }
    });

    it('get the environment their handlers read, and no more', () => {
      const envOf = (task: ServiceFunction) =>
        (resources[logicalId(task.fn)]!.Properties['Environment'] as { Variables: Properties }).Variables;
      const base = {
        STEWARD_MODE: 'aws',
        TABLE_NAME: { Ref: logicalId(s.stack.data.table) },
        POWERTOOLS_SERVICE_NAME: 'steward',
        POWERTOOLS_METRICS_NAMESPACE: 'Steward',
        NODE_OPTIONS: '--enable-source-maps',
      };
      expect(envOf(tasks.validate)).toEqual(base);
      const record = envOf(tasks.record);
      expect(record).toEqual({
        ...base,
        DEPLOYMENT_STATE_MACHINE_ARN: { Ref: logicalId(s.stack.deployments.stateMachine) },
        RESOURCE_PREFIX: 'steward',
        LAMBDA_TARGETS: '[]',
        STEWARD_ENVIRONMENTS: record['STEWARD_ENVIRONMENTS'],
      });
      expect(JSON.parse(record['STEWARD_ENVIRONMENTS'] as string)).toEqual(
        contextDefaults.stewardEnvironments,
      );
      expect(envOf(tasks.notify)).toEqual({
        ...base,
        TOKEN_KEY_ID: getAtt(logicalId(s.stack.approvals.tokenKey)),
        MAIL_FROM,
      });
    });
  });

  it('takes its sender from the MailFrom parameter, defaulting to context mailFrom', () => {
    expect(s.template.toJSON().Parameters['MailFrom']).toMatchObject({
      Type: 'String',
      Default: 'model-approvals@mail.example.org',
    });
  });

  it('refuses to deploy while the sender is missing or the placeholder, saying what to set', () => {
    const parameter = s.template.toJSON().Parameters['MailFrom'];
    const pattern = new RegExp(parameter.AllowedPattern);
    expect(pattern.test('model-approvals@mail.example.org')).toBe(true);
    expect(pattern.test('')).toBe(false);
    expect(pattern.test('steward')).toBe(false);
    expect(s.template.toJSON().Rules['MailFromIsNotThePlaceholder']).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [MAIL_FROM, 'steward@example.com'] }] },
          AssertDescription: expect.stringMatching(/placeholder steward@example\.com.*-c mailFrom=/),
        },
      ],
    });
  });

  it('seals task tokens with a rotating customer-managed key that goes with the stack', () => {
    const key = resources[logicalId(s.stack.approvals.tokenKey)]!;
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 7 });
    expect(key.DeletionPolicy).toBe('Delete');
  });
});
