import * as z from 'zod';
import type { VersionItem } from '#adapters/registry-table';
import { mlflowRoutes } from '#api/routes/mlflow';
import { asHttpError, ConflictError, HttpError } from '#commons/errors';
import { type HttpRequest, httpHandler, input, json, operationsFor } from '#commons/http';
import { requireReader, requireRole } from '#commons/identity';
import { s3Uri } from '#domain/artifact';
import { FilterSyntaxError, type OrderKey, parseFilter, parseOrderBy } from '#domain/mlflow';
import { AliasPath, CreateModelBody, ModelPath, SetAliasBody, UpdateModelBody } from '#domain/model';
import { TransitionBody, UpdateVersionBody } from '#domain/version';
import { fileDownload, hasArtifact, listArtifactLevel } from '#services/artifacts';
import {
  aliasedVersion,
  aliasesOf,
  deleteModel,
  deleteVersion,
  invalid,
  invalidState,
  isHidden,
  latestPerStage,
  MlflowError,
  notFound,
  presentModel,
  presentVersion,
  restoreModel,
  searchModels,
  searchVersions,
  storedModel,
  visibleModel,
  visibleVersion,
  visibleVersions,
} from '#services/mlflow-registry';
import { createModel, removeAlias, setAlias, updateModel } from '#services/models';
import { registerByReference } from '#services/registration';
import { transitionVersion, updateVersion } from '#services/registry';

/**
 * MLflow's Model Registry REST protocol (2.x clients) on Steward's registry. Every change goes
 * through the same operations as /v1 (roles, ownership, governance, audit); this file translates
 * MLflow's requests and answers: snake_case, versions as strings, epoch milliseconds, tags as
 * `[{key, value}]`, errors as `{error_code, message}`.
 */

// MLflow's server ignores fields it does not know; so does this.
const Name = z.string().min(1, 'name is required');
const VersionString = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v);
  if (!/^[1-9]\d{0,9}$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'a version is a positive integer' });
    return z.NEVER;
  }
  return Number(text);
});
const TagList = z.array(z.object({ key: z.string(), value: z.string().optional() })).optional();

const tagsOf = (tags: z.infer<typeof TagList>) =>
  Object.fromEntries((tags ?? []).map((t) => [t.key, t.value ?? '']));

/**
 * The /v1 input of the same change, parsed by the /v1 route's schemas: MLflow's requests are held
 * to the same names and limits (and refused with the same field paths).
 */
const modelPath = (name: string) => input(ModelPath, { model: name }, 'path').model;
const aliasPath = (name: string, alias: string) => input(AliasPath, { model: name, alias }, 'path');

const nameOf = (request: HttpRequest, where: 'body' | 'query') =>
  input(z.object({ name: Name }), where === 'body' ? (request.body ?? {}) : request.query, where).name;

const versionOf = visibleVersion;

const versionAnswer = async (v: VersionItem) => ({
  model_version: presentVersion(v, await aliasesOf(v.name)),
});

const modelAnswer = async (name: string) => {
  const found = await visibleModel(name);
  const latest = latestPerStage(await visibleVersions(name), []);
  return { registered_model: presentModel(found.model, found.aliases, latest) };
};

/** Read-modify-write of tags under If-Match; a concurrent change is read again. */
const withRetry = async <T>(attempt: () => Promise<T>): Promise<T> => {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i < 4 && asHttpError(error)?.statusCode === 412) continue;
      throw error;
    }
  }
};

const changeModelTags = (
  request: HttpRequest,
  name: string,
  change: (tags: Record<string, string>) => void,
) =>
  withRetry(async () => {
    const { model } = await visibleModel(name);
    const tags = { ...model.tags };
    change(tags);
    return updateModel(
      request.principal,
      modelPath(name),
      input(UpdateModelBody, { tags }, 'body'),
      model.auditSeq,
    );
  });

const changeVersionTags = (
  request: HttpRequest,
  name: string,
  version: number,
  change: (tags: Record<string, string>) => void,
) =>
  withRetry(async () => {
    const v = await versionOf(name, version);
    const tags = { ...v.tags };
    change(tags);
    await updateVersion(
      request.principal,
      name,
      version,
      input(UpdateVersionBody, { tags }, 'body'),
      v.revision,
    );
  });

const MAX_RESULTS_LIMIT = 10_000;

const searchQuery = (request: HttpRequest, allowed: readonly OrderKey[], scope: string, fallback: number) => {
  const q = request.query;
  const maxResults = q.max_results === undefined ? fallback : Number(q.max_results);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS_LIMIT)
    throw invalid(`max_results is an integer from 1 to ${MAX_RESULTS_LIMIT}; got ${q.max_results}`);
  try {
    const filter = parseFilter(q.filter);
    const orderBy = parseOrderBy(request.multiQuery.order_by ?? (q.order_by ? [q.order_by] : []), allowed);
    // The token is bound to the query it pages through.
    const bound = `${scope}|${q.filter ?? ''}|${(request.multiQuery.order_by ?? []).join(',')}`;
    return { filter, orderBy, maxResults, pageToken: q.page_token || undefined, scope: bound };
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw invalid(error.message);
    throw error;
  }
};

const STAGE_REFUSAL =
  'Steward does not use MLflow stages Staging and Production (MLflow deprecated them): point an alias ' +
  '(e.g. champion) at the version, and ask for an approval per environment through /v1 ' +
  '(POST /v1/models/{model}/versions/{version}/approvals). Archived is accepted.';

/** The artifact proxy's paths: `<model>/<version>/<file path>`. */
const proxyPath = (path: string | undefined) => {
  const clean = (path ?? '').replace(/^\/+|\/+$/g, '');
  if (clean.split('/').some((s) => s === '..' || s === '.'))
    throw invalid('an artifact path has no . or .. segments');
  const [model, version, ...rest] = clean ? clean.split('/') : [];
  return { model, version, rest: rest.join('/') };
};

const servedVersion = async (model: string, version: string | undefined) => {
  if (!version || !/^[1-9]\d{0,9}$/.test(version)) throw notFound(`no version ${version ?? ''} of ${model}`);
  const v = await versionOf(model, Number(version));
  if (!hasArtifact(v))
    throw invalidState(
      `version ${version} of ${model} is ${presentVersion(v).status}; it has no files to serve`,
    );
  return v;
};

export const operations = {
  mlflowCreateRegisteredModel: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, tags: TagList, description: z.string().optional() }),
      request.body ?? {},
      'body',
    );
    const existing = await storedModel(body.name);
    if (existing && isHidden(existing)) {
      requireRole(request.principal, 'publisher');
      await restoreModel(request.principal, existing);
    } else {
      try {
        // The role of POST /v1/models: only a publisher creates models.
        requireRole(request.principal, 'publisher');
        await createModel(
          request.principal,
          input(
            CreateModelBody,
            {
              name: body.name,
              ...(body.description ? { description: body.description } : {}),
              ...(body.tags?.length ? { tags: tagsOf(body.tags) } : {}),
            },
            'body',
          ),
        );
      } catch (error) {
        const known = asHttpError(error) ?? error;
        if (known instanceof ConflictError || (known instanceof HttpError && known.statusCode === 409))
          throw new MlflowError(
            'RESOURCE_ALREADY_EXISTS',
            400,
            `Registered Model (name=${body.name}) already exists.`,
          );
        throw error;
      }
    }
    const found = await visibleModel(body.name);
    return json(200, { registered_model: presentModel(found.model, found.aliases) });
  },

  mlflowGetRegisteredModel: async (request: HttpRequest) => {
    requireReader(request.principal);
    return json(200, await modelAnswer(nameOf(request, 'query')));
  },

  mlflowRenameRegisteredModel: async (request: HttpRequest) => {
    const name = nameOf(request, 'body');
    await visibleModel(name);
    throw invalid(
      `Steward does not rename registered models: the name keys ${name}'s versions, artifacts and audit chain. ` +
        'Create a model under the new name and register the versions there.',
    );
  },

  mlflowUpdateRegisteredModel: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, description: z.string().optional() }),
      request.body ?? {},
      'body',
    );
    await visibleModel(body.name);
    if (body.description !== undefined)
      await updateModel(
        request.principal,
        modelPath(body.name),
        input(UpdateModelBody, { description: body.description }, 'body'),
        undefined,
      );
    return json(200, await modelAnswer(body.name));
  },

  mlflowDeleteRegisteredModel: async (request: HttpRequest) => {
    await deleteModel(request.principal, nameOf(request, 'body'));
    return json(200, {});
  },

  mlflowSearchRegisteredModels: async (request: HttpRequest) => {
    const query = searchQuery(
      request,
      ['name', 'last_updated_timestamp', 'creation_timestamp'],
      'mlflow-models',
      100,
    );
    const { page, next } = await searchModels(request.principal, query);
    // As MLflow's stores answer a search: each model with its aliases and its latest version per stage.
    const registered_models = [];
    for (const m of page) {
      const latest = latestPerStage(await visibleVersions(m.name), []);
      registered_models.push(presentModel(m, await aliasesOf(m.name), latest));
    }
    return json(200, {
      registered_models,
      ...(next ? { next_page_token: next } : {}),
    });
  },

  mlflowGetLatestVersions: async (request: HttpRequest) => {
    requireReader(request.principal);
    const fromBody = request.method !== 'GET';
    const name = nameOf(request, fromBody ? 'body' : 'query');
    const stages = fromBody
      ? (input(z.object({ stages: z.array(z.string()).optional() }), request.body ?? {}, 'body').stages ?? [])
      : [...(request.multiQuery.stages ?? [])];
    const found = await visibleModel(name);
    const latest = latestPerStage(await visibleVersions(name), stages);
    return json(200, { model_versions: latest.map((v) => presentVersion(v, found.aliases)) });
  },

  mlflowSetRegisteredModelTag: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, key: z.string().min(1), value: z.string() }),
      request.body ?? {},
      'body',
    );
    await changeModelTags(request, body.name, (tags) => {
      tags[body.key] = body.value;
    });
    return json(200, {});
  },

  mlflowDeleteRegisteredModelTag: async (request: HttpRequest) => {
    const body = input(z.object({ name: Name, key: z.string().min(1) }), request.body ?? {}, 'body');
    await changeModelTags(request, body.name, (tags) => {
      delete tags[body.key];
    });
    return json(200, {});
  },

  mlflowSetAlias: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, alias: z.string().min(1), version: VersionString }),
      request.body ?? {},
      'body',
    );
    await visibleModel(body.name);
    await versionOf(body.name, body.version);
    const path = aliasPath(body.name, body.alias);
    await setAlias(
      request.principal,
      path.model,
      path.alias,
      input(SetAliasBody, { version: body.version }, 'body').version,
    );
    return json(200, {});
  },

  mlflowGetAlias: async (request: HttpRequest) => {
    requireReader(request.principal);
    const q = input(z.object({ name: Name, alias: z.string().min(1) }), request.query, 'query');
    return json(200, await versionAnswer(await aliasedVersion(q.name, q.alias)));
  },

  mlflowDeleteAlias: async (request: HttpRequest) => {
    const body = input(z.object({ name: Name, alias: z.string().min(1) }), request.body ?? {}, 'body');
    await visibleModel(body.name);
    const path = aliasPath(body.name, body.alias);
    await removeAlias(request.principal, path.model, path.alias);
    return json(200, {});
  },

  mlflowCreateModelVersion: async (request: HttpRequest) => {
    const body = input(
      z.object({
        name: Name,
        source: z.string().min(1, 'source is required'),
        run_id: z.string().optional(),
        run_link: z.string().optional(),
        description: z.string().optional(),
        tags: TagList,
      }),
      request.body ?? {},
      'body',
    );
    const item = await registerByReference(request.principal, {
      name: body.name,
      source: body.source,
      runId: body.run_id || undefined,
      runLink: body.run_link || undefined,
      description: body.description || undefined,
      tags: tagsOf(body.tags),
    });
    return json(200, { model_version: presentVersion(item) });
  },

  mlflowGetModelVersion: async (request: HttpRequest) => {
    requireReader(request.principal);
    const q = input(z.object({ name: Name, version: VersionString }), request.query, 'query');
    return json(200, await versionAnswer(await versionOf(q.name, q.version)));
  },

  mlflowUpdateModelVersion: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, version: VersionString, description: z.string().optional() }),
      request.body ?? {},
      'body',
    );
    await versionOf(body.name, body.version);
    if (body.description !== undefined)
      await updateVersion(
        request.principal,
        body.name,
        body.version,
        input(UpdateVersionBody, { description: body.description }, 'body'),
        undefined,
      );
    return json(200, await versionAnswer(await versionOf(body.name, body.version)));
  },

  mlflowDeleteModelVersion: async (request: HttpRequest) => {
    const body = input(z.object({ name: Name, version: VersionString }), request.body ?? {}, 'body');
    await deleteVersion(request.principal, body.name, body.version);
    return json(200, {});
  },

  mlflowSearchModelVersions: async (request: HttpRequest) => {
    const query = searchQuery(
      request,
      ['name', 'version_number', 'last_updated_timestamp', 'creation_timestamp'],
      'mlflow-versions',
      MAX_RESULTS_LIMIT,
    );
    const { page, next } = await searchVersions(request.principal, query);
    const aliases = new Map<string, Awaited<ReturnType<typeof aliasesOf>>>();
    for (const name of new Set(page.map((v) => v.name))) aliases.set(name, await aliasesOf(name));
    return json(200, {
      model_versions: page.map((v) => presentVersion(v, aliases.get(v.name) ?? [])),
      ...(next ? { next_page_token: next } : {}),
    });
  },

  mlflowGetDownloadUri: async (request: HttpRequest) => {
    requireReader(request.principal);
    const q = input(z.object({ name: Name, version: VersionString }), request.query, 'query');
    const v = await servedVersion(q.name, String(q.version));
    return json(200, { artifact_uri: s3Uri(v.artifact.bucket, v.artifact.key).replace(/\/$/, '') });
  },

  mlflowSetModelVersionTag: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, version: VersionString, key: z.string().min(1), value: z.string() }),
      request.body ?? {},
      'body',
    );
    await changeVersionTags(request, body.name, body.version, (tags) => {
      tags[body.key] = body.value;
    });
    return json(200, {});
  },

  mlflowDeleteModelVersionTag: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, version: VersionString, key: z.string().min(1) }),
      request.body ?? {},
      'body',
    );
    await changeVersionTags(request, body.name, body.version, (tags) => {
      delete tags[body.key];
    });
    return json(200, {});
  },

  mlflowTransitionStage: async (request: HttpRequest) => {
    const body = input(
      z.object({ name: Name, version: VersionString, stage: z.string().min(1) }),
      request.body ?? {},
      'body',
    );
    const v = await versionOf(body.name, body.version);
    const stage = body.stage.toLowerCase();
    if (stage === 'archived') {
      if (v.status !== 'ARCHIVED')
        await transitionVersion(
          request.principal,
          body.name,
          body.version,
          input(TransitionBody, { to: 'ARCHIVED', reason: 'MLflow transition-stage to Archived' }, 'body'),
        );
    } else if (stage === 'none') {
      if (v.status === 'ARCHIVED')
        throw invalidState(
          `version ${body.version} of ${body.name} is archived; Steward never un-archives a version`,
        );
    } else throw invalid(STAGE_REFUSAL);
    return json(200, await versionAnswer(await versionOf(body.name, body.version)));
  },

  mlflowEndpointNotFound: async (request: HttpRequest) => {
    throw new MlflowError(
      'ENDPOINT_NOT_FOUND',
      404,
      `${request.method} ${request.path} is not an endpoint Steward serves`,
    );
  },

  /** `?path=` lists one level: models, a model's versions, or a version's files and folders. */
  mlflowListArtifacts: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model, version, rest } = proxyPath(request.query.path);
    if (!model) {
      const { page } = await searchModels(request.principal, {
        filter: [],
        orderBy: [],
        maxResults: 1000,
        pageToken: undefined,
        scope: 'mlflow-artifacts',
      });
      return json(200, { files: page.map((m) => ({ path: m.name, is_dir: true })) });
    }
    if (!version) {
      const all = (await visibleVersions(model)).filter(hasArtifact);
      return json(200, { files: all.map((v) => ({ path: String(v.version), is_dir: true })) });
    }
    const v = await servedVersion(model, version);
    return json(200, {
      files: listArtifactLevel(v.artifact, rest ?? '').map((e) =>
        e.isDir ? { path: e.path, is_dir: true } : { path: e.path, is_dir: false, file_size: e.sizeBytes },
      ),
    });
  },

  /** One file: a redirect to a presigned GET (the client follows it; no bytes pass through here). */
  mlflowDownloadArtifact: async (request: HttpRequest) => {
    requireReader(request.principal);
    const { model, version, rest } = proxyPath(request.pathParameters.path);
    if (!model || !rest) throw notFound('the artifact proxy serves files at <model>/<version>/<path>');
    const v = await servedVersion(model, version);
    const file = await fileDownload(v.artifact, rest);
    if (!file) throw notFound(`version ${version} of ${model} has no file ${rest}`);
    return { statusCode: 302, headers: { location: file.url }, body: '' };
  },
};

export const handler = httpHandler(mlflowRoutes, operationsFor(mlflowRoutes, operations));
