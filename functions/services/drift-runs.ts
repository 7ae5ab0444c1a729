import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { targetTraffic } from '#adapters/alarms';
import { listObjects, readLines } from '#adapters/dataset-reader';
import { getDeployment } from '#adapters/deployments-table';
import { getJson, jsonBucket, listJsonKeys, putJson, putPage } from '#adapters/json-store';
import {
  claimMonitorRun,
  type DriftRunItem,
  dueMonitors,
  getMonitor,
  type MonitorItem,
  putDriftRun,
} from '#adapters/monitoring-table';
import { getVersion } from '#adapters/registry-table';
import { config } from '#commons/config';
import { ConflictError, NotFoundError } from '#commons/errors';
import { METRICS, s3Keys, TASK_ERRORS } from '#commons/facts';
import { logger, metrics } from '#commons/observability';
import { LabelJoin, type PredictionLogSummary } from '#domain/drift/ground-truth';
import type { BaselineProfile } from '#domain/drift/profile';
import { driftReport, type ReportFigures } from '#domain/drift/report';
import {
  decodeWindowSummary,
  type EncodedWindowSummary,
  encodeWindowSummary,
} from '#domain/drift/values-codec';
import { driftStatus, healthStatus, runWindow, scheduleSeconds } from '#domain/monitoring';
import { driftReportPage } from '#presentation/drift-report';
import {
  driftWorkers,
  mergeShards,
  type ShardStats,
  type ShardSummary,
  startShardWorkers,
  summariseWithWorkers,
} from '#services/drift-shards';

/**
 * The drift job: a monitored deployment's window of captured inference data, streamed record by
 * record against the version's baseline profile (memory stays bounded whatever the window's size),
 * with labels joined when they arrive, and the target's technical health beside it. The report
 * goes to S3, its summary to DynamoDB, its figures to CloudWatch as EMF metrics.
 *
 * `due` and `run` are the task handlers of statemachines/drift.asl.json (a scheduled dispatcher
 * whose Map fans out one `run` per due monitor); POST .../drift-runs calls `runDrift` directly.
 */
/**
 * How a drift run went: what it read and how, in the run's JSON (`report.execution`) and as EMF
 * metrics (namespace Steward, dimensions model and environment).
 */
export interface DriftExecution {
  bytes: number;
  records: number;
  objects: number;
  lines: number;
  /**
   * threads that read capture (the calling thread included) in the one function, or, for a
   * Distributed Map, the most in any child; fewer than the vCPUs when the first threads read
   * every object before the others had loaded
   */
  workers: number;
  /** Distributed Map children (absent: the run fitted one function) */
  children?: number;
  seconds: number;
  /** records read but outside [from, to) / every timed or untimed record read */
  outsideWindowShare: number;
  outsideWindow: number;
  untimed: number;
}

export interface DriftRun extends DriftRunItem {
  report: ReturnType<typeof driftReport> & { performance?: unknown; execution: DriftExecution };
}

/** What a run needs before it reads any capture: the monitor, its baseline, the window's objects. */
export interface DriftPlan {
  deploymentId: string;
  trigger: 'schedule' | 'request';
  at: string;
  window: { from: string; to: string };
  monitor: MonitorItem;
  deployment: NonNullable<Awaited<ReturnType<typeof getDeployment>>>;
  baseline: BaselineProfile;
  objects: Awaited<ReturnType<typeof listObjects>>['objects'];
  bytes: number;
}

export const planDrift = async (
  deploymentId: string,
  window: { from?: string; to?: string },
  trigger: 'schedule' | 'request',
): Promise<DriftPlan> => {
  const monitor = await getMonitor(deploymentId);
  if (!monitor)
    throw new NotFoundError(`deployment ${deploymentId} is not monitored (PUT .../monitoring first)`);
  const deployment = await getDeployment(deploymentId);
  if (!deployment) throw new NotFoundError(`deployment ${deploymentId} does not exist`);
  const version = await getVersion(deployment.model, deployment.version);
  const baselineUri = version?.baseline?.uri;
  if (!baselineUri)
    throw new ConflictError(
      `version ${deployment.version} of ${deployment.model} has no baseline (PUT .../baseline first)`,
    );
  const baseline = await getJson<BaselineProfile>(baselineUri);
  const at = new Date().toISOString();
  const bounds = runWindow(monitor.schedule, new Date(at), window.from, window.to);
  const { objects } = await listObjects(monitor.capture.uri, {
    format: monitor.capture.format,
    from: new Date(bounds.from),
    to: new Date(bounds.to),
    uriPath: 'capture.uri',
  });
  return {
    deploymentId,
    trigger,
    at,
    window: bounds,
    monitor,
    deployment,
    baseline,
    objects,
    bytes: objects.reduce((total, o) => total + o.size, 0),
  };
};

/** The shard task of a plan (every object; a share of them for a worker or a child). */
export const shardTask = (plan: DriftPlan, objects = plan.objects) => ({
  uri: plan.monitor.capture.uri,
  baseline: plan.baseline,
  format: plan.monitor.capture.format,
  from: plan.window.from,
  to: plan.window.to,
  objects,
  predictions: plan.monitor.groundTruth !== undefined,
});

export const executionOf = (
  stats: ShardStats,
  seconds: number,
  workers: number,
  children?: number,
): DriftExecution => {
  const read = stats.records + stats.outsideWindow + stats.untimed;
  return {
    bytes: stats.bytes,
    records: stats.records,
    objects: stats.objects,
    lines: stats.lines,
    workers,
    ...(children !== undefined ? { children } : {}),
    seconds,
    outsideWindowShare: read > 0 ? stats.outsideWindow / read : 0,
    outsideWindow: stats.outsideWindow,
    untimed: stats.untimed,
  };
};

export const runDrift = async (
  deploymentId: string,
  window: { from?: string; to?: string },
  trigger: 'schedule' | 'request',
): Promise<DriftRun> => {
  const started = Date.now();
  const plan = await planDrift(deploymentId, window, trigger);
  const summary = await summariseWithWorkers(shardTask(plan), driftWorkers(), { figures: true });
  return finishDrift(plan, summary, (stats) =>
    executionOf(stats, (Date.now() - started) / 1000, summary.workers),
  );
};

/**
 * The window's merged summary to the run's report, metrics and alarm status: the labels joined to
 * the predictions, the target's health, the report in S3, the run in DynamoDB, EMF metrics.
 */
export const finishDrift = async (
  plan: DriftPlan,
  /** with the report's figures when the threads that merged it computed them */
  summary: ShardSummary & { figures?: ReportFigures },
  execution: (stats: ShardStats) => DriftExecution,
): Promise<DriftRun> => {
  const { monitor, deployment, deploymentId, baseline, at, trigger } = plan;
  const bounds = plan.window;
  const report = driftReport(baseline, summary.window, monitor.thresholds ?? {}, summary.figures);
  let performance: ReturnType<LabelJoin['result']> | undefined;
  if (monitor.groundTruth) {
    const join = new LabelJoin({
      task: monitor.groundTruth.task,
      ...(monitor.groundTruth.positiveLabel !== undefined
        ? { positiveLabel: monitor.groundTruth.positiveLabel }
        : {}),
    });
    for await (const line of readLines(monitor.groundTruth.uri)) join.addLabelLine(line);
    if (summary.predictions) join.addLog(summary.predictions);
    performance = join.result();
  }

  let health: string | undefined;
  if (deployment.target.kind !== 'sagemaker-batch') {
    const traffic = await targetTraffic(deployment.target, bounds).catch((error: Error) => {
      logger.warn('target metrics unavailable', { error, deploymentId });
      return {};
    });
    health = healthStatus(traffic);
  }

  const id = `run-${randomBytes(8).toString('hex')}`;
  const executionFigures = execution(summary.stats);
  const full = {
    id,
    deploymentId,
    model: deployment.model,
    environment: deployment.environment,
    window: bounds,
    ...report,
    ...(performance ? { performance } : {}),
    execution: executionFigures,
  };
  const status = driftStatus(report, monitor.alarmThreshold);
  const html = driftReportPage({
    runId: id,
    deploymentId,
    model: deployment.model,
    version: deployment.version,
    environment: deployment.environment,
    at,
    window: bounds,
    status,
    ...(health ? { health } : {}),
    report: { ...report, ...(performance ? { performance } : {}) },
    baseline,
    summary: summary.window,
  });
  // The JSON, its page, and the deployment's latest page (what the dashboard links to).
  const [reportUri, reportPageUri] = await Promise.all([
    putJson(s3Keys.driftReport(deployment.model, deploymentId, at, id), full),
    putPage(s3Keys.driftReportPage(deployment.model, deploymentId, at, id), html),
    putPage(s3Keys.latestDriftReportPage(deployment.model, deploymentId), html),
  ]);
  const run: DriftRunItem = {
    entity: 'drift-run',
    id,
    deploymentId,
    model: deployment.model,
    environment: deployment.environment,
    window: bounds,
    rows: report.rows,
    driftedShare: report.driftedShare,
    status,
    ...(health ? { health } : {}),
    empty: report.empty,
    ...(report.reason ? { reason: report.reason } : {}),
    drifted: report.features.filter((f) => f.drifted).map((f) => f.name),
    features: report.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      psi: f.psi,
      jsDistance: f.jsDistance,
      jsDistanceBase2: f.jsDistanceBase2,
      drifted: f.drifted,
    })),
    reportUri,
    reportPageUri,
    trigger,
    at,
  };
  await putDriftRun(run);
  publishMetrics(monitor, report, executionFigures);
  return {
    ...run,
    report: { ...report, ...(performance ? { performance } : {}), execution: executionFigures },
  };
};

/** EMF metrics: per deployment the drifted share and how the run went, per feature its figures. */
const publishMetrics = (
  monitor: MonitorItem,
  report: ReturnType<typeof driftReport>,
  execution: DriftExecution,
) => {
  const deployment = metrics.singleMetric();
  deployment.addDimensions({ model: monitor.model, environment: monitor.environment });
  deployment.addMetric(METRICS.names.driftedShare, MetricUnit.NoUnit, report.driftedShare);
  deployment.addMetric(METRICS.names.windowRows, MetricUnit.Count, report.rows);
  const run = metrics.singleMetric();
  run.addDimensions({ model: monitor.model, environment: monitor.environment });
  run.addMetric('DriftRunBytes', MetricUnit.Bytes, execution.bytes);
  run.addMetric('DriftRunRecords', MetricUnit.Count, execution.records);
  run.addMetric('DriftRunObjects', MetricUnit.Count, execution.objects);
  run.addMetric('DriftRunWorkers', MetricUnit.Count, execution.workers);
  run.addMetric('DriftRunChildren', MetricUnit.Count, execution.children ?? 0);
  run.addMetric('DriftRunSeconds', MetricUnit.Seconds, execution.seconds);
  run.addMetric('DriftRunOutsideWindowShare', MetricUnit.NoUnit, execution.outsideWindowShare);
  for (const feature of report.features) {
    const single = metrics.singleMetric();
    single.addDimensions({ model: monitor.model, environment: monitor.environment, feature: feature.name });
    if (typeof feature.psi === 'number') single.addMetric(METRICS.names.psi, MetricUnit.NoUnit, feature.psi);
    if (typeof feature.jsDistance === 'number')
      single.addMetric('JSDistance', MetricUnit.NoUnit, feature.jsDistance);
    if (typeof feature.ksPValue === 'number')
      single.addMetric(METRICS.names.ksPValue, MetricUnit.NoUnit, feature.ksPValue);
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

/** Windows of more capture bytes than this run as a Distributed Map (`DRIFT_DISTRIBUTED_BYTES`). */
export const distributedThreshold = (): number => config().driftDistributedBytes;
/** Capture bytes each Distributed Map child summarises, about (`DRIFT_CHILD_BYTES`). */
export const childBytes = (): number => config().driftChildBytes;

/** A plan as the Distributed Map's children and reducer read it back (its objects are in the manifest). */
type StoredPlan = Omit<DriftPlan, 'objects'> & { objectCount: number; startedAt: number; base: string };

export interface ShardManifestItem {
  index: number;
  uri: string;
  size: number;
}

/**
 * One monitor's scheduled run (a Map iteration). A window of at most `distributedThreshold()`
 * bytes runs here, on every vCPU; a larger one is planned for the state machine's Distributed Map:
 * the plan and the object manifest go to S3 and the answer says how to batch it.
 */
export const run = async (event: { deploymentId: string }) => {
  const started = Date.now();
  const plan = await planDrift(event.deploymentId, {}, 'schedule');
  if (plan.bytes <= distributedThreshold() || plan.objects.length < 2) {
    const summary = await summariseWithWorkers(shardTask(plan), driftWorkers(), { figures: true });
    const result = await finishDrift(plan, summary, (stats) =>
      executionOf(stats, (Date.now() - started) / 1000, summary.workers),
    );
    return {
      deploymentId: event.deploymentId,
      runId: result.id,
      status: result.status,
      driftedShare: result.driftedShare,
      distributed: false,
    };
  }
  const { objects, ...rest } = plan;
  const base = s3Keys.driftShardRun(
    plan.deployment.model,
    plan.deploymentId,
    plan.at,
    randomBytes(4).toString('hex'),
  );
  const stored: StoredPlan = { ...rest, objectCount: objects.length, startedAt: started, base };
  const planUri = await putJson(`${base}plan.json`, stored);
  const manifest: ShardManifestItem[] = objects.map((o, index) => ({ index, uri: o.uri, size: o.size }));
  await putJson(`${base}objects.json`, manifest);
  const objectsPerChild = Math.max(
    1,
    Math.min(objects.length, Math.round(childBytes() / (plan.bytes / objects.length))),
  );
  return {
    deploymentId: event.deploymentId,
    distributed: true,
    shards: {
      bucket: jsonBucket(),
      manifestKey: `${base}objects.json`,
      resultsPrefix: `${base}results`,
      planUri,
      objectsPerChild,
      children: Math.ceil(objects.length / objectsPerChild),
      bytes: plan.bytes,
    },
  };
};

/**
 * A Distributed Map child: one batch of consecutive capture objects (ItemBatcher's `Items`),
 * summarised on every vCPU, its partial summary written to S3 under the run's `partials/`, named
 * by the batch's first object so that the reducer merges in read order.
 */
export const summariseBatch = async (event: {
  BatchInput: { planUri: string };
  Items: ShardManifestItem[];
}) => {
  const workers = Math.min(driftWorkers(), event.Items.length);
  // The worker threads load while the plan (and its baseline) is read.
  const pool = startShardWorkers(workers);
  try {
    const plan = await getJson<StoredPlan>(event.BatchInput.planUri);
    const items = [...event.Items].sort((a, b) => a.index - b.index);
    const first = items[0]?.index ?? 0;
    const summary = await summariseWithWorkers(
      shardTask(
        { ...plan, objects: [] },
        items.map(({ uri, size }) => ({ uri, size })),
      ),
      workers,
      { pool },
    );
    const key = `${plan.base}partials/${String(first).padStart(10, '0')}.json`;
    await putJson(key, {
      first,
      objects: items.length,
      workers: summary.workers,
      window: encodeWindowSummary(summary.window),
      ...(summary.predictions ? { predictions: summary.predictions } : {}),
      stats: summary.stats,
    });
    return { first, objects: items.length, records: summary.stats.records, key };
  } finally {
    await pool.close();
  }
};

/** The partial summaries of a Distributed Map run do not cover its objects exactly once. */
export class DriftShardsIncompleteError extends Error {
  override readonly name = TASK_ERRORS.driftShardsIncomplete;
}

interface StoredPartial {
  first: number;
  objects: number;
  workers: number;
  window: EncodedWindowSummary;
  predictions?: PredictionLogSummary;
  stats: ShardStats;
}

/**
 * The Distributed Map's reducer: every partial summary of the run merged in object order (they
 * must cover the manifest exactly, each batch once), then the report, metrics and alarm status
 * as a run in one function writes them.
 */
export const reduceShards = async (event: { planUri: string }) => {
  const plan = await getJson<StoredPlan>(event.planUri);
  const keys = await listJsonKeys(`${plan.base}partials/`);
  let merged: ShardSummary | undefined;
  let next = 0;
  let workers = 1;
  for (const key of keys) {
    const partial = await getJson<StoredPartial>(`s3://${jsonBucket()}/${key}`);
    if (partial.first !== next)
      throw new DriftShardsIncompleteError(
        `the partial summaries do not cover objects ${next}.. of ${plan.objectCount} exactly once`,
      );
    next += partial.objects;
    workers = Math.max(workers, partial.workers);
    const shard: ShardSummary = {
      window: decodeWindowSummary(partial.window),
      ...(partial.predictions ? { predictions: partial.predictions } : {}),
      stats: partial.stats,
    };
    merged = merged ? mergeShards(merged, shard, plan.baseline) : shard;
  }
  if (!merged || next !== plan.objectCount)
    throw new DriftShardsIncompleteError(
      `the partial summaries cover ${next} of ${plan.objectCount} objects`,
    );
  const result = await finishDrift({ ...plan, objects: [] }, merged, (stats) =>
    executionOf(stats, (Date.now() - plan.startedAt) / 1000, workers, keys.length),
  );
  return {
    deploymentId: plan.deploymentId,
    runId: result.id,
    status: result.status,
    driftedShare: result.driftedShare,
    distributed: true,
    children: keys.length,
  };
};
