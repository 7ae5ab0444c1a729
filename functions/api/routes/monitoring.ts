import * as z from 'zod';
import { DeploymentPath } from '#domain/deployment';
import { BaselineBody, DriftRunBody, DriftRunPath, ListRunsQuery, MonitoringBody } from '#domain/monitoring';
import { VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';
import { AnyObject } from '../schemas.ts';

export const monitoringRoutes = defineRoutes('monitoring', [
  {
    method: 'PUT',
    path: '/v1/models/{model}/versions/{version}/baseline',
    operationId: 'putBaseline',
    auth: 'iam',
    role: 'owner',
    summary: "Profile a reference dataset as the version's baseline",
    params: VersionPath,
    body: BaselineBody,
    responses: { 200: { description: 'the profile', schema: AnyObject } },
    problems: [400, 403, 404, 409, 422],
  },
  {
    method: 'PUT',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'putMonitoring',
    auth: 'iam',
    role: 'deployer',
    summary: 'Monitor a deployment for drift (and create its alarm)',
    params: DeploymentPath,
    body: MonitoringBody,
    responses: { 200: { description: 'the monitor', schema: AnyObject } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'getMonitoring',
    auth: 'iam',
    role: 'reader',
    summary: "A deployment's monitor",
    params: DeploymentPath,
    responses: { 200: { description: 'the monitor', schema: AnyObject } },
    problems: [403, 404],
  },
  {
    method: 'DELETE',
    path: '/v1/deployments/{id}/monitoring',
    operationId: 'deleteMonitoring',
    auth: 'iam',
    role: 'deployer',
    summary: 'Stop monitoring (and remove the alarm)',
    params: DeploymentPath,
    responses: { 204: { description: 'removed' } },
    problems: [403, 404],
  },
  {
    method: 'POST',
    path: '/v1/deployments/{id}/drift-runs',
    operationId: 'createDriftRun',
    auth: 'iam',
    role: 'deployer',
    summary: 'Compute drift now over a window',
    params: DeploymentPath,
    body: DriftRunBody,
    bodyOptional: true,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'the drift report', schema: AnyObject } },
    problems: [400, 403, 404, 409, 422],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs',
    operationId: 'listDriftRuns',
    auth: 'iam',
    role: 'reader',
    summary: 'Drift runs, newest first',
    params: DeploymentPath,
    query: ListRunsQuery,
    responses: {
      200: {
        description: "a page of runs, each with every feature's PSI and JS distance",
        schema: z.object({ items: z.array(AnyObject) }),
      },
    },
    problems: [400, 403],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}/drift-runs/{run}/report',
    operationId: 'getDriftReport',
    auth: 'iam',
    role: 'reader',
    summary: "A presigned URL to a drift run's report page (`latest` for the newest run)",
    params: DriftRunPath,
    responses: {
      200: {
        description: 'where the self-contained HTML report can be fetched, until expiresAt',
        schema: z.object({ url: z.string(), expiresAt: z.string(), runId: z.string() }),
      },
    },
    problems: [400, 403, 404],
  },
]);
