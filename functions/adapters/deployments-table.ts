import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import type { DeploymentStatus } from '#domain/deployment';
import {
  ApprovalRequiredError,
  DeploymentChangedError,
  RollbackTargetArchivedError,
  TargetBusyError,
  VersionNotReadyError,
} from '#domain/errors';
import {
  DeploymentItem,
  type DeploymentResources,
  type Operation,
  ServedItem,
  type ServingRef,
  TargetItem,
  type VersionRef,
} from '#domain/items';
import { modelVersionNode } from '#domain/lineage';
import { ChainConflict, commitMutation, refusedWith, type TransactItem } from './audit-chain.ts';
import { itemsOf, keys } from './keys.ts';
import { edgeWrites } from './lineage-table.ts';
import type { ModelItem } from './registry-table.ts';
import { getItem, table } from './table.ts';

export type {
  DeploymentItem,
  DeploymentResources,
  HistoryEntry,
  Operation,
  ServedItem,
  ServingRef,
  TargetItem,
  VersionRef,
} from '#domain/items';

/**
 * Deployments, serving targets and the served-by history. A target item is the lock (one
 * deployment at a time, taken by a conditional write) and says what serves there now and what
 * served before; `SERVED#` items keep each stretch of time a version served, so "what served on
 * this target at that moment" is one Query.
 */

export const getDeployment = (id: string): Promise<DeploymentItem | undefined> =>
  getItem(DeploymentItem, keys.deployment(id));

export const getTarget = (environment: string, targetId: string): Promise<TargetItem | undefined> =>
  getItem(TargetItem, keys.target(environment, targetId));

export const listDeployments = async (
  model: string,
  options: { environment?: string; limit: number; startKey?: Record<string, unknown> },
) => {
  const out = await doc().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: options.environment
        ? 'gsi1pk = :pk AND begins_with(gsi1sk, :env)'
        : 'gsi1pk = :pk',
      ExpressionAttributeValues: {
        ':pk': keys.deploymentsPartition(model),
        ...(options.environment ? { ':env': `${options.environment}#` } : {}),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: options.startKey,
    }),
  );
  return {
    items: (out.Items ?? []).map(itemsOf(DeploymentItem)),
    lastKey: out.LastEvaluatedKey,
  };
};

/** Served-by history of a target, newest first; with `at`, the stretch that covers that moment. */
export const servedHistory = async (
  environment: string,
  targetId: string,
  at?: string,
): Promise<ServedItem[]> => {
  const out = await doc().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: at
        ? 'pk = :pk AND sk BETWEEN :lo AND :hi'
        : 'pk = :pk AND begins_with(sk, :lo)',
      ExpressionAttributeValues: {
        ':pk': keys.servedPartition(environment, targetId),
        ':lo': 'SERVED#',
        ...(at ? { ':hi': `SERVED#${at}~` } : {}),
      },
      ScanIndexForward: false,
      ...(at ? { Limit: 1 } : {}),
      ConsistentRead: true,
    }),
  );
  const items = (out.Items ?? []).map(itemsOf(ServedItem));
  if (!at) return items;
  return items.filter((s) => s.from <= at && (s.to === undefined || s.to > at));
};

/**
 * A version an operation is about to make serve carries the operation's id in `deployingIds`
 * while it runs: a transition is refused (409) as long as the set is not empty, and the claim
 * itself requires the statuses a version may start serving from, in the same conditional write.
 */
const claimVersion = (
  model: string,
  version: number,
  operationId: string,
  statuses: readonly string[],
): TransactItem => {
  const values: Record<string, unknown> = { ':ids': new Set([operationId]) };
  statuses.forEach((s, i) => {
    values[`:st${i}`] = s;
  });
  return {
    Update: {
      TableName: table(),
      Key: keys.version(model, version),
      UpdateExpression: 'ADD deployingIds :ids',
      ConditionExpression: `#status IN (${statuses.map((_, i) => `:st${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    },
  };
};

/** The version an operation was about to make serve, if any: what it claimed. */
const candidateOf = (d: DeploymentItem, target?: TargetItem): VersionRef | undefined => {
  if (d.operation === 'deploy') return { model: d.model, version: d.version };
  if (d.operation === 'rollback') return d.rollbackTo ?? target?.previous;
  return undefined;
};

const releaseVersion = (ref: VersionRef, operationId: string): TransactItem => ({
  Update: {
    TableName: table(),
    Key: keys.version(ref.model, ref.version),
    UpdateExpression: 'DELETE deployingIds :ids',
    ExpressionAttributeValues: { ':ids': new Set([operationId]) },
  },
});

/**
 * A new deployment: its record, the target's lock (taken only if free), the version still READY
 * and, where the environment demands one, its APPROVED request — all conditions of one write, so
 * nothing is judged on a stale read. Lineage: version -> deployment -> endpoint.
 * Refusals: `TargetBusyError`, `VersionNotReadyError`, `ApprovalRequiredError`.
 */
export const createDeployment = (head: ModelItem, item: DeploymentItem, requireApproval: boolean) => {
  const writes: TransactItem[] = [
    {
      Put: {
        TableName: table(),
        Item: {
          ...keys.deployment(item.id),
          ...keys.deploymentIndex(item.model, item.environment, item.createdAt, item.id),
          ...item,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    refusedWith(
      {
        Update: {
          TableName: table(),
          Key: keys.target(item.environment, item.targetId),
          UpdateExpression: 'SET busyWith = :id, entity = :entity, environment = :env, targetId = :target',
          ConditionExpression: 'attribute_not_exists(busyWith)',
          ExpressionAttributeValues: {
            ':id': item.id,
            ':entity': 'target',
            ':env': item.environment,
            ':target': item.targetId,
          },
        },
      },
      () => new TargetBusyError(item.targetId, item.environment),
    ),
    // The version must be READY, and is marked as being deployed: no transition while it is.
    refusedWith(
      claimVersion(item.model, item.version, item.id, ['READY']),
      (old) => new VersionNotReadyError(item.model, item.version, old?.status as string | undefined),
    ),
  ];
  if (requireApproval)
    writes.push(
      refusedWith(
        {
          ConditionCheck: {
            TableName: table(),
            Key: keys.approvalSlot(item.model, item.version, item.environment),
            ConditionExpression: '#status = :approved',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':approved': 'APPROVED' },
          },
        },
        () => new ApprovalRequiredError(item.environment, item.version),
      ),
    );
  const deploymentNode = { kind: 'deployment' as const, id: item.id };
  writes.push(
    ...edgeWrites(
      [
        {
          from: modelVersionNode(item.model, item.version),
          to: deploymentNode,
          relation: 'deployed-as',
          attributes: { environment: item.environment },
        },
        {
          from: deploymentNode,
          to: { kind: 'endpoint', id: `${item.environment}/${item.targetId}` },
          relation: 'serves-on',
        },
      ],
      item.createdAt,
      item.createdBy,
      false,
    ),
  );
  return commitMutation({
    head,
    name: head.name,
    actor: item.createdBy,
    action: 'deployment.requested',
    target: `deployment:${item.id}`,
    after: {
      id: item.id,
      version: item.version,
      environment: item.environment,
      target: item.target,
      strategy: item.strategy,
      ...(item.approvalId ? { approvalId: item.approvalId } : {}),
    },
    at: item.createdAt,
    writes,
  });
};

/**
 * Start a rollback or decommission of a deployment that serves now: the target's lock is taken,
 * and the deployment must be the target's current one. A rollback also claims the version it
 * restores, which must not be ARCHIVED (`RollbackTargetArchivedError`); any other failed condition
 * is a `DeploymentChangedError`.
 */
export const beginOperation = (
  head: ModelItem,
  d: DeploymentItem,
  operation: Operation,
  actor: string,
  at: string,
  reason?: string,
  rollbackTo?: VersionRef,
) =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: `deployment.${operation}-requested`,
    target: `deployment:${d.id}`,
    after: { id: d.id, operation, ...(reason ? { reason } : {}) },
    at,
    writes: [
      {
        Update: {
          TableName: table(),
          Key: keys.deployment(d.id),
          UpdateExpression: `SET operation = :op, updatedAt = :at, history = list_append(history, :entry)${rollbackTo ? ', rollbackTo = :to' : ' REMOVE rollbackTo'}`,
          ConditionExpression: '#status = :succeeded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':op': operation,
            ':at': at,
            ':succeeded': 'SUCCEEDED',
            ':entry': [
              { at, step: `${operation}-requested`, detail: { by: actor, ...(reason ? { reason } : {}) } },
            ],
            ...(rollbackTo ? { ':to': { model: rollbackTo.model, version: rollbackTo.version } } : {}),
          },
        },
      },
      {
        Update: {
          TableName: table(),
          Key: keys.target(d.environment, d.targetId),
          UpdateExpression: 'SET busyWith = :id',
          ConditionExpression: 'attribute_not_exists(busyWith) AND #current.deploymentId = :id',
          ExpressionAttributeNames: { '#current': 'current' },
          ExpressionAttributeValues: { ':id': d.id },
        },
      },
      ...(rollbackTo
        ? [
            refusedWith(
              claimVersion(rollbackTo.model, rollbackTo.version, d.id, ['READY', 'DEPRECATED']),
              () => new RollbackTargetArchivedError(rollbackTo.model, rollbackTo.version),
            ),
          ]
        : []),
    ],
    otherwise: () => new DeploymentChangedError(d.id),
  });

/** One step of a running deployment, in its history and in the audit trail. */
export const recordStep = (
  head: ModelItem,
  d: DeploymentItem,
  step: string,
  at: string,
  detail?: Record<string, unknown>,
  set?: Record<string, unknown>,
) => {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ':entry': [{ at, step, ...(detail ? { detail } : {}) }],
    ':at': at,
  };
  const sets = ['history = list_append(history, :entry)', 'updatedAt = :at'];
  Object.entries(set ?? {}).forEach(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  });
  return commitMutation({
    head,
    name: head.name,
    actor: 'steward:deployment-workflow',
    action: 'deployment.step',
    target: `deployment:${d.id}`,
    after: { id: d.id, step, ...(detail ? { detail } : {}) },
    at,
    writes: [
      {
        Update: {
          TableName: table(),
          Key: keys.deployment(d.id),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        },
      },
    ],
  });
};

/**
 * A version's `servingOn` map says where it serves now: `<environment>/<target>` -> the deployment.
 * A version that starts serving must be in one of `mustBe` in the same write (READY for a deploy),
 * and the running operation's claim on it (`release`) is dropped with it.
 */
const servingOnWrite = (
  model: string,
  version: number,
  key: string,
  ref: ServingRef | undefined,
  release?: { operationId: string; mustBe: readonly string[] },
): TransactItem => {
  const names: Record<string, string> = { '#key': key };
  const values: Record<string, unknown> = {};
  let expression = ref ? 'SET servingOn.#key = :ref' : 'REMOVE servingOn.#key';
  if (ref) values[':ref'] = { deploymentId: ref.deploymentId, since: ref.since };
  let condition: string | undefined;
  if (release) {
    expression += ' DELETE deployingIds :ids';
    values[':ids'] = new Set([release.operationId]);
  }
  if (release?.mustBe.length) {
    names['#status'] = 'status';
    release.mustBe.forEach((s, i) => {
      values[`:st${i}`] = s;
    });
    condition = `#status IN (${release.mustBe.map((_, i) => `:st${i}`).join(', ')})`;
  }
  return {
    Update: {
      TableName: table(),
      Key: keys.version(model, version),
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      ...(condition ? { ConditionExpression: condition } : {}),
    },
  };
};

const sameVersion = (a: VersionRef | undefined, b: VersionRef | undefined) =>
  a !== undefined && b !== undefined && a.model === b.model && a.version === b.version;

/**
 * The moves of the served-by records and the versions' `servingOn` when `next` replaces `now`;
 * `claim` is the version the finishing operation had claimed, released here.
 */
const servingChange = (
  environment: string,
  targetId: string,
  now: ServingRef | undefined,
  next: ServingRef | undefined,
  at: string,
  claim: { ref: VersionRef | undefined; operationId: string; mustBe: readonly string[] },
) => {
  const writes: TransactItem[] = [];
  const key = `${environment}/${targetId}`;
  if (now)
    writes.push({
      Update: {
        TableName: table(),
        Key: keys.served(environment, targetId, now.since, now.deploymentId),
        UpdateExpression: 'SET #to = :at',
        ExpressionAttributeNames: { '#to': 'to' },
        ExpressionAttributeValues: { ':at': at },
      },
    });
  if (next)
    writes.push({
      Put: {
        TableName: table(),
        Item: {
          ...keys.served(environment, targetId, at, next.deploymentId),
          entity: 'served',
          environment,
          targetId,
          model: next.model,
          version: next.version,
          deploymentId: next.deploymentId,
          from: at,
        },
      },
    });
  const claimOnNext = sameVersion(claim.ref, next);
  let unreleased = claimOnNext ? undefined : claim.ref;
  if (now && !sameVersion(now, next)) {
    // One write per item: the claim is dropped with the version's other change.
    const releaseNow = sameVersion(unreleased, now);
    writes.push(
      servingOnWrite(
        now.model,
        now.version,
        key,
        undefined,
        releaseNow ? { operationId: claim.operationId, mustBe: [] } : undefined,
      ),
    );
    if (releaseNow) unreleased = undefined;
  }
  if (next)
    writes.push(
      servingOnWrite(
        next.model,
        next.version,
        key,
        { ...next, since: at },
        claimOnNext ? { operationId: claim.operationId, mustBe: claim.mustBe } : undefined,
      ),
    );
  if (unreleased) writes.push(releaseVersion(unreleased, claim.operationId));
  return writes;
};

export type Outcome =
  | 'SUCCEEDED'
  | 'FAILED'
  | 'ROLLED_BACK'
  | 'ROLLBACK_FAILED'
  | 'DECOMMISSIONED'
  | 'DECOMMISSION_FAILED';

/**
 * The end of a deployment operation: the record's status, the target freed, and — when what
 * serves changed — the served-by records, the versions' live counters and the model's summary.
 * Only the operation holding the target's lock may finish; finishing twice changes nothing.
 */
export const finishOperation = (options: {
  head: ModelItem;
  deployment: DeploymentItem;
  target: TargetItem;
  outcome: Outcome;
  resources?: DeploymentResources;
  detail?: Record<string, unknown>;
  at: string;
}) => {
  const { head, deployment: d, target, outcome, at } = options;
  const resources = { ...d.resources, ...options.resources };
  const self: ServingRef = { deploymentId: d.id, model: d.model, version: d.version, since: at, resources };
  let status: DeploymentStatus = d.status;
  let current = target.current;
  let previous = target.previous;
  let modelSet: Record<string, unknown> | undefined;
  let modelRemove = false;
  if (d.operation === 'deploy') {
    status = outcome === 'SUCCEEDED' ? 'SUCCEEDED' : outcome === 'ROLLED_BACK' ? 'ROLLED_BACK' : 'FAILED';
    if (outcome === 'SUCCEEDED' && d.target.kind !== 'sagemaker-batch') {
      previous = target.current;
      current = self;
      modelSet = {
        [`deployed.${d.environment}`]: {
          version: d.version,
          target: d.targetId,
          deploymentId: d.id,
          since: at,
        },
      };
    }
  } else if (d.operation === 'rollback' && outcome === 'ROLLED_BACK') {
    status = 'ROLLED_BACK';
    current = target.previous ? { ...target.previous, since: at } : undefined;
    previous = undefined;
    modelSet = current
      ? {
          [`deployed.${d.environment}`]: {
            version: current.version,
            target: d.targetId,
            deploymentId: current.deploymentId,
            since: at,
          },
        }
      : undefined;
    modelRemove = !current;
  } else if (d.operation === 'decommission' && outcome === 'DECOMMISSIONED') {
    status = 'DECOMMISSIONED';
    current = undefined;
    previous = undefined;
    modelRemove = true;
  }
  const changed = current?.deploymentId !== target.current?.deploymentId;
  const claim = {
    ref: candidateOf(d, target),
    operationId: d.id,
    // A deploy makes a READY version serve; a rollback may restore a DEPRECATED one.
    mustBe: d.operation === 'deploy' ? ['READY'] : ['READY', 'DEPRECATED'],
  };
  const replaced = d.operation === 'deploy' && outcome === 'SUCCEEDED' ? target.current : undefined;
  const targetSets = ['#current = :current', '#previous = :previous'];
  const writes: TransactItem[] = [
    {
      Update: {
        TableName: table(),
        Key: keys.deployment(d.id),
        // A deployment that replaced another remembers what it replaced (`previousVersion` in the API).
        UpdateExpression: `SET #status = :status, updatedAt = :at, history = list_append(history, :entry), resources = :resources${replaced ? ', previous = :replaced' : ''}`,
        ConditionExpression: 'operation = :op',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ':op': d.operation,
          ':resources': resources,
          ':entry': [
            {
              at,
              step: outcome.toLowerCase().replaceAll('_', '-'),
              ...(options.detail ? { detail: options.detail } : {}),
            },
          ],
          ...(replaced ? { ':replaced': replaced } : {}),
        },
      },
    },
    {
      Update: {
        TableName: table(),
        Key: keys.target(d.environment, d.targetId),
        UpdateExpression: `SET ${targetSets.join(', ')} REMOVE busyWith`,
        ConditionExpression: 'busyWith = :id',
        ExpressionAttributeNames: { '#current': 'current', '#previous': 'previous' },
        ExpressionAttributeValues: {
          ':id': d.id,
          ':current': current ?? null,
          ':previous': previous ?? null,
        },
      },
    },
    ...(changed
      ? servingChange(d.environment, d.targetId, target.current, current, at, claim)
      : claim.ref
        ? [releaseVersion(claim.ref, d.id)]
        : []),
  ];
  return commitMutation({
    head,
    name: head.name,
    actor: 'steward:deployment-workflow',
    action: `deployment.${outcome.toLowerCase().replaceAll('_', '-')}`,
    target: `deployment:${d.id}`,
    before: { status: d.status, serving: target.current?.version ?? null },
    after: {
      id: d.id,
      operation: d.operation,
      status,
      serving: current?.version ?? null,
      ...(options.detail ? { detail: options.detail } : {}),
    },
    at,
    ...(modelSet ? { modelSet } : {}),
    ...(modelRemove ? { modelRemove: [`deployed.${d.environment}`] } : {}),
    writes,
    // The deployment or its target moved between the read and the write: read them again.
    otherwise: () => new ChainConflict(`deployment ${d.id} moved`),
  });
};

/** Release a target whose operation could not start (the workflow failed to launch). */
export const abandonOperation = (head: ModelItem, d: DeploymentItem, reason: string, at: string) =>
  commitMutation({
    head,
    name: head.name,
    actor: 'steward:deployment-workflow',
    action: 'deployment.failed',
    target: `deployment:${d.id}`,
    after: { id: d.id, operation: d.operation, reason },
    at,
    writes: [
      {
        Update: {
          TableName: table(),
          Key: keys.deployment(d.id),
          UpdateExpression: `SET ${d.operation === 'deploy' ? '#status = :failed, ' : ''}updatedAt = :at, history = list_append(history, :entry)`,
          ExpressionAttributeNames: d.operation === 'deploy' ? { '#status': 'status' } : undefined,
          ExpressionAttributeValues: {
            ...(d.operation === 'deploy' ? { ':failed': 'FAILED' } : {}),
            ':at': at,
            ':entry': [{ at, step: 'failed-to-start', detail: { reason } }],
          },
        },
      },
      {
        Update: {
          TableName: table(),
          Key: keys.target(d.environment, d.targetId),
          UpdateExpression: 'REMOVE busyWith',
          ConditionExpression: 'busyWith = :id',
          ExpressionAttributeValues: { ':id': d.id },
        },
      },
      ...(candidateOf(d) ? [releaseVersion(candidateOf(d)!, d.id)] : []),
    ],
  });
