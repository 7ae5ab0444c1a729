import { ArnFormat, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

const LOGS_KEY_ID = 'LogsKey';

/**
 * The stack's one customer-managed key for CloudWatch Logs. CloudWatch Logs of this region uses it
 * for this account's log groups only: every call carries the log group's ARN as encryption
 * context (`kms:EncryptionContext:aws:logs:arn`), and the key policy requires it to name a log
 * group of this account and region. Kept with the stack's retained log groups, which it unlocks.
 */
export const logsKey = (scope: IConstruct): kms.Key => {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID);
  if (existing) return existing as kms.Key;
  const key = new kms.Key(stack, LOGS_KEY_ID, {
    description: 'Steward CloudWatch Logs (function, workflow, API access and pipe logs)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccountAndRegion',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  return key;
};

/**
 * Encrypts every log group of the stack with `logsKey` (the functions', the workflows', the APIs'
 * access logs, the pipe's, and whatever construct adds one later), so none is left to the
 * service-owned key by oversight.
 */
export class EncryptLogGroups implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof logs.CfnLogGroup) || node.kmsKeyId !== undefined) return;
    node.kmsKeyId = logsKey(node).keyArn;
  }
}
