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

const idempotencyKey = z.string().min(1).max(255).optional().meta({
  description:
    'Any unique string (e.g. a UUID) per intended change: the same key with the same body replays the first answer instead of acting twice; the same key with another body gets a 422.',
});
const ifMatch = z.string().optional().meta({
  description: 'The ETag of your last read: the change is made only if nothing changed since (else 412).',
});

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

const TAGS: Record<string, string> = {
  meta: 'Health and this document.',
  models:
    'Models: the named things that have versions, aliases, a card and an owning team (`owners`, who may act on the model; `mayAct` says it in words).',
  versions:
    'Versions of a model: register (with lineage), upload the bytes to S3 through presigned URLs, commit, download, deprecate and archive. Lifecycle: PENDING_UPLOAD -> READY | FAILED; READY -> DEPRECATED -> ARCHIVED.',
  aliases: 'Movable names (champion, staging ...) that point at one READY version each.',
  lineage:
    'The lineage graph: nodes `<kind>:<id>` (dataset, feature-set, code, image, training-run, model-version `<model>:<version>`, deployment, endpoint) and labelled edges pointing the way things flow.',
  audit:
    'The audit trail: one hash-chained event per change, per model, written in the same transaction as the change; and its verification.',
  environments:
    'Environments (dev, staging, prod ...) and their policies: who approves, whether versions must be reproducible, which account they deploy into.',
  inventory: 'The model inventory a model-risk function keeps: one row per model, JSON or CSV.',
  approvals:
    'Approval requests: a version for an environment, approver groups with quorums, decisions by the API or by emailed links.',
  deployments:
    'Deployments to SageMaker endpoints, SageMaker batch transforms and Lambda aliases, with canary and linear strategies, alarm rollback, manual rollback and decommission; and what served where, when.',
  monitoring:
    "Drift monitoring: a version's baseline profile, a deployment's monitor and its drift runs (PSI, Jensen-Shannon, KS, chi-square), with a CloudWatch alarm on the drifted share.",
  'approval-links':
    'The pages behind the links approvers get by email: public (the secret in the link is the credential), no SigV4; a GET never decides.',
};

const INFO = [
  'Model registry, lineage, audit trail, approvals, deployments and drift for AWS.',
  '',
  '**Calling it.** JSON in and out, camelCase fields, ISO 8601 UTC times. Errors are RFC 9457 `application/problem+json` with every invalid field in `errors`: 400 invalid input, 401 unsigned (AWS), 403 a role or team the caller lacks, 404 not found, 409 a state conflict, 410 gone (expired), 412 an `If-Match` that no longer holds, 413 a body over 1 MiB, 415 a body that is not JSON, 422 a well-formed request the state refuses, 429 throttled, 503 a transient storage fault (with `Retry-After`: try again). Lists take `limit` (1-100) and an opaque `cursor`, and answer `{items, nextCursor?}`. Mutating POSTs take an `Idempotency-Key`; single resources carry an `ETag`.',
  '',
  '**Who you are.** On AWS every route but health and the approval links is IAM-authorized: sign requests with SigV4 for service `execute-api` (see the `sigv4` scheme). Steward maps the caller (its IAM ARN or role session name) to roles: publisher, approver, deployer, auditor (read-only), admin. In local mode (`npm start`) there is no signature: the `X-Steward-Principal` header names the caller (default `local-user`; every name is a publisher, approver and deployer, `admin` is an admin, `auditor` only reads). Every other mode ignores that header.',
  '',
  '**Ownership.** A model has an `owner` (who answers for it) and `owners`, its team: principals or `*` patterns whose publishers may change the model and register its versions; `mayAct` on the model says who may act, in words.',
  '',
  '**Lineage.** Nodes are written `<kind>:<id>`: `model-version:<model>:<version>` (e.g. `model-version:churn-scorer:3`), `dataset:<uri>`, `code:<repository>@<commit>`, `image:<digest>`, `training-run:<id>`, `deployment:<id>`, `endpoint:<name>`, `feature-set:<id>`. A model with `riskTier: high` must give lineage (datasets, code, image) at every registration.',
].join('\n');

export const buildOpenApi = () => {
  const paths: ZodOpenApiPathsObject = {};
  // MLflow's protocol is MLflow's to document.
  for (const route of routes.filter((r) => r.protocol !== 'mlflow')) {
    const spec = operationOf(route);
    const tag = route.tag ?? route.fn;
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
        description: INFO,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'this deployment' }],
      tags: [...new Set(routes.filter((r) => r.protocol !== 'mlflow').map((r) => r.tag ?? r.fn))].map(
        (name) => ({
          name,
          description: TAGS[name] ?? name,
        }),
      ),
      security: [{ sigv4: [] }],
      components: {
        securitySchemes: {
          sigv4: {
            // Not an API key: an AWS Signature Version 4, which OpenAPI has no scheme type for; the
            // extension is the one API Gateway's own OpenAPI exports mark it with.
            type: 'http',
            scheme: 'AWS4-HMAC-SHA256',
            'x-amazon-apigateway-authtype': 'awsSigv4',
            description:
              'AWS Signature Version 4 (IAM), as API Gateway checks it: sign each request for service `execute-api` in the API\'s region with the caller\'s AWS credentials (the `Authorization: AWS4-HMAC-SHA256 Credential=...` header, `X-Amz-Date`, and `X-Amz-Security-Token` for temporary credentials). The caller needs `execute-api:Invoke` on the API. The AWS SDKs, `aws-sigv4` in curl (`curl --aws-sigv4 "aws:amz:<region>:execute-api"`) and the `steward` CLI sign for you. Local mode checks no signature; it reads `X-Steward-Principal` instead.',
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
