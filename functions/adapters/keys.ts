import type * as z from 'zod';
/**
 * Every key of the one table, built here and nowhere else. Numbers are zero-padded so that the
 * sort key orders them.
 */
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The audit chain of changes that belong to no model (environments, edges between other nodes). */
export { SYSTEM_CHAIN } from '#domain/audit-query';

export const keys = {
  model: (name: string) => ({ pk: `M#${name}`, sk: '#MODEL' }),
  /** All models, by name, for listing and prefix search. */
  modelIndex: (name: string) => ({ gsi1pk: 'MODELS', gsi1sk: name }),
  version: (name: string, version: number) => ({ pk: `M#${name}`, sk: `V#${pad(version, 10)}` }),
  versionPrefix: 'V#',
  alias: (name: string, alias: string) => ({ pk: `M#${name}`, sk: `A#${alias}` }),
  aliasPrefix: 'A#',
  card: (name: string) => ({ pk: `M#${name}`, sk: 'CARD' }),
  audit: (name: string, seq: number) => ({ pk: `AUDIT#${name}`, sk: pad(seq, 12) }),
  auditPartition: (name: string) => `AUDIT#${name}`,
  /** Audit events by actor (gsi1) and by day (gsi2), each ordered by time. */
  auditIndexes: (name: string, seq: number, actor: string, at: string) => ({
    gsi1pk: `ACTOR#${actor}`,
    gsi1sk: `${at}#${name}#${pad(seq, 12)}`,
    gsi2pk: `AUDITDAY#${at.slice(0, 10)}`,
    gsi2sk: `${at}#${name}#${pad(seq, 12)}`,
  }),
  auditActorPartition: (actor: string) => `ACTOR#${actor}`,
  auditDayPartition: (day: string) => `AUDITDAY#${day}`,
  environment: (name: string) => ({ pk: `ENV#${name}`, sk: '#ENV' }),
  environmentIndex: (name: string) => ({ gsi1pk: 'ENVS', gsi1sk: name }),
  environmentsPartition: 'ENVS',
  /** An edge is stored twice: under its source (OUT) and under its target (IN). */
  edgeOut: (from: string, relation: string, to: string) => ({ pk: `N#${from}`, sk: `OUT#${relation}#${to}` }),
  edgeIn: (from: string, relation: string, to: string) => ({ pk: `N#${to}`, sk: `IN#${relation}#${from}` }),
  node: (node: string) => `N#${node}`,
  approval: (id: string) => ({ pk: `AR#${id}`, sk: '#REQUEST' }),
  /** A model's approval requests by version and environment, newest last. */
  approvalIndex: (model: string, version: number, environment: string, at: string) => ({
    gsi1pk: `APPROVALS#${model}`,
    gsi1sk: `${pad(version, 10)}#${environment}#${at}`,
  }),
  approvalsOfVersion: (model: string, version: number) => ({
    gsi1pk: `APPROVALS#${model}`,
    prefix: `${pad(version, 10)}#`,
  }),
  /**
   * Requests still PENDING, across models (the approvers' inbox): a sparse index, set when a
   * request is made and removed in the write that decides it.
   */
  pendingApprovalIndex: (at: string, id: string) => ({ gsi2pk: 'APPROVALS#PENDING', gsi2sk: `${at}#${id}` }),
  pendingApprovalsPartition: 'APPROVALS#PENDING',
  /** The live request of one (version, environment): at most one PENDING or APPROVED at a time. */
  approvalSlot: (model: string, version: number, environment: string) => ({
    pk: `M#${model}`,
    sk: `P#${pad(version, 10)}#${environment}`,
  }),
  /** One decision per person per request. */
  decision: (id: string, member: string) => ({ pk: `AR#${id}`, sk: `D#${member}` }),
  /** Marks that one approver of a request was sent their link (each approver gets one email). */
  approverMailed: (id: string, member: string) => ({ pk: `AR#${id}`, sk: `M#${member}` }),
  /** A group's task token, sealed. */
  groupToken: (id: string, group: string) => ({ pk: `AR#${id}`, sk: `T#${group}` }),
  /** A link is found by the SHA-256 of its secret; the secret itself is never stored. */
  link: (secretHash: string) => ({ pk: `LINK#${secretHash}`, sk: '#LINK' }),
  deployment: (id: string) => ({ pk: `D#${id}`, sk: '#DEPLOYMENT' }),
  /** A model's deployments by environment and time. */
  deploymentIndex: (model: string, environment: string, at: string, id: string) => ({
    gsi1pk: `DEPLOYMENTS#${model}`,
    gsi1sk: `${environment}#${at}#${id}`,
  }),
  deploymentsPartition: (model: string) => `DEPLOYMENTS#${model}`,
  /** A serving target in an environment: its lock and what serves on it now and before. */
  target: (environment: string, targetId: string) => ({
    pk: `TARGET#${environment}#${targetId}`,
    sk: '#STATE',
  }),
  /** One stretch of time a version served on a target. */
  served: (environment: string, targetId: string, from: string, deploymentId: string) => ({
    pk: `TARGET#${environment}#${targetId}`,
    sk: `SERVED#${from}#${deploymentId}`,
  }),
  servedPartition: (environment: string, targetId: string) => `TARGET#${environment}#${targetId}`,
  monitor: (deploymentId: string) => ({ pk: `D#${deploymentId}`, sk: 'MONITOR' }),
  /** Monitors by when they are next due, for the scheduled dispatcher. */
  monitorIndex: (nextRunAt: string, deploymentId: string) => ({
    gsi1pk: 'MONITORS',
    gsi1sk: `${nextRunAt}#${deploymentId}`,
  }),
  monitorsPartition: 'MONITORS',
  driftRun: (deploymentId: string, at: string, id: string) => ({
    pk: `D#${deploymentId}`,
    sk: `RUN#${at}#${id}`,
  }),
  driftRunPrefix: 'RUN#',
  idempotency: (hash: string) => ({ pk: `IDEM#${hash}`, sk: '#IDEM' }),
  /**
   * A version waiting for its upload, by registration time (gsi2, sparse): set at registration,
   * removed by the move out of PENDING_UPLOAD, so the expiry sweep reads only what still waits.
   */
  pendingUpload: (createdAt: string, name: string, version: number) => ({
    gsi2pk: 'PENDING_UPLOADS',
    gsi2sk: `${createdAt}#${name}#${pad(version, 10)}`,
  }),
  pendingUploadsPartition: 'PENDING_UPLOADS',
} as const;

/** Sort keys of a model's partition below this one: the model item and its aliases, in one Query. */
export const MODEL_HEAD_UPPER_BOUND = 'B';

/** An item as the rest of the code sees it: without the table's key attributes. */
const withoutKeys = (item: Record<string, unknown>): Record<string, unknown> => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return rest;
};

/** An item read from the table that is not what its schema says: a defect, answered as a 500. */
export class StoredItemError extends Error {
  override readonly name = 'StoredItemError';
  constructor(
    readonly entity: string,
    issues: string,
  ) {
    super(`a stored ${entity} item does not match its schema: ${issues}`);
  }
}

interface Reader {
  schema: z.ZodObject;
  /** Optional attributes a stored NULL means absent for (their schema takes no null). */
  nullIsAbsent: Set<string>;
}

/** Each schema made loose once (the first read of its kind), then reused. */
const readers = new WeakMap<z.ZodObject, Reader>();

const readerOf = (schema: z.ZodObject): Reader => {
  let reader = readers.get(schema);
  if (!reader) {
    const nullIsAbsent = new Set(
      Object.entries(schema.shape as Record<string, z.ZodType>)
        .filter(([, field]) => !field.safeParse(null).success && field.safeParse(undefined).success)
        .map(([name]) => name),
    );
    reader = { schema: schema.loose(), nullIsAbsent };
    readers.set(schema, reader);
  }
  return reader;
};

/**
 * An item as the rest of the code sees it: without the table's key attributes, parsed with its
 * schema (functions/domain/items.ts). Attributes the schema does not name are kept, so an item
 * read, changed and written back loses none.
 */
export function readItem<S extends z.ZodObject>(schema: S, item: Record<string, unknown>): z.infer<S>;
export function readItem<S extends z.ZodObject>(
  schema: S,
  item: Record<string, unknown> | undefined,
): z.infer<S> | undefined;
export function readItem<S extends z.ZodObject>(
  schema: S,
  item: Record<string, unknown> | undefined,
): z.infer<S> | undefined {
  if (!item) return undefined;
  const reader = readerOf(schema);
  const fields = withoutKeys(item);
  for (const name of reader.nullIsAbsent) if (fields[name] === null) delete fields[name];
  const parsed = reader.schema.safeParse(fields);
  if (!parsed.success)
    throw new StoredItemError(
      String(item.entity ?? 'unknown'),
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  // The schema's output with the unnamed attributes beside it: what z.infer<S> describes.
  return parsed.data as z.infer<S>;
}

/** A reader of one kind of item, for `.map`. */
export const itemsOf =
  <S extends z.ZodObject>(schema: S) =>
  (item: Record<string, unknown>): z.infer<S> =>
    readItem(schema, item);
