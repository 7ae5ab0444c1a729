import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  PutCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import { config } from '#commons/config';
import { IdempotencyRecord, type StoredResponse } from '#domain/items';
import { keys } from './keys.ts';
import { getItem } from './table.ts';

export type { IdempotencyRecord, StoredResponse } from '#domain/items';

/**
 * The idempotency key a request holds while it runs. The first audited change the request
 * commits (`commitMutation`) moves the record out of IN_PROGRESS in the same transaction: to
 * COMPLETE with the answer when the operation declared it beforehand, else to COMMITTED. So a
 * crash between a change and the record's completion cannot let a retry make the change again,
 * and a request whose lock was taken over cannot commit at all (the record's `claimId` moved).
 */
export interface IdempotencyScope {
  hash: string;
  claimId: string;
  response?: StoredResponse;
  /** The record left IN_PROGRESS with a committed change (or the request is over). */
  settled: boolean;
}

export const idempotencyScope = new AsyncLocalStorage<IdempotencyScope>();

/** The answer the current request will give if its next change commits (replayed on a retry). */
export const declareResponse = (response: StoredResponse): void => {
  const scope = idempotencyScope.getStore();
  if (scope && !scope.settled) scope.response = response;
};

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The write that settles the current request's key with its first change; undefined when none. */
export const settleWrite = (): TransactItem | undefined => {
  const scope = idempotencyScope.getStore();
  if (!scope || scope.settled) return undefined;
  return {
    Update: {
      TableName: config().tableName,
      Key: keys.idempotency(scope.hash),
      UpdateExpression: scope.response ? 'SET #state = :state, #response = :response' : 'SET #state = :state',
      ConditionExpression: '#state = :busy AND claimId = :claim',
      ExpressionAttributeNames: { '#state': 'state', ...(scope.response ? { '#response': 'response' } : {}) },
      ExpressionAttributeValues: {
        ':state': scope.response ? 'COMPLETE' : 'COMMITTED',
        ':busy': 'IN_PROGRESS',
        ':claim': scope.claimId,
        ...(scope.response ? { ':response': scope.response } : {}),
      },
    },
  };
};

/** After the transaction that carried `settleWrite` committed. */
export const markSettled = (): void => {
  const scope = idempotencyScope.getStore();
  if (scope) scope.settled = true;
};

/** Records live for a day (DynamoDB TTL removes them). */
const RECORD_TTL_SECONDS = 24 * 3600;
/** An IN_PROGRESS record older than this belongs to a request that died; it may be taken over. */
export const LOCK_SECONDS = 60;

export const getRecord = (hash: string): Promise<IdempotencyRecord | undefined> =>
  getItem(IdempotencyRecord, keys.idempotency(hash));

/** Claim the key: its claim id, or undefined when someone else holds a live claim or a settled record. */
export const claim = async (
  hash: string,
  fingerprint: string,
  nowSeconds: number,
): Promise<string | undefined> => {
  const claimId = randomUUID();
  try {
    await doc().send(
      new PutCommand({
        TableName: config().tableName,
        Item: {
          ...keys.idempotency(hash),
          entity: 'idempotency',
          fingerprint,
          state: 'IN_PROGRESS',
          claimId,
          lockExpiresAt: nowSeconds + LOCK_SECONDS,
          ttl: nowSeconds + RECORD_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :busy AND lockExpiresAt < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':busy': 'IN_PROGRESS', ':now': nowSeconds },
      }),
    );
    return claimId;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
};

/** Record the answer; only the claim that ran the request may (a taken-over claim records nothing). */
export const complete = async (hash: string, claimId: string, response: StoredResponse): Promise<void> => {
  try {
    await doc().send(
      new UpdateCommand({
        TableName: config().tableName,
        Key: keys.idempotency(hash),
        UpdateExpression: 'SET #state = :done, #response = :response',
        ConditionExpression: 'claimId = :claim',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
        ExpressionAttributeValues: { ':done': 'COMPLETE', ':response': response, ':claim': claimId },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
};

/** Free the key of a request that changed nothing, so a corrected retry may run. */
export const release = async (hash: string, claimId: string): Promise<void> => {
  try {
    await doc().send(
      new DeleteCommand({
        TableName: config().tableName,
        Key: keys.idempotency(hash),
        ConditionExpression: '#state = :busy AND claimId = :claim',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':busy': 'IN_PROGRESS', ':claim': claimId },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
};
