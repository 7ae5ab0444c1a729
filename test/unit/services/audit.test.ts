import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { s3Keys } from '#commons/facts';
import { archiveCommittedEvent } from '#services/audit';
import { refusal, resetAws } from './mocked-aws.ts';

/**
 * The audit service's archive copy (what the stream handler calls for each committed event),
 * against a mocked S3: the event as committed, without the table's keys, one object per event.
 */
const s3 = mockClient(S3Client);

const item = {
  pk: 'AUDIT#churn',
  sk: '000000000042',
  gsi1pk: 'ACTOR#alice',
  gsi1sk: '2026-11-27T10:00:00.000Z#churn#42',
  gsi2pk: 'x',
  gsi2sk: 'y',
  entity: 'audit',
  model: 'churn',
  seq: 42,
  at: '2026-11-27T10:00:00.000Z',
  actor: 'alice',
  action: 'version.transitioned',
  target: 'version:churn:3',
  before: { status: 'READY' },
  after: { status: 'DEPRECATED', reason: 'superseded' },
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
};

beforeEach(() => {
  resetAws({ AUDIT_ARCHIVE_BUCKET: 'steward-audit-archive' });
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('archiving a committed audit event', () => {
  it('writes the event without the table keys, under its model and sequence, with a checksum', async () => {
    const event = await archiveCommittedEvent(item);

    const [put] = s3.commandCalls(PutObjectCommand);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    const input = put!.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'steward-audit-archive',
      Key: s3Keys.auditEvent('churn', 42),
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
    });
    const { pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, entity, ...expected } = item;
    expect(JSON.parse(String(input.Body))).toEqual(expected);
    expect(event).toEqual(expected);
  });

  it('names the same object for a redelivered event, whatever form the sequence came in', async () => {
    await archiveCommittedEvent(item);
    await archiveCommittedEvent({ ...item, seq: '42' });
    const [first, again] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(again!.Key).toBe(first!.Key);
    expect(again!.Body).toBe(first!.Body);
  });

  it('lets a refused PUT fail the call, so the stream delivers the event again', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const error = await refusal(archiveCommittedEvent(item));
    expect(error.name).toBe('AccessDenied');
  });

  it('refuses to run without an archive bucket configured, naming the variable', async () => {
    delete process.env.AUDIT_ARCHIVE_BUCKET;
    resetAws();
    const error = await refusal(archiveCommittedEvent(item));
    expect(error.message).toBe('AUDIT_ARCHIVE_BUCKET is not configured');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
