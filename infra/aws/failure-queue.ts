import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that is itself a dead-letter destination (of a pipe, of a stream mapping): encrypted,
 * TLS only, kept two weeks. It has no dead-letter queue of its own, which cdk-nag notes twice;
 * `why` says where its records come from and what an operator does with them.
 */
export const failureQueue = (
  scope: Construct,
  id: string,
  why: { source: string; redrive: string },
): sqs.Queue => {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const resource = queue.node.defaultChild!;
  Validations.of(resource).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the ${why.source}.`,
  });
  Validations.of(resource).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: `This queue is itself the ${why.source}; ${why.redrive}`,
  });
  return queue;
};
