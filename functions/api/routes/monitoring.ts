import * as z from 'zod';
import { DeploymentPath } from '#domain/deployment';
import { BaselineBody, DriftRunPath, ListRunsQuery, MonitoringBody } from '#domain/monitoring';
import { VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';
import { BaselineProfileOut, DriftRunSummary, listOf, MonitorOut } from '../schemas.ts';

export const monitoringRoutes = defineRoutes('monitoring', [
  {
    method: 'PUT',
    path: '/v1/models/{model}/versions/{version}/baseline',
    operationId: 'putBaseline',
    description:
      "Profiles a reference dataset (csv or jsonl) as the version's baseline: bins, categories and quantiles per feature, which drift runs compare the captured data with. The owning team or an admin. 409 when the dataset has no rows.",
    auth: 'iam',
    role: 'owner',
    summary: "Profile a reference dataset as the version's baseline",
    params: VersionPath,
    body: BaselineBody,
    responses: { 200: { description: 'the profile', schema: BaselineProfileOut } },
    problems: [400, 403, 404, 409, 422],
  },
  {
    method: 'PUT',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'putMonitoring',
    description:
      "Monitors a deployment: where its inference data is captured, how often drift is computed, when a feature counts as drifted (`thresholds`) and at what drifted share the alarm fires. Creates the deployment's CloudWatch alarm. 409 unless the version has a baseline.",
    auth: 'iam',
    role: 'deployer',
    summary: 'Monitor a deployment for drift (and create its alarm)',
    params: DeploymentPath,
    body: MonitoringBody,
    responses: { 200: { description: 'the monitor', schema: MonitorOut } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'getMonitoring',
    description: "A deployment's monitor and when it next runs.",
    auth: 'iam',
    role: 'reader',
    summary: "A deployment's monitor",
    params: DeploymentPath,
    responses: { 200: { description: 'the monitor', schema: MonitorOut } },
    problems: [403, 404],
  },
  {
    method: 'DELETE',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'deleteMonitoring',
    description: 'Stops monitoring the deployment and removes its alarm; past drift runs stay.',
    auth: 'iam',
    role: 'deployer',
    summary: 'Stop monitoring (and remove the alarm)',
    params: DeploymentPath,
    responses: { 204: { description: 'removed' } },
    problems: [403, 404],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs',
    operationId: 'listDriftRuns',
    description: "A deployment's drift runs, newest first, each with every feature's figures.",
    auth: 'iam',
    role: 'reader',
    summary: 'Drift runs, newest first',
    params: DeploymentPath,
    query: ListRunsQuery,
    responses: {
      200: {
        description: "a page of runs, each with every feature's PSI and JS distance",
        schema: listOf(DriftRunSummary, 'DriftRunList'),
      },
    },
    problems: [400, 403],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs/{run}/report',
    operationId: 'getDriftReport',
    description:
      "A presigned URL to a run's self-contained HTML report (histograms of baseline and window per feature), valid until `expiresAt`. `latest` names the newest run.",
    auth: 'iam',
    role: 'reader',
    summary: "A presigned URL to a drift run's report page (`latest` for the newest run)",
    params: DriftRunPath,
    responses: {
      200: {
        description: 'where the self-contained HTML report can be fetched, until expiresAt',
        schema: z.object({
          url: z.string().meta({ description: 'A presigned GET of the report page (self-contained HTML).' }),
          expiresAt: z.string().meta({ description: 'When the URL stops working.' }),
          runId: z.string().meta({ description: 'The run the page shows.', example: 'run-0123456789abcdef' }),
        }),
      },
    },
    problems: [400, 403, 404],
  },
]);
