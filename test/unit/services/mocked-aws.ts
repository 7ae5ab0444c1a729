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
import type * as z from 'zod';
import { resetClients } from '#commons/clients';
import { resetConfig } from '#commons/config';
import {
  AliasItem,
  ApprovalItem,
  DeploymentItem,
  DriftRunItem,
  ModelItem,
  type ServingRef,
  TargetItem,
  VersionItem,
} from '#domain/items';

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

/**
 * A stored item: the builder's defaults with a test's overrides, checked against the item's own
 * schema, strictly, so a builder never hands a test an item the adapters would refuse, and a
 * misspelt override fails here rather than being carried along unread.
 */
const whole = <T extends object>(schema: z.ZodObject, item: T): T => schema.strict().parse(item) as T;

export const modelItem = (overrides: Partial<ModelItem> = {}): ModelItem =>
  whole(ModelItem, {
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

export const versionItem = (overrides: Partial<VersionItem> = {}): VersionItem =>
  whole(VersionItem, {
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

export const aliasItem = (overrides: Partial<AliasItem> = {}): AliasItem =>
  whole(AliasItem, {
    entity: 'alias',
    name: 'churn',
    alias: 'champion',
    version: 1,
    createdAt: AT,
    createdBy: 'bob',
    ...overrides,
  });

export const deploymentItem = (overrides: Partial<DeploymentItem> = {}): DeploymentItem =>
  whole(DeploymentItem, {
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

/** A serving reference as a target item keeps it, whole: a test names only what it is about. */
export const servingRef = (ref: Partial<ServingRef>): ServingRef => ({
  deploymentId: 'dep-1',
  model: 'churn',
  version: 1,
  since: AT,
  resources: {},
  ...ref,
});

/** A target; `current` and `previous` are given as the parts of a serving reference that matter. */
export const targetItem = (
  overrides: Partial<Omit<TargetItem, 'current' | 'previous'>> & {
    current?: Partial<ServingRef>;
    previous?: Partial<ServingRef>;
  } = {},
): TargetItem => {
  const { current, previous, ...rest } = overrides;
  return whole(TargetItem, {
    entity: 'target',
    environment: 'prod',
    targetId: 't',
    ...rest,
    ...(current ? { current: servingRef(current) } : {}),
    ...(previous ? { previous: servingRef(previous) } : {}),
  });
};

/** A PENDING request for churn v1 in prod, by alice, registered by bob, one group (risk: carol). */
export const approvalItem = (overrides: Partial<ApprovalItem> = {}): ApprovalItem =>
  whole(ApprovalItem, {
    entity: 'approval',
    id: `ar-${'0'.repeat(32)}`,
    model: 'churn',
    version: 1,
    environment: 'prod',
    status: 'PENDING',
    requestedBy: 'alice',
    requestedAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    expiresAtEpoch: Math.floor(Date.now() / 1000) + 3600,
    registrant: 'bob',
    groups: [{ name: 'risk', minApprovals: 1, members: ['carol'], approvals: 0, done: false }],
    approvers: ['carol'],
    decisions: [],
    revision: 1,
    ...overrides,
  });

export const driftRunItem = (overrides: Partial<DriftRunItem> = {}): DriftRunItem =>
  whole(DriftRunItem, {
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
