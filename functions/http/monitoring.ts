import { monitoringRoutes } from '#api/routes/monitoring';
import { httpHandler, json, operationsFor } from '#commons/http';
import { presentProfile } from '#presentation/representations';
import { runDrift } from '#services/drift-runs';
import {
  driftReportLink,
  listRuns,
  putBaseline,
  putMonitoring,
  readMonitoring,
  removeMonitoring,
} from '#services/monitoring';

/**
 * Monitoring: a version's baseline profile, a deployment's monitor (and its alarm), drift runs on
 * request and their history.
 */
const withoutEntity = <T extends { entity: string }>({ entity: _e, ...shown }: T) => shown;

export const operations = operationsFor(monitoringRoutes, {
  putBaseline: async (request) => {
    const { model, version } = request.input.path;
    const { profile, uri } = await putBaseline(request.principal, model, version, request.input.body);
    return json(200, presentProfile(profile, uri));
  },

  putMonitoring: async (request) =>
    json(
      200,
      withoutEntity(await putMonitoring(request.principal, request.input.path.id, request.input.body)),
    ),

  getMonitoring: async (request) => json(200, withoutEntity(await readMonitoring(request.input.path.id))),

  deleteMonitoring: async (request) => {
    await removeMonitoring(request.principal, request.input.path.id);
    return { statusCode: 204 };
  },

  createDriftRun: async (request) => {
    const { id } = request.input.path;
    const run = await runDrift(id, request.input.body, 'request');
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
    const { id, run } = request.input.path;
    return json(200, await driftReportLink(id, run));
  },

  listDriftRuns: async (request) => {
    const { items, nextCursor } = await listRuns(request.input.path.id, request.input.query);
    return json(200, { items: items.map(withoutEntity), ...(nextCursor ? { nextCursor } : {}) });
  },
});

export const handler = httpHandler(monitoringRoutes, operations);
