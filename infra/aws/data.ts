import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export const GSI1 = 'gsi1';

/**
 * What a request path does to the table: single-item reads and writes, queries and the
 * transactions built from them (TransactWriteItems/TransactGetItems are authorized per item by
 * these). No Scan: no request path scans. No stream reads: that is the events pipe's job.
 */
const ITEM_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const ITEM_WRITE_ACTIONS = [
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** DynamoDB uses the table's key on the caller's behalf (forward access), so the caller needs these. */
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

/** The registry's single table, its customer-managed key, and the key that signs list cursors. */
export class Data extends Construct {
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;
  readonly cursorSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
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
      // NEW_IMAGE feeds the events pipe (committed audit items become domain events).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: GSI1,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'Steward: HMAC key that signs opaque list cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.cursorSecret.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key only makes list cursors tamper-evident (it protects no data); replacing it just ' +
        'invalidates outstanding cursors, so a rotation Lambda adds cost and no protection.',
    });
  }

  /** Item reads on the table and its gsi1 index, with the table key. */
  grantItemRead(grantee: iam.IGrantable): void {
    this.grantItems(grantee, ITEM_READ_ACTIONS, TABLE_KEY_READ_ACTIONS);
  }

  /** Item reads and writes on the table and its gsi1 index, with the table key. */
  grantItemReadWrite(grantee: iam.IGrantable): void {
    this.grantItems(
      grantee,
      [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS],
      [...TABLE_KEY_READ_ACTIONS, ...TABLE_KEY_WRITE_ACTIONS],
    );
  }

  grantCursorSecretRead(grantee: iam.IGrantable): void {
    this.cursorSecret.grantRead(grantee);
  }

  private grantItems(grantee: iam.IGrantable, itemActions: string[], keyActions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: itemActions,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${GSI1}`],
    });
    this.tableKey.grant(grantee, ...keyActions);
  }
}
