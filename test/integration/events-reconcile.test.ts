import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#adapters/keys';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '#local/dynamo';
import { LocalEventBus } from '#local/events';

/**
 * The reconcile that plays the stream after a crash, on the local DynamoDB with the real SDK
 * client: it finds the audit items with no event, and a write committed while it scans is neither
 * lost nor doubled.
 */
const TABLE = 'steward-events';

describe('LocalEventBus.reconcile', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  const audit = (model: string, seq: number) => ({
    ...keys.audit(model, seq),
    entity: 'audit',
    model,
    seq,
    action: 'model.updated',
    target: `model:${model}`,
    actor: 'tester',
    at: `2026-01-01T00:00:0${seq}.000Z`,
    hash: `h${seq}`,
  });
  const put = (item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: TABLE, Item: item }));

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    doc = DynamoDBDocumentClient.from(client);
    await ensureTable(client, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  it('emits the missing events in order of model and seq, holding writes made meanwhile, each once', async () => {
    // Prepare: audit items committed while nobody listened (the events a crash lost), and other items.
    await put(audit('b', 1));
    await put(audit('a', 2));
    await put(audit('a', 1));
    await put({ pk: 'M#a', sk: '#MODEL', entity: 'model', name: 'a' });
    const bus = await LocalEventBus.open(undefined);
    const unsubscribe = dynamo.onWrite(bus.onWrite);
    // The real client, with pages of two items; writes commit before and after the first page is read.
    let commands = 0;
    let next = 3;
    const scanning = {
      send: async (command: ScanCommand) => {
        commands++;
        expect(command).toBeInstanceOf(ScanCommand);
        if (commands === 1) await put(audit('a', next++));
        const page = await client.send(new ScanCommand({ ...command.input, Limit: 2 }));
        if (commands === 1) await put(audit('a', next++));
        return page;
      },
    } as unknown as DynamoDBClient;

    // Act
    await bus.reconcile(scanning, TABLE);
    await put(audit('b', 2));
    const again = await bus.reconcile(client, TABLE);
    unsubscribe();

    // Assess
    const keys = bus.events.map((e) => `${e.detail.model}#${e.detail.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    const a = keys.filter((k) => k.startsWith('a#'));
    expect(a).toEqual(Array.from({ length: next - 1 }, (_, i) => `a#${i + 1}`));
    expect(keys.filter((k) => k.startsWith('b#'))).toEqual(['b#1', 'b#2']);
    expect(keys.at(-1)).toBe('b#2');
    expect(commands).toBeGreaterThan(1);
    expect(again).toBe(0);
    expect(bus.events.find((e) => e.detail.model === 'a' && e.detail.seq === '1')).toMatchObject({
      version: '0',
      source: 'steward',
      'detail-type': 'model.updated',
      time: '2026-01-01T00:00:01.000Z',
      region: 'local',
      account: '000000000000',
      resources: [],
      detail: {
        model: 'a',
        seq: '1',
        action: 'model.updated',
        target: 'model:a',
        actor: 'tester',
        at: '2026-01-01T00:00:01.000Z',
        hash: 'h1',
      },
    });
  });
});
