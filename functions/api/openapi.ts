import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import {
  ApprovalPath,
  ApprovalRequestOut,
  DecisionBody,
  DecisionForm,
  LinkPath,
  RequestApprovalBody,
} from '#domain/approval';
import { ListAuditQuery, VerifyQuery } from '#domain/audit-query';
import { ModelCard } from '#domain/card';
import {
  DeploymentBody,
  DeploymentPath,
  ListDeploymentsQuery,
  RollbackBody,
  ServedQuery,
} from '#domain/deployment';
import { EnvironmentPath, EnvironmentPolicy } from '#domain/environment';
import { InventoryQuery } from '#domain/inventory';
import { CreateEdgeBody, LineageQuery, NodeKind } from '#domain/lineage';
import {
  AliasPath,
  CreateModelBody,
  ListModelsQuery,
  Model,
  ModelPath,
  SetAliasBody,
  UpdateModelBody,
} from '#domain/model';
import { BaselineBody, DriftRunBody, DriftRunPath, ListRunsQuery, MonitoringBody } from '#domain/monitoring';
import {
  CommitBody,
  ListVersionsQuery,
  RegisterVersionBody,
  TransitionBody,
  UpdateVersionBody,
  Version,
  VersionPath,
} from '#domain/version';
import { routes } from './routes.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas the handlers
 * validate with, so the two cannot drift apart.
 */
const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

const Alias = z
  .object({
    name: z.string(),
    alias: z.string(),
    version: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .meta({ id: 'Alias' });

const NodeOut = z.object({ kind: NodeKind, id: z.string() }).passthrough();
const Graph = z
  .object({
    nodes: z.array(NodeOut),
    edges: z.array(z.object({ from: NodeOut, to: NodeOut, relation: z.string() })),
  })
  .meta({ id: 'LineageGraph' });

const AuditEventSchema = z
  .object({
    model: z.string(),
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    hash: z.string(),
    prevHash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

const DeploymentOut = z
  .object({
    id: z.string(),
    model: z.string(),
    version: z.number().int(),
    environment: z.string(),
    target: z.record(z.string(), z.unknown()),
    status: z.string(),
    history: z.array(z.record(z.string(), z.unknown())),
    previousVersion: z.number().int().optional(),
  })
  .meta({ id: 'DeploymentRecord' });

const listOf = (item: z.ZodType, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() }).meta({ id });

const jsonBody = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const ok = (status: string, description: string, schema?: z.ZodType) => ({
  [status]: schema ? { description, ...jsonBody(schema) } : { description },
});
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

const operations: Record<string, Omit<ZodOpenApiOperationObject, 'operationId'>> = {
  getHealth: { summary: 'Liveness', responses: ok('200', 'ok', z.object({ status: z.literal('ok') })) },
  getOpenApi: {
    summary: 'This document',
    responses: ok('200', 'the OpenAPI document', z.record(z.string(), z.unknown())),
  },
  createModel: {
    summary: 'Create a model',
    requestParams: { header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(CreateModelBody),
    responses: { ...ok('201', 'created', Model), ...problems(400, 403, 409, 413, 422) },
  },
  listModels: {
    summary: 'List models',
    requestParams: { query: ListModelsQuery },
    responses: { ...ok('200', 'a page of models', listOf(Model, 'ModelList')), ...problems(400, 403) },
  },
  getModel: {
    summary: 'Read a model with its aliases',
    requestParams: { path: ModelPath },
    responses: { ...ok('200', 'the model', Model), ...problems(403, 404) },
  },
  updateModel: {
    summary: 'Change model metadata',
    requestParams: { path: ModelPath, header: z.object({ 'if-match': ifMatch }) },
    requestBody: jsonBody(UpdateModelBody),
    responses: { ...ok('200', 'the model', Model), ...problems(400, 403, 404, 412) },
  },
  registerVersion: {
    summary: 'Register a version and get its upload URL(s)',
    requestParams: { path: ModelPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(RegisterVersionBody),
    responses: {
      ...ok('201', 'PENDING_UPLOAD with upload instructions', Version),
      ...problems(400, 403, 404, 422),
    },
  },
  listVersions: {
    summary: 'List versions, newest first',
    requestParams: { path: ModelPath, query: ListVersionsQuery },
    responses: {
      ...ok('200', 'a page of versions', listOf(Version, 'VersionList')),
      ...problems(400, 403, 404),
    },
  },
  getVersion: {
    summary: 'Read a version',
    requestParams: { path: VersionPath },
    responses: { ...ok('200', 'the version', Version), ...problems(403, 404) },
  },
  updateVersion: {
    summary: 'Change description or tags',
    requestParams: { path: VersionPath, header: z.object({ 'if-match': ifMatch }) },
    requestBody: jsonBody(UpdateVersionBody),
    responses: { ...ok('200', 'the version', Version), ...problems(400, 403, 404, 412) },
  },
  commitVersion: {
    summary: 'Check the uploaded artifact and make the version READY',
    requestParams: { path: VersionPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: { ...jsonBody(CommitBody), required: false },
    responses: { ...ok('200', 'READY', Version), ...problems(403, 404, 409, 422) },
  },
  getArtifactUrl: {
    summary: 'A presigned download URL',
    requestParams: { path: VersionPath },
    responses: {
      ...ok('200', 'presigned GET', z.object({ url: z.string(), expiresAt: z.string() })),
      ...problems(403, 404, 409),
    },
  },
  transitionVersion: {
    summary: 'Deprecate or archive a version',
    requestParams: { path: VersionPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(TransitionBody),
    responses: { ...ok('200', 'the version', Version), ...problems(400, 403, 404, 409) },
  },
  setAlias: {
    summary: 'Point an alias at a READY version',
    requestParams: { path: AliasPath },
    requestBody: jsonBody(SetAliasBody),
    responses: { ...ok('200', 'the alias', Alias), ...problems(400, 403, 404, 409) },
  },
  getAlias: {
    summary: 'The version an alias points at',
    requestParams: { path: AliasPath },
    responses: { ...ok('200', 'the version', Version), ...problems(403, 404) },
  },
  getCard: {
    summary: 'The model card',
    requestParams: { path: ModelPath },
    responses: { ...ok('200', 'the card', ModelCard), ...problems(403, 404) },
  },
  putCard: {
    summary: 'Replace the model card (audited)',
    requestParams: { path: ModelPath, header: z.object({ 'if-match': ifMatch }) },
    requestBody: jsonBody(ModelCard),
    responses: { ...ok('200', 'the card', ModelCard), ...problems(400, 403, 404, 412) },
  },
  getManifest: {
    summary: 'What it takes to rebuild the version, and what is missing',
    requestParams: { path: VersionPath },
    responses: {
      ...ok(
        '200',
        'the manifest',
        z
          .object({
            reproducible: z.boolean(),
            missing: z.array(z.object({ path: z.string(), message: z.string() })),
          })
          .passthrough()
          .meta({ id: 'Manifest' }),
      ),
      ...problems(403, 404),
    },
  },
  createEdge: {
    summary: 'Record a lineage edge',
    requestParams: { header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(CreateEdgeBody),
    responses: { ...ok('201', 'the edge', CreateEdgeBody), ...problems(400, 403, 404, 409) },
  },
  getLineage: {
    summary:
      'Walk the lineage graph (JSON; Mermaid with Accept: text/vnd.mermaid; a page with the SVG picture with Accept: text/html or format=html)',
    requestParams: { query: LineageQuery },
    responses: {
      '200': {
        description: 'the graph',
        content: {
          'application/json': { schema: Graph },
          'text/vnd.mermaid': { schema: z.string() },
          'text/html': { schema: z.string() },
        },
      },
      ...problems(400, 403, 404),
    },
  },
  listAudit: {
    summary: 'Audit events by model, actor and time',
    requestParams: { query: ListAuditQuery },
    responses: {
      ...ok('200', 'a page of events', listOf(AuditEventSchema, 'AuditEventList')),
      ...problems(400, 403),
    },
  },
  verifyAudit: {
    summary: "Recompute a model's audit hash chain",
    requestParams: { query: VerifyQuery },
    responses: {
      ...ok(
        '200',
        'the outcome',
        z.object({
          model: z.string(),
          valid: z.boolean(),
          events: z.number().int(),
          brokenAt: z.number().int().optional(),
        }),
      ),
      ...problems(400, 403),
    },
  },
  listEnvironments: {
    summary: 'Environments and their policies',
    responses: {
      ...ok('200', 'the environments', z.object({ items: z.array(EnvironmentPolicy) })),
      ...problems(403),
    },
  },
  putEnvironment: {
    summary: "Set an environment's policy (admin)",
    requestParams: { path: EnvironmentPath, header: z.object({ 'if-match': ifMatch }) },
    requestBody: jsonBody(EnvironmentPolicy),
    responses: { ...ok('200', 'the environment', EnvironmentPolicy), ...problems(400, 403, 412) },
  },
  getInventory: {
    summary: 'One row per model (JSON or CSV)',
    requestParams: { query: InventoryQuery },
    responses: {
      '200': {
        description: 'the inventory',
        content: {
          'application/json': { schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) },
          'text/csv': { schema: z.string() },
        },
      },
      ...problems(400, 403),
    },
  },
  requestApproval: {
    summary: 'Ask for a version to be approved for an environment',
    requestParams: { path: VersionPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(RequestApprovalBody),
    responses: {
      ...ok('202', 'PENDING; approvers are emailed', ApprovalRequestOut),
      ...problems(400, 403, 404, 409),
    },
  },
  getApproval: {
    summary: 'An approval request with its decisions',
    requestParams: { path: ApprovalPath },
    responses: { ...ok('200', 'the request', ApprovalRequestOut), ...problems(403, 404) },
  },
  decideApproval: {
    summary: 'Approve or reject (an approver of the request, not its registrant)',
    requestParams: { path: ApprovalPath },
    requestBody: jsonBody(DecisionBody),
    responses: { ...ok('200', 'the request', ApprovalRequestOut), ...problems(400, 403, 404, 409, 410) },
  },
  viewApprovalLink: {
    summary: "An approver's page (changes nothing)",
    requestParams: { path: LinkPath },
    responses: {
      '200': { description: 'the decision page', content: { 'text/html': { schema: z.string() } } },
      '404': { description: 'unknown or used link', content: { 'text/html': { schema: z.string() } } },
      '409': { description: 'decided already', content: { 'text/html': { schema: z.string() } } },
      '410': { description: 'expired', content: { 'text/html': { schema: z.string() } } },
    },
  },
  headApprovalLink: {
    summary: "An approver's page, headers only (what mail scanners probe; changes nothing)",
    requestParams: { path: LinkPath },
    responses: {
      '200': { description: 'the page would be shown' },
      '404': { description: 'unknown or used link' },
      '409': { description: 'decided already' },
      '410': { description: 'expired' },
    },
  },
  decideByLink: {
    summary: 'The decision posted from the page (form with the CSRF token)',
    requestParams: { path: LinkPath },
    requestBody: { content: { 'application/x-www-form-urlencoded': { schema: DecisionForm } } },
    responses: {
      '200': { description: 'the result page', content: { 'text/html': { schema: z.string() } } },
      '403': {
        description: 'bad form, registrant, non-member or second decision',
        content: { 'text/html': { schema: z.string() } },
      },
      '404': { description: 'unknown or used link', content: { 'text/html': { schema: z.string() } } },
      '409': { description: 'decided already', content: { 'text/html': { schema: z.string() } } },
      '410': { description: 'expired', content: { 'text/html': { schema: z.string() } } },
    },
  },
  createDeployment: {
    summary: 'Deploy a version to a SageMaker endpoint, a batch transform or a Lambda alias',
    requestParams: { path: VersionPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(DeploymentBody),
    responses: { ...ok('202', 'PENDING', DeploymentOut), ...problems(400, 403, 404, 409) },
  },
  getDeployment: {
    summary: 'A deployment with its history',
    requestParams: { path: DeploymentPath },
    responses: { ...ok('200', 'the deployment', DeploymentOut), ...problems(403, 404) },
  },
  listDeployments: {
    summary: "A model's deployments, newest first",
    requestParams: { path: ModelPath, query: ListDeploymentsQuery },
    responses: {
      ...ok('200', 'a page of deployments', listOf(DeploymentOut, 'DeploymentList')),
      ...problems(400, 403, 404),
    },
  },
  rollbackDeployment: {
    summary: 'Return the target to what served before this deployment',
    requestParams: { path: DeploymentPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: jsonBody(RollbackBody),
    responses: { ...ok('202', 'rollback started', DeploymentOut), ...problems(400, 403, 404, 409) },
  },
  decommissionDeployment: {
    summary: 'Take the endpoint or alias down',
    requestParams: { path: DeploymentPath },
    responses: { ...ok('202', 'decommission started', DeploymentOut), ...problems(403, 404, 409) },
  },
  getServedHistory: {
    summary: 'What served on a target, and when (at a moment with `at`)',
    requestParams: { path: EnvironmentPath, query: ServedQuery },
    responses: {
      ...ok(
        '200',
        'served-by records, newest first',
        z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      ),
      ...problems(400, 403),
    },
  },
  putBaseline: {
    summary: "Profile a reference dataset as the version's baseline",
    requestParams: { path: VersionPath },
    requestBody: jsonBody(BaselineBody),
    responses: {
      ...ok('200', 'the profile', z.record(z.string(), z.unknown())),
      ...problems(400, 403, 404, 409, 422),
    },
  },
  putMonitoring: {
    summary: 'Monitor a deployment for drift (and create its alarm)',
    requestParams: { path: DeploymentPath },
    requestBody: jsonBody(MonitoringBody),
    responses: {
      ...ok('200', 'the monitor', z.record(z.string(), z.unknown())),
      ...problems(400, 403, 404, 409),
    },
  },
  getMonitoring: {
    summary: "A deployment's monitor",
    requestParams: { path: DeploymentPath },
    responses: { ...ok('200', 'the monitor', z.record(z.string(), z.unknown())), ...problems(403, 404) },
  },
  deleteMonitoring: {
    summary: 'Stop monitoring (and remove the alarm)',
    requestParams: { path: DeploymentPath },
    responses: { '204': { description: 'removed' }, ...problems(403, 404) },
  },
  createDriftRun: {
    summary: 'Compute drift now over a window',
    requestParams: { path: DeploymentPath, header: z.object({ 'idempotency-key': idempotencyKey }) },
    requestBody: { ...jsonBody(DriftRunBody), required: false },
    responses: {
      ...ok('201', 'the drift report', z.record(z.string(), z.unknown())),
      ...problems(400, 403, 404, 409, 422),
    },
  },
  listDriftRuns: {
    summary: 'Drift runs, newest first',
    requestParams: { path: DeploymentPath, query: ListRunsQuery },
    responses: {
      ...ok(
        '200',
        "a page of runs, each with every feature's PSI and JS distance",
        z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      ),
      ...problems(400, 403),
    },
  },
  getDriftReport: {
    summary: "A presigned URL to a drift run's report page (`latest` for the newest run)",
    requestParams: { path: DriftRunPath },
    responses: {
      ...ok(
        '200',
        'where the self-contained HTML report can be fetched, until expiresAt',
        z.object({ url: z.string(), expiresAt: z.string(), runId: z.string() }),
      ),
      ...problems(400, 403, 404),
    },
  },
  deleteAlias: {
    summary: 'Remove an alias',
    requestParams: { path: AliasPath },
    responses: { '204': { description: 'removed' }, ...problems(403, 404) },
  },
};

export const buildOpenApi = () => {
  const paths: ZodOpenApiPathsObject = {};
  // MLflow's protocol is MLflow's to document.
  for (const route of routes.filter((r) => r.protocol !== 'mlflow')) {
    const spec = operations[route.operationId];
    if (!spec) throw new Error(`no OpenAPI description for ${route.operationId}`);
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
