import * as z from 'zod';
import {
  DeploymentBody,
  DeploymentPath,
  ListDeploymentsQuery,
  RollbackBody,
  ServedQuery,
} from '#domain/deployment';
import { EnvironmentPath } from '#domain/environment';
import { ModelPath } from '#domain/model';
import { VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';
import { DeploymentOut, listOf, ServedRecord } from '../schemas.ts';

export const deploymentsRoutes = defineRoutes('deployments', [
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/deployments',
    operationId: 'createDeployment',
    description:
      "Deploys a READY version to a target: a SageMaker endpoint (blue/green, with SageMaker's alarm auto-rollback), a SageMaker batch transform, or a Lambda alias (weighted canary or linear shifts, with alarm checks). A SageMaker target and a Lambda container target need `lineage.image`; a Lambda code deployment needs an artifact whose fileName ends in `.zip`. Answers 202 at once; `GET /v1/deployments/{id}` follows it, and a failure ends FAILED with `statusReason`. 409 when the environment needs an APPROVED approval the version lacks, or the target is busy with another deployment.",
    auth: 'iam',
    role: 'deployer',
    summary: 'Deploy a version to a SageMaker endpoint, a batch transform or a Lambda alias',
    params: VersionPath,
    body: DeploymentBody,
    headers: { idempotencyKey: true },
    responses: { 202: { description: 'PENDING', schema: DeploymentOut } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/deployments/{id}',
    operationId: 'getDeployment',
    description:
      'A deployment: its status, `statusReason` when its last operation failed (the step and the cause), every step of its history, and what it made on the target.',
    auth: 'iam',
    role: 'reader',
    summary: 'A deployment with its history',
    params: DeploymentPath,
    responses: { 200: { description: 'the deployment', schema: DeploymentOut } },
    problems: [403, 404],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/deployments',
    operationId: 'listDeployments',
    description: "A model's deployments, newest first, optionally in one environment.",
    auth: 'iam',
    role: 'reader',
    summary: "A model's deployments, newest first",
    params: ModelPath,
    query: ListDeploymentsQuery,
    responses: {
      200: { description: 'a page of deployments', schema: listOf(DeploymentOut, 'DeploymentList') },
    },
    problems: [400, 403, 404],
  },
  {
    method: 'POST',
    path: '/v1/deployments/{id}/rollback',
    operationId: 'rollbackDeployment',
    description:
      'Returns the target to what served before this deployment (its previous version and resources). 409 when the deployment does not serve now or nothing served before it. The reason is required and audited.',
    auth: 'iam',
    role: 'deployer',
    summary: 'Return the target to what served before this deployment',
    params: DeploymentPath,
    body: RollbackBody,
    headers: { idempotencyKey: true },
    responses: { 202: { description: 'rollback started', schema: DeploymentOut } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'DELETE',
    path: '/v1/deployments/{id}',
    operationId: 'decommissionDeployment',
    description: 'Takes the endpoint or alias down. 409 when the deployment does not serve now.',
    auth: 'iam',
    role: 'deployer',
    summary: 'Take the endpoint or alias down',
    params: DeploymentPath,
    responses: { 202: { description: 'decommission started', schema: DeploymentOut } },
    problems: [403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/environments/{environment}/served',
    operationId: 'getServedHistory',
    description:
      "What served on a target and when (`target=<kind>:<name>`), newest first; with `at`, only the record that covers that moment. Answers the auditor's question: which model version made this prediction?",
    auth: 'iam',
    role: 'reader',
    summary: 'What served on a target, and when (at a moment with `at`)',
    params: EnvironmentPath,
    query: ServedQuery,
    responses: {
      200: {
        description: 'served-by records, newest first',
        schema: z.object({
          environment: z.string().meta({ description: 'The environment asked about.' }),
          target: z.string().meta({ description: 'The target asked about, as <kind>:<name>.' }),
          at: z.iso
            .datetime()
            .optional()
            .meta({ description: 'The moment asked about, when `at` was given.' }),
          items: z.array(ServedRecord).meta({
            description: 'Each stretch of time a version served on the target, newest first.',
          }),
        }),
      },
    },
    problems: [400, 403],
  },
]);
