import type { ChangeFeed } from './dynamo-changes.ts';
import type { KeySchemas } from './dynamo-keys.ts';
import type { ReadWriteLock } from './dynamo-lock.ts';
import { type Backend, DynamoError, validationError, type WireBody, type WireItem } from './dynamo-wire.ts';

/**
 * TTL expiry, which dynalite lacks. Every table is swept on the configured attribute (DynamoDB
 * needs UpdateTimeToLive first; the CDK app enables it on the Steward table) unless
 * UpdateTimeToLive said otherwise for that table in this process. An item expires when its TTL
 * attribute is a number (epoch seconds) below now. Keys are found with a Scan under the shared
 * lock; each deletion re-checks the expiry under the exclusive lock, so an item whose TTL was
 * moved in the meantime survives, and is reported to the change feed as DynamoDB Streams reports
 * expiry deletions.
 */
export interface TtlDeps {
  backend: Backend;
  schemas: KeySchemas;
  lock: ReadWriteLock;
  changes: ChangeFeed;
  attribute: string;
}

const EXPIRY_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

export class TtlSweeper {
  /** Per-table settings from UpdateTimeToLive: the attribute, or null when disabled. */
  private readonly settings = new Map<string, string | null>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly deps: TtlDeps) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (!this.running)
        this.sweep().catch((error) => console.error('[local-dynamo] TTL sweep failed', error));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes expired items of every table; resolves with how many it deleted. */
  sweep(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    const previous = this.running ?? Promise.resolve(0);
    const run = previous
      .catch(() => 0)
      .then(() => this.sweepTables(nowSeconds))
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }

  async describe(request: WireBody): Promise<WireBody> {
    const tableName = request.TableName;
    if (typeof tableName !== 'string') {
      throw validationError(
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
      );
    }
    await this.deps.schemas.get(tableName);
    const attribute = this.attributeOf(tableName);
    return {
      TimeToLiveDescription: attribute
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  }

  async update(request: WireBody): Promise<WireBody> {
    const { TableName, TimeToLiveSpecification: spec } = request;
    if (typeof TableName !== 'string') throw validationError('TableName must be a string');
    const enabled = typeof spec === 'object' && spec !== null ? (spec as WireBody).Enabled : undefined;
    const attribute =
      typeof spec === 'object' && spec !== null ? (spec as WireBody).AttributeName : undefined;
    if (typeof enabled !== 'boolean' || typeof attribute !== 'string' || attribute.length === 0) {
      throw validationError(
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
      );
    }
    await this.deps.schemas.get(TableName);
    this.settings.set(TableName, enabled ? attribute : null);
    return { TimeToLiveSpecification: { Enabled: enabled, AttributeName: attribute } };
  }

  private attributeOf(tableName: string): string | null {
    const setting = this.settings.get(tableName);
    return setting === undefined ? this.deps.attribute : setting;
  }

  private async sweepTables(now: number): Promise<number> {
    let deleted = 0;
    let start: string | undefined;
    do {
      const page: { TableNames?: string[]; LastEvaluatedTableName?: string } = await this.deps.backend.call(
        'ListTables',
        start ? { ExclusiveStartTableName: start } : {},
      );
      for (const tableName of page.TableNames ?? []) deleted += await this.sweepTable(tableName, now);
      start = page.LastEvaluatedTableName;
    } while (start);
    return deleted;
  }

  private async sweepTable(TableName: string, now: number): Promise<number> {
    const attribute = this.attributeOf(TableName);
    if (!attribute) return 0;
    const { backend, lock, changes } = this.deps;
    const schema = await this.deps.schemas.get(TableName);
    const expired = {
      ConditionExpression: '#ttl < :now',
      ExpressionAttributeNames: { '#ttl': attribute },
      ExpressionAttributeValues: { ':now': { N: String(now) } },
    };
    const keyNames = schema.range ? { '#k0': schema.hash, '#k1': schema.range } : { '#k0': schema.hash };

    let deleted = 0;
    let startKey: WireItem | undefined;
    do {
      const page = await lock.shared(() =>
        backend.call<{ Items?: WireItem[]; LastEvaluatedKey?: WireItem }>('Scan', {
          TableName,
          FilterExpression: expired.ConditionExpression,
          ProjectionExpression: Object.keys(keyNames).join(', '),
          ExpressionAttributeNames: { ...expired.ExpressionAttributeNames, ...keyNames },
          ExpressionAttributeValues: expired.ExpressionAttributeValues,
          ExclusiveStartKey: startKey,
        }),
      );
      deleted += await lock.exclusive(async () => {
        let count = 0;
        for (const Key of page.Items ?? []) {
          try {
            const { Attributes } = await backend.call<{ Attributes?: WireItem }>('DeleteItem', {
              TableName,
              Key,
              ...expired,
              ReturnValues: 'ALL_OLD',
            });
            count += 1;
            changes.emit(TableName, schema, Attributes, undefined, EXPIRY_IDENTITY);
          } catch (error) {
            // Its TTL moved (or it went) since the scan: not expired any more.
            if (!(error instanceof DynamoError && error.type === 'ConditionalCheckFailedException'))
              throw error;
          }
        }
        return count;
      });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }
}
