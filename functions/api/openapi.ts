import * as z from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import type { Route } from './route.ts';
import { routes } from './routes.ts';
import { Problem } from './schemas.ts';

/**
 * The OpenAPI 3.1 document, generated from the route entries: the same zod schemas the middleware
 * validates with, the role each entry declares, the statuses it may answer and its prose.
 */
const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: `problem (${s})`, content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );

const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .meta({ description: 'replays the first response' });
const ifMatch = z.string().optional().meta({ description: 'an ETag from a previous read' });

const roleText = (route: Route): string | undefined => {
  const { role } = route;
  if (role === 'public') return undefined;
  if (role === 'authenticated') return 'Any IAM-authenticated caller.';
  if (role === 'reader') return 'Needs any role in Steward.';
  if (role === 'owner') return "Needs the model's owning team (publishers in `owners`) or an admin.";
  if (typeof role === 'string') return `Needs the ${role} role.`;
  return `Needs the ${role.join(' or ')} role.`;
};

const operationOf = (route: Route): ZodOpenApiOperationObject => {
  const headers = {
    ...(route.headers?.idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    ...(route.headers?.ifMatch ? { 'if-match': ifMatch } : {}),
  };
  const requestParams = {
    ...(route.params ? { path: route.params } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(Object.keys(headers).length ? { header: z.object(headers) } : {}),
  };
  const body = route.form
    ? { content: { 'application/x-www-form-urlencoded': { schema: route.form } } }
    : route.body
      ? {
          content: { 'application/json': { schema: route.body } },
          ...(route.bodyOptional ? { required: false } : {}),
        }
      : undefined;
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const content = spec.content
      ? Object.fromEntries(Object.entries(spec.content).map(([type, schema]) => [type, { schema }]))
      : spec.schema
        ? { 'application/json': { schema: spec.schema } }
        : undefined;
    responses[status] = { description: spec.description, ...(content ? { content } : {}) };
  }
  const role = roleText(route);
  const description = [route.description, role].filter(Boolean).join('\n\n');
  return {
    operationId: route.operationId,
    ...(route.summary ? { summary: route.summary } : {}),
    ...(description ? { description } : {}),
    'x-steward-role': route.role,
    ...(Object.keys(requestParams).length ? { requestParams } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { ...responses, ...problems(...(route.problems ?? [])) },
  };
};

export const buildOpenApi = () => {
  const paths: ZodOpenApiPathsObject = {};
  // MLflow's protocol is MLflow's to document.
  for (const route of routes.filter((r) => r.protocol !== 'mlflow')) {
    const spec = operationOf(route);
    const tag = route.fn;
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = {
      operationId: route.operationId,
      tags: [tag],
      ...(route.auth === 'iam' ? { security: [{ sigv4: [] }] } : { security: [] }),
      ...spec,
      responses: {
        ...spec.responses,
        // A body, on any method, is read before the operation: malformed (400), over 1 MiB (413),
        // not JSON (415); a path parameter that is not a valid name or id is a 400 too.
        ...problems(400, 413, 415),
        ...problems(429),
        ...(route.auth === 'iam' ? problems(401) : {}),
        ...(route.operationId === 'getHealth' ? {} : problems(503)),
      },
    };
  }
  return withParameterProse(
    createDocument({
      openapi: '3.1.0',
      info: {
        title: 'Steward',
        version: '1.0.0',
        description: 'Model registry, lineage, audit trail, approvals, deployments and drift for AWS.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'this deployment' }],
      tags: [...new Set(routes.filter((r) => r.protocol !== 'mlflow').map((r) => r.fn))].map((name) => ({
        name,
        description: `${name} operations`,
      })),
      security: [{ sigv4: [] }],
      components: {
        securitySchemes: {
          sigv4: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            description: 'AWS Signature Version 4 (IAM)',
          },
        },
      },
      paths,
    }),
  );
};

/**
 * zod-openapi puts an optional parameter's description on its schema only; Redoc and most
 * generators read the parameter's own `description`. Lift it, so the prose is written once.
 */
const withParameterProse = <D extends { paths?: unknown }>(doc: D): D => {
  type Param = { description?: string; schema?: { description?: string } };
  for (const item of Object.values(
    (doc.paths ?? {}) as Record<string, Record<string, { parameters?: Param[] }>>,
  ))
    for (const op of Object.values(item))
      for (const p of op.parameters ?? [])
        if (!p.description && p.schema?.description) p.description = p.schema.description;
  return doc;
};
