import { BatchGetCommand, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { doc } from '#commons/clients';
import type { AuditEvent } from '#domain/audit';
import {
  ChangedWhileWrittenError,
  ModelExistsError,
  VersionChangedError,
  VersionDeployingError,
  VersionNotReadyError,
  VersionServingError,
  VersionStatusChangedError,
} from '#domain/errors';
import { AliasItem, CardItem, ModelItem, PendingUploadItem, VersionItem } from '#domain/items';
import type { VersionStatus } from '#domain/lifecycle';
import { registrationEdges } from '#domain/lineage';
import {
  ChainConflict,
  commitMutation,
  type OldItem,
  refusedWith,
  type TransactItem,
} from './audit-chain.ts';
import { itemsOf, keys, MODEL_HEAD_UPPER_BOUND, readItem } from './keys.ts';
import { edgeWrites } from './lineage-table.ts';
import { getItem, type Page, queryPage, table } from './table.ts';

export type { AliasItem, CardItem, ModelItem, StoredArtifact, StoredFile, VersionItem } from '#domain/items';

export type { Page } from './table.ts';

// ---- models ---------------------------------------------------------------------------------

export const getModel = (name: string): Promise<ModelItem | undefined> =>
  getItem(ModelItem, keys.model(name));

/** The model and its aliases: one Query over the head of the model's partition. */
export const getModelWithAliases = async (
  name: string,
): Promise<{ model: ModelItem; aliases: AliasItem[] } | undefined> => {
  const { Items = [] } = await doc().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND sk < :upper',
      ExpressionAttributeValues: { ':pk': keys.model(name).pk, ':upper': MODEL_HEAD_UPPER_BOUND },
      ConsistentRead: true,
    }),
  );
  const model = Items.find((i) => i.entity === 'model');
  if (!model) return undefined;
  return {
    model: readItem(ModelItem, model)!,
    aliases: Items.filter((i) => i.entity === 'alias').map(itemsOf(AliasItem)),
  };
};

export const listModels = (options: {
  prefix?: string;
  tag?: { key: string; value: string };
  limit: number;
  startKey?: Record<string, unknown>;
}): Promise<Page<ModelItem>> => {
  const index = keys.modelIndex('');
  const input: QueryCommandInput = {
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: options.prefix ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
    ExpressionAttributeValues: {
      ':pk': index.gsi1pk,
      ...(options.prefix ? { ':prefix': options.prefix } : {}),
    },
  };
  // A tag filter may thin a page out; queryPage reads on (a bounded number of times) to fill it.
  if (options.tag) {
    input.FilterExpression = '#tags.#k = :v';
    input.ExpressionAttributeNames = { '#tags': 'tags', '#k': options.tag.key };
    input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':v': options.tag.value };
  }
  return queryPage(input, itemsOf(ModelItem), options.limit, options.startKey);
};

export const createModel = (
  item: Omit<ModelItem, 'auditSeq' | 'auditHead'>,
  actor: string,
): Promise<AuditEvent> =>
  commitMutation({
    head: undefined,
    name: item.name,
    actor,
    action: 'model.created',
    target: `model:${item.name}`,
    after: item,
    at: item.createdAt,
    createModel: { ...item, ...keys.modelIndex(item.name) },
    refuseExisting: () => new ModelExistsError(item.name),
  });

export const updateModel = (
  head: ModelItem,
  set: Record<string, unknown>,
  actor: string,
  at: string,
): Promise<AuditEvent> => {
  const before = Object.fromEntries(Object.keys(set).map((k) => [k, head[k as keyof ModelItem]]));
  return commitMutation({
    head,
    name: head.name,
    actor,
    action: 'model.updated',
    target: `model:${head.name}`,
    before,
    after: set,
    at,
    modelSet: { ...set, updatedAt: at, updatedBy: actor },
  });
};

/** Hide a model from MLflow reads (`deletedAt`), or show it again (undefined), audited. */
export const markModelDeleted = (
  head: ModelItem,
  deletedAt: string | undefined,
  actor: string,
  at: string,
): Promise<AuditEvent> =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: deletedAt ? 'model.deleted' : 'model.restored',
    target: `model:${head.name}`,
    ...(head.deletedAt ? { before: { deletedAt: head.deletedAt } } : {}),
    after: deletedAt ? { deletedAt } : { deletedAt: null },
    at,
    modelSet: { deletedAt: deletedAt ?? null, updatedAt: at, updatedBy: actor },
  });

// ---- versions -------------------------------------------------------------------------------

export const getVersion = (name: string, version: number): Promise<VersionItem | undefined> =>
  getItem(VersionItem, keys.version(name, version));

/** The model (for its chain head and owner) and one version, in one request. */
export const getModelAndVersion = async (
  name: string,
  version: number,
): Promise<{ model: ModelItem | undefined; version: VersionItem | undefined }> => {
  let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {
    [table()]: { Keys: [keys.model(name), keys.version(name, version)], ConsistentRead: true },
  };
  const found: Record<string, unknown>[] = [];
  // BatchGet may hand keys back unprocessed under load; ask again for those.
  for (let round = 0; round < 5 && Object.keys(request).length > 0; round++) {
    const out = await doc().send(new BatchGetCommand({ RequestItems: request }));
    found.push(...(out.Responses?.[table()] ?? []));
    request = (out.UnprocessedKeys ?? {}) as typeof request;
  }
  return {
    model: readItem(
      ModelItem,
      found.find((i) => i.entity === 'model'),
    ),
    version: readItem(
      VersionItem,
      found.find((i) => i.entity === 'version'),
    ),
  };
};

export const listVersions = (
  name: string,
  options: { status?: VersionStatus; limit: number; startKey?: Record<string, unknown> },
): Promise<Page<VersionItem>> => {
  const input: QueryCommandInput = {
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
    ExpressionAttributeValues: { ':pk': keys.model(name).pk, ':v': keys.versionPrefix },
    ScanIndexForward: false,
  };
  if (options.status) {
    input.FilterExpression = '#status = :status';
    input.ExpressionAttributeNames = { '#status': 'status' };
    input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':status': options.status };
  }
  return queryPage(input, itemsOf(VersionItem), options.limit, options.startKey);
};

/** Version n+1 of a model: the model's counter moves with the chain, so numbers have no gaps. */
export const insertVersion = (head: ModelItem, item: VersionItem, actor: string): Promise<AuditEvent> =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: 'version.registered',
    target: `version:${head.name}:${item.version}`,
    after: item,
    at: item.createdAt,
    modelSet: { latestVersion: item.version },
    writes: [
      {
        Put: {
          TableName: table(),
          Item: {
            ...keys.version(head.name, item.version),
            // A version registered by reference is copied by its workflow; it never waits for a client.
            ...(item.status === 'PENDING_UPLOAD' && !item.artifact.source
              ? keys.pendingUpload(item.createdAt, head.name, item.version)
              : {}),
            ...item,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      // Where the version came from, recorded with it: lineage can never miss a registration.
      ...edgeWrites(registrationEdges(head.name, item.version, item.lineage), item.createdAt, actor, false),
    ],
  });

/**
 * Change a version's fields, guarded by the statuses it may be in and, when given, the revision
 * the caller saw. When the guard does not hold, the version as it was names why:
 * `VersionStatusChangedError`, `VersionChangedError`, `VersionDeployingError` or `VersionServingError`.
 */
export const changeVersion = (options: {
  head: ModelItem;
  version: VersionItem;
  set: Record<string, unknown>;
  fromStatuses?: readonly VersionStatus[];
  expectRevision?: number;
  /** Extra condition, e.g. no live deployment, with its own names and values. */
  condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
  /**
   * What must not be under way on the version as the write meets it: a deployment of it
   * (`deploying`), or that and serving anywhere (`idle`).
   */
  require?: 'not-deploying' | 'idle';
  action: string;
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
}): Promise<AuditEvent> => {
  const { head, version } = options;
  const names: Record<string, string> = { '#rev': 'revision', ...options.condition?.names };
  const values: Record<string, unknown> = { ':one': 1, ...options.condition?.values };
  const sets = ['#rev = #rev + :one'];
  Object.entries({ ...options.set, updatedAt: options.at, updatedBy: options.actor }).forEach(
    ([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    },
  );
  const conditions = ['attribute_exists(pk)'];
  if (options.fromStatuses) {
    names['#status'] = 'status';
    const placeholders = options.fromStatuses.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    conditions.push(`#status IN (${placeholders.join(', ')})`);
  }
  if (options.expectRevision !== undefined) {
    values[':expectedRev'] = options.expectRevision;
    conditions.push('#rev = :expectedRev');
  }
  if (options.condition) conditions.push(`(${options.condition.expression})`);
  if (options.require) {
    values[':zero'] = 0;
    conditions.push('(attribute_not_exists(deployingIds) OR size(deployingIds) = :zero)');
    if (options.require === 'idle')
      conditions.push('(attribute_not_exists(servingOn) OR size(servingOn) = :zero)');
  }
  return commitMutation({
    head,
    name: head.name,
    actor: options.actor,
    action: options.action,
    target: `version:${head.name}:${version.version}`,
    before: options.before,
    after: options.after,
    at: options.at,
    writes: [
      refusedWith(
        {
          Update: {
            TableName: table(),
            Key: keys.version(head.name, version.version),
            // Out of PENDING_UPLOAD, out of the expiry sweep's index.
            UpdateExpression: `SET ${sets.join(', ')}${leavesPending(options.set) ? ' REMOVE gsi2pk, gsi2sk' : ''}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        (old) => versionRefusal(head.name, version.version, old, options),
      ),
    ],
  });
};

const leavesPending = (set: Record<string, unknown>): boolean =>
  typeof set.status === 'string' && set.status !== 'PENDING_UPLOAD';

/**
 * Versions still waiting for their upload that were registered before `cutoff` (ISO 8601), oldest
 * first, a page at a time: the expiry sweep's access pattern (gsi2, sparse).
 */
export const listPendingUploads = async (
  cutoff: string,
  startKey?: Record<string, unknown>,
): Promise<Page<{ name: string; version: number; createdAt: string }>> => {
  const { Items = [], LastEvaluatedKey } = await doc().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :p AND gsi2sk < :cutoff',
      ExpressionAttributeValues: { ':p': keys.pendingUploadsPartition, ':cutoff': cutoff },
      ProjectionExpression: '#n, version, createdAt',
      ExpressionAttributeNames: { '#n': 'name' },
      Limit: 100,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    items: Items.map((i) => {
      const { name, version, createdAt } = readItem(PendingUploadItem, i);
      return { name, version, createdAt };
    }),
    lastKey: LastEvaluatedKey,
  };
};

/** What names a version's refusal, from the version as the write met it. */
const VersionGuardFields = /* @__PURE__ */ VersionItem.pick({
  status: true,
  revision: true,
  deployingIds: true,
})
  .partial()
  .extend({ servingOn: z.record(z.string(), z.unknown()).optional() });

const versionRefusal = (
  model: string,
  number: number,
  old: OldItem,
  guard: { fromStatuses?: readonly VersionStatus[]; expectRevision?: number },
): Error => {
  const version = readItem(VersionGuardFields, old);
  if (!version?.status || (guard.fromStatuses && !guard.fromStatuses.includes(version.status)))
    return new VersionStatusChangedError(model, number, version?.status);
  if (guard.expectRevision !== undefined && version.revision !== guard.expectRevision)
    return new VersionChangedError(model, number);
  const deploying = [...(version.deployingIds ?? [])];
  if (deploying.length > 0) return new VersionDeployingError(model, number, deploying);
  if (Object.keys(version.servingOn ?? {}).length > 0) return new VersionServingError(model, number);
  return new VersionStatusChangedError(model, number, version.status);
};

// ---- aliases --------------------------------------------------------------------------------

export const getAlias = async (name: string, alias: string): Promise<AliasItem | undefined> => {
  const { Item } = await doc().send(new GetCommand({ TableName: table(), Key: keys.alias(name, alias) }));
  return readItem(AliasItem, Item);
};

/** Point an alias at a version, which must be READY at the moment of the write. */
export const putAlias = (
  head: ModelItem,
  item: AliasItem,
  previous: number | undefined,
  actor: string,
): Promise<AuditEvent> => {
  const writes: TransactItem[] = [
    refusedWith(
      {
        ConditionCheck: {
          TableName: table(),
          Key: keys.version(head.name, item.version),
          ConditionExpression: '#status = :ready',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':ready': 'READY' },
        },
      },
      (old) => new VersionNotReadyError(head.name, item.version, old?.status as string | undefined),
    ),
    { Put: { TableName: table(), Item: { ...keys.alias(head.name, item.alias), ...item } } },
  ];
  return commitMutation({
    head,
    name: head.name,
    actor,
    action: 'alias.set',
    target: `alias:${head.name}:${item.alias}`,
    ...(previous === undefined ? {} : { before: { version: previous } }),
    after: { version: item.version },
    at: item.createdAt,
    writes,
  });
};

export const deleteAlias = (
  head: ModelItem,
  alias: AliasItem,
  actor: string,
  at: string,
): Promise<AuditEvent> =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: 'alias.deleted',
    target: `alias:${head.name}:${alias.alias}`,
    before: { version: alias.version },
    at,
    writes: [
      // The alias moved between the read and the delete: read again.
      refusedWith(
        {
          Delete: {
            TableName: table(),
            Key: keys.alias(head.name, alias.alias),
            ConditionExpression: 'version = :v',
            ExpressionAttributeValues: { ':v': alias.version },
          },
        },
        () => new ChainConflict(`alias ${alias.alias} of ${head.name} moved`),
      ),
    ],
  });

// ---- model cards ----------------------------------------------------------------------------

export const getCard = (name: string): Promise<CardItem | undefined> => getItem(CardItem, keys.card(name));

/**
 * Replace the card, guarded by the revision read (0: no card yet). A risk tier on the card is the
 * model's risk tier: both change in the same transaction.
 */
export const putCard = (
  head: ModelItem,
  card: Record<string, unknown> & {
    riskTier?: ModelItem['riskTier'];
    purpose?: string;
    validityEnd?: string;
  },
  previous: CardItem | undefined,
  actor: string,
  at: string,
): Promise<AuditEvent> => {
  const revision = previous?.revision ?? 0;
  const item: CardItem = {
    entity: 'card',
    name: head.name,
    card,
    revision: revision + 1,
    updatedAt: at,
    updatedBy: actor,
  };
  return commitMutation({
    head,
    name: head.name,
    actor,
    action: 'card.updated',
    target: `card:${head.name}`,
    ...(previous ? { before: previous.card } : {}),
    after: card,
    at,
    // The inventory reads these from the model item: the card is where they are kept.
    modelSet: Object.fromEntries(
      Object.entries({
        riskTier: card.riskTier,
        purpose: card.purpose,
        validityEnd: card.validityEnd,
      }).filter(([, value]) => value !== undefined),
    ),
    writes: [
      refusedWith(
        {
          Put: {
            TableName: table(),
            Item: { ...keys.card(head.name), ...item },
            ConditionExpression: revision === 0 ? 'attribute_not_exists(pk)' : 'revision = :rev',
            ...(revision === 0 ? {} : { ExpressionAttributeValues: { ':rev': revision } }),
          },
        },
        () => new ChangedWhileWrittenError('card'),
      ),
    ],
  });
};
