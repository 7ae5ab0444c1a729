import { SFNClient } from '@aws-sdk/client-sfn';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { resetClients } from '#commons/clients';
import { resetConfig } from '#commons/config';
import type { AliasItem, DeploymentItem, DriftRunItem, ModelItem, VersionItem } from '#domain/items';

/**
 * The services' unit tests run the real adapters against mocked SDK clients (aws-sdk-client-mock):
 * reads come from an in-memory table, writes are recorded, and a test makes a write fail the way
 * DynamoDB does (a cancelled transaction, with the reason on the write whose condition failed).
 */
export const ddb = mockClient(DynamoDBDocumentClient);
export const sfn = mockClient(SFNClient);

let table = new Map<string, Record<string, unknown>>();

export const store = (key: { pk: string; sk: string }, item: object) =>
  table.set(`${key.pk}|${key.sk}`, { ...key, ...item });
export const read = (key: { pk: string; sk: string }) => table.get(`${key.pk}|${key.sk}`);

/** Fresh configuration, clients and table: reads served from the table, every write accepted. */
export const resetAws = (env: Record<string, string> = {}) => {
  process.env.TABLE_NAME = 'steward';
  process.env.AWS_REGION = 'eu-west-1';
  Object.assign(process.env, env);
  resetConfig();
  resetClients();
  ddb.reset();
  sfn.reset();
  table = new Map();
  ddb.on(GetCommand).callsFake((input) => ({ Item: read(input.Key) }));
  ddb.on(BatchGetCommand).callsFake((input) => ({
    Responses: Object.fromEntries(
      Object.entries(input.RequestItems as Record<string, { Keys: { pk: string; sk: string }[] }>).map(
        ([name, { Keys }]) => [name, Keys.map(read).filter(Boolean)],
      ),
    ),
  }));
  // A read of one partition of the table (no index): its items in sk order, as a Query answers,
  // kept to `begins_with(sk, :v)` or `sk < :v` when the key condition says so.
  ddb.on(QueryCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues ?? {};
    const condition = String(input.KeyConditionExpression);
    const prefix = /begins_with\(sk, (:\w+)\)/.exec(condition)?.[1];
    const below = /sk < (:\w+)/.exec(condition)?.[1];
    const items = [...table.values()]
      .filter((i) => !input.IndexName && i.pk === values[':pk'])
      .filter((i) => prefix === undefined || String(i.sk).startsWith(String(values[prefix])))
      .filter((i) => below === undefined || String(i.sk) < String(values[below]))
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    if (input.ScanIndexForward === false) items.reverse();
    return { Items: input.Limit ? items.slice(0, input.Limit) : items };
  });
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
};

/** A transaction refused on the write at `index` (0 the model, 1 the audit event, then the writes). */
export const cancelledAt = (index: number, item?: Record<string, unknown>) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: Array.from({ length: index + 1 }, (_, i) =>
      i === index ? { Code: 'ConditionalCheckFailed', ...(item ? { Item: item } : {}) } : { Code: 'None' },
    ),
  });

/** The TransactItems of every transaction sent, in order. */
export const transactions = () =>
  ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);

/** The error a use case was refused with (failing the test when it was not). */
export const refusal = async (promise: Promise<unknown>): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the use case should have been refused').toBeInstanceOf(Error);
  return error as Error;
};

// ---- Stored items, whole: the adapters parse what they read (functions/domain/items.ts) -------

const AT = '2026-01-01T00:00:00.000Z';

export const modelItem = (overrides: Partial<ModelItem> = {}): ModelItem => ({
  entity: 'model',
  name: 'churn',
  owner: 'bob',
  tags: {},
  latestVersion: 1,
  auditSeq: 1,
  auditHead: 'f'.repeat(64),
  createdAt: AT,
  createdBy: 'bob',
  updatedAt: AT,
  updatedBy: 'bob',
  ...overrides,
});

export const versionItem = (overrides: Partial<VersionItem> = {}): VersionItem => ({
  entity: 'version',
  name: 'churn',
  version: 1,
  status: 'READY',
  artifact: { sha256: 'a'.repeat(64), sizeBytes: 3, bucket: 'artifacts', key: 'models/churn/u/model.bin' },
  metrics: {},
  lineage: {},
  tags: {},
  revision: 1,
  createdAt: AT,
  createdBy: 'bob',
  updatedAt: AT,
  updatedBy: 'bob',
  ...overrides,
});

export const aliasItem = (overrides: Partial<AliasItem> = {}): AliasItem => ({
  entity: 'alias',
  name: 'churn',
  alias: 'champion',
  version: 1,
  createdAt: AT,
  createdBy: 'bob',
  ...overrides,
});

export const deploymentItem = (overrides: Partial<DeploymentItem> = {}): DeploymentItem => ({
  entity: 'deployment',
  id: 'dep-1',
  model: 'churn',
  version: 1,
  environment: 'prod',
  target: { kind: 'lambda', functionName: 'churn-fn', alias: 'live' },
  targetId: 't',
  strategy: {},
  alarms: [],
  status: 'SUCCEEDED',
  operation: 'deploy',
  history: [],
  resources: {},
  createdAt: AT,
  createdBy: 'bob',
  updatedAt: AT,
  ...overrides,
});

export const driftRunItem = (overrides: Partial<DriftRunItem> = {}): DriftRunItem => ({
  entity: 'drift-run',
  id: 'dr-1',
  deploymentId: 'dep-1',
  model: 'churn',
  environment: 'prod',
  window: { from: AT, to: AT },
  rows: 0,
  driftedShare: 0,
  status: 'OK',
  empty: true,
  drifted: [],
  reportUri: 's3://artifacts/reports/churn/dep-1/x.json',
  trigger: 'schedule',
  at: AT,
  ...overrides,
});

/** A serving reference as a target item keeps it, whole: a test names what it is about. */
export const servingRef = (ref: unknown) =>
  ref === undefined
    ? undefined
    : { deploymentId: 'dep-1', model: 'churn', version: 1, since: AT, resources: {}, ...(ref as object) };
