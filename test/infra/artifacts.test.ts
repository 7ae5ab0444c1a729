import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

describe('artifacts bucket', () => {
  let s: Synthesized;
  let bucket: { DeletionPolicy?: string; Properties: Record<string, unknown> };
  beforeAll(() => {
    s = synthStack({ corsAllowedOrigins: ['https://portal.example.com'] });
    bucket = s.template.toJSON().Resources[logicalId(s.stack.artifacts.bucket)];
  });

  it('is versioned and blocks all public access', () => {
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('is encrypted with its own rotating KMS key, with an S3 bucket key', () => {
    const keyId = logicalId(s.stack.artifacts.key);
    expect(bucket.Properties['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
    expect(s.template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('denies requests without TLS', () => {
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(s.stack.artifacts.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('writes server access logs to the separate, S3-encrypted logging bucket', () => {
    const logsId = logicalId(s.stack.artifacts.accessLogsBucket);
    expect(bucket.Properties['LoggingConfiguration']).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: 'artifacts/',
    });
    const logsBucket = s.template.toJSON().Resources[logsId];
    expect(logsBucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(logsBucket.Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
  });

  it('aborts incomplete multipart uploads after 7 days and expires nothing else', () => {
    expect(bucket.Properties['LifecycleConfiguration']).toEqual({
      Rules: [
        {
          Id: 'abort-incomplete-multipart',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
  });

  it('lets browsers use presigned URLs from the configured origins and read the checksum headers', () => {
    expect(bucket.Properties['CorsConfiguration']).toEqual({
      CorsRules: [
        {
          AllowedMethods: ['PUT', 'GET', 'HEAD'],
          AllowedOrigins: ['https://portal.example.com'],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag', 'x-amz-checksum-sha256', 'x-amz-version-id'],
          MaxAge: 3600,
        },
      ],
    });
  });

  it('keeps both buckets and the key when the stack is deleted, with no auto-delete hook', () => {
    for (const construct of [
      s.stack.artifacts.bucket,
      s.stack.artifacts.accessLogsBucket,
      s.stack.artifacts.key,
    ]) {
      expect(s.template.toJSON().Resources[logicalId(construct)].DeletionPolicy).toBe('Retain');
    }
    s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});
