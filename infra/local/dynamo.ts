import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { ChangeFeed, type WriteChange, type WriteListener } from './dynamo-changes.ts';
import { type KeySchema, KeySchemas, keyOf } from './dynamo-keys.ts';
import { ReadWriteLock } from './dynamo-lock.ts';
import { Transactions } from './dynamo-transact.ts';
import { TtlSweeper } from './dynamo-ttl.ts';
import {
  Backend,
  DynamoError,
  errorResponse,
  isConditionalFailure,
  jsonResponse,
  operationOf,
  parseBody,
  type RawResponse,
  type RequestListener,
  sendRaw,
  type WireBody,
  type WireItem,
  withFields,
} from './dynamo-wire.ts';

export type { WriteChange, WriteListener } from './dynamo-changes.ts';

/**
 * The local DynamoDB: dynalite in-process, behind an HTTP front that speaks the same protocol and
 * adds what dynalite lacks (DESIGN.md, "Local mode"): TransactWriteItems and TransactGetItems,
 * the item in ReturnValuesOnConditionCheckFailure, TTL expiry and a feed of committed writes.
 * Handlers point the real SDK v3 client at `endpoint` and do not know the difference.
 *
 * Isolation: every write (single, batch, transaction, TTL deletion) holds one exclusive lock and
 * every read a shared one, so no reader sees half a transaction and no write lands inside one.
 */
export interface LocalDynamo {
  /** Answer one request in-process, as the HTTP front would (no socket, no HTTP parsing). */
  invoke(request: {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }): Promise<RawResponse>;
  /** e.g. http://127.0.0.1:53211 */
  endpoint: string;
  /** Waits for requests holding the lock, then stops the sweeper and both servers. */
  close(): Promise<void>;
  /**
   * Called after every committed write, once per item changed (Put/Update/Delete, inside or
   * outside transactions, BatchWriteItem, TTL deletions), in commit order, synchronously while the
   * write still holds the lock. Images are unmarshalled plain objects (DynamoDB JSON is on
   * `change.dynamodb`). As DynamoDB Streams does, a write that changed nothing (the same image put
   * again, a delete of a missing item) is not reported. Returns a function that unsubscribes.
   */
  onWrite(listener: (change: WriteChange) => void): () => void;
  /** Runs one TTL sweep now (tests); the sweeper also runs on an interval. Resolves with how many items it deleted. */
  sweepExpired(nowSeconds?: number): Promise<number>;
}

export interface LocalDynamoOptions {
  /** Undefined: in memory. Otherwise LevelDB lives under `<dataDir>/dynamodb`. */
  dataDir?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `{ attribute: 'ttl', intervalMs: 10_000 }`. */
  ttl?: { attribute: string; intervalMs: number };
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations; its factory returns a plain http.Server.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => http.Server;

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);
const TABLE_CHANGES = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);

/** One item a single write touches, and its image before the write. */
interface Target {
  tableName: string;
  schema: KeySchema;
  key: WireItem;
  oldImage: WireItem | undefined;
  isPut: boolean;
}

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const ttl = options.ttl ?? { attribute: 'ttl', intervalMs: 10_000 };
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });

  const engine = dynalite({
    ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // Only so that dynalite's close() runs (it closes LevelDB after its server stops); every request
  // reaches dynalite in-process, through its request listener.
  await listen(engine, 0, '127.0.0.1');
  const backend = new Backend(engine.listeners('request')[0] as RequestListener);
  const lock = new ReadWriteLock();
  const changes = new ChangeFeed();
  const schemas = new KeySchemas(backend);
  const transactions = new Transactions({
    backend,
    schemas,
    lock,
    changes,
    ...(options.dataDir ? { journalPath: join(options.dataDir, 'dynamodb-journal.json') } : {}),
  });
  const sweeper = new TtlSweeper({ backend, schemas, lock, changes, attribute: ttl.attribute });
  await transactions.recover();

  const read = async (tableName: string, key: WireItem): Promise<WireItem | undefined> =>
    (
      await backend.call<{ Item?: WireItem }>('GetItem', {
        TableName: tableName,
        Key: key,
        ConsistentRead: true,
      })
    ).Item;

  /** Finds the item a Put/Update/DeleteItem touches and reads it; undefined if the request is bad (dynalite will say why). */
  const locate = async (operation: string, request: WireBody): Promise<Target | undefined> => {
    const { TableName } = request;
    if (typeof TableName !== 'string') return undefined;
    try {
      const schema = await schemas.get(TableName);
      const source = (operation === 'PutItem' ? request.Item : request.Key) as WireItem | undefined;
      const key = keyOf(schema, source);
      if (!key) return undefined;
      const target: Target = {
        tableName: TableName,
        schema,
        key,
        oldImage: await read(TableName, key),
        isPut: operation === 'PutItem',
      };
      return target;
    } catch {
      return undefined;
    }
  };

  const singleWrite = (operation: string, req: http.IncomingMessage, body: Buffer): Promise<RawResponse> => {
    const request = parseBody(body);
    const wantsOld = request?.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
    return lock.exclusive(async () => {
      const target = request && (changes.active || wantsOld) ? await locate(operation, request) : undefined;
      const response = await backend.forward(req.method ?? 'POST', req.url ?? '/', req.headers, body);
      if (!target) return response;
      if (response.status === 200) {
        if (changes.active) {
          // Read back rather than taken from the request: dynalite normalizes numbers as DynamoDB does.
          const newImage = operation === 'DeleteItem' ? undefined : await read(target.tableName, target.key);
          changes.emit(target.tableName, target.schema, target.oldImage, newImage);
        }
        return response;
      }
      // dynalite ignores ReturnValuesOnConditionCheckFailure; DynamoDB puts the old item in the error.
      if (wantsOld && target.oldImage && isConditionalFailure(response)) {
        return withFields(response, { Item: target.oldImage });
      }
      return response;
    });
  };

  const batchWrite = (req: http.IncomingMessage, body: Buffer): Promise<RawResponse> => {
    const request = parseBody(body);
    return lock.exclusive(async () => {
      const targets = changes.active && request ? await locateBatch(request) : undefined;
      const response = await backend.forward(req.method ?? 'POST', req.url ?? '/', req.headers, body);
      // dynalite writes a whole batch or answers an error; it never leaves UnprocessedItems.
      if (response.status === 200 && targets) {
        for (const target of targets) {
          const newImage = target.isPut ? await read(target.tableName, target.key) : undefined;
          changes.emit(target.tableName, target.schema, target.oldImage, newImage);
        }
      }
      return response;
    });
  };

  const locateBatch = async (request: WireBody): Promise<Target[] | undefined> => {
    const requestItems = request.RequestItems;
    if (typeof requestItems !== 'object' || requestItems === null) return undefined;
    const pending: Promise<Target | undefined>[] = [];
    for (const [tableName, writes] of Object.entries(requestItems as Record<string, unknown>)) {
      if (!Array.isArray(writes)) return undefined;
      for (const write of writes as {
        PutRequest?: { Item?: WireItem };
        DeleteRequest?: { Key?: WireItem };
      }[]) {
        pending.push(
          write?.PutRequest
            ? locate('PutItem', { TableName: tableName, Item: write.PutRequest.Item })
            : locate('DeleteItem', { TableName: tableName, Key: write?.DeleteRequest?.Key }),
        );
      }
    }
    const targets = await Promise.all(pending);
    return targets.every((target) => target !== undefined) ? (targets as Target[]) : undefined;
  };

  let closed = false;
  // Checked here, after any lock was taken: a request that queued behind `close` must not reach
  // the stopped engine, whose "Database is closed" surfaces as an uncaught exception.
  const proxy = (req: http.IncomingMessage, body: Buffer): Promise<RawResponse> =>
    closed
      ? Promise.reject(new Error('the local DynamoDB is closed'))
      : backend.forward(req.method ?? 'POST', req.url ?? '/', req.headers, body);

  const answer = async (operation: string, req: http.IncomingMessage, body: Buffer): Promise<RawResponse> => {
    if (READS.has(operation)) return lock.shared(() => proxy(req, body));
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return singleWrite(operation, req, body);
      case 'BatchWriteItem':
        return batchWrite(req, body);
      case 'TransactWriteItems':
        return jsonResponse(200, await transactions.write(requestOf(body)));
      case 'TransactGetItems':
        return jsonResponse(200, await transactions.get(requestOf(body)));
      case 'DescribeTimeToLive':
        return jsonResponse(200, await sweeper.describe(requestOf(body)));
      case 'UpdateTimeToLive':
        return jsonResponse(200, await sweeper.update(requestOf(body)));
      default:
        if (TABLE_CHANGES.has(operation)) {
          return lock.exclusive(async () => {
            const response = await proxy(req, body);
            schemas.forget(parseBody(body)?.TableName as string | undefined);
            return response;
          });
        }
        return proxy(req, body);
    }
  };

  const front = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      answer(operationOf(req.headers), req, Buffer.concat(chunks))
        .catch(errorResponse)
        .then((response) => {
          if (closed) res.destroy();
          else sendRaw(res, response);
        })
        .catch(() => res.destroy());
    });
  });
  // The SDK keeps sockets open without an idle limit of its own, so a server that drops an idle
  // socket (Node's default is after 5 s) races a request sent on it, which then fails with
  // ECONNRESET. On a loaded machine that race was seen; idle sockets now live longer than any
  // pause between requests, and `close` still ends them all at once.
  front.keepAliveTimeout = 65_000;
  front.headersTimeout = 66_000;
  const port = await listen(front, options.port ?? 0, options.host ?? '127.0.0.1');
  sweeper.start(ttl.intervalMs);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await sweeper.stop();
      await lock.exclusive(async () => {
        closed = true;
        const frontClosed = stop(front);
        // Requests still queued for the lock are dropped with their connections.
        front.closeAllConnections();
        await frontClosed;
        await stop(engine);
      });
    })();
    return closing;
  };

  /**
   * The same front without the socket: a request as the SDK would send it, answered in-process.
   * Local mode's own DynamoDB client uses it (see `inProcessHandler`); tests may use either path.
   */
  const invoke = async (request: {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }) => {
    if (closed) throw new Error('the local DynamoDB is closed');
    const req = {
      method: request.method,
      url: request.path,
      headers: request.headers,
    } as http.IncomingMessage;
    return answer(operationOf(request.headers), req, request.body).catch(errorResponse);
  };

  return {
    invoke,
    endpoint: endpointFor(options.host ?? '127.0.0.1', port),
    close,
    onWrite: (listener: WriteListener) => changes.subscribe(listener),
    sweepExpired: (nowSeconds?: number) => sweeper.sweep(nowSeconds),
  };
}

/**
 * Creates the Steward table if it does not exist: pk (S) / sk (S), GSIs `gsi1` on gsi1pk/gsi1sk and
 * `gsi2` on gsi2pk/gsi2sk (S/S, projection ALL), PAY_PER_REQUEST; waits until it and its indexes are
 * ACTIVE. A table from an older data directory that lacks an index gets it with UpdateTable
 * (GlobalSecondaryIndexUpdates Create, one index per call, as DynamoDB allows).
 *
 * dynalite 4 cannot add an index to an existing table: it refuses a Create without
 * ProvisionedThroughput and answers one with it as a success while changing nothing. So when the
 * index is still missing afterwards, this fails with what to do (start from a fresh data
 * directory) rather than let the first query on that index fail. DynamoDB and DynamoDB Local
 * build the index.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const indexes = ['gsi1', 'gsi2'].map((name) => ({
    attributes: [
      { AttributeName: `${name}pk`, AttributeType: 'S' as const },
      { AttributeName: `${name}sk`, AttributeType: 'S' as const },
    ],
    index: {
      IndexName: name,
      KeySchema: [
        { AttributeName: `${name}pk`, KeyType: 'HASH' as const },
        { AttributeName: `${name}sk`, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    },
  }));
  const describe = async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  const untilActive = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const table = await describe();
      const active =
        table?.TableStatus === 'ACTIVE' &&
        (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (active) return table;
      if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const existing = await describe().catch((error: unknown) => {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  });
  if (!existing) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            ...indexes.flatMap((i) => i.attributes),
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: indexes.map((i) => i.index),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }

  let table = await untilActive();
  for (const { attributes, index } of indexes) {
    if (table.GlobalSecondaryIndexes?.some((present) => present.IndexName === index.IndexName)) continue;
    const cannotAdd = (why: string) =>
      new Error(
        `table ${tableName} has no index ${index.IndexName} (it was made by an older Steward) and ${why}; ` +
          'start with a fresh data directory (move STEWARD_DATA_DIR, by default .steward/, aside)',
      );
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    } catch (error) {
      throw cannotAdd(`adding it failed: ${(error as Error).message}`);
    }
    table = await untilActive();
    if (!table.GlobalSecondaryIndexes?.some((present) => present.IndexName === index.IndexName)) {
      throw cannotAdd('this DynamoDB emulator cannot add an index to an existing table');
    }
  }
}

const requestOf = (body: Buffer): WireBody => {
  const request = parseBody(body);
  if (!request) throw new DynamoError(400, { __type: 'com.amazon.coral.service#SerializationException' });
  return request;
};

/** A URL a client on this machine can use; a wildcard listen address is reached through loopback. */
const endpointFor = (host: string, port: number): string => {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
};

const listen = (server: http.Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

const stop = (server: http.Server): Promise<void> =>
  new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
