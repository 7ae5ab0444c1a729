import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionGroup, functionGroups } from '../../functions/http/routes.ts';
import {
  actionsOf,
  functionStatements,
  logicalId,
  roleStatements,
  type Statement,
  type Synthesized,
  synthStack,
} from './synth.ts';

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const TABLE_READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const TABLE_KEY_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_READ_WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** What each group may do, stated here rather than derived from the stack, so the test can fail. */
const expectedAccess: Record<string, 'none' | 'read' | 'read-write' | 'read-write+artifacts'> = {
  meta: 'none',
  models: 'read-write',
  versions: 'read-write+artifacts',
  aliases: 'read-write',
  lineage: 'read-write',
  audit: 'read',
  environments: 'read-write',
  inventory: 'read',
};
const CURSOR_SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const ARTIFACT_OBJECTS = [
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:GetObjectVersion',
  's3:ListMultipartUploadParts',
  's3:PutObject',
];
const ARTIFACT_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Each resource a function may touch, mapped to the sorted actions it may take on it. */
const grantsByResource = (statements: Statement[]): Record<string, string[]> => {
  const grants: Record<string, Set<string>> = {};
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const key = JSON.stringify(resource);
      grants[key] ??= new Set();
      for (const action of actionsOf(statement)) grants[key].add(action);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([k, v]) => [k, [...v].sort()]));
};

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
    };
  });

  const ownBasics = (group: FunctionGroup) => ({
    [getAtt(logicalId(s.stack.api.functions[group].logGroup))]: LOGS,
    '"*"': XRAY,
  });
  const registry = (items: string[], key: string[]) => ({
    [getAtt(ids.table!)]: items,
    [joined(ids.table!, '/index/gsi1')]: items,
    [getAtt(ids.tableKey!)]: key,
    [JSON.stringify({ Ref: ids.secret })]: CURSOR_SECRET,
  });
  const expectedGrants = (group: FunctionGroup) => {
    switch (expectedAccess[group]) {
      case 'none':
        return ownBasics(group);
      case 'read':
        return { ...ownBasics(group), ...registry(TABLE_READ, TABLE_KEY_READ) };
      case 'read-write':
        return { ...ownBasics(group), ...registry(TABLE_READ_WRITE, TABLE_KEY_READ_WRITE) };
      case 'read-write+artifacts':
        return {
          ...ownBasics(group),
          ...registry(TABLE_READ_WRITE, TABLE_KEY_READ_WRITE),
          [joined(ids.bucket!, '/*')]: ARTIFACT_OBJECTS,
          [getAtt(ids.artifactKey!)]: ARTIFACT_KEY,
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

  it('only versions touches artifacts, and it can never delete one', () => {
    for (const group of functionGroups) {
      const s3Actions = functionStatements(s, group)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('s3:'));
      if (group === 'versions') {
        expect(s3Actions.sort()).toEqual(ARTIFACT_OBJECTS);
      } else {
        expect(s3Actions).toEqual([]);
      }
    }
  });

  it('audit and inventory only read: no write action on the table or its key', () => {
    const writes = [
      ...TABLE_READ_WRITE.filter((a) => !TABLE_READ.includes(a)),
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ];
    for (const group of ['audit', 'inventory'] as const) {
      const actions = functionStatements(s, group).flatMap(actionsOf);
      expect(actions.filter((a) => writes.includes(a))).toEqual([]);
    }
  });

  it('no function can scan the table or read its stream', () => {
    const actions = functionGroups.flatMap((g) => functionStatements(s, g).flatMap(actionsOf));
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']) {
      expect(actions).not.toContain(forbidden);
    }
  });

  it('the only "*" resource a function holds is X-Ray, which has no resource type', () => {
    for (const group of functionGroups) {
      const wildcard = functionStatements(s, group).filter((st) => JSON.stringify(st.Resource) === '"*"');
      expect(wildcard.flatMap(actionsOf).sort()).toEqual(XRAY);
    }
  });

  it('function roles carry no managed policies', () => {
    for (const group of functionGroups) {
      const role = s.template.toJSON().Resources[logicalId(s.stack.api.functions[group].role)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
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
      if (group === 'versions') {
        expect(env).toMatchObject({ ARTIFACTS_BUCKET: { Ref: ids.bucket }, S3_CHECKSUMS: 'true' });
      } else {
        expect(env).not.toHaveProperty('ARTIFACTS_BUCKET');
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
});
