import { readFile, rm, writeFile } from 'node:fs/promises';
import type { ChangeFeed } from './dynamo-changes.ts';
import { itemId, type KeySchema, type KeySchemas, keyOf } from './dynamo-keys.ts';
import type { ReadWriteLock } from './dynamo-lock.ts';
import {
  type Backend,
  DynamoError,
  serviceError,
  validationError,
  type WireBody,
  type WireItem,
} from './dynamo-wire.ts';

/**
 * TransactWriteItems and TransactGetItems over dynalite, which has neither. Local mode is one
 * process, so one exclusive lock (that every other write also takes) makes a transaction isolated;
 * atomicity comes from snapshots of the touched items, restored in reverse order when any part
 * fails. With a data directory the snapshots are journalled first, so that a process killed in the
 * middle of a transaction is rolled back on the next start.
 */

type OpKind = 'ConditionCheck' | 'Put' | 'Update' | 'Delete';
const OP_KINDS: readonly OpKind[] = ['ConditionCheck', 'Put', 'Update', 'Delete'];

interface PlannedOp {
  kind: OpKind;
  tableName: string;
  schema: KeySchema;
  key: WireItem;
  spec: WireBody;
}

interface Outcome {
  code: 'None' | 'ConditionalCheckFailed' | 'ValidationError';
  message?: string;
  newImage?: WireItem;
}

interface JournalEntry {
  TableName: string;
  Key: WireItem;
  Item?: WireItem;
}

/** Errors dynalite finds only while applying an update; in a transaction DynamoDB reports them as a reason. */
const RUNTIME_VALIDATION = [
  'The provided expression refers to an attribute that does not exist in the item',
  'An operand in the update expression has an incorrect data type',
  'The document path provided in the update expression is invalid for update',
  'Item size to update has exceeded the maximum allowed size',
  'Type mismatch for attribute to update',
  'The update expression attempted to update the secondary index key to unsupported type',
];

const MAX_ITEMS = 100;
const TOKEN_TTL_MS = 10 * 60 * 1000;

export interface TransactionDeps {
  backend: Backend;
  schemas: KeySchemas;
  lock: ReadWriteLock;
  changes: ChangeFeed;
  /** Where to journal snapshots; undefined keeps no journal (in-memory store). */
  journalPath?: string;
}

export class Transactions {
  /** Successful ClientRequestTokens, oldest first, for DynamoDB's 10-minute idempotency window. */
  private readonly tokens = new Map<string, { fingerprint: string; expires: number }>();

  constructor(private readonly deps: TransactionDeps) {}

  async write(request: WireBody): Promise<WireBody> {
    const items = itemList(request.TransactItems);
    const plan = await this.plan(items);
    const token = typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : undefined;
    const fingerprint = JSON.stringify(items);
    const answer = writeAnswer(request, plan);

    return this.deps.lock.exclusive(async () => {
      if (token && this.replayed(token, fingerprint)) return answer;
      const { backend } = this.deps;
      const snapshots = await Promise.all(plan.map((op) => readItem(backend, op.tableName, op.key)));
      await this.journal(plan.map((op, i) => entry(op.tableName, op.key, snapshots[i])));

      const outcomes: Outcome[] = [];
      const applied: number[] = [];
      let fatal: unknown;
      for (const [i, op] of plan.entries()) {
        try {
          outcomes.push({ code: 'None', newImage: await apply(backend, op, snapshots[i]) });
          if (op.kind !== 'ConditionCheck') applied.push(i);
        } catch (error) {
          const reason = reasonFor(error);
          if (!reason) {
            fatal = error;
            break;
          }
          outcomes.push(reason);
        }
      }

      const failed = fatal !== undefined || outcomes.some((outcome) => outcome.code !== 'None');
      if (failed) {
        for (const i of applied.reverse()) {
          const op = plan[i]!;
          await restore(backend, entry(op.tableName, op.key, snapshots[i]));
        }
      }
      await this.journal(undefined);
      if (fatal !== undefined) throw fatal;
      if (failed) throw cancelled(plan, outcomes, snapshots);

      for (const [i, op] of plan.entries()) {
        if (op.kind === 'ConditionCheck') continue;
        // A put's image is read back: dynalite normalizes numbers as DynamoDB does.
        const newImage =
          op.kind === 'Put' ? await readItem(backend, op.tableName, op.key) : outcomes[i]?.newImage;
        this.deps.changes.emit(op.tableName, op.schema, snapshots[i], newImage);
      }
      if (token) this.remember(token, fingerprint);
      return answer;
    });
  }

  async get(request: WireBody): Promise<WireBody> {
    const items = itemList(request.TransactItems);
    const gets: { TableName: string; Key: WireItem; spec: WireBody }[] = [];
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      const spec = item.Get;
      if (Object.keys(item).length !== 1 || !isObject(spec)) {
        throw validationError(
          `1 validation error detected: Value null at 'transactItems.${i + 1}.member.get' failed to satisfy constraint: Member must not be null`,
        );
      }
      const { TableName, Key } = spec;
      if (typeof TableName !== 'string') throw validationError('TableName must be a string');
      const schema = await this.schemaOf(TableName);
      const key = keyOf(schema, isObject(Key) ? (Key as WireItem) : undefined);
      if (!key) throw validationError('The provided key element does not match the schema');
      const id = itemId(TableName, schema, key);
      if (seen.has(id))
        throw validationError('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      gets.push({ TableName, Key: key, spec });
    }

    return this.deps.lock.shared(async () => {
      const found = await Promise.all(
        gets.map(({ spec }) =>
          this.deps.backend.call<{ Item?: WireItem }>('GetItem', {
            TableName: spec.TableName,
            Key: spec.Key,
            ProjectionExpression: spec.ProjectionExpression,
            ExpressionAttributeNames: spec.ExpressionAttributeNames,
            ConsistentRead: true,
          }),
        ),
      );
      const answer: WireBody = { Responses: found.map(({ Item }) => (Item ? { Item } : {})) };
      const capacity = consumedCapacity(request, gets, 'ReadCapacityUnits');
      if (capacity) answer.ConsumedCapacity = capacity;
      return answer;
    });
  }

  /** Rolls back a transaction that a killed process left half applied (its journal survived). */
  async recover(): Promise<void> {
    const { journalPath } = this.deps;
    if (!journalPath) return;
    let entries: JournalEntry[];
    try {
      entries = JSON.parse(await readFile(journalPath, 'utf8')) as JournalEntry[];
    } catch {
      return;
    }
    for (const snapshot of [...entries].reverse()) await restore(this.deps.backend, snapshot);
    await rm(journalPath, { force: true });
  }

  private async plan(items: WireBody[]): Promise<PlannedOp[]> {
    const plan: PlannedOp[] = [];
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      const present = OP_KINDS.filter((kind) => item[kind] !== undefined && item[kind] !== null);
      const kind = present[0];
      const spec = kind ? item[kind] : undefined;
      if (present.length !== 1 || !kind || !isObject(spec)) {
        throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
      }
      const { TableName } = spec;
      if (typeof TableName !== 'string') {
        throw validationError(mustNotBeNull(`transactItems.${i + 1}.member.${lowerFirst(kind)}.tableName`));
      }
      if (kind === 'ConditionCheck' && typeof spec.ConditionExpression !== 'string') {
        throw validationError(
          mustNotBeNull(`transactItems.${i + 1}.member.conditionCheck.conditionExpression`),
        );
      }
      if (kind === 'Update' && typeof spec.UpdateExpression !== 'string') {
        throw validationError(mustNotBeNull(`transactItems.${i + 1}.member.update.updateExpression`));
      }
      const schema = await this.schemaOf(TableName);
      const source = kind === 'Put' ? spec.Item : spec.Key;
      const key = keyOf(schema, isObject(source) ? (source as WireItem) : undefined);
      if (!key) {
        throw validationError(
          kind === 'Put'
            ? `One or more parameter values were invalid: Missing the key ${schema.hash} in the item`
            : 'The provided key element does not match the schema',
        );
      }
      const id = itemId(TableName, schema, key);
      if (seen.has(id))
        throw validationError('Transaction request cannot include multiple operations on one item');
      seen.add(id);
      plan.push({ kind, tableName: TableName, schema, key, spec });
    }
    return plan;
  }

  /** The key schema; a missing table is answered as transactions answer it (no table name). */
  private async schemaOf(tableName: string): Promise<KeySchema> {
    try {
      return await this.deps.schemas.get(tableName);
    } catch (error) {
      if (error instanceof DynamoError && error.type === 'ResourceNotFoundException') {
        throw serviceError('ResourceNotFoundException', 'Requested resource not found');
      }
      throw error;
    }
  }

  private replayed(token: string, fingerprint: string): boolean {
    const now = Date.now();
    for (const [old, { expires }] of this.tokens) {
      if (expires > now) break;
      this.tokens.delete(old);
    }
    const previous = this.tokens.get(token);
    if (!previous) return false;
    if (previous.fingerprint !== fingerprint) {
      throw serviceError(
        'IdempotentParameterMismatchException',
        'Specified idempotency token was used with different request parameters within the idempotency window',
      );
    }
    return true;
  }

  private remember(token: string, fingerprint: string): void {
    this.tokens.set(token, { fingerprint, expires: Date.now() + TOKEN_TTL_MS });
  }

  private async journal(entries: JournalEntry[] | undefined): Promise<void> {
    const { journalPath } = this.deps;
    if (!journalPath) return;
    if (entries) await writeFile(journalPath, JSON.stringify(entries));
    else await rm(journalPath, { force: true });
  }
}

const isObject = (value: unknown): value is WireBody =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

const mustNotBeNull = (path: string): string =>
  `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`;

const itemList = (value: unknown): WireBody[] => {
  if (!Array.isArray(value)) throw validationError(mustNotBeNull('transactItems'));
  if (value.length < 1 || value.length > MAX_ITEMS) {
    const bound = value.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ITEMS}`;
    throw validationError(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  if (!value.every(isObject)) throw validationError(mustNotBeNull('transactItems.member'));
  return value;
};

const entry = (TableName: string, Key: WireItem, Item: WireItem | undefined): JournalEntry =>
  Item ? { TableName, Key, Item } : { TableName, Key };

const readItem = async (backend: Backend, TableName: string, Key: WireItem): Promise<WireItem | undefined> =>
  (await backend.call<{ Item?: WireItem }>('GetItem', { TableName, Key, ConsistentRead: true })).Item;

const restore = async (backend: Backend, snapshot: JournalEntry): Promise<void> => {
  if (snapshot.Item) await backend.call('PutItem', { TableName: snapshot.TableName, Item: snapshot.Item });
  else await backend.call('DeleteItem', { TableName: snapshot.TableName, Key: snapshot.Key });
};

/** Applies one operation with its condition; resolves with the item's new image. */
const apply = async (
  backend: Backend,
  op: PlannedOp,
  before: WireItem | undefined,
): Promise<WireItem | undefined> => {
  const { spec } = op;
  const condition = {
    TableName: op.tableName,
    ConditionExpression: spec.ConditionExpression,
    ExpressionAttributeNames: spec.ExpressionAttributeNames,
    ExpressionAttributeValues: spec.ExpressionAttributeValues,
  };
  switch (op.kind) {
    case 'Put':
      await backend.call('PutItem', { ...condition, Item: spec.Item });
      return spec.Item as WireItem;
    case 'Update': {
      const { Attributes } = await backend.call<{ Attributes?: WireItem }>('UpdateItem', {
        ...condition,
        Key: op.key,
        UpdateExpression: spec.UpdateExpression,
        ReturnValues: 'ALL_NEW',
      });
      return Attributes;
    }
    case 'Delete':
      await backend.call('DeleteItem', { ...condition, Key: op.key });
      return undefined;
    case 'ConditionCheck':
      // Evaluated by a write that changes nothing: the same image put back over an existing item,
      // or a delete of a missing one. The exclusive lock keeps anyone from seeing it.
      if (before) await backend.call('PutItem', { ...condition, Item: before });
      else await backend.call('DeleteItem', { ...condition, Key: op.key });
      return before;
  }
};

const reasonFor = (error: unknown): Outcome | undefined => {
  if (!(error instanceof DynamoError)) return undefined;
  if (error.type === 'ConditionalCheckFailedException') {
    return { code: 'ConditionalCheckFailed', message: 'The conditional request failed' };
  }
  if (error.type === 'ValidationException' && RUNTIME_VALIDATION.includes(error.message)) {
    return { code: 'ValidationError', message: error.message };
  }
  return undefined;
};

/** The TransactionCanceledException DynamoDB answers: one reason per item, in request order. */
const cancelled = (
  plan: PlannedOp[],
  outcomes: Outcome[],
  snapshots: (WireItem | undefined)[],
): DynamoError => {
  const reasons = plan.map((op, i) => {
    const outcome = outcomes[i] ?? { code: 'None' };
    if (outcome.code === 'None') return { Code: 'None' };
    const reason: WireBody = { Code: outcome.code, Message: outcome.message };
    const snapshot = snapshots[i];
    if (
      outcome.code === 'ConditionalCheckFailed' &&
      op.spec.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' &&
      snapshot
    ) {
      reason.Item = snapshot;
    }
    return reason;
  });
  const codes = reasons.map((reason) => reason.Code).join(', ');
  return new DynamoError(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
    CancellationReasons: reasons,
  });
};

const writeAnswer = (request: WireBody, plan: PlannedOp[]): WireBody => {
  const capacity = consumedCapacity(request, plan, 'WriteCapacityUnits');
  return capacity ? { ConsumedCapacity: capacity } : {};
};

/** Plausible ConsumedCapacity when asked for: transactions cost two units per item. */
const consumedCapacity = (
  request: WireBody,
  items: { TableName?: string; tableName?: string }[],
  unit: 'ReadCapacityUnits' | 'WriteCapacityUnits',
): WireBody[] | undefined => {
  if (request.ReturnConsumedCapacity !== 'TOTAL' && request.ReturnConsumedCapacity !== 'INDEXES')
    return undefined;
  const perTable = new Map<string, number>();
  for (const item of items) {
    const table = item.TableName ?? item.tableName ?? '';
    perTable.set(table, (perTable.get(table) ?? 0) + 2);
  }
  return [...perTable].map(([TableName, units]) => ({ TableName, CapacityUnits: units, [unit]: units }));
};
