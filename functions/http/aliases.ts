import { retryOnConflict } from '#adapters/audit-chain';
import {
  deleteAlias,
  getAlias,
  getModel,
  getModelAndVersion,
  getVersion,
  putAlias,
} from '#adapters/registry-table';
import { aliasesRoutes } from '#api/routes/aliases';
import { ConflictError, NotFoundError } from '#commons/errors';
import { httpHandler, json, operationsFor } from '#commons/http';
import { requireOwner } from '#commons/identity';
import { presentAlias, presentVersion } from '#presentation/representations';

/** Aliases: a stable name (`champion`, `staging`) for one READY version of a model. */
export const operations = operationsFor(aliasesRoutes, {
  setAlias: async (request) => {
    const { model: name, alias } = request.input.path;
    const body = request.input.body;
    const at = new Date().toISOString();
    const actor = request.principal.id;
    const item = {
      entity: 'alias' as const,
      name,
      alias,
      version: body.version,
      createdAt: at,
      createdBy: actor,
    };
    await retryOnConflict(async () => {
      const { model, version } = await getModelAndVersion(name, body.version);
      if (!model) throw new NotFoundError(`model ${name} does not exist`);
      requireOwner(request.principal, model);
      if (!version) throw new NotFoundError(`version ${body.version} of ${name} does not exist`);
      if (version.status !== 'READY')
        throw new ConflictError(
          `version ${body.version} is ${version.status}; an alias points at a READY version`,
        );
      const previous = await getAlias(name, alias);
      await putAlias(model, item, previous?.version, actor);
    });
    return json(200, presentAlias(item));
  },

  getAlias: async (request) => {
    const { model: name, alias } = request.input.path;
    const found = await getAlias(name, alias);
    if (!found) throw new NotFoundError(`alias ${alias} of ${name} does not exist`);
    const version = await getVersion(name, found.version);
    if (!version) throw new NotFoundError(`version ${found.version} of ${name} does not exist`);
    return json(200, { ...presentVersion(version), alias });
  },

  deleteAlias: async (request) => {
    const { model: name, alias } = request.input.path;
    await retryOnConflict(async () => {
      const [model, found] = await Promise.all([getModel(name), getAlias(name, alias)]);
      if (!model) throw new NotFoundError(`model ${name} does not exist`);
      requireOwner(request.principal, model);
      if (!found) throw new NotFoundError(`alias ${alias} of ${name} does not exist`);
      await deleteAlias(model, found, request.principal.id, new Date().toISOString());
    });
    return { statusCode: 204 };
  },
});

export const handler = httpHandler(aliasesRoutes, operations);
