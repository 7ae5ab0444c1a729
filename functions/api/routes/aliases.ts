import * as z from 'zod';
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
    description:
      'Points the alias at a READY version (creating the alias or moving it). Aliases are 1-64 of a-z 0-9 _ - and never an integer, so they never read as a version number. 409 unless the version is READY.',
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
    description:
      'The version the alias points at, as `GET .../versions/{version}` shows it, with `alias`, the alias asked for.',
    auth: 'iam',
    role: 'reader',
    summary: 'The version an alias points at',
    params: AliasPath,
    responses: {
      200: {
        description: 'the version',
        schema: Version.extend({
          alias: z.string().meta({ description: 'The alias asked for.', example: 'champion' }),
        }).meta({ id: 'AliasedVersion', description: 'A version, read through an alias.' }),
      },
    },
    problems: [403, 404],
  },
  {
    method: 'DELETE',
    path: '/v1/models/{model}/aliases/{alias}',
    operationId: 'deleteAlias',
    description: 'Removes the alias; the version stays as it is.',
    auth: 'iam',
    role: 'owner',
    summary: 'Remove an alias',
    params: AliasPath,
    responses: { 204: { description: 'removed' } },
    problems: [403, 404],
  },
]);
