import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '#domain/audit';
import { AuditEventItem } from '#domain/items';
import { keys, pad, readItem } from './keys.ts';
import { type Page, queryPage, queryPages, table } from './table.ts';

/**
 * Reading the audit trail: by model (its chain, in order), by actor (gsi1) or by day (gsi2),
 * optionally within a time range. Items are only ever appended (see audit-chain.ts); the API's
 * functions hold no permission to update or delete them.
 */

export type StoredAuditEvent = AuditEvent;

const toEvent = (item: Record<string, unknown>): StoredAuditEvent => {
  const { entity: _e, ...event } = item;
  return readItem(AuditEventItem, event);
};

export interface AuditQuery {
  model?: string;
  actor?: string;
  from?: string;
  to?: string;
  limit: number;
  startKey?: Record<string, unknown>;
}

/** Upper bound for a time-ordered sort key that starts with an ISO timestamp. */
const endOf = (to: string | undefined) => (to ? `${to}~` : '~');
const startOf = (from: string | undefined) => from ?? '0';

const page = (
  { ExclusiveStartKey, ...input }: QueryCommandInput,
  limit: number,
): Promise<Page<StoredAuditEvent>> => queryPage(input, toEvent, limit, ExclusiveStartKey);

export const listAuditByModel = (q: AuditQuery & { model: string }) => {
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':pk': keys.auditPartition(q.model) };
  if (q.actor) {
    filters.push('#actor = :actor');
    names['#actor'] = 'actor';
    values[':actor'] = q.actor;
  }
  if (q.from || q.to) {
    filters.push('#at BETWEEN :from AND :to');
    names['#at'] = 'at';
    values[':from'] = startOf(q.from);
    values[':to'] = endOf(q.to);
  }
  return page(
    {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk',
      ...(filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ExclusiveStartKey: q.startKey,
    },
    q.limit,
  );
};

export const listAuditByActor = (q: AuditQuery & { actor: string }) =>
  page(
    {
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.auditActorPartition(q.actor),
        ':from': startOf(q.from),
        ':to': endOf(q.to),
      },
      ExclusiveStartKey: q.startKey,
    },
    q.limit,
  );

/** One day's events (gsi2), for listings by time alone. */
export const listAuditByDay = (day: string, q: AuditQuery) =>
  page(
    {
      TableName: table(),
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.auditDayPartition(day),
        ':from': startOf(q.from),
        ':to': endOf(q.to),
      },
      ExclusiveStartKey: q.startKey,
    },
    q.limit,
  );

/** The whole chain of a model in order, a page at a time: memory stays flat however long it is. */
export async function* readChain(model: string): AsyncGenerator<StoredAuditEvent> {
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.auditPartition(model) },
    ConsistentRead: true,
  }))
    for (const item of page) yield toEvent(item);
}

export const auditSortKey = (seq: number) => pad(seq, 12);
