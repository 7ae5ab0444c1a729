import { monitoringRoutes } from '#api/routes/monitoring';
import { httpHandler, json, operationsFor } from '#commons/http';
import { presentProfile } from '#presentation/representations';
import {
  driftReportLink,
  listRuns,
  putBaseline,
  putMonitoring,
  readMonitoring,
  removeMonitoring,
} from '#services/monitoring';

/**
 * Monitoring: a version's baseline profile, a deployment's monitor (and its alarm), and the
 * history of its drift runs. A run on request is functions/http/drift-runs.ts, so this bundle
 * carries none of the drift job.
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
