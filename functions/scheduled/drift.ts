import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { targetTraffic } from '#adapters/alarms';
import { readLines, readRecords } from '#adapters/dataset-reader';
import { getDeployment } from '#adapters/deployments-table';
import { getJson, putJson } from '#adapters/json-store';
import {
  claimMonitorRun,
  type DriftRunItem,
  dueMonitors,
  getMonitor,
  type MonitorItem,
  putDriftRun,
} from '#adapters/monitoring-table';
import { getVersion } from '#adapters/registry-table';
import { ConflictError, NotFoundError } from '#commons/errors';
import { s3Keys } from '#commons/facts';
import { logger, metrics } from '#commons/observability';
import { LabelJoin } from '#domain/drift/ground-truth';
import type { BaselineProfile } from '#domain/drift/profile';
import { driftReport } from '#domain/drift/report';
import { WindowAccumulator } from '#domain/drift/window';
import { driftStatus, healthStatus, runWindow, scheduleSeconds } from '#domain/monitoring';

/**
 * The drift job: a monitored deployment's window of captured inference data, streamed record by
 * record against the version's baseline profile (memory stays bounded whatever the window's size),
 * with labels joined when they arrive, and the target's technical health beside it. The report
 * goes to S3, its summary to DynamoDB, its figures to CloudWatch as EMF metrics.
 *
 * `due` and `run` are the task handlers of statemachines/drift.asl.json (a scheduled dispatcher
 * whose Map fans out one `run` per due monitor); POST .../drift-runs calls `runDrift` directly.
 */
export interface DriftRun extends DriftRunItem {
  report: ReturnType<typeof driftReport> & { performance?: unknown };
}

export const runDrift = async (
  deploymentId: string,
  window: { from?: string; to?: string },
  trigger: 'schedule' | 'request',
): Promise<DriftRun> => {
  const monitor = await getMonitor(deploymentId);
  if (!monitor)
    throw new NotFoundError(`deployment ${deploymentId} is not monitored (PUT .../monitoring first)`);
  const deployment = await getDeployment(deploymentId);
  if (!deployment) throw new NotFoundError(`deployment ${deploymentId} does not exist`);
  const version = await getVersion(deployment.model, deployment.version);
  const baselineUri = (version as { baseline?: { uri: string } } | undefined)?.baseline?.uri;
  if (!baselineUri)
    throw new ConflictError(
      `version ${deployment.version} of ${deployment.model} has no baseline (PUT .../baseline first)`,
    );
  const baseline = await getJson<BaselineProfile>(baselineUri);
  const at = new Date().toISOString();
  const bounds = runWindow(monitor.schedule, new Date(at), window.from, window.to);

  const features = baseline.features.map((f) => f.name);
  const predictionName = baseline.prediction?.name;
  const accumulator = new WindowAccumulator(baseline);
  const join = monitor.groundTruth
    ? new LabelJoin({
        task: monitor.groundTruth.task,
        ...(monitor.groundTruth.positiveLabel !== undefined
          ? { positiveLabel: monitor.groundTruth.positiveLabel }
          : {}),
      })
    : undefined;
  if (join && monitor.groundTruth)
    for await (const line of readLines(monitor.groundTruth.uri)) join.addLabelLine(line);

  const records = readRecords(monitor.capture.uri, {
    format: monitor.capture.format,
    features,
    ...(predictionName ? { prediction: predictionName } : {}),
    from: new Date(bounds.from),
    to: new Date(bounds.to),
    uriPath: 'capture.uri',
  });
  for await (const record of records) {
    const row: Record<string, unknown> = record.features;
    if (predictionName !== undefined && record.prediction !== undefined)
      row[predictionName] = record.prediction;
    accumulator.addRecord(row);
    join?.addRecord(record);
  }
  const report = driftReport(baseline, accumulator.finish(), monitor.thresholds ?? {});
  const performance = join?.result();

  let health: string | undefined;
  if (deployment.target.kind !== 'sagemaker-batch') {
    const traffic = await targetTraffic(deployment.target, bounds).catch((error: Error) => {
      logger.warn('target metrics unavailable', { error, deploymentId });
      return {};
    });
    health = healthStatus(traffic);
  }

  const id = `run-${randomBytes(8).toString('hex')}`;
  const full = {
    id,
    deploymentId,
    model: deployment.model,
    environment: deployment.environment,
    window: bounds,
    ...report,
    ...(performance ? { performance } : {}),
  };
  const reportUri = await putJson(s3Keys.driftReport(deployment.model, deploymentId, at, id), full);
  const run: DriftRunItem = {
    entity: 'drift-run',
    id,
    deploymentId,
    model: deployment.model,
    environment: deployment.environment,
    window: bounds,
    rows: report.rows,
    driftedShare: report.driftedShare,
    status: driftStatus(report, monitor.alarmThreshold),
    ...(health ? { health } : {}),
    empty: report.empty,
    ...(report.reason ? { reason: report.reason } : {}),
    drifted: report.features.filter((f) => f.drifted).map((f) => f.name),
    reportUri,
    trigger,
    at,
  };
  await putDriftRun(run);
  publishMetrics(monitor, report);
  return { ...run, report: { ...report, ...(performance ? { performance } : {}) } };
};

/** EMF metrics: per deployment the drifted share, per feature its figures. */
const publishMetrics = (monitor: MonitorItem, report: ReturnType<typeof driftReport>) => {
  const deployment = metrics.singleMetric();
  deployment.addDimensions({ model: monitor.model, environment: monitor.environment });
  deployment.addMetric('DriftedShare', MetricUnit.NoUnit, report.driftedShare);
  deployment.addMetric('WindowRows', MetricUnit.Count, report.rows);
  for (const feature of report.features) {
    const single = metrics.singleMetric();
    single.addDimensions({ model: monitor.model, environment: monitor.environment, feature: feature.name });
    if (typeof feature.psi === 'number') single.addMetric('PSI', MetricUnit.NoUnit, feature.psi);
    if (typeof feature.jsDistance === 'number')
      single.addMetric('JSDistance', MetricUnit.NoUnit, feature.jsDistance);
    if (typeof feature.ksPValue === 'number')
      single.addMetric('KSPValue', MetricUnit.NoUnit, feature.ksPValue);
    single.addMetric('Drifted', MetricUnit.Count, feature.drifted ? 1 : 0);
  }
};

/** Dispatcher: every monitor due now, each claimed so that two dispatchers never run it twice. */
export const due = async () => {
  const now = new Date();
  const claimed: string[] = [];
  for (const monitor of await dueMonitors(now.toISOString())) {
    const next = new Date(now.getTime() + scheduleSeconds(monitor.schedule) * 1000).toISOString();
    if (await claimMonitorRun(monitor, next)) claimed.push(monitor.deploymentId);
  }
  return { monitors: claimed.map((deploymentId) => ({ deploymentId })) };
};

/** One monitor's scheduled run (a Map iteration). */
export const run = async (event: { deploymentId: string }) => {
  const result = await runDrift(event.deploymentId, {}, 'schedule');
  return {
    deploymentId: event.deploymentId,
    runId: result.id,
    status: result.status,
    driftedShare: result.driftedShare,
  };
};
