import { DeploymentPath } from '#domain/deployment';
import { DriftRunBody } from '#domain/monitoring';
import { defineRoutes } from '../route.ts';
import { DriftReport } from '../schemas.ts';

/**
 * A drift run on request: the drift job's use case behind its own function, so that the
 * monitoring API's bundle (baselines, monitors, the runs' history) carries none of it.
 */
export const driftRunsRoutes = defineRoutes('drift-runs', [
  {
    method: 'POST',
    path: '/v1/deployments/{id}/drift-runs',
    operationId: 'createDriftRun',
    description:
      'Computes drift now over a window of captured data (default: the schedule period that ends now) and answers the report: per feature PSI, Jensen-Shannon distance, Kolmogorov-Smirnov (numeric) or chi-square (categorical), missing and out-of-range shares, and whether it drifted; `driftedShare` is drifted features over features. 409 when the version has no baseline.',
    tag: 'monitoring',
    auth: 'iam',
    role: 'deployer',
    summary: 'Compute drift now over a window',
    params: DeploymentPath,
    body: DriftRunBody,
    bodyOptional: true,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'the drift report', schema: DriftReport } },
    problems: [400, 403, 404, 409, 422],
  },
]);
