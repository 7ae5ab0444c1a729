import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, type Resources, type Synthesized, synthStack } from './synth.ts';

const REPLICAS = {
  artifactsReplica: {
    bucketArn: 'arn:aws:s3:::steward-artifacts-replica',
    keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  auditArchiveReplica: {
    bucketArn: 'arn:aws:s3:::steward-audit-replica',
    keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ac',
  },
};

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

describe('NIST 800-53 R5 gaps, fixed', () => {
  let s: Synthesized;
  let resources: Resources;
  let withOptions: Synthesized;
  let optionResources: Resources;
  beforeAll(() => {
    s = synthStack();
    resources = s.template.toJSON().Resources;
    withOptions = synthStack({
      ...REPLICAS,
      apiWafRateLimit: 2000,
      backupVaultLock: 'compliance',
      backupRetentionDays: 90,
      approvalLinkConcurrency: 3,
    });
    optionResources = withOptions.template.toJSON().Resources;
  });

  it('encrypts every log group with one customer-managed key that only CloudWatch Logs of this account and region may use', () => {
    const groups = ofType(resources, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(20);
    const keyIds = new Set(groups.map(([, g]) => JSON.stringify(g.Properties['KmsKeyId'])));
    expect(keyIds.size).toBe(1);
    const [keyId] = JSON.parse([...keyIds][0]!)['Fn::GetAtt'] as [string, string];
    const key = resources[keyId]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties['EnableKeyRotation']).toBe(true);
    const statements = (key.Properties['KeyPolicy'] as { Statement: Record<string, unknown>[] }).Statement;
    const logs = statements.find((st) => st['Sid'] === 'CloudWatchLogsOfThisAccountAndRegion')!;
    expect(logs['Principal']).toEqual({
      Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
    });
    expect(logs['Condition']).toEqual({
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':logs:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':log-group:*',
            ],
          ],
        },
      },
    });
  });

  it('backs the table up daily into a vault of its own, with Vault Lock as the context says', () => {
    const [, plan] = ofType(resources, 'AWS::Backup::BackupPlan')[0]!;
    const rule = (plan.Properties['BackupPlan'] as { BackupPlanRule: Record<string, unknown>[] })
      .BackupPlanRule[0]!;
    expect(rule['Lifecycle']).toEqual({ DeleteAfterDays: 35 });
    const [, selection] = ofType(resources, 'AWS::Backup::BackupSelection')[0]!;
    expect(JSON.stringify(selection.Properties)).toContain(logicalId(s.stack.data.table));
    const vault = resources[logicalId(s.stack.data.backupVault)]!;
    expect(vault.Properties['EncryptionKeyArn']).toBeDefined();
    expect(vault.Properties['LockConfiguration']).toBeUndefined();
    expect(
      optionResources[logicalId(withOptions.stack.data.backupVault)]!.Properties['LockConfiguration'],
    ).toEqual({
      MinRetentionDays: 90,
      ChangeableForDays: 3,
    });
  });

  it('rate-limits the links API per IP in WAF, its logs redacting the path (the secret) and sampling nothing', () => {
    const acls = ofType(resources, 'AWS::WAFv2::WebACL');
    expect(acls).toHaveLength(1);
    const [aclId, acl] = acls[0]!;
    expect(acl.Properties['Scope']).toBe('REGIONAL');
    expect((acl.Properties['Rules'] as Record<string, unknown>[])[0]).toMatchObject({
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 100, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      VisibilityConfig: { SampledRequestsEnabled: false },
    });
    const [, association] = ofType(resources, 'AWS::WAFv2::WebACLAssociation')[0]!;
    expect(association.Properties['WebACLArn']).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(JSON.stringify(association.Properties['ResourceArn'])).toContain(logicalId(s.stack.api.linksApi));
    const [, logging] = ofType(resources, 'AWS::WAFv2::LoggingConfiguration')[0]!;
    expect(logging.Properties['RedactedFields']).toEqual([{ UriPath: {} }]);
    // The main API gets its own web ACL only when the context asks.
    expect(ofType(optionResources, 'AWS::WAFv2::WebACL')).toHaveLength(2);
  });

  it('reserves concurrency for the public approval-links function, and for no other', () => {
    const reserved = ofType(resources, 'AWS::Lambda::Function').filter(
      ([, f]) => f.Properties['ReservedConcurrentExecutions'] !== undefined,
    );
    expect(reserved.map(([id]) => id)).toEqual([logicalId(s.stack.api.functions['approval-links'].fn)]);
    expect(reserved[0]![1].Properties['ReservedConcurrentExecutions']).toBe(10);
    const fn = optionResources[logicalId(withOptions.stack.api.functions['approval-links'].fn)]!;
    expect(fn.Properties['ReservedConcurrentExecutions']).toBe(3);
  });

  it('encrypts the cursor secret with the registry key', () => {
    expect(resources[logicalId(s.stack.data.cursorSecret)]!.Properties['KmsKeyId']).toEqual({
      'Fn::GetAtt': [logicalId(s.stack.data.tableKey), 'Arn'],
    });
  });

  it('replicates the artifacts and the audit archive only when the context names destinations', () => {
    expect(
      resources[logicalId(s.stack.artifacts.bucket)]!.Properties['ReplicationConfiguration'],
    ).toBeUndefined();
    for (const [bucket, replica] of [
      [withOptions.stack.artifacts.bucket, REPLICAS.artifactsReplica],
      [withOptions.stack.auditArchive.bucket, REPLICAS.auditArchiveReplica],
    ] as const) {
      const config = optionResources[logicalId(bucket)]!.Properties['ReplicationConfiguration'] as {
        Rules: Record<string, unknown>[];
      };
      expect(config.Rules[0]).toMatchObject({
        Status: 'Enabled',
        Destination: {
          Bucket: replica.bucketArn,
          EncryptionConfiguration: { ReplicaKmsKeyID: replica.keyArn },
        },
        SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
      });
    }
  });
});
