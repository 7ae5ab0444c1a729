import { ChainConflict, retryOnConflict, WriteConditionFailed } from '#adapters/audit-chain';
import { listDeployments } from '#adapters/deployments-table';
import {
  type AliasItem,
  changeVersion,
  deleteAlias,
  getAlias,
  getModel,
  getModelWithAliases,
  getVersion,
  listModels,
  listVersions,
  type ModelItem,
  markModelDeleted,
  type VersionItem,
} from '#adapters/registry-table';
import { allPages } from '#adapters/table';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { HttpError } from '#commons/errors';
import { type Principal, requireOwner, requireReader } from '#commons/identity';
import {
  type Comparison,
  comparator,
  type FilterField,
  matches,
  namePrefix,
  type Ordering,
  type OrderKey,
} from '#domain/mlflow';

/**
 * The MLflow Model Registry's view of Steward's registry: registered models are models, model
 * versions are versions. What MLflow deletes, Steward archives and hides from MLflow reads; the
 * audit trail and /v1 keep it.
 */
export class MlflowError extends HttpError {
  override readonly name = 'MlflowError';
  readonly title: string;
  constructor(
    readonly mlflowCode: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.title = mlflowCode;
  }
}

export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', 404, message);
export const invalid = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', 400, message);
export const invalidState = (message: string) => new MlflowError('INVALID_STATE', 400, message);

export const isHidden = (item: { deletedAt?: string | null | undefined }) => Boolean(item.deletedAt);

// ---- presentation -------------------------------------------------------------------------------

const ms = (iso: string) => Date.parse(iso);
const tagList = (tags: Record<string, string> | undefined) =>
  Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

export const mlflowStatus = (v: VersionItem) =>
  v.status === 'PENDING_UPLOAD'
    ? 'PENDING_REGISTRATION'
    : v.status === 'FAILED'
      ? 'FAILED_REGISTRATION'
      : 'READY';

export const mlflowStage = (v: VersionItem) => (v.status === 'ARCHIVED' ? 'Archived' : 'None');

export const presentVersion = (v: VersionItem, aliases: readonly AliasItem[] = []) => ({
  name: v.name,
  version: String(v.version),
  creation_timestamp: ms(v.createdAt),
  last_updated_timestamp: ms(v.updatedAt),
  user_id: v.createdBy,
  current_stage: mlflowStage(v),
  ...(v.description ? { description: v.description } : {}),
  source: v.artifact.source ?? `s3://${v.artifact.bucket}/${v.artifact.key}`,
  ...(v.lineage?.trainingRun ? { run_id: v.lineage.trainingRun.id } : {}),
  ...(v.lineage?.trainingRun?.uri ? { run_link: v.lineage.trainingRun.uri } : {}),
  status: mlflowStatus(v),
  ...(v.status === 'FAILED' && v.statusReason ? { status_message: v.statusReason } : {}),
  tags: tagList(v.tags),
  aliases: aliases.filter((a) => a.version === v.version).map((a) => a.alias),
});

export const presentModel = (
  m: ModelItem,
  aliases: readonly AliasItem[] | undefined,
  latest?: readonly VersionItem[],
) => ({
  name: m.name,
  creation_timestamp: ms(m.createdAt),
  last_updated_timestamp: ms(m.updatedAt),
  user_id: m.createdBy,
  ...(m.description ? { description: m.description } : {}),
  tags: tagList(m.tags),
  ...(aliases ? { aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version) })) } : {}),
  ...(latest?.length ? { latest_versions: latest.map((v) => presentVersion(v, aliases)) } : {}),
});

// ---- reads --------------------------------------------------------------------------------------

export const visibleModel = async (name: string) => {
  const found = await getModelWithAliases(name);
  if (!found || isHidden(found.model)) throw notFound(`Registered Model with name=${name} not found`);
  return found;
};

/** A version MLflow may see: its model and itself neither missing nor deleted through MLflow. */
export const visibleVersion = async (name: string, version: number): Promise<VersionItem> => {
  const v = await getVersion(name, version);
  const model = await getModel(name);
  if (!model || isHidden(model)) throw notFound(`Registered Model with name=${name} not found`);
  if (!v || isHidden(v)) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
  return v;
};

/** The version an alias of a visible model names. */
export const aliasedVersion = async (name: string, alias: string): Promise<VersionItem> => {
  await visibleModel(name);
  const found = await getAlias(name, alias);
  if (!found) throw notFound(`Registered model alias ${alias} not found.`);
  return visibleVersion(name, found.version);
};

/** A model's aliases (none for a model that does not exist). */
export const aliasesOf = async (name: string): Promise<AliasItem[]> =>
  (await getModelWithAliases(name))?.aliases ?? [];

/** The model as stored, hidden or not (MLflow's create restores a hidden one). */
export const storedModel = (name: string): Promise<ModelItem | undefined> => getModel(name);

/** Every version of a model that MLflow may see, newest first. */
export const visibleVersions = async (name: string): Promise<VersionItem[]> =>
  (await everyVersion(name)).filter((v) => !isHidden(v));

/** Every version of a model, hidden or not, newest first. */
const everyVersion = (name: string): Promise<VersionItem[]> =>
  allPages((startKey) => listVersions(name, { limit: 100, ...(startKey ? { startKey } : {}) }));

/** The newest version in each stage asked for (every stage when none is). */
export const latestPerStage = (versions: readonly VersionItem[], stages: readonly string[]) => {
  const wanted = stages.length ? new Set(stages.map((s) => s.toLowerCase())) : undefined;
  const seen = new Map<string, VersionItem>();
  for (const v of versions) {
    const stage = mlflowStage(v);
    if (wanted && !wanted.has(stage.toLowerCase())) continue;
    const kept = seen.get(stage);
    if (!kept || kept.version < v.version) seen.set(stage, v);
  }
  return [...seen.values()].sort((a, b) => a.version - b.version);
};

const allModels = async (prefix: string | undefined): Promise<ModelItem[]> =>
  (
    await allPages((startKey) =>
      listModels({ ...(prefix ? { prefix } : {}), limit: 100, ...(startKey ? { startKey } : {}) }),
    )
  ).filter((m) => !isHidden(m));

/** MLflow asks for up to 10,000 at once; a page holds at most this many, with a token for the rest. */
export const PAGE_CAP = 1000;

const paginate = async <T>(
  items: readonly T[],
  maxResults: number,
  token: string | undefined,
  scope: string,
) => {
  const start = token ? Number((await decodeCursor(token, scope))?.offset ?? 0) : 0;
  const size = Math.min(maxResults, PAGE_CAP);
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? await encodeCursor({ offset: start + size }, scope) : undefined;
  return { page, next };
};

/** A search as MLflow asks it: filter, order, page size and token, and the cursor's scope. */
export interface SearchQuery {
  filter: Comparison[];
  orderBy: Ordering[];
  maxResults: number;
  pageToken: string | undefined;
  scope: string;
}

const readModelField = (m: ModelItem) => (f: FilterField) =>
  f.kind === 'tag' ? m.tags?.[f.key] : f.name === 'name' ? m.name : undefined;

export const searchModels = async (principal: Principal, query: SearchQuery) => {
  requireReader(principal);
  for (const c of query.filter)
    if (c.field.kind === 'attribute' && c.field.name !== 'name')
      throw invalid(`registered models are searched by name and tags, not ${c.field.name}`);
  const models = (await allModels(namePrefix(query.filter))).filter((m) =>
    matches(query.filter, readModelField(m)),
  );
  const read = (m: ModelItem, key: OrderKey): string | number =>
    key === 'name' ? m.name : key === 'creation_timestamp' ? ms(m.createdAt) : ms(m.updatedAt);
  models.sort(comparator([...query.orderBy, { key: 'name', descending: false }], read));
  return paginate(models, query.maxResults, query.pageToken, query.scope);
};

const readVersionField = (v: VersionItem) => (f: FilterField) => {
  if (f.kind === 'tag') return v.tags?.[f.key];
  switch (f.name) {
    case 'name':
      return v.name;
    case 'run_id':
      return v.lineage?.trainingRun?.id;
    case 'version_number':
      return String(v.version);
    case 'source_path':
      return v.artifact.source;
  }
};

export const searchVersions = async (principal: Principal, query: SearchQuery) => {
  requireReader(principal);
  const exact = query.filter.find(
    (c) => c.field.kind === 'attribute' && c.field.name === 'name' && c.op === '=',
  );
  const names = exact
    ? [String(exact.value)]
    : (await allModels(namePrefix(query.filter))).map((m) => m.name);
  const versions: VersionItem[] = [];
  for (const name of names) versions.push(...(await visibleVersions(name)));
  const hits = versions.filter((v) => matches(query.filter, readVersionField(v)));
  const read = (v: VersionItem, key: OrderKey): string | number =>
    key === 'name'
      ? v.name
      : key === 'version_number'
        ? v.version
        : key === 'creation_timestamp'
          ? ms(v.createdAt)
          : ms(v.updatedAt);
  hits.sort(
    comparator(
      [...query.orderBy, { key: 'name', descending: false }, { key: 'version_number', descending: true }],
      read,
    ),
  );
  return paginate(hits, query.maxResults, query.pageToken, query.scope);
};

// ---- deletes ------------------------------------------------------------------------------------

/**
 * MLflow's delete of a version: the version is archived (a pending one fails; a failed one stays
 * failed) and marked deleted, in one audited write, after the aliases that point at it are removed.
 * A version serving somewhere is refused.
 */
export const deleteVersion = async (principal: Principal, name: string, version: number) => {
  const at = new Date().toISOString();
  await retryOnConflict(async () => {
    const found = await getModelWithAliases(name);
    if (!found || isHidden(found.model)) throw notFound(`Registered Model with name=${name} not found`);
    requireOwner(principal, found.model.owner);
    const v = (await visibleVersions(name)).find((x) => x.version === version);
    if (!v) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    if (Object.keys(v.servingOn ?? {}).length > 0)
      throw invalidState(
        `version ${version} of ${name} serves in ${Object.keys(v.servingOn ?? {}).join(', ')}; decommission it first`,
      );
    let head = found.model;
    for (const alias of found.aliases.filter((a) => a.version === version)) {
      const event = await deleteAlias(head, alias, principal.id, at);
      head = { ...head, auditSeq: event.seq, auditHead: event.hash };
    }
    const to = v.status === 'PENDING_UPLOAD' ? 'FAILED' : v.status === 'FAILED' ? 'FAILED' : 'ARCHIVED';
    const set = {
      status: to,
      statusReason: v.status === 'FAILED' ? v.statusReason : 'deleted through the MLflow API',
      deletedAt: at,
    };
    try {
      await changeVersion({
        head,
        version: v,
        set,
        fromStatuses: [v.status],
        condition: {
          expression: 'attribute_not_exists(servingOn) OR size(servingOn) = :zero',
          values: { ':zero': 0 },
        },
        action: 'version.deleted',
        actor: principal.id,
        at,
        before: { status: v.status },
        after: set,
      });
    } catch (error) {
      if (error instanceof WriteConditionFailed)
        throw new ChainConflict(`version ${version} of ${name} moved`);
      throw error;
    }
  });
};

/**
 * MLflow's delete of a registered model: refused once any version was ever approved or deployed
 * (that history must stay in view); otherwise every version is deleted as above and the model is
 * hidden from MLflow reads.
 */
export const deleteModel = async (principal: Principal, name: string) => {
  const found = await getModelWithAliases(name);
  if (!found || isHidden(found.model)) throw notFound(`Registered Model with name=${name} not found`);
  requireOwner(principal, found.model.owner);
  const all = await everyVersion(name);
  const approved = all.filter((v) => Object.keys(v.approvalsByEnvironment ?? {}).length > 0);
  const deployments = await listDeployments(name, { limit: 1 });
  if (approved.length || deployments.items.length)
    throw invalidState(
      `${name} has ${approved.length ? 'approval' : 'deployment'} history, which Steward keeps in view: ` +
        'a registered model with any approval or deployment is never deleted (archive its versions instead)',
    );
  for (const v of all.filter((x) => !isHidden(x))) await deleteVersion(principal, name, v.version);
  await retryOnConflict(async () => {
    const again = await getModelWithAliases(name);
    if (!again || isHidden(again.model)) return;
    await markModelDeleted(again.model, new Date().toISOString(), principal.id, new Date().toISOString());
  });
};

/** Creating a registered model MLflow deleted shows it again (its old versions stay deleted). */
export const restoreModel = async (principal: Principal, model: ModelItem) => {
  requireOwner(principal, model.owner);
  await markModelDeleted(model, undefined, principal.id, new Date().toISOString());
};
