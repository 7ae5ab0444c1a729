import { aliasesRoutes } from '#api/routes/aliases';
import { httpHandler, json, operationsFor } from '#commons/http';
import { presentAlias, presentVersion } from '#presentation/representations';
import { removeAlias, resolveAlias, setAlias } from '#services/models';

/** Aliases: a stable name (`champion`, `staging`) for one READY version of a model. */
export const operations = operationsFor(aliasesRoutes, {
  setAlias: async (request) => {
    const { model, alias } = request.input.path;
    return json(
      200,
      presentAlias(await setAlias(request.principal, model, alias, request.input.body.version)),
    );
  },

  getAlias: async (request) => {
    const { model, alias } = request.input.path;
    return json(200, { ...presentVersion(await resolveAlias(model, alias)), alias });
  },

  deleteAlias: async (request) => {
    const { model, alias } = request.input.path;
    await removeAlias(request.principal, model, alias);
    return { statusCode: 204 };
  },
});

export const handler = httpHandler(aliasesRoutes, operations);
