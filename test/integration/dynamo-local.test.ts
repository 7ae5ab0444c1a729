import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo, type WriteChange } from '#local/dynamo';

const TABLE = 'steward-test';

const clientsFor = (endpoint: string) => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { client, doc: DynamoDBDocumentClient.from(client) };
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

describe('local DynamoDB (dynalite behind the Steward front)', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let pk: string;

  const get = async (sk: string, key = pk) =>
    (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: key, sk } }))).Item;

  beforeAll(async () => {
    dynamo = await startLocalDynamo({ ttl: { attribute: 'ttl', intervalMs: 3_600_000 } });
    ({ client, doc } = clientsFor(dynamo.endpoint));
    await ensureTable(client, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  const freshPartition = () => {
    pk = `M#${randomUUID()}`;
    return pk;
  };

  describe('TransactWriteItems', () => {
    it('commits every operation of a successful transaction', async () => {
      // Prepare
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: '#MODEL', latestVersion: 0 } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'OLD' } }));

      // Act
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: TABLE,
                Key: { pk, sk: '#MODEL' },
                UpdateExpression: 'SET latestVersion = latestVersion + :one',
                ConditionExpression: 'latestVersion = :zero',
                ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
              },
            },
            {
              Put: {
                TableName: TABLE,
                Item: { pk, sk: 'V#0000000001', status: 'PENDING_UPLOAD' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Delete: { TableName: TABLE, Key: { pk, sk: 'OLD' } } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: { pk, sk: 'MISSING' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );

      // Assess
      expect(await get('#MODEL')).toEqual({ pk, sk: '#MODEL', latestVersion: 1 });
      expect(await get('V#0000000001')).toEqual({ pk, sk: 'V#0000000001', status: 'PENDING_UPLOAD' });
      expect(await get('OLD')).toBeUndefined();
      // A ConditionCheck leaves no trace, not even on a missing item.
      expect(await get('MISSING')).toBeUndefined();
    });

    it('cancels with one reason per item and rolls back the operations it had applied', async () => {
      // Prepare: the failing condition comes last, after three operations that apply.
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'B', value: 1 } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'C', value: 'keep me' } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'D', owner: 'first' } }));

      // Act
      const error = await rejection(
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: TABLE, Item: { pk, sk: 'A', value: 'new' } } },
              {
                Update: {
                  TableName: TABLE,
                  Key: { pk, sk: 'B' },
                  UpdateExpression: 'SET #v = :two',
                  ExpressionAttributeNames: { '#v': 'value' },
                  ExpressionAttributeValues: { ':two': 2 },
                },
              },
              { Delete: { TableName: TABLE, Key: { pk, sk: 'C' } } },
              {
                Put: {
                  TableName: TABLE,
                  Item: { pk, sk: 'D', owner: 'second' },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(TransactionCanceledException);
      const cancelled = error as TransactionCanceledException;
      expect(cancelled.name).toBe('TransactionCanceledException');
      expect(cancelled.message).toBe(
        'Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, None, ConditionalCheckFailed]',
      );
      expect(cancelled.CancellationReasons).toEqual([
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
      ]);
      expect(await get('A')).toBeUndefined();
      expect(await get('B')).toEqual({ pk, sk: 'B', value: 1 });
      expect(await get('C')).toEqual({ pk, sk: 'C', value: 'keep me' });
      expect(await get('D')).toEqual({ pk, sk: 'D', owner: 'first' });
    });

    it('reports every failed condition, with the old item where ALL_OLD was asked for', async () => {
      // Prepare
      freshPartition();
      const status = { pk: { S: pk }, sk: { S: 'V#1' }, status: { S: 'READY' } };
      const alias = { pk: { S: pk }, sk: { S: 'A#prod' }, version: { N: '1' } };
      await client.send(new PutItemCommand({ TableName: TABLE, Item: status }));
      await client.send(new PutItemCommand({ TableName: TABLE, Item: alias }));
      const pending = { ':pending': { S: 'PENDING_UPLOAD' } };

      // Act
      const error = await rejection(
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Update: {
                  TableName: TABLE,
                  Key: { pk: { S: pk }, sk: { S: 'V#1' } },
                  UpdateExpression: 'SET #s = :pending',
                  ConditionExpression: '#s = :pending',
                  ExpressionAttributeNames: { '#s': 'status' },
                  ExpressionAttributeValues: pending,
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                ConditionCheck: {
                  TableName: TABLE,
                  Key: { pk: { S: pk }, sk: { S: 'A#prod' } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: TABLE, Item: { pk: { S: pk }, sk: { S: 'AUDIT' } } } },
            ],
          }),
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(TransactionCanceledException);
      expect((error as TransactionCanceledException).CancellationReasons).toEqual([
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: status },
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
        { Code: 'None' },
      ]);
      expect(await get('AUDIT')).toBeUndefined();
      expect(await get('V#1')).toEqual({ pk, sk: 'V#1', status: 'READY' });
    });

    it('rejects two operations on one item, and more than 100 items, as DynamoDB does', async () => {
      // Prepare
      freshPartition();
      const put = (sk: string) => ({ Put: { TableName: TABLE, Item: { pk, sk } } });

      // Act
      const twice = await rejection(
        doc.send(
          new TransactWriteCommand({
            TransactItems: [put('X'), { Delete: { TableName: TABLE, Key: { pk, sk: 'X' } } }],
          }),
        ),
      );
      const tooMany = await rejection(
        doc.send(
          new TransactWriteCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => put(`I${i}`)) }),
        ),
      );

      // Assess
      expect(twice).toMatchObject({
        name: 'ValidationException',
        message: 'Transaction request cannot include multiple operations on one item',
      });
      expect(tooMany).toMatchObject({ name: 'ValidationException' });
      expect((tooMany as Error).message).toContain('less than or equal to 100');
      expect(await get('X')).toBeUndefined();
      expect(await get('I0')).toBeUndefined();
    });

    it('replays a ClientRequestToken without applying it twice', async () => {
      // Prepare
      freshPartition();
      const token = randomUUID();
      const increment = (amount: number) =>
        new TransactWriteCommand({
          ClientRequestToken: token,
          TransactItems: [
            {
              Update: {
                TableName: TABLE,
                Key: { pk, sk: 'COUNTER' },
                UpdateExpression: 'ADD n :amount',
                ExpressionAttributeValues: { ':amount': amount },
              },
            },
          ],
        });

      // Act
      await doc.send(increment(1));
      await doc.send(increment(1));
      const mismatch = await rejection(doc.send(increment(2)));

      // Assess
      expect(await get('COUNTER')).toEqual({ pk, sk: 'COUNTER', n: 1 });
      expect(mismatch).toMatchObject({ name: 'IdempotentParameterMismatchException' });
    });

    it('lets exactly one of 50 concurrent transactions win each counter value, leaving nothing of the others', {
      timeout: 30_000,
    }, async () => {
      // Prepare: in every round, all writers still in the race have read the same counter value.
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: '#COUNTER', n: 0 } }));
      const ROUNDS = 5;
      const attempt = (writer: string, seen: number) =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              // Listed first, so it is applied before the counter's condition is evaluated.
              {
                Put: {
                  TableName: TABLE,
                  Item: { pk, sk: `CLAIM#${writer}#${seen}`, writer, claimed: seen + 1 },
                },
              },
              {
                Update: {
                  TableName: TABLE,
                  Key: { pk, sk: '#COUNTER' },
                  UpdateExpression: 'SET n = :next',
                  ConditionExpression: 'n = :seen',
                  ExpressionAttributeValues: { ':seen': seen, ':next': seen + 1 },
                },
              },
            ],
          }),
        );

      // Act: 50 writers race for value 1, the 49 losers for value 2, and so on.
      let racing = Array.from({ length: 50 }, (_, i) => `writer-${i}`);
      const rounds: PromiseSettledResult<unknown>[][] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const seen = (await get('#COUNTER'))?.n as number;
        const results = await Promise.allSettled(racing.map((writer) => attempt(writer, seen)));
        rounds.push(results);
        racing = racing.filter((_, i) => results[i]?.status === 'rejected');
      }

      // Assess
      for (const [round, results] of rounds.entries()) {
        expect(results).toHaveLength(50 - round);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') {
            expect(result.reason).toBeInstanceOf(TransactionCanceledException);
            const reasons = (result.reason as TransactionCanceledException).CancellationReasons;
            expect(reasons?.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
          }
        }
      }
      expect((await get('#COUNTER'))?.n).toBe(ROUNDS);
      const claims = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :claim)',
          ExpressionAttributeValues: { ':pk': pk, ':claim': 'CLAIM#' },
        }),
      );
      // One claim per committed transaction: the cancelled ones' claims were rolled back.
      const claimed = (claims.Items ?? []).map((item) => item.claimed as number).sort((a, b) => a - b);
      expect(claimed).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
      expect(new Set(claims.Items?.map((item) => item.writer)).size).toBe(ROUNDS);
    });
  });

  describe('ReturnValuesOnConditionCheckFailure on single writes', () => {
    it('adds the old item to ConditionalCheckFailedException when ALL_OLD is asked for, and only then', async () => {
      // Prepare
      freshPartition();
      const Item = { pk: { S: pk }, sk: { S: '#MODEL' }, owner: { S: 'alice' } };
      const Key = { pk: Item.pk, sk: Item.sk };
      await client.send(new PutItemCommand({ TableName: TABLE, Item }));
      const notExists = { ConditionExpression: 'attribute_not_exists(pk)' };

      // Act
      const put = await rejection(
        client.send(
          new PutItemCommand({
            TableName: TABLE,
            Item,
            ...notExists,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      const update = await rejection(
        client.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key,
            UpdateExpression: 'SET #o = :bob',
            ExpressionAttributeNames: { '#o': 'owner' },
            ExpressionAttributeValues: { ':bob': { S: 'bob' } },
            ...notExists,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      const del = await rejection(
        client.send(
          new DeleteItemCommand({
            TableName: TABLE,
            Key,
            ...notExists,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      const notAsked = await rejection(
        client.send(new PutItemCommand({ TableName: TABLE, Item, ...notExists })),
      );

      // Assess
      for (const error of [put, update, del]) {
        expect(error).toBeInstanceOf(ConditionalCheckFailedException);
        expect((error as ConditionalCheckFailedException).message).toBe('The conditional request failed');
        expect((error as ConditionalCheckFailedException).Item).toEqual(Item);
      }
      expect(notAsked).toBeInstanceOf(ConditionalCheckFailedException);
      expect((notAsked as ConditionalCheckFailedException).Item).toBeUndefined();
      expect((await client.send(new GetItemCommand({ TableName: TABLE, Key }))).Item).toEqual(Item);
    });
  });

  describe('TransactGetItems', () => {
    it('reads several items at once, with an empty response for a missing one', async () => {
      // Prepare
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'A', n: 1, extra: 'x' } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'B', n: 2 } }));

      // Act
      const { Responses } = await doc.send(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: TABLE, Key: { pk, sk: 'A' }, ProjectionExpression: 'sk, n' } },
            { Get: { TableName: TABLE, Key: { pk, sk: 'MISSING' } } },
            { Get: { TableName: TABLE, Key: { pk, sk: 'B' } } },
          ],
        }),
      );

      // Assess
      expect(Responses).toEqual([{ Item: { sk: 'A', n: 1 } }, {}, { Item: { pk, sk: 'B', n: 2 } }]);
    });

    it('never sees half of a concurrent transaction (nor does a Query)', async () => {
      // Prepare: transactions move units between two items; their sum is always 100.
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'LEFT', n: 100 } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'RIGHT', n: 0 } }));
      const move = (from: string, to: string) =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: TABLE,
                  Key: { pk, sk: from },
                  UpdateExpression: 'ADD n :minus',
                  ExpressionAttributeValues: { ':minus': -1 },
                },
              },
              {
                Update: {
                  TableName: TABLE,
                  Key: { pk, sk: to },
                  UpdateExpression: 'ADD n :plus',
                  ExpressionAttributeValues: { ':plus': 1 },
                },
              },
            ],
          }),
        );
      const sums: number[] = [];
      const readBoth = async () => {
        const { Responses } = await doc.send(
          new TransactGetCommand({
            TransactItems: [
              { Get: { TableName: TABLE, Key: { pk, sk: 'LEFT' } } },
              { Get: { TableName: TABLE, Key: { pk, sk: 'RIGHT' } } },
            ],
          }),
        );
        sums.push((Responses?.[0]?.Item?.n as number) + (Responses?.[1]?.Item?.n as number));
        const { Items } = await doc.send(
          new QueryCommand({
            TableName: TABLE,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
          }),
        );
        sums.push((Items ?? []).reduce((sum, item) => sum + (item.n as number), 0));
      };

      // Act
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => [
          i % 2 ? move('LEFT', 'RIGHT') : move('RIGHT', 'LEFT'),
          readBoth(),
        ]).flat(),
      );

      // Assess
      expect(sums).toHaveLength(80);
      expect(new Set(sums)).toEqual(new Set([100]));
      expect(((await get('LEFT'))?.n as number) + ((await get('RIGHT'))?.n as number)).toBe(100);
    });
  });

  describe('TTL', () => {
    it('deletes items whose numeric ttl is in the past, and only those', async () => {
      // Prepare
      freshPartition();
      const now = 2_000_000_000;
      const items = [
        { sk: 'EXPIRED-1', ttl: now - 1 },
        { sk: 'EXPIRED-2', ttl: 1_000 },
        { sk: 'FUTURE', ttl: now + 3_600 },
        { sk: 'NOW', ttl: now },
        { sk: 'NO-TTL' },
        { sk: 'STRING-TTL', ttl: '1000' },
      ];
      await doc.send(
        new BatchWriteCommand({
          RequestItems: { [TABLE]: items.map((item) => ({ PutRequest: { Item: { pk, ...item } } })) },
        }),
      );
      const removed: WriteChange[] = [];
      const unsubscribe = dynamo.onWrite((change) => removed.push(change));

      // Act
      const beforeAnyExpired = await dynamo.sweepExpired(500);
      const deleted = await dynamo.sweepExpired(now);
      unsubscribe();

      // Assess
      expect(beforeAnyExpired).toBe(0);
      expect(deleted).toBe(2);
      expect(await get('EXPIRED-1')).toBeUndefined();
      expect(await get('EXPIRED-2')).toBeUndefined();
      for (const sk of ['FUTURE', 'NOW', 'NO-TTL', 'STRING-TTL']) expect(await get(sk)).toBeDefined();
      expect(
        removed.map((change) => [
          change.eventName,
          change.keys.sk,
          change.oldImage?.ttl,
          change.userIdentity?.principalId,
        ]),
      ).toEqual([
        ['REMOVE', 'EXPIRED-1', now - 1, 'dynamodb.amazonaws.com'],
        ['REMOVE', 'EXPIRED-2', 1_000, 'dynamodb.amazonaws.com'],
      ]);
    });

    it('follows UpdateTimeToLive per table, and answers DescribeTimeToLive accordingly', async () => {
      // Prepare
      const other = 'steward-test-ttl-off';
      await ensureTable(client, other);
      await doc.send(new PutCommand({ TableName: other, Item: { pk: 'P', sk: 'OLD', ttl: 1 } }));

      // Act
      const before = await client.send(new DescribeTimeToLiveCommand({ TableName: other }));
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: other,
          TimeToLiveSpecification: { Enabled: false, AttributeName: 'ttl' },
        }),
      );
      const after = await client.send(new DescribeTimeToLiveCommand({ TableName: other }));
      await dynamo.sweepExpired();

      // Assess
      expect(before.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
      expect(after.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
      expect(
        (await doc.send(new GetCommand({ TableName: other, Key: { pk: 'P', sk: 'OLD' } }))).Item,
      ).toBeDefined();
    });

    it('sweeps on its interval without being asked', async () => {
      // Prepare
      const fast = await startLocalDynamo({ ttl: { attribute: 'expiresAt', intervalMs: 20 } });
      const { client: fastClient, doc: fastDoc } = clientsFor(fast.endpoint);
      try {
        await ensureTable(fastClient, TABLE);
        const Key = { pk: 'P', sk: 'EXPIRED' };

        // Act
        await fastDoc.send(new PutCommand({ TableName: TABLE, Item: { ...Key, expiresAt: 1 } }));

        // Assess
        await expect
          .poll(async () => (await fastDoc.send(new GetCommand({ TableName: TABLE, Key }))).Item, {
            timeout: 5_000,
          })
          .toBeUndefined();
      } finally {
        fastClient.destroy();
        await fast.close();
      }
    });
  });

  describe('onWrite', () => {
    it('reports committed single, batch and transactional writes in commit order, with images', async () => {
      // Prepare
      freshPartition();
      const changes: WriteChange[] = [];
      const unsubscribe = dynamo.onWrite((change) => changes.push(change));

      // Act
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'A', v: 1 } }));
      await doc.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: { pk, sk: 'A' },
          UpdateExpression: 'SET v = :two',
          ExpressionAttributeValues: { ':two': 2 },
        }),
      );
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'A', v: 2 } })); // changes nothing
      await rejection(
        doc.send(
          new PutCommand({
            TableName: TABLE,
            Item: { pk, sk: 'A', v: 3 },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk, sk: 'B', tags: new Set(['x']) } } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: { pk, sk: 'MISSING' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Delete: {
                TableName: TABLE,
                Key: { pk, sk: 'A' },
                ConditionExpression: 'v = :two',
                ExpressionAttributeValues: { ':two': 2 },
              },
            },
          ],
        }),
      );
      await rejection(
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: TABLE, Item: { pk, sk: 'C' } } },
              {
                ConditionCheck: {
                  TableName: TABLE,
                  Key: { pk, sk: 'A' },
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: [{ PutRequest: { Item: { pk, sk: 'D' } } }, { DeleteRequest: { Key: { pk, sk: 'B' } } }],
          },
        }),
      );
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'MISSING' } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'MISSING', gone: false } }));
      unsubscribe();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'AFTER-UNSUBSCRIBE' } }));

      // Assess
      expect(changes.map((c) => [c.tableName, c.eventName, c.keys, c.oldImage, c.newImage])).toEqual([
        [TABLE, 'INSERT', { pk, sk: 'A' }, undefined, { pk, sk: 'A', v: 1 }],
        [TABLE, 'MODIFY', { pk, sk: 'A' }, { pk, sk: 'A', v: 1 }, { pk, sk: 'A', v: 2 }],
        [TABLE, 'INSERT', { pk, sk: 'B' }, undefined, { pk, sk: 'B', tags: new Set(['x']) }],
        [TABLE, 'REMOVE', { pk, sk: 'A' }, { pk, sk: 'A', v: 2 }, undefined],
        [TABLE, 'INSERT', { pk, sk: 'D' }, undefined, { pk, sk: 'D' }],
        [TABLE, 'REMOVE', { pk, sk: 'B' }, { pk, sk: 'B', tags: new Set(['x']) }, undefined],
        [TABLE, 'INSERT', { pk, sk: 'MISSING' }, undefined, { pk, sk: 'MISSING' }],
        [TABLE, 'MODIFY', { pk, sk: 'MISSING' }, { pk, sk: 'MISSING' }, { pk, sk: 'MISSING', gone: false }],
      ]);
      expect(changes[1]?.dynamodb).toEqual({
        Keys: { pk: { S: pk }, sk: { S: 'A' } },
        OldImage: { pk: { S: pk }, sk: { S: 'A' }, v: { N: '1' } },
        NewImage: { pk: { S: pk }, sk: { S: 'A' }, v: { N: '2' } },
      });
    });
  });

  describe('BatchWriteItem', () => {
    it('still puts and deletes through the front', async () => {
      // Prepare
      freshPartition();
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk, sk: 'OLD' } }));

      // Act
      const result = await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: [
              ...Array.from({ length: 24 }, (_, i) => ({ PutRequest: { Item: { pk, sk: `N#${i}`, i } } })),
              { DeleteRequest: { Key: { pk, sk: 'OLD' } } },
            ],
          },
        }),
      );

      // Assess
      expect(result.UnprocessedItems ?? {}).toEqual({});
      const { Items } = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
        }),
      );
      expect(Items?.map((item) => item.sk).sort()).toEqual(
        Array.from({ length: 24 }, (_, i) => `N#${i}`).sort(),
      );
    });
  });
});

describe('local DynamoDB on disk', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'steward-dynamo-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const withDynamo = async (work: (doc: DynamoDBDocumentClient) => Promise<void>) => {
    const dynamo = await startLocalDynamo({ dataDir });
    const { client, doc } = clientsFor(dynamo.endpoint);
    try {
      await ensureTable(client, TABLE);
      await work(doc);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  };

  it('keeps items across a restart with the same data directory', async () => {
    // Prepare / Act
    await withDynamo(async (doc) => {
      await doc.send(
        new PutCommand({ TableName: TABLE, Item: { pk: 'M#kept', sk: '#MODEL', latestVersion: 3 } }),
      );
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: TABLE,
                Item: { pk: 'M#kept', sk: 'V#0000000003', gsi1pk: 'E#prod', gsi1sk: 'x' },
              },
            },
          ],
        }),
      );
    });

    // Assess
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);
    await withDynamo(async (doc) => {
      expect(
        (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'M#kept', sk: '#MODEL' } }))).Item,
      ).toEqual({
        pk: 'M#kept',
        sk: '#MODEL',
        latestVersion: 3,
      });
      const byIndex = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :env',
          ExpressionAttributeValues: { ':env': 'E#prod' },
        }),
      );
      expect(byIndex.Items?.map((item) => item.sk)).toEqual(['V#0000000003']);
    });
  });

  it('rolls back, on start, a transaction that a killed process left half applied', async () => {
    // Prepare: the item as the interrupted transaction left it, and the journal it had written.
    await withDynamo(async (doc) => {
      await doc.send(
        new PutCommand({ TableName: TABLE, Item: { pk: 'M#crash', sk: '#MODEL', latestVersion: 2 } }),
      );
      await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'M#crash', sk: 'V#0000000002' } }));
    });
    const journal = [
      {
        TableName: TABLE,
        Key: { pk: { S: 'M#crash' }, sk: { S: '#MODEL' } },
        Item: { pk: { S: 'M#crash' }, sk: { S: '#MODEL' }, latestVersion: { N: '1' } },
      },
      { TableName: TABLE, Key: { pk: { S: 'M#crash' }, sk: { S: 'V#0000000002' } } },
    ];
    await writeFile(join(dataDir, 'dynamodb-journal.json'), JSON.stringify(journal));

    // Act / Assess
    await withDynamo(async (doc) => {
      const model = await doc.send(
        new GetCommand({ TableName: TABLE, Key: { pk: 'M#crash', sk: '#MODEL' } }),
      );
      const version = await doc.send(
        new GetCommand({ TableName: TABLE, Key: { pk: 'M#crash', sk: 'V#0000000002' } }),
      );
      expect(model.Item?.latestVersion).toBe(1);
      expect(version.Item).toBeUndefined();
    });
    expect(existsSync(join(dataDir, 'dynamodb-journal.json'))).toBe(false);
  });
});

describe('local DynamoDB closing', () => {
  it('refuses a request that queued behind close, instead of sending it to the stopped engine', async () => {
    // Prepare
    const dynamo = await startLocalDynamo({ ttl: { attribute: 'ttl', intervalMs: 3_600_000 } });
    const { client } = clientsFor(dynamo.endpoint);
    await ensureTable(client, TABLE);
    client.destroy();
    const send = (operation: string, payload: object) =>
      dynamo.invoke({
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          'x-amz-date': '20200101T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=local',
        },
        body: Buffer.from(JSON.stringify(payload)),
      });
    const key = { pk: { S: 'M#closing' }, sk: { S: 'v1' } };

    // Act: a write holds the lock while the engine works; close queues behind it (only microtasks
    // pass, so the write cannot end meanwhile), and a read arrives before close has taken the lock.
    const write = send('PutItem', { TableName: TABLE, Item: key });
    const closing = dynamo.close();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const read = send('GetItem', { TableName: TABLE, Key: key });
    await closing;
    const [written, answered] = await Promise.all([write, read]);

    // Assess: the write ended before close; the read queued behind close is refused by the front.
    expect(written.status).toBe(200);
    expect(answered.status).toBe(500);
    expect(JSON.parse(answered.body.toString())).toMatchObject({ message: 'the local DynamoDB is closed' });
  });
});
