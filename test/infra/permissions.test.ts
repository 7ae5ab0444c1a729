import { beforeAll, describe, expect, it } from 'vitest';
import { keys, SYSTEM_CHAIN } from '../../functions/adapters/keys.ts';
import { type FunctionGroup, functionGroups } from '../../functions/api/routes.ts';
import { EnvSchema } from '../../functions/commons/facts.ts';
import { EnvironmentDefaults } from '../../functions/domain/environment.ts';
import { contextDefaults } from '../../infra/aws/context.ts';
import { AUDIT_PARTITION_PATTERN } from '../../infra/aws/data.ts';
import {
  actionsOf,
  functionStatements,
  grantsByResource,
  LOGS,
  logicalId,
  roleStatements,
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

/** What each group may do, stated here rather than derived from the stack, so the test can fail. */
const expectedAccess: Record<
  string,
  | 'none'
  | 'read'
  | 'read+reports'
  | 'read-write'
  | 'read-write+artifacts'
  | 'read-write+artifacts-read'
  | 'read-write+drift'
  | 'read-write+baselines'
> = {
  meta: 'none',
  models: 'read-write',
  versions: 'read-write+artifacts',
  aliases: 'read-write',
  lineage: 'read-write',
  audit: 'read',
  environments: 'read-write',
  inventory: 'read',
  approvals: 'read-write',
  'approval-links': 'read-write',
  deployments: 'read-write',
  monitoring: 'read-write+baselines',
  'drift-runs': 'read-write+drift',
  evidence: 'read+reports',
  mlflow: 'read-write+artifacts-read',
};
/** The indexes each group queries (in functions/adapters); none means the base table only. */
const expectedIndexes: Record<string, string[]> = {
  meta: [],
  models: ['gsi1'],
  versions: [],
  aliases: [],
  lineage: [],
  audit: ['gsi1', 'gsi2'],
  environments: ['gsi1'],
  inventory: ['gsi1'],
  approvals: ['gsi1', 'gsi2'],
  'approval-links': ['gsi1'],
  deployments: ['gsi1'],
  monitoring: [],
  'drift-runs': [],
  evidence: ['gsi1'],
  mlflow: ['gsi1'],
};
/** The groups whose handlers resolve environment policies (registration, environments, approvals, deployments). */
const SEEDED_ENVIRONMENTS = ['versions', 'environments', 'approvals', 'deployments'];
/** The groups that start approval workflows, deployment workflows, and those that answer callback tasks. */
const APPROVAL_STARTERS = ['approvals'];
const DEPLOYMENT_STARTERS = ['deployments'];
const REGISTRATION_STARTERS = ['mlflow'];
const TASK_ANSWERERS = ['approvals', 'approval-links'];
const TASK_RESPONSE = ['states:SendTaskFailure', 'states:SendTaskSuccess'];
/** The groups that run drift: they read their targets' metrics, which have no resource type. */
const DRIFT_RUNNERS = ['drift-runs'];
const METRIC_READ = ['cloudwatch:GetMetricData'];
/** What a group may do on "*": X-Ray, and what else has no resource type. */
const wildcardActions = (group: string) =>
  [
    ...(TASK_ANSWERERS.includes(group) ? TASK_RESPONSE : []),
    ...(DRIFT_RUNNERS.includes(group) ? METRIC_READ : []),
    ...XRAY,
  ].sort();

const CURSOR_SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const ARTIFACT_OBJECTS = [
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:GetObjectVersion',
  's3:ListMultipartUploadParts',
  's3:PutObject',
];
const ARTIFACT_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** The drift alarms' ARNs: `<prefix>-drift-*` in this account and region. */
const DRIFT_ALARMS = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:alarm:${contextDefaults.resourcePrefix}-drift-*`,
    ],
  ],
};

/** Every alarm of the account: a deployment starter reads which rollback alarms exist (DescribeAlarms). */
const ALL_ALARMS = {
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
};

const denies = (statements: Statement[]) => statements.filter((st) => st.Effect === 'Deny');

const getAtt = (id: string, attribute = 'Arn') => JSON.stringify({ 'Fn::GetAtt': [id, attribute] });
const joined = (id: string, suffix: string) =>
  JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, suffix]] });

describe('function permissions', () => {
  let s: Synthesized;
  let ids: Record<string, string>;
  beforeAll(() => {
    s = synthStack();
    ids = {
      table: logicalId(s.stack.data.table),
      tableKey: logicalId(s.stack.data.tableKey),
      secret: logicalId(s.stack.data.cursorSecret),
      bucket: logicalId(s.stack.artifacts.bucket),
      artifactKey: logicalId(s.stack.artifacts.key),
      stateMachine: logicalId(s.stack.approvals.stateMachine),
      deploymentStateMachine: logicalId(s.stack.deployments.stateMachine),
      registrationStateMachine: logicalId(s.stack.registrations.stateMachine),
      inferenceData: logicalId(s.stack.deployments.inferenceData),
      inferenceDataKey: logicalId(s.stack.deployments.inferenceDataKey),
      tokenKey: logicalId(s.stack.approvals.tokenKey),
      alarmTopic: logicalId(s.stack.monitoring.alarmTopic),
    };
  });

  const ownBasics = (group: FunctionGroup) => ({
    [getAtt(logicalId(s.stack.api.functions[group].logGroup))]: LOGS,
    '"*"': wildcardActions(group),
    ...(TASK_ANSWERERS.includes(group)
      ? { [`${getAtt(ids.tokenKey!)} when ${JSON.stringify(TOKEN_CONTEXT)}`]: ['kms:Decrypt'] }
      : {}),
    ...(APPROVAL_STARTERS.includes(group)
      ? { [JSON.stringify({ Ref: ids.stateMachine })]: ['states:StartExecution'] }
      : {}),
    ...(DEPLOYMENT_STARTERS.includes(group)
      ? {
          [JSON.stringify({ Ref: ids.deploymentStateMachine })]: ['states:StartExecution'],
          [JSON.stringify(ALL_ALARMS)]: ['cloudwatch:DescribeAlarms'],
        }
      : {}),
    ...(REGISTRATION_STARTERS.includes(group)
      ? { [JSON.stringify({ Ref: ids.registrationStateMachine })]: ['states:StartExecution'] }
      : {}),
  });
  const registry = (group: FunctionGroup, items: string[], key: string[]) => ({
    [getAtt(ids.table!)]: items,
    ...Object.fromEntries(
      expectedIndexes[group]!.map((index) => [joined(ids.table!, `/index/${index}`), ['dynamodb:Query']]),
    ),
    [getAtt(ids.tableKey!)]: key,
    [JSON.stringify({ Ref: ids.secret })]: CURSOR_SECRET,
  });
  /**
   * Baselines and reports in the artifacts bucket, captured data in the inference data bucket. A
   * run reads baselines and writes reports; the monitoring API writes baselines and presigns GETs
   * of report pages.
   */
  const driftRun = (options: { writesBaselines: boolean }) => ({
    [joined(ids.bucket!, '/baselines/*')]: options.writesBaselines
      ? ['s3:GetObject', 's3:PutObject']
      : ['s3:GetObject'],
    [joined(ids.bucket!, '/reports/*')]: options.writesBaselines ? ['s3:GetObject'] : ['s3:PutObject'],
    [getAtt(ids.artifactKey!)]: ARTIFACT_KEY,
    [joined(ids.inferenceData!, '/capture/*')]: ['s3:GetObject'],
    [getAtt(ids.inferenceData!)]: ['s3:ListBucket'],
    [getAtt(ids.inferenceDataKey!)]: ['kms:Decrypt'],
  });
  const driftAlarms = () => {
    const alarms = JSON.stringify(DRIFT_ALARMS);
    const onlyToTheTopic = {
      'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: ids.alarmTopic }] },
    };
    return {
      [`${alarms} when ${JSON.stringify(onlyToTheTopic)}`]: ['cloudwatch:PutMetricAlarm'],
      [alarms]: ['cloudwatch:DeleteAlarms'],
    };
  };
  const expectedGrants = (group: FunctionGroup) => {
    switch (expectedAccess[group]) {
      case 'none':
        return ownBasics(group);
      case 'read':
        return { ...ownBasics(group), ...registry(group, TABLE_READ, TABLE_KEY_READ) };
      case 'read+reports':
        return {
          ...ownBasics(group),
          ...registry(group, TABLE_READ, TABLE_KEY_READ),
          [joined(ids.bucket!, '/reports/*')]: ['s3:GetObject'],
          [getAtt(ids.artifactKey!)]: ['kms:Decrypt'],
        };
      case 'read-write':
        return { ...ownBasics(group), ...registry(group, TABLE_READ_WRITE, TABLE_KEY_READ_WRITE) };
      case 'read-write+artifacts':
        return {
          ...ownBasics(group),
          ...registry(group, TABLE_READ_WRITE, TABLE_KEY_READ_WRITE),
          [joined(ids.bucket!, '/*')]: ARTIFACT_OBJECTS,
          [getAtt(ids.artifactKey!)]: ARTIFACT_KEY,
        };
      case 'read-write+artifacts-read':
        return {
          ...ownBasics(group),
          ...registry(group, TABLE_READ_WRITE, TABLE_KEY_READ_WRITE),
          [joined(ids.bucket!, '/models/*')]: ['s3:GetObject', 's3:GetObjectVersion'],
          [getAtt(ids.artifactKey!)]: ['kms:Decrypt'],
        };
      case 'read-write+baselines':
        return {
          ...ownBasics(group),
          ...registry(group, TABLE_READ_WRITE, TABLE_KEY_READ_WRITE),
          ...driftRun({ writesBaselines: true }),
          ...driftAlarms(),
        };
      case 'read-write+drift':
        return {
          ...ownBasics(group),
          ...registry(group, TABLE_READ_WRITE, TABLE_KEY_READ_WRITE),
          ...driftRun({ writesBaselines: false }),
        };
      default:
        throw new Error(`no expected permissions stated for function group "${group}"`);
    }
  };

  it.each([...functionGroups])('%s holds exactly the grants its routes need', (group) => {
    expect(grantsByResource(functionStatements(s, group))).toEqual(expectedGrants(group));
  });

  it('meta touches no data at all', () => {
    const actions = functionStatements(s, 'meta').flatMap(actionsOf);
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([]);
  });

  it('only versions, mlflow (read), evidence (reports, read), monitoring and drift-runs touch S3 (baselines, reports, captured data), and none can delete', () => {
    for (const group of functionGroups) {
      const s3Actions = [
        ...new Set(
          functionStatements(s, group)
            .flatMap(actionsOf)
            .filter((a) => a.startsWith('s3:')),
        ),
      ].sort();
      if (group === 'versions') {
        expect(s3Actions).toEqual(ARTIFACT_OBJECTS);
      } else if (group === 'mlflow') {
        expect(s3Actions).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      } else if (group === 'evidence') {
        expect(s3Actions).toEqual(['s3:GetObject']);
      } else if (group === 'monitoring' || group === 'drift-runs') {
        expect(s3Actions, group).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
      } else {
        expect(s3Actions, group).toEqual([]);
      }
    }
  });

  it('monitoring makes and removes only alarms named <prefix>-drift-*, and only ones that notify the drift topic', () => {
    const alarmStatements = functionStatements(s, 'monitoring').filter((st) =>
      actionsOf(st).some((a) => a.startsWith('cloudwatch:') && a !== 'cloudwatch:GetMetricData'),
    );

    expect(alarmStatements).toEqual([
      {
        Action: 'cloudwatch:PutMetricAlarm',
        Effect: 'Allow',
        Resource: DRIFT_ALARMS,
        Condition: {
          'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: ids.alarmTopic }] },
        },
      },
      { Action: 'cloudwatch:DeleteAlarms', Effect: 'Allow', Resource: DRIFT_ALARMS },
    ]);
    // No other function may touch an alarm; a deployment starter may only read which alarms exist,
    // and a drift run only read its target's metrics.
    for (const group of functionGroups.filter((g) => g !== 'monitoring')) {
      const actions = functionStatements(s, group).flatMap(actionsOf);
      expect(
        actions.filter((a) => a.startsWith('cloudwatch:')),
        group,
      ).toEqual(
        DEPLOYMENT_STARTERS.includes(group)
          ? ['cloudwatch:DescribeAlarms']
          : DRIFT_RUNNERS.includes(group)
            ? METRIC_READ
            : [],
      );
    }
  });

  it('audit, inventory and evidence only read: no write action on the table or its key', () => {
    const writes = [
      ...TABLE_READ_WRITE.filter((a) => !TABLE_READ.includes(a)),
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ];
    for (const group of ['audit', 'inventory', 'evidence'] as const) {
      const actions = functionStatements(s, group)
        .filter((st) => st.Effect === 'Allow')
        .flatMap(actionsOf);
      expect(actions.filter((a) => writes.includes(a))).toEqual([]);
    }
  });

  it('every function that can write the table is denied updating, deleting or batch-writing audit items', () => {
    for (const group of functionGroups) {
      const canWrite = functionStatements(s, group)
        .filter((st) => st.Effect === 'Allow')
        .some((st) => actionsOf(st).includes('dynamodb:PutItem'));
      const expected = canWrite
        ? [
            {
              Sid: 'AuditItemsAreAppendOnly',
              Effect: 'Deny',
              Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
              Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] },
              Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
            },
          ]
        : [];
      expect(denies(functionStatements(s, group)), group).toEqual(expected);
    }
    expect(functionGroups.filter((g) => expectedAccess[g]!.startsWith('read-write'))).toHaveLength(11);
  });

  it('the append-only deny matches the partition the audit keys are built in, and no other', () => {
    const pattern = new RegExp(`^${AUDIT_PARTITION_PATTERN.replace('*', '.*')}$`);
    expect(keys.audit('fraud-model', 7).pk).toMatch(pattern);
    expect(keys.audit(SYSTEM_CHAIN, 1).pk).toMatch(pattern);
    for (const other of [
      keys.model('fraud-model').pk,
      keys.node('dataset:s3://b/k'),
      keys.idempotency('ab').pk,
    ]) {
      expect(other).not.toMatch(pattern);
    }
  });

  it('no API function can scan the table or read its stream', () => {
    const actions = functionGroups.flatMap((g) => functionStatements(s, g).flatMap(actionsOf));
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']) {
      expect(actions).not.toContain(forbidden);
    }
  });

  it('the only "*" resources a function holds are X-Ray, task answers and metric reads, which have no resource type', () => {
    for (const group of functionGroups) {
      const wildcard = functionStatements(s, group).filter((st) => JSON.stringify(st.Resource) === '"*"');
      expect(wildcard.flatMap(actionsOf).sort(), group).toEqual(wildcardActions(group));
    }
  });

  it('approvals starts approval executions; deployments and the approval record task start deployment executions; the drift schedule and the drift machine (its Distributed Map) start drift executions; mlflow starts registration copies; nobody else starts any', () => {
    const startsIn = (statements: Statement[]) =>
      statements.filter((st) => actionsOf(st).some((a) => a.startsWith('states:Start')));
    const approval = {
      Action: 'states:StartExecution',
      Effect: 'Allow',
      Resource: { Ref: ids.stateMachine },
    };
    const deployment = {
      Action: 'states:StartExecution',
      Effect: 'Allow',
      Resource: { Ref: ids.deploymentStateMachine },
    };
    const policies = Object.values(s.template.findResources('AWS::IAM::Policy'));
    const starts = startsIn(policies.flatMap((p) => p['Properties'].PolicyDocument.Statement as Statement[]));
    // approvals, mlflow, deployments, the approval record task, the drift schedule, the drift machine.
    expect(starts).toHaveLength(6);
    expect(startsIn(functionStatements(s, 'approvals'))).toEqual([approval]);
    expect(startsIn(functionStatements(s, 'mlflow'))).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: ids.registrationStateMachine },
      },
    ]);
    expect(startsIn(functionStatements(s, 'deployments'))).toEqual([deployment]);
    const record = roleStatements(s.template, logicalId(s.stack.approvals.record.role));
    expect(startsIn(record)).toEqual([deployment]);
    // The fifth: the drift schedule's role starts drift dispatches (drift.test.ts).
    const schedule = roleStatements(s.template, logicalId(s.stack.drift.scheduleRole));
    expect(startsIn(schedule)).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: logicalId(s.stack.drift.stateMachine) },
      },
    ]);
    // The sixth: the drift state machine starts its own Distributed Map children (drift.test.ts).
    expect(startsIn(roleStatements(s.template, logicalId(s.stack.drift.stateMachineRole)))).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: logicalId(s.stack.drift.stateMachine) },
      },
    ]);
  });

  it('function roles carry no managed policies', () => {
    for (const group of functionGroups) {
      const role = s.template.toJSON().Resources[logicalId(s.stack.api.functions[group].role)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('every function (API, workflow tasks, drift, audit exporter) is set only variables the functions read', () => {
    // Powertools and Node read their own; every other name must be one functions/commons/facts.ts declares.
    const runtimeOwn = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS'];
    const known = new Set([...Object.keys(EnvSchema.shape), ...runtimeOwn]);
    const functions = Object.values(s.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'steward',
    );

    expect(functions.length).toBeGreaterThanOrEqual(functionGroups.length + 6);
    for (const fn of functions)
      for (const name of Object.keys(fn.Properties.Environment.Variables)) expect(known).toContain(name);
  });

  it('each group gets the environment its handlers read', () => {
    const fns = s.template.toJSON().Resources;
    const envOf = (group: FunctionGroup) =>
      fns[logicalId(s.stack.api.functions[group].fn)].Properties.Environment.Variables;
    for (const group of functionGroups) {
      const env = envOf(group);
      expect(env).toMatchObject({
        STEWARD_MODE: 'aws',
        TABLE_NAME: { Ref: ids.table },
        CURSOR_SECRET_ARN: { Ref: ids.secret },
        POWERTOOLS_SERVICE_NAME: 'steward',
        POWERTOOLS_METRICS_NAMESPACE: 'Steward',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(JSON.parse(env.STEWARD_ROLES)).toContainEqual({
        pattern: 'arn:*:sts::*:assumed-role/StewardAdmin/*',
        roles: ['admin'],
      });
      if (
        group === 'versions' ||
        group === 'mlflow' ||
        group === 'monitoring' ||
        DRIFT_RUNNERS.includes(group)
      ) {
        expect(env).toMatchObject({ ARTIFACTS_BUCKET: { Ref: ids.bucket }, S3_CHECKSUMS: 'true' });
      } else {
        expect(env).not.toHaveProperty('ARTIFACTS_BUCKET');
      }
      if (REGISTRATION_STARTERS.includes(group)) {
        expect(env).toMatchObject({
          REGISTRATION_STATE_MACHINE_ARN: { Ref: ids.registrationStateMachine },
          SOURCE_BUCKETS: '[]',
        });
      } else {
        expect(env).not.toHaveProperty('REGISTRATION_STATE_MACHINE_ARN');
      }
      if (group === 'monitoring') {
        expect(env).toMatchObject({
          RESOURCE_PREFIX: 'steward',
          DRIFT_ALARM_TOPIC_ARN: { Ref: ids.alarmTopic },
        });
      } else {
        expect(env).not.toHaveProperty('DRIFT_ALARM_TOPIC_ARN');
      }
      if (APPROVAL_STARTERS.includes(group)) {
        expect(env).toMatchObject({ APPROVAL_STATE_MACHINE_ARN: { Ref: ids.stateMachine } });
      } else {
        expect(env).not.toHaveProperty('APPROVAL_STATE_MACHINE_ARN');
      }
      if (TASK_ANSWERERS.includes(group)) {
        expect(env).toMatchObject({ TOKEN_KEY_ID: { 'Fn::GetAtt': [ids.tokenKey, 'Arn'] } });
      } else {
        expect(env).not.toHaveProperty('TOKEN_KEY_ID');
      }
      if (DEPLOYMENT_STARTERS.includes(group)) {
        expect(env).toMatchObject({
          DEPLOYMENT_STATE_MACHINE_ARN: { Ref: ids.deploymentStateMachine },
          RESOURCE_PREFIX: 'steward',
          LAMBDA_TARGETS: '[]',
        });
      } else {
        for (const name of ['DEPLOYMENT_STATE_MACHINE_ARN', 'LAMBDA_TARGETS'])
          expect(env).not.toHaveProperty(name);
      }
      if (SEEDED_ENVIRONMENTS.includes(group)) {
        expect(JSON.parse(env.STEWARD_ENVIRONMENTS)).toEqual(contextDefaults.stewardEnvironments);
        expect(EnvironmentDefaults.safeParse(JSON.parse(env.STEWARD_ENVIRONMENTS)).success).toBe(true);
      } else {
        expect(env).not.toHaveProperty('STEWARD_ENVIRONMENTS');
      }
    }
  });

  it('the events pipe reads the stream and puts events on the bus, nothing more', () => {
    const pipe = s.template.toJSON().Resources[logicalId(s.stack.events.pipe)];
    const roleId = pipe.Properties.RoleArn['Fn::GetAtt'][0] as string;
    expect(grantsByResource(roleStatements(s.template, roleId))).toEqual({
      '"*"': ['dynamodb:ListStreams'],
      [getAtt(ids.table!, 'StreamArn')]: [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
      ],
      [getAtt(ids.tableKey!)]: ['kms:Decrypt', 'kms:DescribeKey'],
      [getAtt(logicalId(s.stack.events.bus))]: ['events:PutEvents'],
      [getAtt(logicalId(s.stack.events.deadLetterQueue))]: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
      [getAtt(pipe.Properties.LogConfiguration.CloudwatchLogsLogDestination.LogGroupArn['Fn::GetAtt'][0])]:
        LOGS,
    });
  });
  it('the audit exporter reads the stream and puts objects under audit/ of the archive, nothing more', () => {
    const archive = s.stack.auditArchive;
    const statements = roleStatements(s.template, logicalId(archive.exporter.role));
    expect(denies(statements)).toEqual([]);
    expect(grantsByResource(statements)).toEqual({
      [getAtt(logicalId(archive.exporter.logGroup))]: LOGS,
      '"*"': ['dynamodb:ListStreams', ...XRAY],
      [getAtt(ids.table!, 'StreamArn')]: [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
      ],
      [getAtt(ids.tableKey!)]: ['kms:Decrypt', 'kms:DescribeKey'],
      [joined(logicalId(archive.bucket), '/audit/*')]: ['s3:PutObject'],
      [getAtt(logicalId(archive.key))]: ['kms:GenerateDataKey'],
      [getAtt(logicalId(archive.deadLetterQueue))]: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ],
    });
  });

  it('the audit exporter holds nothing on the artifacts bucket and cannot delete or relock an archived event', () => {
    const statements = roleStatements(s.template, logicalId(s.stack.auditArchive.exporter.role));
    const text = JSON.stringify(statements);
    expect(text).not.toContain(ids.bucket!);
    expect(text).not.toContain(ids.artifactKey!);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual(['s3:PutObject']);
  });
});
