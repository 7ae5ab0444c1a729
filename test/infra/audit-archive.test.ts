import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

interface Resource {
  DeletionPolicy?: string;
  Properties: Record<string, unknown>;
}

describe('audit archive', () => {
  let s: Synthesized;
  let resources: Record<string, Resource>;
  let bucket: Resource;
  beforeAll(() => {
    s = synthStack();
    resources = s.template.toJSON().Resources;
    bucket = resources[logicalId(s.stack.auditArchive.bucket)]!;
  });

  it('locks every object by default for the context retention: 10 years, COMPLIANCE', () => {
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 10 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('takes another retention from the context', () => {
    const other = synthStack({ auditRetentionYears: 7, auditRetentionMode: 'GOVERNANCE' });
    const otherBucket = other.template.toJSON().Resources[logicalId(other.stack.auditArchive.bucket)];
    expect(otherBucket.Properties.ObjectLockConfiguration.Rule).toEqual({
      DefaultRetention: { Mode: 'GOVERNANCE', Years: 7 },
    });
  });

  it('blocks public access, is encrypted with its own rotating key, and denies requests without TLS', () => {
    const keyId = logicalId(s.stack.auditArchive.key);
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
    });
    expect(resources[keyId]!.Properties['EnableKeyRotation']).toBe(true);
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(s.stack.auditArchive.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('denies everyone, the account included, disabling its key or scheduling the key for deletion', () => {
    const statements = resources[logicalId(s.stack.auditArchive.key)]!.Properties['KeyPolicy'] as {
      Statement: Record<string, unknown>[];
    };
    const denies = statements.Statement.filter((st) => st['Effect'] === 'Deny');
    expect(denies).toEqual([
      {
        Sid: 'TheAuditArchiveKeyIsNeverDisabledOrDeleted',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
        Resource: '*',
      },
    ]);
  });

  it('writes server access logs to the shared access-log bucket, under its own prefix', () => {
    expect(bucket.Properties['LoggingConfiguration']).toEqual({
      DestinationBucketName: { Ref: logicalId(s.stack.artifacts.accessLogsBucket) },
      LogFilePrefix: 'audit-archive/',
    });
  });

  it('keeps the bucket, its key and its contents when the stack is deleted', () => {
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(resources[logicalId(s.stack.auditArchive.key)]!.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties['LifecycleConfiguration']).toBeUndefined();
    s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('feeds the exporter from the table stream: inserted audit items only, oldest first', () => {
    const mapping = s.template.findResources('AWS::Lambda::EventSourceMapping');
    expect(Object.values(mapping)).toHaveLength(1);
    const props = Object.values(mapping)[0]!['Properties'];
    expect(props).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(s.stack.data.table), 'StreamArn'] },
      FunctionName: { Ref: logicalId(s.stack.auditArchive.exporter.fn) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
    });
    expect(props.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['audit'] } } } },
    ]);
  });

  it('retries from the failed record, isolates a poisoned one, and parks what keeps failing in a queue', () => {
    const props = Object.values(s.template.findResources('AWS::Lambda::EventSourceMapping'))[0]![
      'Properties'
    ];
    const queueId = logicalId(s.stack.auditArchive.deadLetterQueue);
    expect(props).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(props.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(resources[queueId]!.Properties['SqsManagedSseEnabled']).toBe(true);
  });

  it('runs the exporter like every Steward function, with the archive bucket in its environment', () => {
    const fn = resources[logicalId(s.stack.auditArchive.exporter.fn)]!;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId(s.stack.auditArchive.exporter.logGroup) },
      },
    });
    const variables = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(variables['AUDIT_ARCHIVE_BUCKET']).toEqual({ Ref: logicalId(s.stack.auditArchive.bucket) });
    expect(variables).not.toHaveProperty('ARTIFACTS_BUCKET');
  });
});
