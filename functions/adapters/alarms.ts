import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '#commons/clients';
import { config } from '#commons/config';
import { METRICS } from '#commons/facts';

/**
 * CloudWatch: the drift alarm of each monitored deployment (on the `DriftedShare` metric the drift
 * job publishes), and the target's own metrics for its technical health.
 */
export const DRIFT_NAMESPACE = METRICS.namespace;

export const putDriftAlarm = async (alarm: {
  name: string;
  model: string;
  environment: string;
  threshold: number;
  periodSeconds: number;
}) => {
  const topic = config().driftAlarmTopicArn;
  await cloudwatch().send(
    new PutMetricAlarmCommand({
      AlarmName: alarm.name,
      AlarmDescription: `Steward: the share of drifted features of ${alarm.model} in ${alarm.environment}`,
      Namespace: DRIFT_NAMESPACE,
      MetricName: METRICS.names.driftedShare,
      // Powertools adds the service dimension to every metric it writes: the alarm must name it too.
      Dimensions: [
        { Name: 'service', Value: METRICS.service },
        { Name: 'model', Value: alarm.model },
        { Name: 'environment', Value: alarm.environment },
      ],
      Statistic: 'Maximum',
      Period: Math.min(86_400, Math.max(60, alarm.periodSeconds)),
      EvaluationPeriods: 1,
      Threshold: alarm.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...(topic ? { AlarmActions: [topic], OKActions: [topic] } : {}),
    }),
  );
};

/** Which of `names` no alarm (metric or composite) of this account has. */
export const missingAlarms = async (names: readonly string[]): Promise<string[]> => {
  const found = new Set<string>();
  // DescribeAlarms takes at most 100 names.
  for (let i = 0; i < names.length; i += 100) {
    const out = await cloudwatch().send(
      new DescribeAlarmsCommand({
        AlarmNames: names.slice(i, i + 100),
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      }),
    );
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])])
      if (a.AlarmName) found.add(a.AlarmName);
  }
  return names.filter((name) => !found.has(name));
};

export const deleteDriftAlarm = async (name: string) => {
  await cloudwatch().send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
};

/** Invocations and errors of a target over a window, from its own CloudWatch metrics. */
export const targetTraffic = async (
  target:
    | { kind: 'sagemaker'; endpointName: string }
    | { kind: 'lambda'; functionName: string; alias: string },
  window: { from: string; to: string },
): Promise<{ invocations?: number; errors?: number }> => {
  const [namespace, dimensions, invocations, errors] =
    target.kind === 'sagemaker'
      ? [
          'AWS/SageMaker',
          [
            { Name: 'EndpointName', Value: target.endpointName },
            { Name: 'VariantName', Value: 'AllTraffic' },
          ],
          'Invocations',
          'Invocation5XXErrors',
        ]
      : [
          'AWS/Lambda',
          [
            { Name: 'FunctionName', Value: target.functionName },
            { Name: 'Resource', Value: `${target.functionName}:${target.alias}` },
          ],
          'Invocations',
          'Errors',
        ];
  const period = Math.max(60, Math.ceil((Date.parse(window.to) - Date.parse(window.from)) / 1000 / 60) * 60);
  const query = (id: string, metric: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace as string,
        MetricName: metric as string,
        Dimensions: dimensions as { Name: string; Value: string }[],
      },
      Period: period,
      Stat: 'Sum',
    },
  });
  const out = await cloudwatch().send(
    new GetMetricDataCommand({
      StartTime: new Date(window.from),
      EndTime: new Date(window.to),
      MetricDataQueries: [query('invocations', invocations as string), query('errors', errors as string)],
    }),
  );
  const sum = (id: string) => {
    const values = out.MetricDataResults?.find((r) => r.Id === id)?.Values;
    return values?.length ? values.reduce((a, b) => a + b, 0) : undefined;
  };
  const figures: { invocations?: number; errors?: number } = {};
  const inv = sum('invocations');
  const err = sum('errors');
  if (inv !== undefined) figures.invocations = inv;
  if (err !== undefined) figures.errors = err;
  return figures;
};
