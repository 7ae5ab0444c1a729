import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import type { ApprovalStatus } from '#domain/approval';
import {
  ApprovalAlreadyDecidedError,
  ApprovalPendingError,
  LinkUsedError,
  VersionNotReadyError,
} from '#domain/errors';
import { ApprovalItem, type DecisionEntry, LinkItem } from '#domain/items';
import { ChainConflict, commitMutation, refusedWith, type TransactItem } from './audit-chain.ts';
import { itemsOf, keys } from './keys.ts';
import type { ModelItem } from './registry-table.ts';
import { getItem, table } from './table.ts';

export type { ApprovalItem, DecisionEntry, LinkItem } from '#domain/items';

/**
 * Approval requests, decisions, links and the groups' task tokens. Conditions carry the rules:
 * one live request per (version, environment), one decision per person, a group's count moves
 * only from the value read (so two people racing for the last approval cannot both get it), a
 * link is used once, nothing is decided after the request is.
 */

const summary = (a: Pick<ApprovalItem, 'id' | 'status' | 'requestedAt'> & { decidedAt?: string }) => ({
  id: a.id,
  status: a.status,
  requestedAt: a.requestedAt,
  ...(a.decidedAt ? { decidedAt: a.decidedAt } : {}),
});

export const getApproval = (id: string): Promise<ApprovalItem | undefined> =>
  getItem(ApprovalItem, keys.approval(id));

export const listApprovalsOfVersion = async (model: string, version: number): Promise<ApprovalItem[]> => {
  const index = keys.approvalsOfVersion(model, version);
  const { Items = [] } = await doc().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': index.gsi1pk, ':prefix': index.prefix },
    }),
  );
  return Items.map(itemsOf(ApprovalItem));
};

/**
 * A new request: the request item, the (version, environment) slot (free, or held by a request
 * that was rejected or expired), and the version's summary, whose condition is that it is READY.
 * Refusals: `ApprovalPendingError` (the slot), `VersionNotReadyError`.
 */
/** Requests still pending, oldest first (the approvers' inbox), a page at a time. */
export const listPendingApprovals = async (options: {
  limit: number;
  startKey?: Record<string, unknown> | undefined;
}): Promise<{ items: ApprovalItem[]; lastKey: Record<string, unknown> | undefined }> => {
  const out = await doc().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.pendingApprovalsPartition },
      Limit: options.limit,
      ExclusiveStartKey: options.startKey,
    }),
  );
  return {
    items: (out.Items ?? []).map(itemsOf(ApprovalItem)),
    lastKey: out.LastEvaluatedKey,
  };
};

export const createApproval = (head: ModelItem, item: ApprovalItem, actor: string) =>
  commitMutation({
    head,
    name: head.name,
    actor,
    action: 'approval.requested',
    target: `approval:${item.id}`,
    after: {
      id: item.id,
      version: item.version,
      environment: item.environment,
      reason: item.reason,
      groups: item.groups.map((g) => ({ name: g.name, minApprovals: g.minApprovals })),
      approvers: item.approvers,
      expiresAt: item.expiresAt,
    },
    at: item.requestedAt,
    writes: [
      {
        Put: {
          TableName: table(),
          Item: {
            ...keys.approval(item.id),
            ...keys.approvalIndex(item.model, item.version, item.environment, item.requestedAt),
            ...(item.status === 'PENDING' ? keys.pendingApprovalIndex(item.requestedAt, item.id) : {}),
            ...item,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      refusedWith(
        {
          Put: {
            TableName: table(),
            Item: {
              ...keys.approvalSlot(item.model, item.version, item.environment),
              entity: 'approval-slot',
              requestId: item.id,
              status: 'PENDING',
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #status IN (:rejected, :expired)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':rejected': 'REJECTED', ':expired': 'EXPIRED' },
          },
        },
        () => new ApprovalPendingError(item.version, item.environment),
      ),
      refusedWith(
        {
          Update: {
            TableName: table(),
            Key: keys.version(item.model, item.version),
            UpdateExpression: 'SET approvalsByEnvironment.#env = :summary',
            ConditionExpression: '#status = :ready',
            ExpressionAttributeNames: { '#env': item.environment, '#status': 'status' },
            ExpressionAttributeValues: { ':summary': summary(item), ':ready': 'READY' },
          },
        },
        (old) => new VersionNotReadyError(item.model, item.version, old?.status as string | undefined),
      ),
    ],
  });

/** The writes that move a request to a final status: the slot and the version's summary. */
const finalWrites = (item: ApprovalItem, status: ApprovalStatus, at: string): TransactItem[] => [
  {
    Update: {
      TableName: table(),
      Key: keys.approvalSlot(item.model, item.version, item.environment),
      UpdateExpression: 'SET #status = :status',
      ConditionExpression: 'requestId = :id',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':id': item.id },
    },
  },
  {
    Update: {
      TableName: table(),
      Key: keys.version(item.model, item.version),
      UpdateExpression: 'SET approvalsByEnvironment.#env = :summary',
      ExpressionAttributeNames: { '#env': item.environment },
      ExpressionAttributeValues: { ':summary': summary({ ...item, status, decidedAt: at }) },
    },
  },
];

export interface DecisionWrite {
  head: ModelItem;
  request: ApprovalItem;
  entry: DecisionEntry;
  groupIndex: number;
  /** The status the request takes with this decision (PENDING unless it is the last one needed). */
  status: ApprovalStatus;
  linkHash?: string;
  nowEpoch: number;
}

/**
 * One decision. Refusals: `ApprovalAlreadyDecidedError` (the person's decision exists),
 * `LinkUsedError`; the request moved, decided or expired: `ChainConflict` (read again).
 */
export const recordDecision = (d: DecisionWrite) => {
  const { request, entry, groupIndex } = d;
  const group = request.groups[groupIndex]!;
  const approvals = group.approvals + (entry.decision === 'approve' ? 1 : 0);
  const names: Record<string, string> = {
    '#status': 'status',
    '#groups': 'groups',
    '#decisions': 'decisions',
  };
  const values: Record<string, unknown> = {
    ':pending': 'PENDING',
    ':now': d.nowEpoch,
    ':seen': group.approvals,
    ':approvals': approvals,
    ':done': approvals >= group.minApprovals,
    ':entry': [entry],
    ':status': d.status,
    ':one': 1,
  };
  const sets = [
    `#groups[${groupIndex}].approvals = :approvals`,
    `#groups[${groupIndex}].done = :done`,
    '#decisions = list_append(#decisions, :entry)',
    '#status = :status',
    'revision = revision + :one',
  ];
  if (d.status !== 'PENDING') {
    sets.push('decidedAt = :at');
    values[':at'] = entry.at;
  }
  // A decided request leaves the inbox in the same write.
  const removes = d.status !== 'PENDING' ? ' REMOVE gsi2pk, gsi2sk' : '';
  const writes: TransactItem[] = [
    refusedWith(
      {
        Put: {
          TableName: table(),
          Item: { ...keys.decision(request.id, entry.member), entity: 'decision', ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      () =>
        new ApprovalAlreadyDecidedError({
          model: request.model,
          target: `approval:${request.id}`,
          // Through a link, the member of the link tried (as the handler records it).
          ...(d.linkHash ? { actor: entry.member } : {}),
        }),
    ),
    {
      Update: {
        TableName: table(),
        Key: keys.approval(request.id),
        UpdateExpression: `SET ${sets.join(', ')}${removes}`,
        ConditionExpression: `#status = :pending AND expiresAtEpoch > :now AND #groups[${groupIndex}].approvals = :seen`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
  ];
  if (d.linkHash)
    writes.push(
      refusedWith(
        {
          Update: {
            TableName: table(),
            Key: keys.link(d.linkHash),
            UpdateExpression: 'SET usedAt = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
            ExpressionAttributeValues: { ':at': entry.at },
          },
        },
        () => new LinkUsedError(),
      ),
    );
  if (d.status !== 'PENDING') writes.push(...finalWrites(request, d.status, entry.at));
  return commitMutation({
    head: d.head,
    name: d.head.name,
    actor: entry.by,
    action: 'approval.decided',
    target: `approval:${request.id}`,
    after: {
      id: request.id,
      decision: entry.decision,
      group: entry.group,
      member: entry.member,
      via: entry.via,
      ...(entry.comment ? { comment: entry.comment } : {}),
      status: d.status,
    },
    at: entry.at,
    ...(d.status === 'PENDING'
      ? {}
      : {
          modelSet: {
            lastApproval: {
              id: request.id,
              environment: request.environment,
              version: request.version,
              status: d.status,
              at: entry.at,
            },
          },
        }),
    writes,
    // The request moved (another decision, expiry): read it again and judge afresh.
    otherwise: () => new ChainConflict(`approval request ${request.id} moved`),
  });
};

/**
 * The record of the outcome: the request's final event in the audit trail. A request still
 * PENDING takes the outcome (EXPIRED when time ran out, FAILED when the workflow failed; APPROVED when no
 * approval was needed). EXPIRED and FAILED always win over a decision not yet recorded: its task was
 * gone, or the workflow ended before it recorded the decision, so the decision took no effect (an
 * approval fails closed: nothing deploys on it, and a new request may follow).
 * Recording twice changes nothing; a request that moved meanwhile is read again (`ChainConflict`).
 */
/** The outcomes that replace a decision the workflow never recorded. */
export const overrides = (outcome: ApprovalStatus) => outcome === 'EXPIRED' || outcome === 'FAILED';

export const recordOutcome = (
  head: ModelItem,
  request: ApprovalItem,
  outcome: ApprovalStatus,
  reason: string,
  at: string,
) => {
  const status: ApprovalStatus =
    request.status === 'PENDING' || overrides(outcome) ? outcome : request.status;
  const changes = status !== request.status;
  const writes: TransactItem[] = [
    {
      Update: {
        TableName: table(),
        Key: keys.approval(request.id),
        UpdateExpression: `SET recordedAt = :at, outcomeReason = :reason, revision = revision + :one${changes ? ', #status = :status, decidedAt = :at' : ''}${status !== 'PENDING' ? ' REMOVE gsi2pk, gsi2sk' : ''}`,
        ConditionExpression: 'attribute_not_exists(recordedAt) AND #status = :seen',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':at': at,
          ':reason': reason,
          ':one': 1,
          ':seen': request.status,
          ...(changes ? { ':status': status } : {}),
        },
      },
    },
    ...(changes ? finalWrites(request, status, at) : []),
  ];
  return commitMutation({
    head,
    name: head.name,
    actor: 'steward:approval-workflow',
    action: `approval.${status.toLowerCase()}`,
    target: `approval:${request.id}`,
    before: { status: request.status },
    after: { id: request.id, status, reason, environment: request.environment, version: request.version },
    at,
    ...(changes
      ? {
          modelSet: {
            lastApproval: {
              id: request.id,
              environment: request.environment,
              version: request.version,
              status,
              at,
            },
          },
        }
      : {}),
    writes,
    // The request moved between the read and the write (a last decision): read it again.
    otherwise: () => new ChainConflict(`approval request ${request.id} moved`),
  });
};

// ---- task tokens and links ---------------------------------------------------------------------

export const putGroupToken = async (id: string, group: string, sealed: string, ttl: number) => {
  await doc().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table(),
            Item: { ...keys.groupToken(id, group), entity: 'task-token', sealed, ttl },
          },
        },
      ],
    }),
  );
};

/**
 * Take the right to answer a group's callback task: exactly one caller gets the sealed token (the
 * decision that completes the group, or `notify` when decisions came first); everyone else gets
 * undefined, so a task is never answered twice.
 */
export const claimGroupToken = async (id: string, group: string): Promise<string | undefined> => {
  try {
    const { Attributes } = await doc().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.groupToken(id, group),
        UpdateExpression: 'SET answered = :yes',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(answered)',
        ExpressionAttributeValues: { ':yes': true },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes?.sealed as string | undefined;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
};

/**
 * Claim one approver's link for a request: the marker says they were sent one (so a member of two
 * groups gets one email) and the link is stored by the hash of its secret. False if claimed before.
 */
export const claimLink = async (
  request: ApprovalItem,
  member: string,
  secretHash: string,
): Promise<boolean> => {
  const link: LinkItem = {
    entity: 'link',
    requestId: request.id,
    member,
    expiresAt: request.expiresAt,
    expiresAtEpoch: request.expiresAtEpoch,
    // Kept a week past expiry so a late click says "expired", then removed by DynamoDB TTL.
    ttl: request.expiresAtEpoch + 7 * 86_400,
  };
  try {
    await doc().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table(),
              Item: { ...keys.approverMailed(request.id, member), entity: 'approver-mailed', ttl: link.ttl },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: table(),
              Item: { ...keys.link(secretHash), ...link },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'TransactionCanceledException') return false;
    throw error;
  }
};

export const getLink = (secretHash: string): Promise<LinkItem | undefined> =>
  getItem(LinkItem, keys.link(secretHash));

/** What became of the deployment an approval was to start (`deployOnApproval`). */
export const noteDeployment = async (
  id: string,
  note: { deploymentId: string } | { deploymentError: string },
) => {
  await doc().send(
    new UpdateCommand({
      TableName: table(),
      Key: keys.approval(id),
      UpdateExpression: 'SET #field = :value',
      ConditionExpression: 'attribute_not_exists(deploymentId)',
      ExpressionAttributeNames: { '#field': 'deploymentId' in note ? 'deploymentId' : 'deploymentError' },
      ExpressionAttributeValues: {
        ':value': 'deploymentId' in note ? note.deploymentId : note.deploymentError,
      },
    }),
  );
};
