import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { placeholdersOf } from '../../infra/aws/approvals.ts';
import { DRIFT_DEFINITION_FILE } from '../../infra/aws/drift.ts';
import { StewardStack } from '../../infra/aws/steward-stack.ts';
import { withStackPartition } from '../../infra/aws/workflow-state-machine.ts';
import {
  actionsOf,
  cdkContext,
  findingsOf,
  functionStatements,
  getAtt,
  grantsByResource,
  joined,
  key,
  LOGS,
  logicalId,
  type Resources,
  roleStatements,
  SOURCE_ACCOUNT,
  STATE_MACHINE_DELIVERY,
  STATES_TRUST,
  type Statement,
  type Synthesized,
  synthStack,
  TABLE_KEY_READ_WRITE,
  TABLE_READ_WRITE,
  XRAY,
} from './synth.ts';

const AUDIT_DENY = {
  Sid: 'AuditItemsAreAppendOnly',
  Effect: 'Deny',
  Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
};

const DATA_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const s3Arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${rest}`]] });

describe('drift workflow', () => {
  let s: Synthesized;
  let resources: Resources;
  let ids: Record<string, string>;
  const statementsOf = (role: Parameters<typeof logicalId>[0]): Statement[] =>
    roleStatements(s.template, logicalId(role));
  beforeAll(() => {
    s = synthStack();
    resources = s.template.toJSON().Resources;
    const { drift, data, artifacts, deployments } = s.stack;
    ids = {
      machine: logicalId(drift.stateMachine),
      machineRole: logicalId(drift.stateMachineRole),
      scheduleRole: logicalId(drift.scheduleRole),
      due: logicalId(drift.due.fn),
      run: logicalId(drift.run.fn),
      shard: logicalId(drift.shard.fn),
      reduce: logicalId(drift.reduce.fn),
      table: logicalId(data.table),
      tableKey: logicalId(data.tableKey),
      bucket: logicalId(artifacts.bucket),
      artifactKey: logicalId(artifacts.key),
      inferenceData: logicalId(deployments.inferenceData),
      inferenceDataKey: logicalId(deployments.inferenceDataKey),
    };
  });

  describe('state machine', () => {
    it('is STANDARD, defined by statemachines/drift.asl.json as written, its placeholders the four task functions', () => {
      const machine = resources[ids.machine!]!.Properties;
      const definition = readFileSync(DRIFT_DEFINITION_FILE, 'utf8');

      expect(machine['StateMachineType']).toBe('STANDARD');
      expect(machine['DefinitionString']).toBe(withStackPartition(definition));
      expect(placeholdersOf(definition)).toEqual([
        'DueFunctionArn',
        'ReduceFunctionArn',
        'RunFunctionArn',
        'ShardFunctionArn',
      ]);
      expect(machine['DefinitionSubstitutions']).toEqual({
        DueFunctionArn: getAtt(ids.due!),
        RunFunctionArn: getAtt(ids.run!),
        ShardFunctionArn: getAtt(ids.shard!),
        ReduceFunctionArn: getAtt(ids.reduce!),
        Partition: { Ref: 'AWS::Partition' },
      });
    });

    it('fans out with a Map whose iterations call the run function, so no one invocation runs every monitor', () => {
      const definition = JSON.parse(readFileSync(DRIFT_DEFINITION_FILE, 'utf8'));
      const states = Object.values(
        definition.States as Record<string, { Type: string; ItemProcessor?: unknown }>,
      );
      const map = states.find((state) => state.Type === 'Map');

      expect(placeholdersOf(JSON.stringify(map?.ItemProcessor))).toEqual([
        'ReduceFunctionArn',
        'RunFunctionArn',
        'ShardFunctionArn',
      ]);
      // The dispatcher's own task calls the due function, outside the Map.
      const outside = states.filter((state) => state !== map);
      expect(placeholdersOf(JSON.stringify(outside))).toEqual(['DueFunctionArn']);
    });

    it('logs ALL events with their data and traces with X-Ray', () => {
      const machine = resources[ids.machine!]!.Properties;
      const logGroupId = logicalId(s.stack.drift.logGroup);

      expect(machine['LoggingConfiguration']).toEqual({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logGroupId) } }],
        IncludeExecutionData: true,
        Level: 'ALL',
      });
      expect(machine['TracingConfiguration']).toEqual({ Enabled: true });
      expect(resources[logGroupId]!.Properties).toMatchObject({
        LogGroupName: {
          'Fn::Join': [
            '',
            [
              '/aws/vendedlogs/states/Steward-drift-',
              { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
            ],
          ],
        },
        RetentionInDays: 90,
      });
    });

    it('a window too large for one function runs as a Distributed Map over the manifest, batched, results written to S3', () => {
      const definition = JSON.parse(readFileSync(DRIFT_DEFINITION_FILE, 'utf8'));
      const inner = definition.States.RunMonitors.ItemProcessor;
      expect(inner.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      const map = inner.States.SummariseShards;
      expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(map.ItemReader).toMatchObject({
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
      });
      expect(map.ItemBatcher.MaxItemsPerBatchPath).toBe('$.run.result.shards.objectsPerChild');
      expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
      expect(map.Next).toBe('ReduceShards');
      expect(inner.States.WindowTooLarge.Choices[0]).toMatchObject({
        Variable: '$.run.result.distributed',
        Next: 'SummariseShards',
      });
    });

    it('its role, trusted by Step Functions of this account, invokes the four task functions, starts its own child executions and reads and writes drift-shards/ only', () => {
      const role = resources[ids.machineRole!]!.Properties;

      expect(resources[ids.machine!]!.Properties['RoleArn']).toEqual(getAtt(ids.machineRole!));
      expect((role['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
        STATES_TRUST,
      ]);
      expect(grantsByResource(statementsOf(s.stack.drift.stateMachineRole))).toEqual({
        '"*"': STATE_MACHINE_DELIVERY,
        [key(getAtt(ids.due!))]: ['lambda:InvokeFunction'],
        [key(joined(ids.due!, ':*'))]: ['lambda:InvokeFunction'],
        [key(getAtt(ids.run!))]: ['lambda:InvokeFunction'],
        [key(joined(ids.run!, ':*'))]: ['lambda:InvokeFunction'],
        [key(getAtt(ids.shard!))]: ['lambda:InvokeFunction'],
        [key(joined(ids.shard!, ':*'))]: ['lambda:InvokeFunction'],
        [key(getAtt(ids.reduce!))]: ['lambda:InvokeFunction'],
        [key(joined(ids.reduce!, ':*'))]: ['lambda:InvokeFunction'],
        // The Distributed Map: its own child executions, the manifest and the Map results.
        [key({ Ref: ids.machine })]: ['states:StartExecution'],
        [key({
          'Fn::Join': [
            ':',
            [
              {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':states:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':execution',
                  ],
                ],
              },
              { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: ids.machine }] }] },
              '*',
            ],
          ],
        })]: ['states:DescribeExecution', 'states:StopExecution'],
        [key(joined(ids.bucket!, '/drift-shards/*'))]: ['s3:GetObject', 's3:PutObject'],
        [key(getAtt(ids.artifactKey!))]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      });
    });
  });

  describe('schedule', () => {
    it('starts an execution of the drift state machine every 15 minutes by default, on time, with its own role and retries', () => {
      s.template.resourceCountIs('AWS::Scheduler::Schedule', 1);

      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(15 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { Ref: ids.machine },
          RoleArn: getAtt(ids.scheduleRole!),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        },
      });
    });

    it('its role, trusted by EventBridge Scheduler of this account, may start the drift state machine and nothing else', () => {
      const role = resources[ids.scheduleRole!]!.Properties;

      expect((role['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: SOURCE_ACCOUNT,
        },
      ]);
      expect(role['ManagedPolicyArns']).toBeUndefined();
      expect(statementsOf(s.stack.drift.scheduleRole)).toEqual([
        { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ids.machine } },
      ]);
    });

    it('takes its rate from context driftDispatchRate', () => {
      const t = synthStack({ driftDispatchRate: 'rate(5 minutes)' });

      t.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
    });
  });

  describe('task functions', () => {
    it('due queries gsi1 and moves a monitor with UpdateItem, nothing else on the table, audit items denied', () => {
      const statements = statementsOf(s.stack.drift.due.role);

      expect(grantsByResource(statements)).toEqual({
        [key(getAtt(logicalId(s.stack.drift.due.logGroup)))]: LOGS,
        '"*"': XRAY,
        [key(getAtt(ids.table!))]: ['dynamodb:UpdateItem'],
        [key(joined(ids.table!, '/index/gsi1'))]: ['dynamodb:Query'],
        [key(getAtt(ids.tableKey!))]: TABLE_KEY_READ_WRITE,
      });
      expect(statements.filter((st) => st.Effect === 'Deny')).toEqual([
        { ...AUDIT_DENY, Resource: getAtt(ids.table!) },
      ]);
    });

    it('run reads baselines and captured data, writes reports and run summaries, reads target metrics, and cannot make alarms', () => {
      const statements = statementsOf(s.stack.drift.run.role);

      expect(grantsByResource(statements)).toEqual({
        [key(getAtt(logicalId(s.stack.drift.run.logGroup)))]: LOGS,
        '"*"': ['cloudwatch:GetMetricData', ...XRAY],
        [key(getAtt(ids.table!))]: TABLE_READ_WRITE,
        [key(getAtt(ids.tableKey!))]: TABLE_KEY_READ_WRITE,
        [key(joined(ids.bucket!, '/baselines/*'))]: ['s3:GetObject'],
        [key(joined(ids.bucket!, '/reports/*'))]: ['s3:PutObject'],
        [key(joined(ids.bucket!, '/drift-shards/*'))]: ['s3:PutObject'],
        [key(getAtt(ids.artifactKey!))]: ['kms:Decrypt', 'kms:GenerateDataKey'],
        [key(joined(ids.inferenceData!, '/capture/*'))]: ['s3:GetObject'],
        [key(getAtt(ids.inferenceData!))]: ['s3:ListBucket'],
        [key(getAtt(ids.inferenceDataKey!))]: ['kms:Decrypt'],
      });
      expect(statements.filter((st) => st.Effect === 'Deny')).toEqual([
        { ...AUDIT_DENY, Resource: getAtt(ids.table!) },
      ]);
    });

    it('a Distributed Map child reads its plan and capture, writes its partial summary, and touches no table or report', () => {
      const statements = statementsOf(s.stack.drift.shard.role);

      expect(grantsByResource(statements)).toEqual({
        [key(getAtt(logicalId(s.stack.drift.shard.logGroup)))]: LOGS,
        '"*"': XRAY,
        [key(joined(ids.bucket!, '/drift-shards/*'))]: ['s3:GetObject', 's3:PutObject'],
        [key(getAtt(ids.artifactKey!))]: ['kms:Decrypt', 'kms:GenerateDataKey'],
        [key(joined(ids.inferenceData!, '/capture/*'))]: ['s3:GetObject'],
        [key(getAtt(ids.inferenceData!))]: ['s3:ListBucket'],
        [key(getAtt(ids.inferenceDataKey!))]: ['kms:Decrypt'],
      });
    });

    it('run has 15 minutes and at least 1024 MB for a window of captured data, and the environment it reads', () => {
      const fn = resources[ids.run!]!.Properties;

      expect(fn['Timeout']).toBe(900);
      expect(fn['MemorySize']).toBeGreaterThanOrEqual(1024);
      expect(fn['Handler']).toBe('index.run');
      expect((fn['Environment'] as { Variables: unknown }).Variables).toMatchObject({
        STEWARD_MODE: 'aws',
        TABLE_NAME: { Ref: ids.table },
        ARTIFACTS_BUCKET: { Ref: ids.bucket },
        RESOURCE_PREFIX: 'steward',
        POWERTOOLS_METRICS_NAMESPACE: 'Steward',
      });
      expect(resources[ids.due!]!.Properties['Handler']).toBe('index.due');
    });
  });

  describe('context dataBuckets', () => {
    let t: Synthesized;
    beforeAll(() => {
      t = synthStack({ dataBuckets: ['reference-data', { bucket: 'labels.example', keyArn: DATA_KEY_ARN }] });
    });

    it('lets the run functions and the monitoring API read (get and list, nothing else) the named buckets, and decrypt through S3 with the named key', () => {
      for (const statements of [
        roleStatements(t.template, logicalId(t.stack.drift.run.role)),
        functionStatements(t, 'drift-runs'),
        functionStatements(t, 'monitoring'),
      ]) {
        const grants = grantsByResource(statements);

        expect(grants[key(s3Arn('reference-data/*'))]).toEqual(['s3:GetObject']);
        expect(grants[key(s3Arn('reference-data'))]).toEqual(['s3:ListBucket']);
        expect(grants[key(s3Arn('labels.example/*'))]).toEqual(['s3:GetObject']);
        expect(grants[key(s3Arn('labels.example'))]).toEqual(['s3:ListBucket']);
        const viaS3 = {
          StringLike: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.*.', { Ref: 'AWS::URLSuffix' }]] } },
        };
        expect(grants[`${key(DATA_KEY_ARN)} when ${key(viaS3)}`]).toEqual(['kms:Decrypt']);
      }
    });

    it('adds no finding that is not acknowledged', () => {
      const app = new App({
        context: cdkContext({
          dataBuckets: ['reference-data', { bucket: 'labels.example', keyArn: DATA_KEY_ARN }],
          driftAlarmEmail: 'ml-oncall@example.com',
        }),
        builtinCloudFormationValidation: false,
      });
      new StewardStack(app, 'Steward');
      app.synth();

      expect(findingsOf(app)).toEqual([]);
    });
  });

  it('no other role may invoke the drift task functions', () => {
    const policies = Object.entries(s.template.findResources('AWS::IAM::Policy'));
    const invokers = policies
      .filter(([, p]) =>
        (p['Properties'].PolicyDocument.Statement as Statement[]).some(
          (st) =>
            actionsOf(st).includes('lambda:InvokeFunction') &&
            JSON.stringify(st.Resource).match(new RegExp(`${ids.due}|${ids.run}`)),
        ),
      )
      .flatMap(([, p]) => p['Properties'].Roles as unknown[]);

    expect(invokers).toEqual([{ Ref: ids.machineRole }]);
  });
});
