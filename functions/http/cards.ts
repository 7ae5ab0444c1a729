import { retryOnConflict } from '#adapters/audit-chain';
import { getCard, getModel, putCard } from '#adapters/registry-table';
import type { modelsRoutes } from '#api/routes/models';
import { NotFoundError, PreconditionFailedError } from '#commons/errors';
import { etagOf, ifMatchRevision, json, type OperationsOf } from '#commons/http';
import { requireOwner } from '#commons/identity';
import { teamOf } from '#domain/model';

/** The model card, served by the models function. Every change is an audited replacement. */
const present = (
  name: string,
  card: Record<string, unknown>,
  revision: number,
  updatedAt?: string,
  updatedBy?: string,
) => ({
  model: name,
  ...card,
  revision,
  ...(updatedAt ? { updatedAt, updatedBy } : {}),
});

export const cardOperations: Pick<OperationsOf<typeof modelsRoutes>, 'getCard' | 'putCard'> = {
  getCard: async (request) => {
    const { model: name } = request.input.path;
    const [model, card] = await Promise.all([getModel(name), getCard(name)]);
    if (!model) throw new NotFoundError(`model ${name} does not exist`);
    // A model without a card yet answers an empty one that carries what the model knows.
    const body = card?.card ?? {
      ...(model.purpose ? { purpose: model.purpose } : {}),
      ...(model.riskTier ? { riskTier: model.riskTier } : {}),
      owners: teamOf(model),
    };
    const revision = card?.revision ?? 0;
    return json(200, present(name, body, revision, card?.updatedAt, card?.updatedBy), {
      etag: etagOf(revision),
    });
  },

  putCard: async (request) => {
    const { model: name } = request.input.path;
    const card = request.input.body;
    const expected = ifMatchRevision(request);
    const at = new Date().toISOString();
    const revision = await retryOnConflict(async () => {
      const [model, previous] = await Promise.all([getModel(name), getCard(name)]);
      if (!model) throw new NotFoundError(`model ${name} does not exist`);
      requireOwner(request.principal, model);
      const current = previous?.revision ?? 0;
      if (expected !== undefined && expected !== current)
        throw new PreconditionFailedError('the card changed since it was read (If-Match)');
      await putCard(model, card, previous, request.principal.id, at);
      return current + 1;
    });
    return json(200, present(name, card, revision, at, request.principal.id), { etag: etagOf(revision) });
  },
};
