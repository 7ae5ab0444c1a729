import { retryOnConflict } from '#adapters/audit-chain';
import {
  type AliasItem,
  deleteAlias,
  getAlias,
  getCard,
  getModel,
  getModelAndVersion,
  getModelWithAliases,
  getVersion,
  createModel as insertModel,
  type ModelItem,
  putAlias,
  putCard,
  listModels as queryModels,
  type VersionItem,
  updateModel as writeModel,
} from '#adapters/registry-table';
import { allPages } from '#adapters/table';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ConflictError, NotFoundError, PreconditionFailedError } from '#commons/errors';
import { type Principal, requireOwner } from '#commons/identity';
import type { ModelCard } from '#domain/card';
import {
  type CreateModelBody,
  defaultOwners,
  teamOf,
  type UpdateModelBody,
  withOwnerReplaced,
} from '#domain/model';

/**
 * The models' use cases: create, list, read and change a model; its aliases (a stable name for
 * one READY version); its card; and the inventory of every model. The /v1 handlers and MLflow's
 * protocol call them, so both get the same ownership checks, conditions and audit events.
 */

const nowIso = () => new Date().toISOString();

/** A model whose caller must own it, read for a change. */
const ownedModel = async (principal: Principal, name: string): Promise<ModelItem> => {
  const model = await getModel(name);
  if (!model) throw new NotFoundError(`model ${name} does not exist`);
  requireOwner(principal, model);
  return model;
};

// ---- models -------------------------------------------------------------------------------------

/** A new model, its first audit event with it. Refused: `ModelExistsError`. */
export const createModel = async (principal: Principal, body: CreateModelBody): Promise<ModelItem> => {
  const at = nowIso();
  const actor = principal.id;
  const item = {
    entity: 'model' as const,
    name: body.name,
    ...(body.description === undefined ? {} : { description: body.description }),
    owner: body.owner ?? actor,
    owners: body.owners ?? defaultOwners(body.owner, actor),
    tags: body.tags ?? {},
    ...(body.riskTier ? { riskTier: body.riskTier } : {}),
    ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
    latestVersion: 0,
    // Per environment, what serves there now; kept by the deployment workflow for the inventory.
    deployed: {},
    createdAt: at,
    createdBy: actor,
    updatedAt: at,
    updatedBy: actor,
  };
  await insertModel(item, actor);
  return { ...item, auditSeq: 1, auditHead: '' };
};

export const listModels = async (query: {
  prefix?: string | undefined;
  tag?: { key: string; value: string } | undefined;
  limit: number;
  cursor?: string | undefined;
}): Promise<{ items: ModelItem[]; nextCursor: string | undefined }> => {
  const scope = `models|${query.prefix ?? ''}|${query.tag ? `${query.tag.key}=${query.tag.value}` : ''}`;
  const page = await queryModels({
    ...(query.prefix ? { prefix: query.prefix } : {}),
    ...(query.tag ? { tag: query.tag } : {}),
    limit: query.limit,
    startKey: await decodeCursor(query.cursor, scope),
  });
  return { items: page.items, nextCursor: await encodeCursor(page.lastKey, scope) };
};

export const readModel = async (name: string): Promise<{ model: ModelItem; aliases: AliasItem[] }> => {
  const found = await getModelWithAliases(name);
  if (!found) throw new NotFoundError(`model ${name} does not exist`);
  return found;
};

/**
 * Change a model's metadata as its owner. `expectedSeq` is the If-Match: the model's ETag is its
 * audit sequence, which every change to it, or under it, moves.
 */
export const updateModel = async (
  principal: Principal,
  name: string,
  body: UpdateModelBody,
  expectedSeq: number | undefined,
): Promise<{ model: ModelItem; aliases: AliasItem[] }> => {
  const updated = await retryOnConflict(async () => {
    const model = await ownedModel(principal, name);
    if (expectedSeq !== undefined && expectedSeq !== model.auditSeq)
      throw new PreconditionFailedError('the model changed since it was read (If-Match)');
    const set: Record<string, unknown> = Object.fromEntries(
      Object.entries(body).filter(([, v]) => v !== undefined),
    );
    if (Object.keys(set).length === 0) return model;
    // A new owner takes the old owner's place in the team; a model from before teams gets its
    // team written on its first change (its owner, as it was).
    if (set.owners === undefined && body.owner !== undefined && body.owner !== model.owner)
      set.owners = withOwnerReplaced(teamOf(model), model.owner, body.owner);
    else if (!model.owners?.length && set.owners === undefined) set.owners = teamOf(model);
    const at = nowIso();
    const event = await writeModel(model, set, principal.id, at);
    return { ...model, ...set, updatedAt: at, updatedBy: principal.id, auditSeq: event.seq } as ModelItem;
  });
  const found = await getModelWithAliases(name);
  return { model: updated, aliases: found?.aliases ?? [] };
};

// ---- aliases ------------------------------------------------------------------------------------

/** Point an alias at a READY version. Refused: `VersionNotReadyError` when it left READY meanwhile. */
export const setAlias = async (
  principal: Principal,
  name: string,
  alias: string,
  version: number,
): Promise<AliasItem> => {
  const item: AliasItem = {
    entity: 'alias',
    name,
    alias,
    version,
    createdAt: nowIso(),
    createdBy: principal.id,
  };
  await retryOnConflict(async () => {
    const found = await getModelAndVersion(name, version);
    if (!found.model) throw new NotFoundError(`model ${name} does not exist`);
    requireOwner(principal, found.model);
    if (!found.version) throw new NotFoundError(`version ${version} of ${name} does not exist`);
    if (found.version.status !== 'READY')
      throw new ConflictError(
        `version ${version} is ${found.version.status}; an alias points at a READY version`,
      );
    const previous = await getAlias(name, alias);
    await putAlias(found.model, item, previous?.version, principal.id);
  });
  return item;
};

/** The version an alias names. */
export const resolveAlias = async (name: string, alias: string): Promise<VersionItem> => {
  const found = await getAlias(name, alias);
  if (!found) throw new NotFoundError(`alias ${alias} of ${name} does not exist`);
  const version = await getVersion(name, found.version);
  if (!version) throw new NotFoundError(`version ${found.version} of ${name} does not exist`);
  return version;
};

export const removeAlias = async (principal: Principal, name: string, alias: string): Promise<void> => {
  await retryOnConflict(async () => {
    const [model, found] = await Promise.all([getModel(name), getAlias(name, alias)]);
    if (!model) throw new NotFoundError(`model ${name} does not exist`);
    requireOwner(principal, model);
    if (!found) throw new NotFoundError(`alias ${alias} of ${name} does not exist`);
    await deleteAlias(model, found, principal.id, nowIso());
  });
};

// ---- cards --------------------------------------------------------------------------------------

export interface CardView {
  card: Record<string, unknown>;
  revision: number;
  updatedAt?: string;
  updatedBy?: string;
}

/** The model's card; a model without one yet has an empty card carrying what the model knows. */
export const readCard = async (name: string): Promise<CardView> => {
  const [model, card] = await Promise.all([getModel(name), getCard(name)]);
  if (!model) throw new NotFoundError(`model ${name} does not exist`);
  if (card)
    return { card: card.card, revision: card.revision, updatedAt: card.updatedAt, updatedBy: card.updatedBy };
  return {
    card: {
      ...(model.purpose ? { purpose: model.purpose } : {}),
      ...(model.riskTier ? { riskTier: model.riskTier } : {}),
      owners: teamOf(model),
    },
    revision: 0,
  };
};

/** Replace the card as the model's owner, guarded by the revision read (If-Match). */
export const replaceCard = async (
  principal: Principal,
  name: string,
  card: ModelCard,
  expectedRevision: number | undefined,
): Promise<CardView> => {
  const at = nowIso();
  const revision = await retryOnConflict(async () => {
    const [model, previous] = await Promise.all([getModel(name), getCard(name)]);
    if (!model) throw new NotFoundError(`model ${name} does not exist`);
    requireOwner(principal, model);
    const current = previous?.revision ?? 0;
    if (expectedRevision !== undefined && expectedRevision !== current)
      throw new PreconditionFailedError('the card changed since it was read (If-Match)');
    await putCard(model, card, previous, principal.id, at);
    return current + 1;
  });
  return { card, revision, updatedAt: at, updatedBy: principal.id };
};

// ---- inventory ----------------------------------------------------------------------------------

/**
 * One row of the inventory, from the summaries later workflows keep on the model item
 * (deployments per environment, last approval, last drift and health status).
 */
const inventoryRow = (m: ModelItem) => ({
  name: m.name,
  owner: m.owner,
  purpose: m.purpose,
  riskTier: m.riskTier,
  versions: m.latestVersion,
  deployed: m.deployed ?? {},
  lastApproval: m.lastApproval,
  lastDriftStatus: m.lastDrift?.status,
  lastDrift: m.lastDrift,
  health: m.health?.status,
  validityEnd: m.validityEnd,
  updatedAt: m.updatedAt,
});
export type InventoryEntry = ReturnType<typeof inventoryRow>;

/** The model inventory, for model-risk teams: one row per model, every page read. */
export const inventory = async (): Promise<InventoryEntry[]> =>
  (await allPages((startKey) => queryModels({ limit: 100, ...(startKey ? { startKey } : {}) }))).map(
    inventoryRow,
  );
