import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { S3_PREFIX } from '../../functions/commons/facts.ts';
import type { ReplicaDestination } from './context.ts';
import { failureQueue } from './failure-queue.ts';
import { acknowledgeReplicationRole, acknowledgeUnreplicated, replicationRules } from './replication.ts';
import { ServiceFunction } from './service-function.ts';

export interface AuditArchiveProps {
  /** The registry table; its stream must carry NEW_IMAGE. */
  readonly table: dynamodb.ITable;
  /** Receives the archive bucket's server access logs (under `audit-archive/`). */
  readonly accessLogsBucket: s3.IBucket;
  /** Object Lock default retention of every archived event. */
  readonly retentionYears: number;
  readonly retentionMode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Where the archive is replicated to (context auditArchiveReplica); none: not replicated. */
  readonly replica?: ReplicaDestination;
}

/** The handler writes `audit/<model>/<seq12>.json`; it may write nothing else. */
export const ARCHIVE_PREFIX = S3_PREFIX.audit;

/** Inserted audit items only: the same records the events pipe passes. */
export const ARCHIVE_FILTER = {
  eventName: lambda.FilterRule.isEqual('INSERT'),
  dynamodb: { NewImage: { entity: { S: lambda.FilterRule.isEqual('audit') } } },
};

/** What nobody may do to the archive's key. */
export const ARCHIVE_KEY_DENIED_ACTIONS = ['kms:ScheduleKeyDeletion', 'kms:DisableKey'] as const;

/** SSE-KMS on a single PutObject needs a data key and nothing else; the exporter never reads back. */
const ARCHIVE_KEY_WRITE_ACTIONS = ['kms:GenerateDataKey'];

/**
 * The audit archive: every committed audit event, copied from the table's stream to a bucket with
 * S3 Object Lock, so the record outlives the table (and anyone who could delete it) for the
 * retention period. The exporter may put objects, never delete them; each put is a new locked
 * version, so even an overwrite of a key leaves the earlier bytes in place.
 *
 * Delivery is at least once and in order per stream shard: a failed record is reported back
 * (partial batch response) and retried from there, a poisoned batch is halved until the bad record
 * stands alone, and what still fails lands in the dead-letter queue as the stream position of the
 * records (not their content; the stream keeps records 24 hours, the table keeps them for good, so
 * the events are re-exported from the table).
 */
export class AuditArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly exporter: ServiceFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Steward audit archive',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Disabling or deleting the key would make every archived event unreadable, which Object Lock
    // cannot prevent: nobody may, the account's administrators included. Changing the key policy
    // itself stays possible (denying that too would lock the key for good), so removing this guard
    // is a deliberate, logged PutKeyPolicy rather than one call.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TheAuditArchiveKeyIsNeverDisabledOrDeleted',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...ARCHIVE_KEY_DENIED_ACTIONS],
        resources: ['*'],
      }),
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // Object Lock needs versioning, and can only be switched on when the bucket is created.
      objectLockEnabled: true,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-archive/',
      replicationRules: replicationRules(this, 'AuditArchive', props.replica),
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    if (props.replica) acknowledgeReplicationRole(this.bucket, props.replica);
    else
      acknowledgeUnreplicated(
        this.bucket,
        'Replication is opt-in with context auditArchiveReplica (a versioned bucket with Object Lock and ' +
          'its key, typically in another region or account): it needs a bucket outside this stack. The ' +
          'table keeps every event as well, and Object Lock keeps each archived one from deletion.',
      );
    // In years, as the context states it; the L2 property would render the period in days.
    (this.bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: props.retentionMode, years: props.retentionYears } },
    };

    this.deadLetterQueue = failureQueue(this, 'DeadLetters', {
      source: "on-failure destination of the audit exporter's stream mapping",
      redrive: 'an operator re-exports the records it names from the table.',
    });

    this.exporter = new ServiceFunction(this, 'Exporter', {
      entry: fileURLToPath(new URL('../../functions/streams/audit-export.ts', import.meta.url)),
      description: 'Steward: copies committed audit events to the audit archive',
      environment: {
        STEWARD_MODE: 'aws',
        AUDIT_ARCHIVE_BUCKET: this.bucket.bucketName,
        // Not read by the exporter, but the shared configuration it loads requires one.
        TABLE_NAME: props.table.tableName,
      },
      timeout: Duration.seconds(60),
      invocation: 'dynamodb-stream',
    });

    this.eventSource = new DynamoEventSource(props.table, {
      // At least once: a replaced mapping re-reads the stream's 24 hours rather than skip events;
      // an event's object key is fixed by its model and sequence, so a repeat writes the same key.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: [lambda.FilterCriteria.filter(ARCHIVE_FILTER)],
    });
    // Stream read (with the table key) and the on-failure queue are granted by the mapping.
    this.exporter.fn.addEventSource(this.eventSource);

    iam.Grant.addToPrincipal({
      grantee: this.exporter,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects(`${ARCHIVE_PREFIX}*`)],
    });
    this.key.grant(this.exporter, ...ARCHIVE_KEY_WRITE_ACTIONS);
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    this.exporter.acknowledgePolicyFinding(
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${ARCHIVE_PREFIX}*]`,
      `Object keys are made per model and sequence at run time; the grant is PutObject under ${ARCHIVE_PREFIX} ` +
        'of the archive bucket only.',
    );
  }
}
