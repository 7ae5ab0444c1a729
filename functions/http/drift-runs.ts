import { driftRunsRoutes } from '#api/routes/drift-runs';
import { httpHandler, json, operationsFor } from '#commons/http';
import { runDrift } from '#services/drift-runs';

/**
 * A drift run on request (POST .../drift-runs): the window's captured data streamed against the
 * baseline by the same use case as the scheduled run, the report answered. A function of its own,
 * with the drift job's memory and grants, so that the monitoring API carries none of its code.
 */
export const operations = operationsFor(driftRunsRoutes, {
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
});

export const handler = httpHandler(driftRunsRoutes, operations);
