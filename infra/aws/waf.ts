import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { stackInstanceId } from './workflow-state-machine.ts';

export interface RateLimitedWebAclProps {
  readonly stage: apigw.Stage;
  /** Requests per 5 minutes from one IP address before WAF blocks that address. */
  readonly limit: number;
  /**
   * Whether the request path is a secret (the approval links): then WAF's logs redact it and no
   * sampled request (which shows the URI in the console) is kept.
   */
  readonly pathIsSecret: boolean;
}

/**
 * A regional WAF web ACL on one API stage with one rule: a per-IP rate limit over 5 minutes, on top
 * of the stage's own throttling (which is per stage, not per caller). Its decisions are logged,
 * under `aws-waf-logs-` as WAF requires, to a log group whose name ends with the stack's id.
 */
export class RateLimitedWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RateLimitedWebAclProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const metricName = `${stack.stackName}-${id}`.replace(/[^A-Za-z0-9-]/g, '');

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `Steward ${id}: per-IP rate limit`,
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName,
        sampledRequestsEnabled: !props.pathIsSecret,
      },
      rules: [
        {
          name: 'PerIpRateLimit',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.limit,
              aggregateKeyType: 'IP',
              evaluationWindowSec: Duration.minutes(5).toSeconds(),
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `${metricName}-PerIpRateLimit`,
            sampledRequestsEnabled: !props.pathIsSecret,
          },
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    // The stage ARN is built from the API id and the stage name: the stage must exist first.
    association.node.addDependency(props.stage);

    const logGroupName = `aws-waf-logs-${stack.stackName}-${id}-${stackInstanceId(stack)}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: logs.RetentionDays.ONE_YEAR,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF takes the log group's ARN without the `:*` CloudFormation's Arn attribute ends with.
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: props.pathIsSecret ? [{ uriPath: {} }] : undefined,
    });
    logging.node.addDependency(this.logGroup);
  }
}
