import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WriteChange } from './dynamo.ts';

/**
 * Domain events in local mode. On AWS an EventBridge Pipe reads the table's stream and puts one
 * event on the bus for every audit item inserted (a transactional outbox: an event exists exactly
 * when its change committed). Here the local DynamoDB's write hook plays the stream and the pipe,
 * producing the same event shape, kept in memory and in `events.jsonl` under the data dir.
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

export class LocalEventBus {
  readonly events: DomainEvent[] = [];
  private pending: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | undefined) {}

  static async open(dataDir: string | undefined): Promise<LocalEventBus> {
    const file = dataDir ? join(dataDir, 'events.jsonl') : undefined;
    const bus = new LocalEventBus(file);
    if (file) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (line.trim()) bus.events.push(JSON.parse(line) as DomainEvent);
    }
    return bus;
  }

  /** The stream-and-pipe emulation: audit items inserted become events. */
  readonly onWrite = (change: WriteChange): void => {
    const item = change.newImage as Record<string, unknown> | undefined;
    if (!item || change.oldImage || item.entity !== 'audit') return;
    const event: DomainEvent = {
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
    };
    this.events.push(event);
    if (this.file) {
      const file = this.file;
      this.pending = this.pending.then(() => appendFile(file, `${JSON.stringify(event)}\n`));
    }
  };

  flush(): Promise<void> {
    return this.pending;
  }
}
