import { randomUUID } from 'node:crypto';
import { appendFile, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { WriteChange } from './dynamo.ts';

/**
 * Domain events in local mode. On AWS an EventBridge Pipe reads the table's stream and puts one
 * event on the bus for every audit item inserted (a transactional outbox: an event exists exactly
 * when its change committed). Here the local DynamoDB's write hook plays the stream and the pipe,
 * producing the same event shape, kept in memory and in `events.jsonl` under the data dir.
 *
 * The write is acknowledged before its event reaches `events.jsonl`, so a `kill -9` may leave the
 * file short of the last committed audit items (or with a torn last line). The stream would still
 * deliver them after the crash; here `reconcile`, on start, plays that part: it reads every audit
 * item of the table in one paginated Scan and emits the event of each one the file lacks
 * (matched on model and seq), so the invariant holds across a crash.
 */
export interface DomainEvent {
  version: '0';
  id: string;
  source: 'steward';
  'detail-type': string;
  time: string;
  region: string;
  account: string;
  resources: string[];
  /** `seq` is text, as the deployed Pipe delivers it (a DynamoDB number arrives as a string). */
  detail: {
    model: string;
    seq: string;
    action: string;
    target: string;
    actor: string;
    at: string;
    hash: string;
  };
}

/** The event the Pipe puts on the bus for one inserted audit item (unmarshalled). */
export const eventOf = (item: Record<string, unknown>): DomainEvent => ({
  version: '0',
  id: randomUUID(),
  source: 'steward',
  'detail-type': String(item.action),
  time: String(item.at),
  region: 'local',
  account: '000000000000',
  resources: [],
  detail: {
    model: String(item.model),
    seq: String(item.seq),
    action: String(item.action),
    target: String(item.target),
    actor: String(item.actor),
    at: String(item.at),
    hash: String(item.hash),
  },
});

/** The audit item's fields `eventOf` reads. */
const EVENT_FIELDS = ['model', 'seq', 'action', 'target', 'actor', 'at', 'hash'] as const;

/** What identifies an audit item's event: its chain and its place in it. */
const keyOf = (model: string, seq: string): string => `${model}\u0000${seq}`;

export class LocalEventBus {
  readonly events: DomainEvent[] = [];
  private readonly emitted = new Set<string>();
  /** Events of writes that commit while `reconcile` runs, emitted after the ones it finds. */
  private held: DomainEvent[] | undefined;
  private pending: Promise<void> = Promise.resolve();
  /** Appends that failed since the start (their events are written by the next start's reconcile). */
  failedAppends = 0;

  private constructor(private readonly file: string | undefined) {}

  static async open(dataDir: string | undefined): Promise<LocalEventBus> {
    const file = dataDir ? join(dataDir, 'events.jsonl') : undefined;
    const bus = new LocalEventBus(file);
    if (file) {
      const text = await readFile(file, 'utf8').catch(() => '');
      const complete = text.endsWith('\n') ? text.length : text.lastIndexOf('\n') + 1;
      // A kill -9 in the middle of an append leaves a torn last line: cut it off, so the next
      // append starts on a line of its own; reconcile emits its event again.
      if (complete < text.length) await truncate(file, Buffer.byteLength(text.slice(0, complete)));
      for (const line of text.slice(0, complete).split('\n')) {
        if (!line.trim()) continue;
        const event = JSON.parse(line) as DomainEvent;
        bus.events.push(event);
        bus.emitted.add(keyOf(event.detail.model, event.detail.seq));
      }
    }
    return bus;
  }

  /** The stream-and-pipe emulation: audit items inserted become events. */
  readonly onWrite = (change: WriteChange): void => {
    const item = change.newImage as Record<string, unknown> | undefined;
    if (!item || change.oldImage || item.entity !== 'audit') return;
    const event = eventOf(item);
    if (this.held) this.held.push(event);
    else this.emit(event);
  };

  /**
   * What the stream delivers after a crash: the event of every audit item of `tableName` that has
   * none yet, in order of model and seq. One Scan, paginated, with no request per item; writes
   * committed meanwhile are held and emitted after, each event still once.
   */
  async reconcile(client: DynamoDBClient, tableName: string): Promise<number> {
    this.held = [];
    try {
      const missing: DomainEvent[] = [];
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            ConsistentRead: true,
            FilterExpression: '#entity = :audit',
            // Only what an event carries: an audit item's other fields need not unmarshall.
            ProjectionExpression: EVENT_FIELDS.map((field) => `#${field}`).join(', '),
            ExpressionAttributeNames: {
              '#entity': 'entity',
              ...Object.fromEntries(EVENT_FIELDS.map((field) => [`#${field}`, field])),
            },
            ExpressionAttributeValues: { ':audit': { S: 'audit' } },
            ExclusiveStartKey,
          }),
        );
        for (const wire of page.Items ?? []) {
          const item = unmarshall(wire);
          if (!this.emitted.has(keyOf(String(item.model), String(item.seq)))) missing.push(eventOf(item));
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      missing.sort(
        (a, b) =>
          (a.detail.model < b.detail.model ? -1 : a.detail.model > b.detail.model ? 1 : 0) ||
          Number(a.detail.seq) - Number(b.detail.seq),
      );
      for (const event of missing) this.emit(event);
      return missing.length;
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const event of held) this.emit(event);
    }
  }

  /** Kept in memory at once, appended to the file in order; an event already emitted is not again. */
  private emit(event: DomainEvent): void {
    const key = keyOf(event.detail.model, event.detail.seq);
    if (this.emitted.has(key)) return;
    this.emitted.add(key);
    this.events.push(event);
    if (this.file) {
      const file = this.file;
      // A failed append (a full disk) is reported and the appends after it go on: the event is
      // kept in memory, and the next start's `reconcile` writes it, as the stream redelivers.
      this.pending = this.pending
        .then(() => appendFile(file, `${JSON.stringify(event)}\n`))
        .catch((error: unknown) => {
          this.failedAppends++;
          console.error(
            `[local-events] could not append the event of ${event.detail.model} seq ${event.detail.seq} to ${file}`,
            error,
          );
        });
    }
  }

  /** Settles once every event emitted so far is appended, or reported as not appended; never rejects. */
  flush(): Promise<void> {
    return this.pending;
  }
}
