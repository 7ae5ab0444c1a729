import { modelsRoutes } from '#api/routes/models';
import { etagOf, httpHandler, ifMatchRevision, json, operationsFor } from '#commons/http';
import { presentCard, presentModel, presentModelSummary } from '#presentation/representations';
import { createModel, listModels, readCard, readModel, replaceCard, updateModel } from '#services/models';

/** The models resource: create, list, read and change model metadata, and the model card. */
export const operations = operationsFor(modelsRoutes, {
  createModel: async (request) => {
    const model = await createModel(request.principal, request.input.body);
    return json(201, presentModel(model, []), {
      etag: etagOf(model.auditSeq),
      location: `/v1/models/${model.name}`,
    });
  },

  listModels: async (request) => {
    const { items, nextCursor } = await listModels(request.input.query);
    return json(200, {
      items: items.map(presentModelSummary),
      ...(nextCursor ? { nextCursor } : {}),
    });
  },

  getModel: async (request) => {
    const { model, aliases } = await readModel(request.input.path.model);
    return json(200, presentModel(model, aliases), { etag: etagOf(model.auditSeq) });
  },

  updateModel: async (request) => {
    const { model, aliases } = await updateModel(
      request.principal,
      request.input.path.model,
      request.input.body,
      ifMatchRevision(request),
    );
    return json(200, presentModel(model, aliases), { etag: etagOf(model.auditSeq) });
  },

  getCard: async (request) => {
    const { model } = request.input.path;
    const card = await readCard(model);
    return json(200, presentCard(model, card), { etag: etagOf(card.revision) });
  },

  putCard: async (request) => {
    const { model } = request.input.path;
    const card = await replaceCard(request.principal, model, request.input.body, ifMatchRevision(request));
    return json(200, presentCard(model, card), { etag: etagOf(card.revision) });
  },
});

export const handler = httpHandler(modelsRoutes, operations);
