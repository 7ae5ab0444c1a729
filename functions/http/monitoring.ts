import { deleteDriftAlarm, putDriftAlarm } from '#adapters/alarms';
import { retryOnConflict } from '#adapters/audit-chain';
import { parseDatasetUri, readRecords } from '#adapters/dataset-reader';
import { getDeployment } from '#adapters/deployments-table';
import { presignPage, putJson } from '#adapters/json-store';
import {
  deleteMonitor,
  findDriftRun,
  getMonitor,
  listDriftRuns,
  type MonitorItem,
  putMonitor,
  setBaseline,
} from '#adapters/monitoring-table';
import { getModel, getModelAndVersion } from '#adapters/registry-table';
import { monitoringRoutes } from '#api/routes/monitoring';
import { config } from '#commons/config';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError } from '#commons/errors';
import { resourceNames, s3Keys } from '#commons/facts';
import { httpHandler, json, operationsFor } from '#commons/http';
import { requireOwner } from '#commons/identity';
import {
  BaselineBuilder,
  type BaselineProfile,
  type FeatureKind,
  type FeatureProfile,
} from '#domain/drift/profile';
import type { EncodedValues } from '#domain/drift/values-codec';
import { scheduleSeconds } from '#domain/monitoring';
import { runDrift } from '#services/drift-runs';

/**
 * Monitoring: a version's baseline profile, a deployment's monitor (and its alarm), drift runs on
 * request and their history.
 */

/** A feature as the API shows it: its KS values (every value, or a sketch) stay in S3. */
const presentFeature = (feature: FeatureProfile) => {
  const { distribution, sample, ...rest } = feature as FeatureProfile & {
    distribution?: EncodedValues;
    sample?: number[];
  };
  if (distribution)
    return {
      ...rest,
      ksValues:
        distribution.kind === 'exact'
          ? { kind: 'exact', count: distribution.count }
          : {
              kind: 'sketch',
              count: distribution.n,
              rankErrorBound: distribution.errorWeight / distribution.n,
            },
    };
  return { ...rest, ...(sample ? { sampleSize: sample.length } : {}) };
};

/** The profile as the API shows it: everything but the values kept for KS, which stay in S3. */
const presentProfile = (profile: BaselineProfile, uri: string) => ({
  uri,
  rows: profile.rows,
  ...(profile.ksExactMax !== undefined ? { ksExactMax: profile.ksExactMax } : {}),
  features: profile.features.map(presentFeature),
  ...(profile.prediction ? { prediction: presentFeature(profile.prediction) } : {}),
});

export const operations = operationsFor(monitoringRoutes, {
  putBaseline: async (request) => {
    const { model: name, version } = request.input.path;
    const body = request.input.body;
    const found = await getModelAndVersion(name, version);
    if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
    if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    requireOwner(request.principal, found.model);
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
    const at = new Date().toISOString();
    await retryOnConflict(async () => {
      const head = await getModel(name);
      if (!head) throw new NotFoundError(`model ${name} does not exist`);
      await setBaseline(
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
          createdBy: request.principal.id,
        },
        request.principal.id,
      );
    });
    return json(200, presentProfile(profile, uri));
  },

  putMonitoring: async (request) => {
    const { id } = request.input.path;
    const body = request.input.body;
    parseDatasetUri(body.capture.uri, config().mode, 'body.capture.uri');
    if (body.groundTruth) parseDatasetUri(body.groundTruth.uri, config().mode, 'body.groundTruth.uri');
    const deployment = await getDeployment(id);
    if (!deployment) throw new NotFoundError(`deployment ${id} does not exist`);
    const { version } = await getModelAndVersion(deployment.model, deployment.version);
    if (!(version as { baseline?: unknown } | undefined)?.baseline)
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
      updatedBy: request.principal.id,
    };
    // The alarm first: a monitor never exists without its alarm.
    await putDriftAlarm({
      name: monitor.alarmName,
      model: monitor.model,
      environment: monitor.environment,
      threshold: monitor.alarmThreshold,
      periodSeconds: scheduleSeconds(monitor.schedule),
    });
    await retryOnConflict(async () => {
      const head = await getModel(deployment.model);
      if (!head) throw new NotFoundError(`model ${deployment.model} does not exist`);
      await putMonitor(head, monitor, await getMonitor(id));
    });
    const { entity: _e, ...shown } = monitor;
    return json(200, shown);
  },

  getMonitoring: async (request) => {
    const { id } = request.input.path;
    const monitor = await getMonitor(id);
    if (!monitor) throw new NotFoundError(`deployment ${id} is not monitored`);
    const { entity: _e, ...shown } = monitor;
    return json(200, shown);
  },

  deleteMonitoring: async (request) => {
    const { id } = request.input.path;
    const monitor = await getMonitor(id);
    if (!monitor) throw new NotFoundError(`deployment ${id} is not monitored`);
    await retryOnConflict(async () => {
      const head = await getModel(monitor.model);
      if (!head) throw new NotFoundError(`model ${monitor.model} does not exist`);
      await deleteMonitor(head, monitor, request.principal.id, new Date().toISOString());
    });
    await deleteDriftAlarm(monitor.alarmName);
    return { statusCode: 204 };
  },

  createDriftRun: async (request) => {
    const { id } = request.input.path;
    const body = request.input.body;
    const run = await runDrift(id, body, 'request');
    return json(201, {
      id: run.id,
      deploymentId: id,
      window: run.window,
      status: run.status,
      ...(run.health ? { health: run.health } : {}),
      reportUri: run.reportUri,
      ...(run.reportPageUri ? { reportPageUri: run.reportPageUri } : {}),
      ...run.report,
    });
  },

  getDriftReport: async (request) => {
    const { id, run: runId } = request.input.path;
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
    return json(200, { runId: run.id, url, expiresAt });
  },

  listDriftRuns: async (request) => {
    const { id } = request.input.path;
    const query = request.input.query;
    const scope = `drift-runs|${id}`;
    const page = await listDriftRuns(id, query.limit, await decodeCursor(query.cursor, scope));
    const nextCursor = await encodeCursor(page.lastKey, scope);
    return json(200, {
      items: page.items.map(({ entity: _e, ...run }) => run),
      ...(nextCursor ? { nextCursor } : {}),
    });
  },
});

export const handler = httpHandler(monitoringRoutes, operations);
