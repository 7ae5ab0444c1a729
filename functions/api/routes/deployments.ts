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
import { AnyObject, DeploymentOut, listOf } from '../schemas.ts';

export const deploymentsRoutes = defineRoutes('deployments', [
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/deployments',
    operationId: 'createDeployment',
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
    auth: 'iam',
    role: 'reader',
    summary: 'What served on a target, and when (at a moment with `at`)',
    params: EnvironmentPath,
    query: ServedQuery,
    responses: {
      200: {
        description: 'served-by records, newest first',
        schema: z.object({ items: z.array(AnyObject) }),
      },
    },
    problems: [400, 403],
  },
]);
