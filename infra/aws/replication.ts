import { Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ReplicaDestination } from './context.ts';
import { wildcardResourceFinding } from './nag.ts';

/**
 * S3 replication of a bucket to the destination context names (`artifactsReplica`,
 * `auditArchiveReplica`): every object, SSE-KMS ones included, re-encrypted with the destination's
 * key, through a role CDK makes that may read this bucket and write that one. Without a
 * destination, `why` says why the bucket is not replicated, on the NIST finding it raises.
 */
export const replicationRules = (
  scope: Construct,
  id: string,
  replica: ReplicaDestination | undefined,
): s3.ReplicationRule[] | undefined =>
  replica
    ? [
        {
          destination: s3.Bucket.fromBucketArn(scope, `${id}Replica`, replica.bucketArn),
          kmsKey: kms.Key.fromKeyArn(scope, `${id}ReplicaKey`, replica.keyArn),
          sseKmsEncryptedObjects: true,
          deleteMarkerReplication: false,
          priority: 0,
        },
      ]
    : undefined;

/** Acknowledges NIST's replication finding on a bucket that is not replicated, with the reason. */
export const acknowledgeUnreplicated = (bucket: s3.Bucket, why: string): void => {
  Validations.of(bucket.node.defaultChild!).acknowledge({
    id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    reason: why,
  });
};

/**
 * The replication role CDK makes reads every object version of the bucket and writes replicas of
 * them into the destination, re-encrypting with the destination key: the wildcards are S3's and
 * KMS's own for replication, on those two buckets and keys only.
 */
export const acknowledgeReplicationRole = (bucket: s3.Bucket, replica: ReplicaDestination): void => {
  const policy = bucket.node.findChild('ReplicationRole').node.findChild('DefaultPolicy');
  const acknowledge = (id: string, reason: string) => Validations.of(policy).acknowledge({ id, reason });
  acknowledge(
    wildcardResourceFinding(bucket, bucket.arnForObjects('*')),
    'Replication reads every object version of this bucket (which ones is decided as they are written).',
  );
  acknowledge(
    `AwsSolutions-IAM5[Resource::${replica.bucketArn}/*]`,
    'Replication writes replicas of every object into the destination bucket the context names, only it.',
  );
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*'])
    acknowledge(
      `AwsSolutions-IAM5[Action::${action}]`,
      `${action} is what S3 replication of SSE-KMS objects calls to re-encrypt them, on this bucket's ` +
        'key and the destination key only.',
    );
};
