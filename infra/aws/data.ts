import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The table's global secondary indexes: `gsi1` lists models and environments and audit events by
 * actor; `gsi2` lists audit events by day. A grant names the indexes its holder queries.
 */
export type TableIndex = 'gsi1' | 'gsi2';
export const TABLE_INDEXES: readonly TableIndex[] = ['gsi1', 'gsi2'];

/** The item actions a grant may name. */
export type ItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

/**
 * What a request path does to the table: single-item reads and writes, queries and the
 * transactions built from them (TransactWriteItems/TransactGetItems are authorized per item by
 * these). No Scan: no request path scans. No stream reads: that is the events pipe's job.
 */
const ITEM_READ_ACTIONS: ItemAction[] = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const ITEM_WRITE_ACTIONS: ItemAction[] = [
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * Audit items (partition `AUDIT#<chain>`) are only ever appended. The writes that could change or
 * remove one are denied outright, inside transactions too (each TransactWriteItems member is
 * authorized as its own action). `dynamodb:LeadingKeys` holds the partition key values a request
 * touches, so "any of them matches" is the deny's test. PutItem stays allowed: appending needs it,
 * and the code's `attribute_not_exists(pk)` condition keeps a put from replacing an event.
 */
export const AUDIT_PARTITION_PATTERN = 'AUDIT#*';
const AUDIT_OVERWRITE_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** DynamoDB uses the table's key on the caller's behalf (forward access), so the caller needs these. */
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

export interface DataProps {
  /** How long AWS Backup keeps the table's daily recovery points. */
  readonly backupRetentionDays: number;
  /** AWS Backup Vault Lock on the vault: none, governance, or compliance (immutable after 3 days). */
  readonly backupVaultLock: 'none' | 'governance' | 'compliance';
}

/**
 * The registry's single table, its customer-managed key, the key that signs list cursors, and the
 * table's AWS Backup plan (daily, into a vault of its own with its own key, lockable).
 */
export class Data extends Construct {
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;
  readonly cursorSecret: secretsmanager.Secret;
  readonly backupVault: backup.BackupVault;
  readonly backupPlan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);

    this.tableKey = new kms.Key(this, 'TableKey', {
      description: 'Steward registry table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // NEW_IMAGE feeds the events pipe and the audit archive (inserted audit items).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `${index}sk`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // Point-in-time recovery covers 35 days and goes with the table; AWS Backup keeps daily
    // recovery points apart from it, in a vault that Vault Lock can make undeletable.
    const retention = Duration.days(props.backupRetentionDays);
    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: new kms.Key(this, 'BackupKey', {
        description: 'Steward registry table backups',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      removalPolicy: RemovalPolicy.RETAIN,
      lockConfiguration:
        props.backupVaultLock === 'none'
          ? undefined
          : {
              minRetention: retention,
              // Set, the lock turns to compliance mode once this grace period is over.
              changeableFor: props.backupVaultLock === 'compliance' ? Duration.days(3) : undefined,
            },
    });
    this.backupPlan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: this.backupVault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: retention,
        }),
      ],
    });
    const selection = this.backupPlan.addSelection('Table', {
      resources: [backup.BackupResource.fromDynamoDbTable(this.table)],
    });
    Validations.of((selection.grantPrincipal as iam.Role).node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own service role policy, maintained by AWS for exactly this: AWS Backup taking " +
        'recovery points of the resources the selection names (here the registry table only).',
    });

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'Steward: HMAC key that signs opaque list cursors',
      // The registry's key: the secret belongs to the registry, and a customer-managed key lets
      // the key policy, not only IAM, say who may read it.
      encryptionKey: this.tableKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    const noRotation =
      'The key only makes list cursors tamper-evident (it protects no data); replacing it just ' +
      'invalidates outstanding cursors, so a rotation Lambda adds cost and no protection.';
    Validations.of(this.cursorSecret.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: noRotation,
    });
    Validations.of(this.cursorSecret.node.defaultChild!).acknowledge({
      id: 'NIST.800.53.R5-SecretsManagerRotationEnabled',
      reason: noRotation,
    });
  }

  /** Item reads on the table, queries on the named indexes, with the table key. */
  grantItemRead(grantee: iam.IGrantable, indexes: readonly TableIndex[]): void {
    this.grantItems(grantee, ITEM_READ_ACTIONS, TABLE_KEY_READ_ACTIONS, indexes);
  }

  /**
   * Item reads and writes on the table, queries on the named indexes, with the table key; and the
   * deny that keeps audit items append-only.
   */
  grantItemReadWrite(grantee: iam.IGrantable, indexes: readonly TableIndex[]): void {
    this.grantItems(
      grantee,
      [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS],
      [...TABLE_KEY_READ_ACTIONS, ...TABLE_KEY_WRITE_ACTIONS],
      indexes,
    );
    this.denyAuditOverwrite(grantee);
  }

  /**
   * Only the named item actions on the table (none: queries on the indexes alone), and queries on
   * the named indexes, with the key actions they need: for a task with one narrow job. A write
   * brings the deny that keeps audit items append-only.
   */
  grantItemActions(
    grantee: iam.IGrantable,
    itemActions: readonly ItemAction[],
    indexes: readonly TableIndex[],
  ): void {
    const writes = itemActions.some((action) => ITEM_WRITE_ACTIONS.includes(action));
    this.grantItems(
      grantee,
      [...itemActions],
      writes ? [...TABLE_KEY_READ_ACTIONS, ...TABLE_KEY_WRITE_ACTIONS] : TABLE_KEY_READ_ACTIONS,
      indexes,
    );
    if (writes) this.denyAuditOverwrite(grantee);
  }

  grantCursorSecretRead(grantee: iam.IGrantable): void {
    this.cursorSecret.grantRead(grantee);
  }

  private denyAuditOverwrite(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AuditItemsAreAppendOnly',
        effect: iam.Effect.DENY,
        actions: AUDIT_OVERWRITE_ACTIONS,
        resources: [this.table.tableArn],
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_PARTITION_PATTERN] } },
      }),
    );
  }

  /** Items are read and written through the table; an index only answers queries. */
  private grantItems(
    grantee: iam.IGrantable,
    itemActions: string[],
    keyActions: string[],
    indexes: readonly TableIndex[],
  ): void {
    if (itemActions.length > 0)
      iam.Grant.addToPrincipal({ grantee, actions: itemActions, resourceArns: [this.table.tableArn] });
    if (indexes.length > 0) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:Query'],
        resourceArns: indexes.map((index) => `${this.table.tableArn}/index/${index}`),
      });
    }
    this.tableKey.grant(grantee, ...keyActions);
  }
}
