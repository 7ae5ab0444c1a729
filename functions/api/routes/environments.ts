import * as z from 'zod';
import { EnvironmentPath, EnvironmentPolicy } from '#domain/environment';
import { defineRoutes } from '../route.ts';

export const environmentsRoutes = defineRoutes('environments', [
  {
    method: 'GET',
    path: '/v1/environments',
    operationId: 'listEnvironments',
    auth: 'iam',
    role: 'reader',
    summary: 'Environments and their policies',
    responses: {
      200: { description: 'the environments', schema: z.object({ items: z.array(EnvironmentPolicy) }) },
    },
    problems: [403],
  },
  {
    method: 'PUT',
    path: '/v1/environments/{environment}',
    operationId: 'putEnvironment',
    auth: 'iam',
    role: 'admin',
    summary: "Set an environment's policy (admin)",
    params: EnvironmentPath,
    body: EnvironmentPolicy,
    headers: { ifMatch: true },
    responses: { 200: { description: 'the environment', schema: EnvironmentPolicy } },
    problems: [400, 403, 412],
  },
]);
