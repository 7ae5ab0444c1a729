import { deleteDriftAlarm, putDriftAlarm } from '#adapters/alarms';
import { retryOnConflict } from '#adapters/audit-chain';
import { parseDatasetUri, readRecords } from '#adapters/dataset-reader';
import { getDeployment } from '#adapters/deployments-table';
import { presignPage, putJson } from '#adapters/json-store';
import {
  type DriftRunItem,
  deleteMonitor,
  findDriftRun,
  getMonitor,
  listDriftRuns,
  type MonitorItem,
  putMonitor,
  setBaseline,
} from '#adapters/monitoring-table';
import { getModel, getModelAndVersion } from '#adapters/registry-table';
import { config } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError } from '#commons/errors';
import { resourceNames, s3Keys } from '#commons/facts';
import { type Principal, requireOwner } from '#commons/identity';
import { BaselineBuilder, type BaselineProfile, type FeatureKind } from '#domain/drift/profile';
import { type BaselineBody, type MonitoringBody, scheduleSeconds } from '#domain/monitoring';

/**
 * Monitoring's use cases: a version's baseline profile, a deployment's monitor (and its alarm),
 * and the drift runs' history and report pages. Running drift is services/drift-runs' job, which
 * the scheduled job and the API's "run now" share.
 */

const nowIso = () => new Date().toISOString();

/** Run a change under the model's audit chain, read afresh on each attempt. */
const underModel = (
  name: string,
  change: (head: NonNullable<Awaited<ReturnType<typeof getModel>>>) => Promise<unknown>,
) =>
  retryOnConflict(async () => {
    const head = await getModel(name);
    if (!head) throw new NotFoundError(`model ${name} does not exist`);
    await change(head);
  });

/**
 * Profile the reference dataset of a version (as its owner), keep the profile in S3 and record
 * the baseline on the version, audited. Refused: no rows (409), a dataset URI outside the
 * allowed buckets (400, naming `body.dataset.uri`).
 */
export const putBaseline = async (
  principal: Principal,
  name: string,
  version: number,
  body: BaselineBody,
): Promise<{ profile: BaselineProfile; uri: string }> => {
  const found = await getModelAndVersion(name, version);
  if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
  requireOwner(principal, found.model);
  parseDatasetUri(body.dataset.uri, config().mode, 'body.dataset.uri');

  const names = body.features?.map((f) => (typeof f === 'string' ? f : f.name));
  const kinds = Object.fromEntries(
    (body.features ?? []).flatMap((f) => (typeof f === 'string' ? [] : [[f.name, f.kind as FeatureKind]])),
  );
  const builder = new BaselineBuilder({
    ...(names ? { features: names } : {}),
    kinds,
    exclude: body.target ? [body.target] : [],
    ...(body.prediction ? { prediction: body.prediction } : {}),
  });
  for await (const record of readRecords(body.dataset.uri, {
    format: body.dataset.format,
    ...(body.prediction ? { prediction: body.prediction } : {}),
    uriPath: 'body.dataset.uri',
  })) {
    const row: Record<string, unknown> = record.features;
    if (body.prediction && record.prediction !== undefined) row[body.prediction] = record.prediction;
    builder.addRecord(row);
  }
  const profile = builder.finish();
  if (profile.rows === 0) throw new ConflictError('the reference dataset has no rows');
  const uri = await putJson(s3Keys.baseline(name, version), profile);
  const at = nowIso();
  await underModel(name, (head) =>
    setBaseline(
      head,
      version,
      {
        uri,
        dataset: body.dataset,
        rows: profile.rows,
        features: profile.features.map((f) => ({ name: f.name, kind: f.kind })),
        ...(body.prediction ? { prediction: body.prediction } : {}),
        ...(body.target ? { target: body.target } : {}),
        createdAt: at,
        createdBy: principal.id,
      },
      principal.id,
    ),
  );
  return { profile, uri };
};

/**
 * Monitor a deployment: its capture, schedule, thresholds and drift alarm. The alarm is made
 * first, so a monitor never exists without its alarm. Refused: no deployment (404), a version
 * without a baseline (409), a capture or ground-truth URI outside the allowed buckets (400).
 */
export const putMonitoring = async (
  principal: Principal,
  id: string,
  body: MonitoringBody,
): Promise<MonitorItem> => {
  parseDatasetUri(body.capture.uri, config().mode, 'body.capture.uri');
  if (body.groundTruth) parseDatasetUri(body.groundTruth.uri, config().mode, 'body.groundTruth.uri');
  const deployment = await getDeployment(id);
  if (!deployment) throw new NotFoundError(`deployment ${id} does not exist`);
  const { version } = await getModelAndVersion(deployment.model, deployment.version);
  if (!version?.baseline)
    throw new ConflictError(
      `version ${deployment.version} has no baseline: PUT .../versions/${deployment.version}/baseline first`,
    );
  const now = new Date();
  const monitor: MonitorItem = {
    entity: 'monitor',
    deploymentId: id,
    model: deployment.model,
    version: deployment.version,
    environment: deployment.environment,
    targetId: deployment.targetId,
    capture: body.capture,
    schedule: body.schedule,
    ...(body.thresholds ? { thresholds: body.thresholds } : {}),
    alarmThreshold: body.alarmThreshold,
    alarmName: resourceNames.driftAlarm(config().resourcePrefix, id),
    ...(body.groundTruth ? { groundTruth: body.groundTruth } : {}),
    nextRunAt: new Date(now.getTime() + scheduleSeconds(body.schedule) * 1000).toISOString(),
    updatedAt: now.toISOString(),
    updatedBy: principal.id,
  };
  await putDriftAlarm({
    name: monitor.alarmName,
    model: monitor.model,
    environment: monitor.environment,
    threshold: monitor.alarmThreshold,
    periodSeconds: scheduleSeconds(monitor.schedule),
  });
  await underModel(deployment.model, async (head) => putMonitor(head, monitor, await getMonitor(id)));
  return monitor;
};

export const readMonitoring = async (id: string): Promise<MonitorItem> => {
  const monitor = await getMonitor(id);
  if (!monitor) throw new NotFoundError(`deployment ${id} is not monitored`);
  return monitor;
};

/** Stop monitoring a deployment (audited), then remove its alarm. */
export const removeMonitoring = async (principal: Principal, id: string): Promise<void> => {
  const monitor = await readMonitoring(id);
  await underModel(monitor.model, (head) => deleteMonitor(head, monitor, principal.id, nowIso()));
  await deleteDriftAlarm(monitor.alarmName);
};

/** A short-lived link to a drift run's report page (`latest`: the newest run). */
export const driftReportLink = async (
  id: string,
  runId: string,
): Promise<{ runId: string; url: string; expiresAt: string }> => {
  const run = await findDriftRun(id, runId);
  if (!run)
    throw new NotFoundError(
      runId === 'latest'
        ? `deployment ${id} has no drift run`
        : `drift run ${runId} of deployment ${id} does not exist`,
    );
  if (!run.reportPageUri)
    throw new NotFoundError(`drift run ${run.id} was made before reports had pages; run drift again`);
  const { url, expiresAt } = await presignPage(run.reportPageUri);
  return { runId: run.id, url, expiresAt };
};

/** A deployment's drift runs, newest first, a page at a time. */
export const listRuns = async (
  id: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: DriftRunItem[]; nextCursor: string | undefined }> => {
  const scope = `drift-runs|${id}`;
  const page = await listDriftRuns(id, query.limit, await decodeCursor(query.cursor, scope));
  return { items: page.items, nextCursor: await encodeCursor(page.lastKey, scope) };
};
