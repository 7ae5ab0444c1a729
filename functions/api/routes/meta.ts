import * as z from 'zod';
import { defineRoutes } from '../route.ts';
import { AnyObject } from '../schemas.ts';

export const metaRoutes = defineRoutes('meta', [
  {
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    description:
      'Answers 200 while the API runs. Needs no signature, reads nothing, and is the only route without 503.',
    auth: 'none',
    role: 'public',
    summary: 'Liveness',
    responses: {
      200: {
        description: 'ok',
        schema: z.object({ status: z.literal('ok').meta({ description: 'Always ok: the API answers.' }) }),
      },
    },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    description:
      'This OpenAPI 3.1 document, generated from the route entries and the zod schemas the API validates with, so it cannot drift from what the API does.',
    auth: 'iam',
    role: 'reader',
    summary: 'This document',
    responses: { 200: { description: 'the OpenAPI document', schema: AnyObject } },
  },
]);
