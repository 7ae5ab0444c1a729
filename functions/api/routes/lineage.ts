import * as z from 'zod';
import { CreateEdgeBody, LineageQuery } from '#domain/lineage';
import { defineRoutes } from '../route.ts';
import { Graph, Html } from '../schemas.ts';

export const lineageRoutes = defineRoutes('lineage', [
  {
    method: 'POST',
    path: '/v1/lineage/edges',
    operationId: 'createEdge',
    auth: 'iam',
    role: 'publisher',
    summary: 'Record a lineage edge',
    body: CreateEdgeBody,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'the edge', schema: CreateEdgeBody } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/lineage',
    operationId: 'getLineage',
    auth: 'iam',
    role: 'reader',
    summary:
      'Walk the lineage graph (JSON; Mermaid with Accept: text/vnd.mermaid; a page with the SVG picture with Accept: text/html or format=html)',
    query: LineageQuery,
    responses: {
      200: {
        description: 'the graph',
        content: { 'application/json': Graph, 'text/vnd.mermaid': z.string(), 'text/html': Html },
      },
    },
    problems: [400, 403, 404],
  },
]);
