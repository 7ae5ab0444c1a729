import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import { config } from '#commons/config';
import { keys } from './keys.ts';

export interface StoredResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface IdempotencyRecord {
  fingerprint: string;
  state: 'IN_PROGRESS' | 'COMPLETE';
  response?: StoredResponse;
  lockExpiresAt: number;
}

/** Records live for a day (DynamoDB TTL removes them). */
const RECORD_TTL_SECONDS = 24 * 3600;
/** An IN_PROGRESS record older than this belongs to a request that died; it may be taken over. */
export const LOCK_SECONDS = 60;

export const getRecord = async (hash: string): Promise<IdempotencyRecord | undefined> => {
  const { Item } = await doc().send(
    new GetCommand({ TableName: config().tableName, Key: keys.idempotency(hash), ConsistentRead: true }),
  );
  return Item as IdempotencyRecord | undefined;
};

/** Claim the key; false when someone else holds a live claim or a completed record. */
export const claim = async (hash: string, fingerprint: string, nowSeconds: number): Promise<boolean> => {
  try {
    await doc().send(
      new PutCommand({
        TableName: config().tableName,
        Item: {
          ...keys.idempotency(hash),
          entity: 'idempotency',
          fingerprint,
          state: 'IN_PROGRESS',
          lockExpiresAt: nowSeconds + LOCK_SECONDS,
          ttl: nowSeconds + RECORD_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :busy AND lockExpiresAt < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':busy': 'IN_PROGRESS', ':now': nowSeconds },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
};

export const complete = async (hash: string, response: StoredResponse): Promise<void> => {
  await doc().send(
    new UpdateCommand({
      TableName: config().tableName,
      Key: keys.idempotency(hash),
      UpdateExpression: 'SET #state = :done, #response = :response',
      ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
      ExpressionAttributeValues: { ':done': 'COMPLETE', ':response': response },
    }),
  );
};

export const release = async (hash: string): Promise<void> => {
  await doc().send(new DeleteCommand({ TableName: config().tableName, Key: keys.idempotency(hash) }));
};
