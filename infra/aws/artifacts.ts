import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ReplicaDestination } from './context.ts';
import { MODELS_PREFIX } from './deploy-roles.ts';
import { wildcardResourceFinding } from './nag.ts';
import { acknowledgeReplicationRole, acknowledgeUnreplicated, replicationRules } from './replication.ts';

export interface ArtifactsProps {
  /** Origins allowed to PUT/GET presigned URLs from a browser. */
  readonly corsAllowedOrigins: readonly string[];
  /** Where the artifacts are replicated to (context artifactsReplica); none: not replicated. */
  readonly replica?: ReplicaDestination;
}

/**
 * Presigned uploads are signed with the function's role, so the role needs what the upload does:
 * PutObject (which also covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload),
 * abort and list parts of a multipart upload, and read (commit checks the object, download URLs).
 * Never delete: a committed artifact does not change.
 */
const UPLOAD_AND_READ_ACTIONS = [
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:GetObject',
  's3:GetObjectVersion',
];
/** SSE-KMS: writing needs a data key, reading (and multipart completion) needs Decrypt. */
const ARTIFACT_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** The artifacts bucket, its customer-managed key and the bucket that receives its access logs. */
export class Artifacts extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactsProps) {
    super(scope, id);

    // S3 server access log delivery cannot write to an SSE-KMS bucket: S3-managed keys here.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    Validations.of(this.accessLogsBucket.node.defaultChild!).acknowledge({
      id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      reason:
        'S3 server access log delivery writes only to buckets encrypted with S3-managed keys (SSE-S3); ' +
        'a KMS default encryption would stop the access logs of every other bucket.',
    });
    acknowledgeUnreplicated(
      this.accessLogsBucket,
      "Access logs are the operational record of the other buckets' requests, not data of record: " +
        'the audit archive (with Object Lock, and replication as an option) keeps what must survive.',
    );

    this.key = new kms.Key(this, 'Key', {
      description: 'Steward model artifacts',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // The VersionId recorded at commit pins the exact bytes a version was registered with.
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      replicationRules: replicationRules(this, 'Artifacts', props.replica),
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: [...props.corsAllowedOrigins],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'x-amz-checksum-sha256', 'x-amz-version-id'],
          maxAge: 3600,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    if (props.replica) acknowledgeReplicationRole(this.bucket, props.replica);
    else
      acknowledgeUnreplicated(
        this.bucket,
        'Replication is opt-in with context artifactsReplica (a destination bucket and key, typically in ' +
          'another region): it needs a bucket that exists outside this stack. Versioning keeps every ' +
          "artifact's exact bytes here meanwhile.",
      );
  }

  /** What registering, committing and downloading a version needs (see UPLOAD_AND_READ_ACTIONS). */
  grantUploadAndRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: UPLOAD_AND_READ_ACTIONS,
      resourceArns: [this.bucket.arnForObjects('*')],
    });
    this.key.grant(grantee, ...ARTIFACT_KEY_ACTIONS);
  }

  /** Presigned downloads only (the MLflow artifact proxy): read objects and decrypt them. */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [this.bucket.arnForObjects(`${MODELS_PREFIX}*`)],
    });
    this.key.grant(grantee, 'kms:Decrypt');
  }

  /**
   * Lets roles of another account read model artifacts (models/ only) and decrypt them through S3:
   * an environment's deploy role there (Lambda's UpdateFunctionCode reads the zip as its caller)
   * and the SageMaker execution role models run as there. The principal is the account, narrowed to
   * the named roles by `aws:PrincipalArn`, so the policies hold before those roles exist.
   * "Read access to the artifacts it deploys" is approximated by the models/ prefix: which versions
   * an environment will deploy is decided at run time.
   */
  grantModelReadToAccount(accountId: string, roleArns: readonly string[]): void {
    const stack = Stack.of(this);
    const principals = [new iam.AccountPrincipal(accountId)];
    const fromRoles = { ArnEquals: { 'aws:PrincipalArn': [...roleArns] } };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ModelReadFrom${accountId}`,
        principals,
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects(`${MODELS_PREFIX}*`)],
        conditions: fromRoles,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ModelDecryptThroughS3From${accountId}`,
        principals,
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ...fromRoles,
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` },
        },
      }),
    );
  }

  /** The cdk-nag finding a grant on `bucket/models/*` raises on the grantee's policy. */
  modelsWildcardFinding(): string {
    return wildcardResourceFinding(this, this.bucket.arnForObjects(`${MODELS_PREFIX}*`));
  }

  /** The cdk-nag finding a grant on `bucket/*` raises on the grantee's policy. */
  objectsWildcardFinding(): string {
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    return `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`;
  }
}
