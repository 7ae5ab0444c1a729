import {
  type DeploymentItem,
  getDeployment,
  listDeployments,
  servedHistory,
} from '#adapters/deployments-table';
import { getModel } from '#adapters/registry-table';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { NotFoundError } from '#commons/errors';
import { type HttpRequest, httpHandler, input, json } from '#commons/http';
import { requireReader, requireRole } from '#commons/identity';
import {
  DeploymentBody,
  DeploymentPath,
  failureReason,
  ListDeploymentsQuery,
  RollbackBody,
  ServedQuery,
} from '#domain/deployment';
import { EnvironmentPath } from '#domain/environment';
import { ModelPath } from '#domain/model';
import { VersionPath } from '#domain/version';
import { startDeployment, startOperation } from '#services/deployments';

/** Deployments: start one, read them, roll one back, take one down, and what served where when. */
export const presentDeployment = (d: DeploymentItem) => ({
  id: d.id,
  model: d.model,
  version: d.version,
  environment: d.environment,
  target: d.target,
  strategy: d.strategy,
  alarms: d.alarms,
  status: d.status,
  ...(failureReason(d.history) ? { statusReason: failureReason(d.history) } : {}),
  operation: d.operation,
  ...(d.reason ? { reason: d.reason } : {}),
  history: d.history,
  ...(d.previous ? { previousVersion: d.previous.version } : {}),
  ...(d.approvalId ? { approvalId: d.approvalId } : {}),
  resources: d.resources,
  createdAt: d.createdAt,
  createdBy: d.createdBy,
  updatedAt: d.updatedAt,
});

export const operations = {
  createDeployment: async (request: HttpRequest) => {
    requireRole(request.principal, 'deployer');
    const { model, version } = input(VersionPath, request.pathParameters, 'path');
    const body = input(DeploymentBody, request.body, 'body');
    const d = await startDeployment({ model, version, body, actor: request.principal.id });
    return json(202, { ...presentDeployment(d), status: 'PENDING' }, { location: `/v1/deployments/${d.id}` });
  },

  getDeployment: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { id } = input(DeploymentPath, request.pathParameters, 'path');
    const d = await getDeployment(id);
    if (!d) throw new NotFoundError(`deployment ${id} does not exist`);
    return json(200, presentDeployment(d));
  },

  listDeployments: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model } = input(ModelPath, request.pathParameters, 'path');
    const query = input(ListDeploymentsQuery, request.query, 'query');
    const scope = `deployments|${model}|${query.environment ?? ''}`;
    const page = await listDeployments(model, {
      ...(query.environment ? { environment: query.environment } : {}),
      limit: query.limit,
      startKey: await decodeCursor(query.cursor, scope),
    });
    if (page.items.length === 0 && !query.cursor && !(await getModel(model)))
      throw new NotFoundError(`model ${model} does not exist`);
    const nextCursor = await encodeCursor(page.lastKey, scope);
    return json(200, { items: page.items.map(presentDeployment), ...(nextCursor ? { nextCursor } : {}) });
  },

  rollbackDeployment: async (request: HttpRequest) => {
    requireRole(request.principal, 'deployer');
    const { id } = input(DeploymentPath, request.pathParameters, 'path');
    const { reason } = input(RollbackBody, request.body, 'body');
    const d = await startOperation(id, 'rollback', request.principal.id, reason);
    return json(202, { ...presentDeployment(d), operation: 'rollback' });
  },

  decommissionDeployment: async (request: HttpRequest) => {
    requireRole(request.principal, 'deployer');
    const { id } = input(DeploymentPath, request.pathParameters, 'path');
    const d = await startOperation(id, 'decommission', request.principal.id);
    return json(202, { ...presentDeployment(d), operation: 'decommission' });
  },

  getServedHistory: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { environment } = input(EnvironmentPath, request.pathParameters, 'path');
    const query = input(ServedQuery, request.query, 'query');
    const items = await servedHistory(environment, query.target, query.at);
    return json(200, { environment, target: query.target, ...(query.at ? { at: query.at } : {}), items });
  },
};

export const handler = httpHandler(operations);
