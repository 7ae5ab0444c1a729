import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failureQueue } from './failure-queue.ts';

export interface DomainEventsProps {
  /** The registry table; its stream must carry NEW_IMAGE. */
  readonly table: dynamodb.ITable;
}

/** The `source` of every domain event on the bus, as local mode's (`infra/local/events.ts`). */
export const AUDIT_EVENT_SOURCE = 'steward';

/** Where a field of the inserted audit item is in the stream record the pipe reads. */
const newImage = (field: string, type: 'S' | 'N') => `$.dynamodb.NewImage.${field}.${type}`;

/**
 * The event's `detail-type` is the audit item's action (`version.registered`, ...): Pipes reads
 * dynamic JSON paths in the event bus target's Source and DetailType from the source record, before
 * the input template applies. `time` is the audit item's `at`, so the event is dated by its commit.
 */
export const AUDIT_EVENT_DETAIL_TYPE_PATH = newImage('action', 'S');
export const AUDIT_EVENT_TIME_PATH = newImage('at', 'S');

/**
 * The event's `detail`: the audit event without its before/after images and chain link. Pipes
 * quotes string values itself (so the placeholders are bare) and does not quote JSON objects. A
 * DynamoDB number travels as a string in the stream record (`{"N": "7"}`), so `seq` arrives in
 * `detail` as the string "7": an input template has no way to turn it into a JSON number.
 */
export const AUDIT_EVENT_DETAIL_FIELDS = {
  model: newImage('model', 'S'),
  seq: newImage('seq', 'N'),
  action: newImage('action', 'S'),
  target: newImage('target', 'S'),
  actor: newImage('actor', 'S'),
  at: newImage('at', 'S'),
  hash: newImage('hash', 'S'),
} as const;

export const AUDIT_EVENT_INPUT_TEMPLATE = `{${Object.entries(AUDIT_EVENT_DETAIL_FIELDS)
  .map(([field, path]) => `"${field}": <${path}>`)
  .join(', ')}}`;

/**
 * Matches stream records of newly written audit items. Audit items are only ever inserted, in the
 * same transaction as the state change they record, so each committed change yields one event.
 */
export const AUDIT_INSERT_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { entity: { S: ['audit'] } } },
};

/**
 * The domain event bus, fed by a transactional outbox: an EventBridge Pipe from the table's stream
 * to the bus, filtered to inserted audit items. No handler publishes events itself, so an event
 * exists exactly when its transaction committed.
 */
export class DomainEvents extends Construct {
  readonly bus: events.EventBus;
  readonly pipe: pipes.CfnPipe;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DomainEventsProps) {
    super(scope, id);
    const { table } = props;
    if (!table.tableStreamArn) throw new Error('DomainEvents needs a table with a stream');

    this.bus = new events.EventBus(this, 'Bus', { description: 'Steward domain events' });

    // Records that still fail after the retries land here instead of blocking the shard.
    this.deadLetterQueue = failureQueue(this, 'DeadLetters', {
      source: 'dead-letter queue of the events pipe',
      redrive: 'nothing consumes it to redrive.',
    });

    const logGroup = new logs.LogGroup(this, 'PipeLogs', { retention: logs.RetentionDays.THREE_MONTHS });

    const role = new iam.Role(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Steward events pipe: table stream to the domain event bus',
    });
    table.grantStreamRead(role);
    this.bus.grantPutEventsTo(role);
    this.deadLetterQueue.grantSendMessages(role);
    logGroup.grantWrite(role);
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, which the pipe needs on its DynamoDB source, has no resource type.',
    });

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: 'Committed audit items become Steward domain events',
      roleArn: role.roleArn,
      source: table.tableStreamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // At least once: a replaced pipe re-reads the stream's 24 hours rather than skip events;
          // consumers deduplicate on the audit event's hash.
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumRetryAttempts: 10,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(AUDIT_INSERT_FILTER) }] },
      },
      target: this.bus.eventBusArn,
      targetParameters: {
        eventBridgeEventBusParameters: {
          source: AUDIT_EVENT_SOURCE,
          detailType: AUDIT_EVENT_DETAIL_TYPE_PATH,
          time: AUDIT_EVENT_TIME_PATH,
        },
        inputTemplate: AUDIT_EVENT_INPUT_TEMPLATE,
      },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: logGroup.logGroupArn },
      },
    });
    // The role's policy must exist before the pipe starts reading the stream.
    this.pipe.node.addDependency(role);
  }
}
