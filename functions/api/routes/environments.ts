import * as z from 'zod';
import { EnvironmentPath, EnvironmentPolicy } from '#domain/environment';
import { defineRoutes } from '../route.ts';
import { EnvironmentOut } from '../schemas.ts';

export const environmentsRoutes = defineRoutes('environments', [
  {
    method: 'GET',
    path: '/v1/environments',
    operationId: 'listEnvironments',
    description:
      'Every environment and its policy: approver groups and quorums, whether versions must be reproducible, how long approvals wait, the AWS account it deploys into.',
    auth: 'iam',
    role: 'reader',
    summary: 'Environments and their policies',
    responses: {
      200: {
        description: 'the environments',
        schema: z.object({
          items: z.array(EnvironmentOut).meta({ description: 'Each environment, with its name and policy.' }),
        }),
      },
    },
    problems: [403],
  },
  {
    method: 'PUT',
    path: '/v1/environments/{environment}',
    operationId: 'putEnvironment',
    description:
      "Sets an environment's policy (admins only); the change is audited in the `_system` chain. `If-Match` guards against lost updates.",
    auth: 'iam',
    role: 'admin',
    summary: "Set an environment's policy (admin)",
    params: EnvironmentPath,
    body: EnvironmentPolicy,
    headers: { ifMatch: true },
    responses: { 200: { description: 'the environment', schema: EnvironmentOut } },
    problems: [400, 403, 412],
  },
]);
