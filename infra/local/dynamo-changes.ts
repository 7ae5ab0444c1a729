import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type NumberValue, NumberValueImpl, unmarshall } from '@aws-sdk/util-dynamodb';
import { type KeySchema, keyOf } from './dynamo-keys.ts';
import type { WireItem, WireValue } from './dynamo-wire.ts';

/**
 * One committed change to one item, as a DynamoDB stream record describes it. `keys`, `newImage`
 * and `oldImage` are unmarshalled plain objects (numbers as `number`, or as `NumberValue` when
 * they do not fit one; sets as `Set`; binary as `Uint8Array`); `dynamodb` carries the same in
 * DynamoDB JSON, shaped as a stream record's `dynamodb` field, for an emulator that forwards
 * stream records as they are.
 */
export interface WriteChange {
  tableName: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: Record<string, unknown>;
  /** Undefined for a delete. */
  newImage?: Record<string, unknown>;
  /** Undefined when the write created the item. */
  oldImage?: Record<string, unknown>;
  dynamodb: { Keys: WireItem; NewImage?: WireItem; OldImage?: WireItem };
  /** Set on deletions made by the TTL sweeper, as DynamoDB Streams marks expiry deletions. */
  userIdentity?: { type: 'Service'; principalId: 'dynamodb.amazonaws.com' };
}

export type WriteListener = (change: WriteChange) => void;

/**
 * The listeners of committed writes. Like DynamoDB Streams, it records nothing for a write that
 * changed nothing (a put of the same image, a delete of a missing item).
 */
export class ChangeFeed {
  private readonly listeners = new Set<WriteListener>();

  subscribe(listener: WriteListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Whether anyone listens (writes skip reading images when nobody does). */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(
    tableName: string,
    schema: KeySchema,
    oldImage: WireItem | undefined,
    newImage: WireItem | undefined,
    userIdentity?: WriteChange['userIdentity'],
  ): void {
    if (this.listeners.size === 0 || sameValue(oldImage, newImage)) return;
    const Keys = keyOf(schema, newImage ?? oldImage) ?? {};
    const change: WriteChange = {
      tableName,
      eventName: !oldImage ? 'INSERT' : newImage ? 'MODIFY' : 'REMOVE',
      keys: toNative(Keys),
      dynamodb: { Keys },
    };
    if (newImage) {
      change.newImage = toNative(newImage);
      change.dynamodb.NewImage = newImage;
    }
    if (oldImage) {
      change.oldImage = toNative(oldImage);
      change.dynamodb.OldImage = oldImage;
    }
    if (userIdentity) change.userIdentity = userIdentity;
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        // A listener's fault must not turn a committed write into a failed one.
        console.error('[local-dynamo] onWrite listener failed', error);
      }
    }
  }
}

const wrapNumber = (text: string): number | NumberValue => {
  const value = Number(text);
  return Number.isFinite(value) && (Number.isSafeInteger(value) || !Number.isInteger(value))
    ? value
    : NumberValueImpl.from(text);
};

/** Binary values arrive base64-encoded on the wire; the SDK's shapes hold bytes. */
const fromWire = (value: WireValue): AttributeValue => {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((b: string) => Buffer.from(b, 'base64')) };
  if (Array.isArray(value.L)) return { L: value.L.map((entry: WireValue) => fromWire(entry)) };
  if (typeof value.M === 'object' && value.M !== null) return { M: mapFromWire(value.M as WireItem) };
  return value as unknown as AttributeValue;
};

const mapFromWire = (item: WireItem): Record<string, AttributeValue> => {
  const result: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) result[name] = fromWire(value);
  return result;
};

const toNative = (item: WireItem): Record<string, unknown> =>
  unmarshall(mapFromWire(item), { wrapNumbers: wrapNumber });

const SET_TYPES = new Set(['SS', 'NS', 'BS']);

/** Deep equality of two images in DynamoDB JSON: object keys and set members in any order. */
export const sameValue = (a: unknown, b: unknown, setMembers = false): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (setMembers && Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && sameValue([...a].sort(), [...b].sort());
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every(
    (key) =>
      Object.hasOwn(bRecord, key) &&
      sameValue((a as Record<string, unknown>)[key], bRecord[key], SET_TYPES.has(key)),
  );
};
