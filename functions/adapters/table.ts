import { GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { doc } from '#commons/clients';
import { config } from '#commons/config';
import { readItem } from './keys.ts';

/**
 * The reads every table adapter makes the same way: one item by its key, every page of a query,
 * and a page of a filtered query filled up to its limit. Each adapter still names its own access
 * patterns (`getVersion`, `listModels`); these hold only the paging and the reading.
 */
export const table = (): string => config().tableName;

export type StartKey = Record<string, unknown>;

export interface Page<T> {
  items: T[];
  lastKey: StartKey | undefined;
}

/** One item by its key, read consistently, checked against its schema; undefined when absent. */
export const getItem = async <S extends z.ZodObject>(
  schema: S,
  key: Record<string, unknown>,
): Promise<z.infer<S> | undefined> => {
  const { Item } = await doc().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
  return readItem(schema, Item);
};

/** A query's pages in order, each as its raw items: the next page is read only when asked for. */
export async function* queryPages(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>[]> {
  let startKey: StartKey | undefined;
  do {
    const out = await doc().send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield out.Items ?? [];
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

/** Every item a query reaches, page after page, each read by `read`; no page more once `limit` are in. */
export const queryAll = async <T>(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  read: (item: Record<string, unknown>) => T,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> => {
  const items: T[] = [];
  for await (const page of queryPages(input)) {
    items.push(...page.map(read));
    if (items.length >= limit) break;
  }
  return items;
};

/**
 * A page of up to `limit` items from `startKey`. A filter may thin a page out, so the query is
 * read again (a bounded number of times) to fill it; `lastKey` says where the next page starts.
 */
export const queryPage = async <T>(
  input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit'>,
  read: (item: Record<string, unknown>) => T,
  limit: number,
  startKey: StartKey | undefined,
): Promise<Page<T>> => {
  const items: T[] = [];
  let next = startKey;
  for (let round = 0; round < 10; round++) {
    const out = await doc().send(
      new QueryCommand({ ...input, Limit: limit - items.length, ExclusiveStartKey: next }),
    );
    items.push(...(out.Items ?? []).map(read));
    next = out.LastEvaluatedKey;
    if (!next || items.length >= limit) break;
  }
  return { items, lastKey: next };
};

/** Every item of a paged listing, page after page: for the use cases that need all of them. */
export const allPages = async <T>(
  readPage: (startKey: StartKey | undefined) => Promise<Page<T>>,
): Promise<T[]> => {
  const items: T[] = [];
  let startKey: StartKey | undefined;
  do {
    const page = await readPage(startKey);
    items.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return items;
};
