import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionEnvironment } from '../../functions/commons/facts.ts';
import type { Data } from './data.ts';
import { deadLetterQueue } from './failure-queue.ts';
import { ServiceFunction } from './service-function.ts';

const ENTRY = fileURLToPath(new URL('../../functions/scheduled/upload-expiry.ts', import.meta.url));

export interface UploadExpiryProps {
  readonly data: Data;
  /** How often the sweep runs (context `pendingUploadSweepRate`). */
  readonly rate: string;
  /** How long a version may wait for its upload (context `pendingUploadTtlHours`). */
  readonly ttlHours: number;
}

/**
 * Versions registered but never uploaded expire: an EventBridge rule on a schedule invokes the
 * sweep (functions/services/upload-expiry.ts), which reads the sparse index of versions still
 * PENDING_UPLOAD (gsi2) up to the cutoff and moves each to FAILED with its audit event. It reads
 * and writes the table's items and queries gsi2, nothing else: no S3 (incomplete multipart uploads
 * are aborted by the artifacts bucket's lifecycle rule). A sweep that fails is retried, then parked
 * in a dead-letter queue; the next sweep covers what it would have done.
 */
export class UploadExpiry extends Construct {
  readonly function: ServiceFunction;
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: UploadExpiryProps) {
    super(scope, id);
    this.deadLetters = deadLetterQueue(
      this,
      'DeadLetters',
      'This queue is itself the dead-letter queue of the upload expiry sweep and its rule; nothing is ' +
        'lost by a parked sweep, since the next one reads every version still due.',
    );
    const environment: FunctionEnvironment = {
      TABLE_NAME: props.data.table.tableName,
      PENDING_UPLOAD_TTL_HOURS: String(props.ttlHours),
    };
    this.function = new ServiceFunction(this, 'Function', {
      entry: ENTRY,
      handler: 'sweep',
      description: 'Steward: versions registered but never uploaded become FAILED after a while (audited)',
      environment,
      timeout: Duration.minutes(5),
      invocation: 'eventbridge',
      deadLetterQueue: this.deadLetters,
    });
    props.data.grantItemReadWrite(this.function, ['gsi2']);

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Steward: expire versions still waiting for their upload',
      schedule: events.Schedule.expression(props.rate),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.function.fn, {
        deadLetterQueue: this.deadLetters,
        retryAttempts: 2,
        // An older sweep is overtaken by the next one.
        maxEventAge: Duration.hours(1),
      }),
    );
  }
}
