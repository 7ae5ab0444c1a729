import type { DeploymentItem, ServedItem } from '#adapters/deployments-table';
import { deploymentsRoutes } from '#api/routes/deployments';
import { httpHandler, json, operationsFor } from '#commons/http';
import { failureReason } from '#domain/deployment';
import {
  listModelDeployments,
  readDeployment,
  servedOn,
  startDeployment,
  startOperation,
} from '#services/deployments';

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

/** A served-by record as the API shows it: the stored item without its entity tag. */
export const presentServed = ({ entity: _entity, ...record }: ServedItem) => record;

export const operations = operationsFor(deploymentsRoutes, {
  createDeployment: async (request) => {
    const { model, version } = request.input.path;
    const body = request.input.body;
    const d = await startDeployment({ model, version, body, actor: request.principal.id });
    return json(202, { ...presentDeployment(d), status: 'PENDING' }, { location: `/v1/deployments/${d.id}` });
  },

  getDeployment: async (request) => json(200, presentDeployment(await readDeployment(request.input.path.id))),

  listDeployments: async (request) => {
    const { items, nextCursor } = await listModelDeployments(request.input.path.model, request.input.query);
    return json(200, { items: items.map(presentDeployment), ...(nextCursor ? { nextCursor } : {}) });
  },

  rollbackDeployment: async (request) => {
    const { id } = request.input.path;
    const { reason } = request.input.body;
    const d = await startOperation(id, 'rollback', request.principal.id, reason);
    return json(202, { ...presentDeployment(d), operation: 'rollback' });
  },

  decommissionDeployment: async (request) => {
    const { id } = request.input.path;
    const d = await startOperation(id, 'decommission', request.principal.id);
    return json(202, { ...presentDeployment(d), operation: 'decommission' });
  },

  getServedHistory: async (request) => {
    const { environment } = request.input.path;
    const query = request.input.query;
    const items = (await servedOn(environment, query.target, query.at)).map(presentServed);
    return json(200, { environment, target: query.target, ...(query.at ? { at: query.at } : {}), items });
  },
});

export const handler = httpHandler(deploymentsRoutes, operations);
