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
  const queue = parkingQueue(scope, id);
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

/**
 * The dead-letter queue of a function (`ServiceFunction`'s `deadLetterQueue`) and of the rule that
 * invokes it: cdk-nag sees it as a function's DLQ, so only the missing redrive policy of its own
 * is noted; `reason` says why nothing is lost by what it parks, or what an operator does with it.
 */
export const deadLetterQueue = (scope: Construct, id: string, reason: string): sqs.Queue => {
  const queue = parkingQueue(scope, id);
  Validations.of(queue.node.defaultChild!).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
  return queue;
};

/** Encrypted, TLS only, kept two weeks: where failed records wait for an operator. */
const parkingQueue = (scope: Construct, id: string): sqs.Queue =>
  new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
