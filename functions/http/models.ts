import { retryOnConflict } from '#adapters/audit-chain';
import {
  createModel,
  getModel,
  getModelWithAliases,
  listModels,
  updateModel,
} from '#adapters/registry-table';
import { modelsRoutes } from '#api/routes/models';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { NotFoundError, PreconditionFailedError } from '#commons/errors';
import { etagOf, httpHandler, ifMatchRevision, json, type OperationsOf, operationsFor } from '#commons/http';
import { requireOwner } from '#commons/identity';
import { defaultOwners, teamOf, withOwnerReplaced } from '#domain/model';
import { presentModel } from '#presentation/representations';
import { cardOperations } from './cards.ts';

/** The models resource: create, list, read and change model metadata. */
const modelOperations: Omit<OperationsOf<typeof modelsRoutes>, 'getCard' | 'putCard'> = {
  createModel: async (request) => {
    const body = request.input.body;
    const at = new Date().toISOString();
    const actor = request.principal.id;
    const item = {
      entity: 'model' as const,
      name: body.name,
      ...(body.description === undefined ? {} : { description: body.description }),
      owner: body.owner ?? actor,
      owners: body.owners ?? defaultOwners(body.owner, actor),
      tags: body.tags ?? {},
      ...(body.riskTier ? { riskTier: body.riskTier } : {}),
      ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
      latestVersion: 0,
      // Per environment, what serves there now; kept by the deployment workflow for the inventory.
      deployed: {},
      createdAt: at,
      createdBy: actor,
      updatedAt: at,
      updatedBy: actor,
    };
    await createModel(item, actor);
    return json(201, presentModel({ ...item, auditSeq: 1, auditHead: '' }, []), {
      etag: etagOf(1),
      location: `/v1/models/${body.name}`,
    });
  },

  listModels: async (request) => {
    const query = request.input.query;
    const scope = `models|${query.prefix ?? ''}|${query.tag ? `${query.tag.key}=${query.tag.value}` : ''}`;
    const page = await listModels({
      ...(query.prefix ? { prefix: query.prefix } : {}),
      ...(query.tag ? { tag: query.tag } : {}),
      limit: query.limit,
      startKey: await decodeCursor(query.cursor, scope),
    });
    const nextCursor = await encodeCursor(page.lastKey, scope);
    return json(200, {
      items: page.items.map((m) => presentModel(m)),
      ...(nextCursor ? { nextCursor } : {}),
    });
  },

  getModel: async (request) => {
    const { model } = request.input.path;
    const found = await getModelWithAliases(model);
    if (!found) throw new NotFoundError(`model ${model} does not exist`);
    return json(200, presentModel(found.model, found.aliases), { etag: etagOf(found.model.auditSeq) });
  },

  updateModel: async (request) => {
    const { model: name } = request.input.path;
    const body = request.input.body;
    const expected = ifMatchRevision(request);
    const updated = await retryOnConflict(async () => {
      const model = await getModel(name);
      if (!model) throw new NotFoundError(`model ${name} does not exist`);
      requireOwner(request.principal, model);
      // The model's ETag is its audit sequence: every change to it, or under it, moves it.
      if (expected !== undefined && expected !== model.auditSeq)
        throw new PreconditionFailedError('the model changed since it was read (If-Match)');
      const set: Record<string, unknown> = Object.fromEntries(
        Object.entries(body).filter(([, v]) => v !== undefined),
      );
      if (Object.keys(set).length === 0) return model;
      // A new owner takes the old owner's place in the team; a model from before teams gets its
      // team written on its first change (its owner, as it was).
      if (set.owners === undefined && body.owner !== undefined && body.owner !== model.owner)
        set.owners = withOwnerReplaced(teamOf(model), model.owner, body.owner);
      else if (!model.owners?.length && set.owners === undefined) set.owners = teamOf(model);
      const at = new Date().toISOString();
      const event = await updateModel(model, set, request.principal.id, at);
      return { ...model, ...set, updatedAt: at, updatedBy: request.principal.id, auditSeq: event.seq };
    });
    const found = await getModelWithAliases(name);
    return json(200, presentModel(updated, found?.aliases ?? []), { etag: etagOf(updated.auditSeq) });
  },
};

export const operations = operationsFor(modelsRoutes, { ...modelOperations, ...cardOperations });

export const handler = httpHandler(modelsRoutes, operations);
