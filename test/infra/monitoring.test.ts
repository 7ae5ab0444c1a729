import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../functions/commons/facts.ts';
import { logicalId, type Synthesized, synthStack } from './synth.ts';

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` as formatArn renders it. */
const alarmArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:alarm:${name}`,
    ],
  ],
});

type Widget = { type: string; properties: { markdown?: string; metrics?: unknown[][] } };

/** The dashboard's body as JSON; its tokens (the region) stand in as `TOKEN`. */
const dashboardBody = (template: Template): { widgets: Widget[] } => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!['Properties'].DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
};

/** Every metric of every graph: its expression, or `metric:<namespace>/<name>` for a plain metric. */
const metricsOf = (template: Template): string[] =>
  dashboardBody(template).widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).map((metric) => {
      const last = metric[metric.length - 1] as { expression?: string } | undefined;
      return last?.expression ?? `metric:${String(metric[0])}/${String(metric[1])}`;
    }),
  );

/** The metric names the drift job writes (functions/services/drift-runs.ts, `addMetric('<name>', ...)`). */
const driftJobMetrics = (): string[] => {
  const source = readFileSync(new URL('../../functions/services/drift-runs.ts', import.meta.url), 'utf8');
  // A name written out, or one of the shared names (functions/commons/facts.ts METRICS.names).
  return [...source.matchAll(/addMetric\((?:'([A-Za-z]+)'|METRICS\.names\.(\w+))/g)].map(
    (m) => m[1] ?? METRICS.names[m[2] as keyof typeof METRICS.names],
  );
};

describe('monitoring', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack();
  });

  describe('drift alarm topic', () => {
    it("is encrypted with its own rotating key, which CloudWatch may use to publish for this account's alarms only", () => {
      const topicKey = logicalId(s.stack.monitoring.alarmTopicKey);

      s.template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [topicKey, 'Arn'] },
      });
      const keyResource = s.template.toJSON().Resources[topicKey];
      expect(keyResource.Properties.EnableKeyRotation).toBe(true);
      expect(keyResource.Properties.KeyPolicy.Statement).toContainEqual({
        Sid: 'CloudWatchAlarmsPublishEncrypted',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      // No other statement hands the key to a service without that condition.
      const services = (
        keyResource.Properties.KeyPolicy.Statement as { Principal: { Service?: string } }[]
      ).filter((st) => st.Principal.Service !== undefined);
      expect(services).toHaveLength(1);
    });

    it("lets CloudWatch publish for this account's drift alarms only, and refuses publishing without TLS", () => {
      const topic = { Ref: logicalId(s.stack.monitoring.alarmTopic) };
      const [policy] = Object.values(s.template.findResources('AWS::SNS::TopicPolicy'));

      expect(policy!['Properties'].Topics).toEqual([topic]);
      const statements = policy!['Properties'].PolicyDocument.Statement;
      expect(statements).toContainEqual({
        Sid: 'DriftAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': alarmArn('steward-drift-*') },
        },
      });
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sns:Publish',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements).toHaveLength(2);
    });

    it('is handed to the monitoring function, which names it as its alarms’ action, and is an output', () => {
      const topic = { Ref: logicalId(s.stack.monitoring.alarmTopic) };
      const fn = s.template.toJSON().Resources[logicalId(s.stack.api.functions.monitoring.fn)];

      expect(fn.Properties.Environment.Variables.DRIFT_ALARM_TOPIC_ARN).toEqual(topic);
      expect(s.template.toJSON().Outputs.DriftAlarmTopicArn.Value).toEqual(topic);
    });

    it('has no subscription unless context driftAlarmEmail names an address', () => {
      s.template.resourceCountIs('AWS::SNS::Subscription', 0);

      const t = synthStack({ driftAlarmEmail: 'ml-oncall@example.com' });

      t.template.resourceCountIs('AWS::SNS::Subscription', 1);
      t.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ml-oncall@example.com',
        TopicArn: { Ref: logicalId(t.stack.monitoring.alarmTopic) },
      });
    });

    it('scopes alarms to the resource prefix in the topic policy and the monitoring grant alike', () => {
      const t = synthStack({ resourcePrefix: 'ml-ops' });
      const text = JSON.stringify(t.template.toJSON());

      expect(text).toContain(JSON.stringify(alarmArn('ml-ops-drift-*')));
      expect(text).not.toContain('steward-drift-');
    });
  });

  describe('the monitoring API function', () => {
    it("stops before API Gateway's 29 seconds, with 1024 MB, since a drift run on request streams captured data", () => {
      const fn = s.template.toJSON().Resources[logicalId(s.stack.api.functions.monitoring.fn)];

      expect(fn.Properties.Timeout).toBe(25);
      expect(fn.Properties.MemorySize).toBe(1024);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'Steward',
        RESOURCE_PREFIX: 'steward',
      });
    });
  });

  describe('dashboard', () => {
    it('is one dashboard, <stack>-monitoring, whose every graph is a SEARCH (no widget per deployment)', () => {
      s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Steward-monitoring' });

      const metrics = metricsOf(s.template);
      expect(metrics.length).toBeGreaterThanOrEqual(12);
      for (const metric of metrics) expect(metric).toMatch(/^SEARCH\('\{[^}]+\}[^']*', '\w+', \d+\)$/);
    });

    it('links to the latest drift report pages in the artifacts bucket', () => {
      const text = dashboardBody(s.template)
        .widgets.map((w) => w.properties.markdown ?? '')
        .join('\n');

      expect(text).toMatch(
        /\[open the reports\]\(https:\/\/TOKEN\.console\.aws\.amazon\.com\/s3\/buckets\/TOKEN\?region=TOKEN&prefix=reports\/\)/,
      );
      expect(text).toContain('<model>/<deployment>/latest.html');
    });

    it('shows the drifted share per model and environment, PSI and KS p-value per feature', () => {
      const metrics = metricsOf(s.template);

      expect(metrics).toContain(
        `SEARCH('{Steward,environment,model,service} MetricName="DriftedShare"', 'Maximum', 3600)`,
      );
      expect(metrics).toContain(
        `SEARCH('{Steward,environment,feature,model,service} MetricName="PSI"', 'Maximum', 3600)`,
      );
      expect(metrics).toContain(
        `SEARCH('{Steward,environment,feature,model,service} MetricName="KSPValue"', 'Minimum', 3600)`,
      );
    });

    it('searches only metric names the drift job writes', () => {
      const written = driftJobMetrics();
      const searched = metricsOf(s.template)
        .filter((m) => m.startsWith("SEARCH('{Steward,environment,"))
        .map((m) => /MetricName="(\w+)"/.exec(m)![1]!);

      expect(written).toEqual(expect.arrayContaining(['DriftedShare', 'PSI', 'KSPValue']));
      expect(searched.filter((name) => !written.includes(name))).toEqual([]);
    });

    it("shows the targets' technical health: SageMaker endpoints with the prefix, Lambda aliases", () => {
      const metrics = metricsOf(s.template);

      for (const name of ['Invocations', 'Invocation5XXErrors', 'ModelLatency'])
        expect(
          metrics.some(
            (m) =>
              m.includes('{AWS/SageMaker,EndpointName,VariantName} EndpointName=steward ') &&
              m.includes(`MetricName="${name}"`),
          ),
          name,
        ).toBe(true);
      for (const name of ['Invocations', 'Errors', 'Duration'])
        expect(metrics).toContainEqual(
          expect.stringContaining(`{AWS/Lambda,FunctionName,Resource} MetricName="${name}"`),
        );
    });

    it('shows the registry API requests, faults and client errors per operation', () => {
      const metrics = metricsOf(s.template);

      for (const name of ['Requests', 'Faults', 'ClientErrors'])
        expect(metrics).toContain(`SEARCH('{Steward,operation,service} MetricName="${name}"', 'Sum', 300)`);
    });

    it('explains its panels in a text widget', () => {
      const text = dashboardBody(s.template).widgets.find((w) => w.type === 'text');

      expect(text?.properties.markdown).toMatch(/SEARCH/);
      expect(text?.properties.markdown).toMatch(/steward-drift-\*/);
    });

    it('narrows the Lambda panels to context lambdaTargets, and the SageMaker ones to the prefix tokens', () => {
      const t = synthStack({
        resourcePrefix: 'ml-ops',
        lambdaTargets: ['fraud-scorer', 'arn:aws:lambda:eu-west-1:111122223333:function:churn-*'],
      });
      const metrics = metricsOf(t.template);

      expect(metrics).toContainEqual(
        `SEARCH('{AWS/Lambda,FunctionName,Resource} (FunctionName="fraud-scorer" OR FunctionName=churn) MetricName="Invocations"', 'Sum', 300)`,
      );
      expect(metrics).toContainEqual(
        `SEARCH('{AWS/SageMaker,EndpointName,VariantName} (EndpointName=ml AND EndpointName=ops) MetricName="Invocations"', 'Sum', 300)`,
      );
    });

    it('leaves the Lambda panels unfiltered when a tag decides which functions are targets', () => {
      const t = synthStack({
        lambdaTargets: ['fraud-scorer'],
        lambdaTargetTag: { key: 'steward:managed', value: 'true' },
      });

      expect(metricsOf(t.template)).toContainEqual(
        `SEARCH('{AWS/Lambda,FunctionName,Resource} MetricName="Invocations"', 'Sum', 300)`,
      );
    });
  });
});
