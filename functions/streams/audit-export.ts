import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { s3 } from '#commons/clients';
import { config } from '#commons/config';
import { s3Keys } from '#commons/facts';
import { logger } from '#commons/observability';

/**
 * Copies every audit event committed in the table to the audit archive bucket, where S3 Object
 * Lock keeps it for the retention period whatever happens to the table. Triggered by the table's
 * stream, filtered to inserted audit items. One object per event, named by model and sequence,
 * so a redelivered record writes the same key with the same bytes. A failed record is reported
 * back (partial batch response) and retried from there.
 */
const bucket = () => {
  const name = config().auditArchiveBucket;
  if (!name) throw new Error('AUDIT_ARCHIVE_BUCKET is not configured');
  return name;
};

export const objectKey = s3Keys.auditEvent;

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const batchItemFailures: DynamoDBBatchItemFailure[] = [];
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.entity !== 'audit') continue;
    const {
      pk: _pk,
      sk: _sk,
      gsi1pk: _a,
      gsi1sk: _b,
      gsi2pk: _c,
      gsi2sk: _d,
      entity: _e,
      ...auditEvent
    } = item;
    try {
      await s3().send(
        new PutObjectCommand({
          Bucket: bucket(),
          Key: objectKey(String(auditEvent.model), Number(auditEvent.seq)),
          Body: JSON.stringify(auditEvent),
          ContentType: 'application/json',
          // Object Lock needs an integrity checksum on every PUT.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    } catch (error) {
      logger.error('audit event not archived', {
        error: error as Error,
        model: auditEvent.model,
        seq: auditEvent.seq,
      });
      batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      // Records after a failure in the same shard are retried with it, in order.
      break;
    }
  }
  return { batchItemFailures };
};
