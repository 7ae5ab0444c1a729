import type { Backend, WireItem } from './dynamo-wire.ts';

/** The primary key attributes of a table. */
export interface KeySchema {
  hash: string;
  range?: string;
}

type DescribeTableOutput = {
  Table?: { KeySchema?: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[] };
};

/**
 * Key schemas by table name, read once from DescribeTable. A failed lookup (no such table) is not
 * cached; a table that is created, updated or deleted is forgotten.
 */
export class KeySchemas {
  private readonly cache = new Map<string, Promise<KeySchema>>();

  constructor(private readonly backend: Backend) {}

  /** Rejects with dynalite's ResourceNotFoundException when the table does not exist. */
  get(tableName: string): Promise<KeySchema> {
    let schema = this.cache.get(tableName);
    if (!schema) {
      schema = this.describe(tableName);
      this.cache.set(tableName, schema);
      schema.catch(() => this.cache.delete(tableName));
    }
    return schema;
  }

  forget(tableName?: string): void {
    if (tableName === undefined) this.cache.clear();
    else this.cache.delete(tableName);
  }

  private async describe(tableName: string): Promise<KeySchema> {
    const { Table } = await this.backend.call<DescribeTableOutput>('DescribeTable', { TableName: tableName });
    const keys = Table?.KeySchema ?? [];
    const hash = keys.find((key) => key.KeyType === 'HASH')?.AttributeName;
    const range = keys.find((key) => key.KeyType === 'RANGE')?.AttributeName;
    if (!hash) throw new Error(`table ${tableName} has no hash key`);
    return range ? { hash, range } : { hash };
  }
}

/** The key of an item (or of a Key map), or undefined when a key attribute is missing. */
export const keyOf = (schema: KeySchema, item: WireItem | undefined): WireItem | undefined => {
  const hash = item?.[schema.hash];
  if (!hash) return undefined;
  if (!schema.range) return { [schema.hash]: hash };
  const range = item?.[schema.range];
  return range ? { [schema.hash]: hash, [schema.range]: range } : undefined;
};

/** A string that names one item of one table, for spotting two operations on the same item. */
export const itemId = (tableName: string, schema: KeySchema, key: WireItem): string =>
  JSON.stringify([tableName, key[schema.hash], schema.range ? key[schema.range] : null]);
