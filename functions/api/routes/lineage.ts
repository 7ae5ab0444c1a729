import * as z from 'zod';
import { CreateEdgeBody, LineageQuery } from '#domain/lineage';
import { defineRoutes } from '../route.ts';
import { EdgeOut, Graph, Html } from '../schemas.ts';

export const lineageRoutes = defineRoutes('lineage', [
  {
    method: 'POST',
    path: '/v1/lineage/edges',
    operationId: 'createEdge',
    description:
      "Records a lineage edge by hand: `from` and `to` are nodes `{kind, id}`, `relation` says what the edge means. Node kinds: dataset (id: its URI), feature-set, code (`<repository>@<commit>`), image (its digest), training-run, model-version (id `<model>:<version>`), deployment (its id), endpoint. Registration and deployments add their own edges. An edge that touches a model version needs that model's owning team; 404 when that model version does not exist.",
    auth: 'iam',
    role: 'publisher',
    summary: 'Record a lineage edge',
    body: CreateEdgeBody,
    headers: { idempotencyKey: true },
    responses: { 201: { description: 'the edge', schema: EdgeOut } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/lineage',
    operationId: 'getLineage',
    description:
      'Walks the lineage graph from one node, `node=<kind>:<id>`, e.g. `model-version:churn-scorer:3` or `dataset:s3://bucket/key`: `upstream` is what it came from, `downstream` what came from it. JSON by default; a Mermaid flowchart with `Accept: text/vnd.mermaid` or `format=mermaid`; an HTML page with the picture with `Accept: text/html` or `format=html`. 404 when the node is unknown.',
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
