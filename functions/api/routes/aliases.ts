import { AliasPath, SetAliasBody } from '#domain/model';
import { Version } from '#domain/version';
import { defineRoutes } from '../route.ts';
import { Alias } from '../schemas.ts';

/** Aliases: a stable name (`champion`, `staging`) for one READY version of a model. */
export const aliasesRoutes = defineRoutes('aliases', [
  {
    method: 'PUT',
    path: '/v1/models/{model}/aliases/{alias}',
    operationId: 'setAlias',
    auth: 'iam',
    role: 'owner',
    summary: 'Point an alias at a READY version',
    params: AliasPath,
    body: SetAliasBody,
    responses: { 200: { description: 'the alias', schema: Alias } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/models/{model}/aliases/{alias}',
    operationId: 'getAlias',
    auth: 'iam',
    role: 'reader',
    summary: 'The version an alias points at',
    params: AliasPath,
    responses: { 200: { description: 'the version', schema: Version } },
    problems: [403, 404],
  },
  {
    method: 'DELETE',
    path: '/v1/models/{model}/aliases/{alias}',
    operationId: 'deleteAlias',
    auth: 'iam',
    role: 'owner',
    summary: 'Remove an alias',
    params: AliasPath,
    responses: { 204: { description: 'removed' } },
    problems: [403, 404],
  },
]);
