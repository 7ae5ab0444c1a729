import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

describe('registry data', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack();
  });

  it('is one table with generic keys and two indexes (gsi1, gsi2), on-demand', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const index = (name: string) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: `${name}pk`, KeyType: 'HASH' },
        { AttributeName: `${name}sk`, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [index('gsi1'), index('gsi2')],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has point-in-time recovery, TTL on `ttl` and a NEW_IMAGE stream', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('is encrypted with its own customer-managed key, which rotates', () => {
    const keyId = logicalId(s.stack.data.tableKey);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
    });
    expect(s.template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('survives the stack: retained, deletion-protected, and so is its key', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    const key = s.template.toJSON().Resources[logicalId(s.stack.data.tableKey)];
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('generates a 64-character cursor-signing key in Secrets Manager', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });
});
