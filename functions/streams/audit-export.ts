import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse } from 'aws-lambda';
import * as z from 'zod';
import { s3Keys } from '#commons/facts';
import { logger } from '#commons/observability';
import { taskHandler } from '#commons/task';
import { archiveCommittedEvent } from '#services/audit';

/**
 * Copies every audit event committed in the table to the audit archive bucket, where S3 Object
 * Lock keeps it for the retention period whatever happens to the table. Triggered by the table's
 * stream, filtered to inserted audit items. One object per event, named by model and sequence,
 * so a redelivered record writes the same key with the same bytes. A failed record is reported
 * back (partial batch response) and retried from there.
 */
export const objectKey = s3Keys.auditEvent;

/** The part of a DynamoDB stream event this handler reads. */
const StreamEvent = z.object({
  Records: z.array(
    z.looseObject({
      eventName: z.string().optional(),
      dynamodb: z
        .looseObject({
          NewImage: z.record(z.string(), z.unknown()).optional(),
          SequenceNumber: z.string().optional(),
        })
        .optional(),
    }),
  ),
});

export const handler = taskHandler(
  'audit-export',
  StreamEvent,
  async (event): Promise<DynamoDBBatchResponse> => {
    const batchItemFailures: DynamoDBBatchItemFailure[] = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue;
      const item = unmarshall(image as Record<string, AttributeValue>);
      if (item.entity !== 'audit') continue;
      try {
        await archiveCommittedEvent(item);
      } catch (error) {
        logger.error('audit event not archived', { error: error as Error, model: item.model, seq: item.seq });
        batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
        // Records after a failure in the same shard are retried with it, in order.
        break;
      }
    }
    return { batchItemFailures };
  },
);
