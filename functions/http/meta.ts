import { metaRoutes } from '#api/routes/meta';
import { httpHandler, json, operationsFor } from '#commons/http';

/**
 * Health and the OpenAPI document. The document needs every route entry and the generator, so it
 * is loaded on the first request for it, not at cold start (health checks stay cheap).
 */
let document: Promise<unknown> | undefined;

export const operations = operationsFor(metaRoutes, {
  getHealth: async () => json(200, { status: 'ok' }),
  getOpenApi: async () => {
    document ??= import('#api/openapi')
      .then(({ buildOpenApi }) => buildOpenApi())
      .catch((error: unknown) => {
        document = undefined;
        throw error;
      });
    return json(200, await document, { 'cache-control': 'max-age=300' });
  },
});

export const handler = httpHandler(metaRoutes, operations);
