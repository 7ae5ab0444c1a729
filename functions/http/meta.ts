import { buildOpenApi } from '#api/openapi';
import { type HttpRequest, httpHandler, json } from '#commons/http';
import { requireReader } from '#commons/identity';

/** Health and the OpenAPI document. */
let document: ReturnType<typeof buildOpenApi> | undefined;

export const operations = {
  getHealth: async () => json(200, { status: 'ok' }),
  getOpenApi: async (request: HttpRequest) => {
    requireReader(request.principal);
    document ??= buildOpenApi();
    return json(200, document, { 'cache-control': 'max-age=300' });
  },
};

export const handler = httpHandler(operations);
