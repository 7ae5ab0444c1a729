import type { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClients, setClients } from '#commons/clients';
import { resetConfig } from '#commons/config';
import { handler, objectKey } from '../../functions/streams/audit-export.ts';

const record = (seq: number, entity = 'audit', eventName: 'INSERT' | 'MODIFY' = 'INSERT') => ({
  eventName,
  dynamodb: {
    SequenceNumber: `seq-${seq}`,
    NewImage: marshall({
      pk: 'AUDIT#churn',
      sk: String(seq).padStart(12, '0'),
      gsi1pk: 'ACTOR#alice',
      gsi1sk: 'x',
      entity,
      model: 'churn',
      seq,
      action: 'version.registered',
      hash: `h${seq}`,
    }) as never,
  },
});

describe('audit archive export', () => {
  const send = vi.fn();

  beforeEach(() => {
    process.env.TABLE_NAME = 'steward';
    process.env.AUDIT_ARCHIVE_BUCKET = 'archive';
    resetConfig();
    send.mockReset();
    setClients({ s3: { send } as unknown as S3Client });
  });
  afterEach(() => resetClients());

  it('writes each inserted audit event as one object, without the table keys', async () => {
    send.mockResolvedValue({});
    const out = await handler({
      Records: [record(1), record(2, 'version'), record(3, 'audit', 'MODIFY')],
    } as DynamoDBStreamEvent);

    expect(out.batchItemFailures).toEqual([]);
    expect(send).toHaveBeenCalledTimes(1);
    const input = send.mock.calls[0]![0].input;
    expect(input).toMatchObject({
      Bucket: 'archive',
      Key: objectKey('churn', 1),
      ChecksumAlgorithm: 'SHA256',
    });
    expect(JSON.parse(input.Body)).toEqual({
      model: 'churn',
      seq: 1,
      action: 'version.registered',
      hash: 'h1',
    });
    expect(objectKey('churn', 1)).toBe('audit/churn/000000000001.json');
  });

  it('reports the first failed record so the stream retries from it', async () => {
    send.mockResolvedValueOnce({}).mockRejectedValueOnce(new Error('SlowDown'));
    const out = await handler({ Records: [record(1), record(2), record(3)] } as DynamoDBStreamEvent);

    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'seq-2' }]);
    expect(send).toHaveBeenCalledTimes(2);
  });
});
