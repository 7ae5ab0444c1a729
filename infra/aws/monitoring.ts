import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS, resourceNames, S3_PREFIX } from '../../functions/commons/facts.ts';
import type { StewardContext } from './context.ts';
import { wildcardResourceFinding } from './nag.ts';
import type { ServiceFunction } from './service-function.ts';

/** Where Steward's EMF metrics go (POWERTOOLS_METRICS_NAMESPACE of every function). */
export const METRICS_NAMESPACE = METRICS.namespace;

/**
 * A SEARCH schema names a metric's exact dimension set. Powertools Metrics adds its `service`
 * dimension to every metric it writes, so the drift metrics carry {service, model, environment}
 * (per feature: and feature) and the API metrics {service, operation}.
 */
const DRIFT_SCHEMA = `{${METRICS_NAMESPACE},environment,model,service}`;
const FEATURE_SCHEMA = `{${METRICS_NAMESPACE},environment,feature,model,service}`;
const API_SCHEMA = `{${METRICS_NAMESPACE},operation,service}`;
const SAGEMAKER_SCHEMA = '{AWS/SageMaker,EndpointName,VariantName}';
/** Invocations of a version or an alias (a deployment's target) carry the `Resource` dimension. */
const LAMBDA_SCHEMA = '{AWS/Lambda,FunctionName,Resource}';

/** CloudWatch refuses a search query (the part in single quotes) longer than this. */
const SEARCH_QUERY_MAX_CHARS = 1024;

/** The alarms the monitoring function makes: one per monitored deployment (functions/http/monitoring.ts). */
export const driftAlarmNamePattern = resourceNames.driftAlarmPattern;

/**
 * Values that contain every token of `text` (an unquoted term matches a token of the value: the
 * tokens of `steward-fraud` are steward and fraud).
 */
const tokenTerms = (dimension: string, text: string): string => {
  const terms = text
    .split(/[^A-Za-z0-9]+/)
    .filter((token) => token !== '')
    .map((token) => `${dimension}=${token}`);
  return terms.length === 1 ? terms[0]! : `(${terms.join(' AND ')})`;
};

/**
 * The functions deployments may change (context lambdaTargets), as a search term: a name exactly,
 * a name with wildcards by its tokens. None when any function may be one (a tag decides, or the
 * list is empty), or when the term would make the query too long.
 */
export const lambdaTargetsTerm = (settings: Pick<StewardContext, 'lambdaTargets' | 'lambdaTargetTag'>) => {
  if (settings.lambdaTargets.length === 0 || settings.lambdaTargetTag) return undefined;
  const terms = settings.lambdaTargets.map((target) => {
    const name = target.slice(target.lastIndexOf(':') + 1);
    return name.includes('*') ? tokenTerms('FunctionName', name) : `FunctionName="${name}"`;
  });
  const term = terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`;
  return term.length + LAMBDA_SCHEMA.length + 40 <= SEARCH_QUERY_MAX_CHARS ? term : undefined;
};

/** `SEARCH('<query>', '<statistic>', <period>)`, the query being the schema and its terms. */
export const searchExpression = (
  schema: string,
  terms: readonly (string | undefined)[],
  statistic: string,
  period: Duration,
): string => {
  const query = [schema, ...terms.filter((t): t is string => t !== undefined)].join(' ');
  if (query.length > SEARCH_QUERY_MAX_CHARS) throw new Error(`search query too long: ${query}`);
  return `SEARCH('${query}', '${statistic}', ${period.toSeconds()})`;
};

const HOUR = Duration.hours(1);
const FIVE_MINUTES = Duration.minutes(5);

interface Panel {
  readonly title: string;
  readonly schema: string;
  readonly terms?: readonly (string | undefined)[];
  readonly metricName: string;
  readonly statistic: string;
  readonly period: Duration;
  readonly width: number;
}

const graph = (panel: Panel): cloudwatch.GraphWidget =>
  new cloudwatch.GraphWidget({
    title: panel.title,
    width: panel.width,
    height: 6,
    left: [
      new cloudwatch.SearchExpression({
        expression: searchExpression(
          panel.schema,
          [...(panel.terms ?? []), `MetricName="${panel.metricName}"`],
          panel.statistic,
          panel.period,
        ),
        // Each series keeps the label of the metric it found (its dimension values).
        label: '',
        period: panel.period,
      }),
    ],
  });

export interface MonitoringProps {
  readonly settings: StewardContext;
  /** The bucket drift report pages are written to (the artifacts bucket), for the dashboard's link. */
  readonly reportsBucket: s3.IBucket;
}

/**
 * What watching models needs besides the drift job: the SNS topic drift alarms notify, the grant
 * to make and remove those alarms (one per monitored deployment, made by the monitoring function
 * with its monitor), and one dashboard that finds every monitored deployment by SEARCH, so it
 * never needs a widget per deployment.
 */
export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarmTopicKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** `arn:...:cloudwatch:<region>:<account>:alarm:<prefix>-drift-*` */
  readonly driftAlarmArns: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings } = props;
    const stack = Stack.of(this);

    this.driftAlarmArns = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: driftAlarmNamePattern(settings.resourcePrefix),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    // Notifications only matter while they are delivered: nothing kept under this key outlives
    // the topic, so it goes with the stack (after KMS's waiting period).
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Steward drift alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch publishes to an encrypted topic only with a key that lets it; the AWS managed
    // SNS key does not. For this account's alarms only (confused-deputy guard, as the topic policy
    // below): CloudWatch acting for another account may not use the key.
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishEncrypted',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Steward drift alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DriftAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.driftAlarmArns },
        },
      }),
    );
    if (settings.driftAlarmEmail) {
      const subscription = new sns.Subscription(this, 'AlarmEmail', {
        topic: this.alarmTopic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: settings.driftAlarmEmail,
      });
      Validations.of(subscription.node.defaultChild!).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email to a person (context driftAlarmEmail): an undelivered notification has nothing to ' +
          "redrive it to, and the alarm's state and history in CloudWatch stay the record of the drift.",
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-monitoring`,
      defaultInterval: Duration.days(7),
      widgets: dashboardRows(settings, props.reportsBucket),
    });
  }

  /**
   * May make and remove drift alarms, and only those: alarms named `<prefix>-drift-*` whose
   * actions notify the drift topic and nothing else.
   */
  grantDriftAlarms(fn: ServiceFunction): void {
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['cloudwatch:PutMetricAlarm'],
      resourceArns: [this.driftAlarmArns],
      conditions: { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [this.alarmTopic.topicArn] } },
    });
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['cloudwatch:DeleteAlarms'],
      resourceArns: [this.driftAlarmArns],
    });
    fn.acknowledgePolicyFinding(
      wildcardResourceFinding(this, this.driftAlarmArns),
      'Drift alarms are named per monitored deployment at run time (<prefix>-drift-<deployment>); the grant ' +
        'covers that name prefix only, and PutMetricAlarm only with the drift topic as the alarm action.',
    );
  }
}

/** Rows of the dashboard: drift, the targets' technical health, the registry API. */
const dashboardRows = (settings: StewardContext, reportsBucket: s3.IBucket): cloudwatch.IWidget[][] => {
  const region = Stack.of(reportsBucket).region;
  const reports = `https://${region}.console.aws.amazon.com/s3/buckets/${reportsBucket.bucketName}?region=${region}&prefix=${S3_PREFIX.reports}`;
  const endpoints = tokenTerms('EndpointName', settings.resourcePrefix);
  const functions = lambdaTargetsTerm(settings);
  return [
    [
      new cloudwatch.TextWidget({
        width: 24,
        height: 6,
        markdown: [
          '## Steward: monitored deployments',
          'Every panel is a SEARCH, so a deployment appears once it reports data and leaves two weeks after it stops; ' +
            'no widget names a deployment.',
          `- **Drift** (namespace \`${METRICS_NAMESPACE}\`, from each drift run): the share of drifted features ` +
            'per model and environment (each monitored deployment has an alarm on it, ' +
            `\`${driftAlarmNamePattern(settings.resourcePrefix)}\`, notifying the drift alarm topic), then per ` +
            'feature the PSI (0.2 or more: drifted, by default) and the KS p-value (numeric features; below 0.05: drifted).',
          `- **Technical health**, from the targets' own metrics: SageMaker endpoints named \`${settings.resourcePrefix}-...\` ` +
            `and Lambda aliases${functions ? ' of the functions in context lambdaTargets' : ''}: invocations, errors, latency.`,
          '- **Registry API**: requests, faults (5xx) and client errors (4xx) per operation.',
          `- **Latest drift report**, as a picture (baseline against window per feature): [open the reports](${reports}), ` +
            'then `<model>/<deployment>/latest.html`; or `GET /v1/deployments/{id}/drift-runs/latest/report` for a link.',
        ].join('\n'),
      }),
    ],
    [
      graph({
        title: 'Drifted share of features (max per hour)',
        schema: DRIFT_SCHEMA,
        metricName: METRICS.names.driftedShare,
        statistic: 'Maximum',
        period: HOUR,
        width: 12,
      }),
      graph({
        title: 'Rows in the drift window',
        schema: DRIFT_SCHEMA,
        metricName: METRICS.names.windowRows,
        statistic: 'Maximum',
        period: HOUR,
        width: 12,
      }),
    ],
    [
      graph({
        title: 'PSI per feature (max per hour)',
        schema: FEATURE_SCHEMA,
        metricName: METRICS.names.psi,
        statistic: 'Maximum',
        period: HOUR,
        width: 12,
      }),
      graph({
        title: 'KS p-value per feature (min per hour)',
        schema: FEATURE_SCHEMA,
        metricName: METRICS.names.ksPValue,
        statistic: 'Minimum',
        period: HOUR,
        width: 12,
      }),
    ],
    [
      graph({
        title: 'SageMaker endpoints: invocations',
        schema: SAGEMAKER_SCHEMA,
        terms: [endpoints],
        metricName: 'Invocations',
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'SageMaker endpoints: 5xx errors',
        schema: SAGEMAKER_SCHEMA,
        terms: [endpoints],
        metricName: 'Invocation5XXErrors',
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'SageMaker endpoints: model latency (µs, p90)',
        schema: SAGEMAKER_SCHEMA,
        terms: [endpoints],
        metricName: 'ModelLatency',
        statistic: 'p90',
        period: FIVE_MINUTES,
        width: 8,
      }),
    ],
    [
      graph({
        title: 'Lambda targets: invocations',
        schema: LAMBDA_SCHEMA,
        terms: [functions],
        metricName: 'Invocations',
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'Lambda targets: errors',
        schema: LAMBDA_SCHEMA,
        terms: [functions],
        metricName: 'Errors',
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'Lambda targets: duration (ms, p90)',
        schema: LAMBDA_SCHEMA,
        terms: [functions],
        metricName: 'Duration',
        statistic: 'p90',
        period: FIVE_MINUTES,
        width: 8,
      }),
    ],
    [
      graph({
        title: 'Registry API: requests',
        schema: API_SCHEMA,
        metricName: METRICS.names.requests,
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'Registry API: faults (5xx)',
        schema: API_SCHEMA,
        metricName: METRICS.names.faults,
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
      graph({
        title: 'Registry API: client errors (4xx)',
        schema: API_SCHEMA,
        metricName: METRICS.names.clientErrors,
        statistic: 'Sum',
        period: FIVE_MINUTES,
        width: 8,
      }),
    ],
  ];
};
