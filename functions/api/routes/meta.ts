import * as z from 'zod';
import { defineRoutes } from '../route.ts';
import { AnyObject } from '../schemas.ts';

export const metaRoutes = defineRoutes('meta', [
  {
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    auth: 'none',
    role: 'public',
    summary: 'Liveness',
    responses: { 200: { description: 'ok', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    auth: 'iam',
    role: 'reader',
    summary: 'This document',
    responses: { 200: { description: 'the OpenAPI document', schema: AnyObject } },
  },
]);
