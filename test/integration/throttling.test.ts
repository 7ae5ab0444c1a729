import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetClients, setClients } from '#commons/clients';
import { type AuditEvent, verifyChain } from '#domain/audit';
import { type Api, startApi } from './local-api.ts';

/**
 * A DynamoDB that throttles a share of calls: every request either completes whole (after the
 * SDK's retries) or answers 503 with Retry-After, and never leaves a half-written version or a gap
 * in the audit chain.
 */
const throttlingClient = (endpoint: string, share: () => number) => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    retryStrategy: undefined,
  });
  // Inside the retry loop, before the request leaves: DynamoDB refused it.
  client.middlewareStack.add(
    (next) => async (args) => {
      if (Math.random() < share()) {
        const error = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
        throw error;
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'injectThrottling' },
  );
  return client;
};

describe('storage throttling', () => {
  let api: Api;
  let share = 0;
  const MODEL = 'throttled';
  const sha = createHash('sha256').update('artifact').digest('hex');

  beforeAll(async () => {
    api = await startApi();
    const created = await api.call('POST', '/v1/models', { body: { name: MODEL } });
    expect(created.status).toBe(201);
    setClients({ dynamo: throttlingClient(api.system.dynamo.endpoint, () => share) });
  });

  afterAll(async () => {
    resetClients();
    await api.close();
  });

  it('answers every request whole or with 503 and Retry-After, and keeps versions and chain intact', async () => {
    share = 0.5;
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.call('POST', `/v1/models/${MODEL}/versions`, {
          body: { artifact: { sha256: sha, sizeBytes: 8 }, tags: { i: String(i) } },
        }),
      ),
    );
    const tagged = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.call('PATCH', `/v1/models/${MODEL}`, { body: { description: 'busy' } }),
      ),
    );
    share = 0;

    const all = [...responses, ...tagged];
    for (const r of all) {
      expect([200, 201, 503]).toContain(r.status);
      if (r.status === 503) {
        expect(r.headers.get('retry-after')).toBe('1');
        expect(r.headers.get('content-type')).toBe('application/problem+json');
      }
    }
    const created = responses.filter((r) => r.status === 201).map((r) => r.body.version as number);
    expect(all.some((r) => r.status === 503)).toBe(true);
    expect(created.length).toBeGreaterThan(0);

    // The versions that exist are exactly those answered 201, numbered 1..n without gaps.
    const listed = await api.call('GET', `/v1/models/${MODEL}/versions?limit=100`);
    const numbers = (listed.body.items as { version: number }[]).map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(created.sort((a, b) => a - b));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));

    // One registration event per version, and the chain verifies from its first event.
    const reader = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: api.system.dynamo.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    const { Items = [] } = await reader.send(
      new QueryCommand({
        TableName: 'steward',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${MODEL}` },
      }),
    );
    const events = Items.map(
      ({ pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _g3, gsi2sk: _g4, entity: _e, ...event }) =>
        event as AuditEvent,
    );
    expect(verifyChain(events)).toEqual({ valid: true, events: events.length });
    const registered = events.filter((e) => e.action === 'version.registered').map((e) => e.target);
    expect(registered.sort()).toEqual(numbers.map((n) => `version:${MODEL}:${n}`).sort());
    const model = await api.call('GET', `/v1/models/${MODEL}`);
    expect(model.body.latestVersion).toBe(numbers.length);
    expect(model.headers.get('etag')).toBe(`"${events.length}"`);
  });
});
