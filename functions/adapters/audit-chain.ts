import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { doc } from '#commons/clients';
import { config } from '#commons/config';
import { ConflictError } from '#commons/errors';
import { type AuditEvent, chainEvent, GENESIS_HASH } from '#domain/audit';
import { ChainHeadItem } from '#domain/items';
import { markSettled, settleWrite } from './idempotency-store.ts';
import { keys } from './keys.ts';
import { getItem } from './table.ts';

/**
 * Writes a state change and its audit event in one transaction. The model item carries the head
 * of the model's chain (`auditSeq`, `auditHead`); every mutation moves it with a condition on the
 * sequence it read, so two writers can never both append event n, and a change without its event
 * (or an event without its change) cannot be committed.
 */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface ChainHead {
  name: string;
  auditSeq: number;
  auditHead: string;
}

export interface Mutation {
  /** The model as read; its chain head is the condition of the write. Omitted when the model is created. */
  head: ChainHead | undefined;
  name: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  at: string;
  /**
   * Created model item (with `head` undefined; `entity: 'chain'` for a chain that belongs to no
   * model) or fields to set on the existing model item.
   */
  createModel?: Record<string, unknown>;
  modelSet?: Record<string, unknown>;
  /** Fields (or dotted paths) to remove from the existing model item. */
  modelRemove?: string[];
  /**
   * The other writes of the change; their conditions state the invariants. A write made with
   * `refusedWith` says which named error its failed condition means.
   */
  writes?: TransactItem[];
  /** What it means when the model to create exists already. */
  refuseExisting?: () => Error;
  /** What a failed condition of a write that names no refusal of its own means. */
  otherwise?: Refusal;
}

/** The item as it was when a write's condition failed (`ALL_OLD`), or undefined where there was none. */
export type OldItem = Record<string, unknown> | undefined;
/** Names what a failed condition means, from the item as it was. */
export type Refusal = (old: OldItem) => Error;

const refusals = new WeakMap<TransactItem, Refusal>();

/**
 * Attach to a write the named error its failed condition means. The refusal is chosen from the
 * cancellation reason of this very write and the item it met, so reordering writes changes nothing.
 */
export const refusedWith = (write: TransactItem, refusal: Refusal): TransactItem => {
  refusals.set(write, refusal);
  return write;
};

/** The old item of a cancellation reason, as plain values (the SDK leaves it in wire form). */
const plainItem = (item: unknown): OldItem => {
  if (!item || typeof item !== 'object') return undefined;
  const values = Object.values(item as Record<string, unknown>);
  const wire = values.every(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1,
  );
  return wire ? unmarshall(item as Record<string, AttributeValue>) : (item as Record<string, unknown>);
};

/** Another writer moved the model's chain first: read again and retry. */
export class ChainConflict extends Error {
  override readonly name = 'ChainConflict';
}

/**
 * A condition of one of `writes` that names no refusal failed (index into `writes`), or the model
 * already exists (-1) and the mutation names no refusal for it. Callers never branch on the index.
 */
export class WriteConditionFailed extends Error {
  override readonly name = 'WriteConditionFailed';
  constructor(
    readonly index: number,
    readonly item: Record<string, unknown> | undefined,
  ) {
    super(`condition of write ${index} failed`);
  }
}

export const commitMutation = async (m: Mutation): Promise<AuditEvent> => {
  const seq = (m.head?.auditSeq ?? 0) + 1;
  const event = chainEvent({
    model: m.name,
    seq,
    at: m.at,
    actor: m.actor,
    action: m.action,
    target: m.target,
    ...(m.before === undefined ? {} : { before: m.before }),
    ...(m.after === undefined ? {} : { after: m.after }),
    prevHash: m.head?.auditHead ?? GENESIS_HASH,
  });
  const TableName = config().tableName;

  let modelWrite: TransactItem;
  if (m.head === undefined) {
    modelWrite = {
      Put: {
        TableName,
        Item: { ...m.createModel, ...keys.model(m.name), auditSeq: seq, auditHead: event.hash },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  } else {
    const names: Record<string, string> = { '#seq': 'auditSeq', '#head': 'auditHead' };
    const values: Record<string, unknown> = {
      ':seq': seq,
      ':head': event.hash,
      ':expected': m.head.auditSeq,
    };
    const sets = ['#seq = :seq', '#head = :head'];
    // A dotted field is a path into a map attribute (`deployed.prod`); the map must exist.
    const path = (field: string, i: number) =>
      field
        .split('.')
        .map((part, j) => {
          names[`#f${i}_${j}`] = part;
          return `#f${i}_${j}`;
        })
        .join('.');
    Object.entries(m.modelSet ?? {}).forEach(([field, value], i) => {
      values[`:f${i}`] = value;
      sets.push(`${path(field, i)} = :f${i}`);
    });
    const removes = (m.modelRemove ?? []).map((field, i) => path(field, 1000 + i));
    modelWrite = {
      Update: {
        TableName,
        Key: keys.model(m.name),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: '#seq = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  const auditWrite: TransactItem = {
    Put: {
      TableName,
      Item: {
        ...keys.audit(m.name, seq),
        ...keys.auditIndexes(m.name, seq, m.actor, m.at),
        entity: 'audit',
        ...event,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };

  const writes = (m.writes ?? []).map((w) => withOldItemOnFailure(w));
  // The request's Idempotency-Key, settled with its first change (never a separate write after it).
  const settle = settleWrite();
  try {
    await doc().send(
      new TransactWriteCommand({
        TransactItems: [modelWrite, auditWrite, ...writes, ...(settle ? [settle] : [])],
      }),
    );
    if (settle) markSettled();
  } catch (error) {
    if ((error as Error).name !== 'TransactionCanceledException') throw error;
    const reasons = (error as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] })
      .CancellationReasons;
    const failed = reasons?.findIndex((r) => r.Code === 'ConditionalCheckFailed') ?? -1;
    if (settle && failed === 2 + writes.length)
      throw new ConflictError(
        'another request with this Idempotency-Key took over (this one ran past its lock); nothing was changed',
      );
    if (failed === 0) {
      if (m.head === undefined && m.createModel?.entity === 'chain')
        throw new ChainConflict(`${m.name} was started`);
      if (m.head === undefined) throw m.refuseExisting?.() ?? new WriteConditionFailed(-1, undefined);
      throw new ChainConflict(`the audit chain of ${m.name} moved`);
    }
    if (failed === 1) throw new ChainConflict(`audit event ${seq} of ${m.name} exists`);
    if (failed > 1) {
      const write = m.writes?.[failed - 2];
      const refusal = write ? refusals.get(write) : undefined;
      const old = plainItem(reasons?.[failed]?.Item);
      const named = refusal ?? m.otherwise;
      throw named ? named(old) : new WriteConditionFailed(failed - 2, old);
    }
    throw error;
  }
  return event;
};

const withOldItemOnFailure = (write: TransactItem): TransactItem => {
  for (const kind of ['Put', 'Update', 'Delete', 'ConditionCheck'] as const) {
    const op = write[kind];
    if (op) return { [kind]: { ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ...op } } as TransactItem;
  }
  return write;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run a read-then-commit step until it commits without a chain conflict. Contention on one model
 * resolves one writer per round; jittered backoff keeps the rounds apart.
 */
export const retryOnConflict = async <T>(step: () => Promise<T>, attempts = 200): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ChainConflict) || attempt >= attempts) throw error;
      await sleep(Math.random() * Math.min(100, 5 * attempt));
    }
  }
};

/** The head of a chain as the model (or system chain) item keeps it. */
export const readChainHead = async (name: string): Promise<ChainHead | undefined> => {
  const head = await getItem(ChainHeadItem, keys.model(name));
  return head && { name, auditSeq: head.auditSeq, auditHead: head.auditHead };
};
