import * as z from 'zod';
import { ApprovalStatus, Decision, GroupState } from './approval.ts';
import { DeploymentStatus, Target } from './deployment.ts';
import { EnvironmentPolicy } from './environment.ts';
import { VersionStatus } from './lifecycle.ts';
import { NodeRef } from './lineage.ts';
import { schema } from './schema.ts';

/**
 * What Steward keeps in its table, item by item (without the key attributes `pk`, `sk`, `gsi*`,
 * which functions/adapters/keys.ts builds). The adapters parse each item they read with these
 * schemas, and the types the rest of the code uses are theirs (`z.infer`): a stored field the
 * schema does not know is kept as it is (`readItem` parses loosely), so an item read, changed and
 * written back loses nothing a newer writer added.
 */

const Text = z.string();
const Timestamp = z.string();
const StringMap = z.record(z.string(), z.string());

// ---- registry -------------------------------------------------------------------------------

export const ModelItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('model'),
    name: Text,
    description: Text.optional(),
    owner: Text,
    /** The owning team; absent on models stored before teams (then the team is `owner`). */
    owners: z.array(Text).optional(),
    tags: StringMap,
    riskTier: z.enum(['low', 'medium', 'high']).optional(),
    purpose: Text.optional(),
    latestVersion: z.number().int(),
    /** The audit chain's head: the last event's sequence number and hash. */
    auditSeq: z.number().int(),
    auditHead: Text,
    createdAt: Timestamp,
    createdBy: Text,
    updatedAt: Timestamp,
    updatedBy: Text,
    /** Deleted through MLflow: hidden from MLflow reads; /v1 and the audit trail keep it. */
    deletedAt: Timestamp.optional(),
    // Summaries for the inventory, kept by deployments, approvals, drift runs and the card.
    deployed: z
      .record(z.string(), z.object({ version: z.number().int(), since: Timestamp }).loose())
      .optional(),
    lastApproval: z
      .object({ id: Text, environment: Text, version: z.number().int(), status: Text, at: Timestamp })
      .loose()
      .optional(),
    lastDrift: z
      .object({ status: Text, at: Timestamp, driftedShare: z.number().optional() })
      .loose()
      .optional(),
    health: z.object({ status: Text, at: Timestamp }).loose().optional(),
    validityEnd: Timestamp.optional(),
  }),
);
export type ModelItem = z.infer<typeof ModelItem>;

/** The audit chain's head, as a model item (or the system chain's item) keeps it. */
export const ChainHeadItem = /* @__PURE__ */ schema(() =>
  z.object({ auditSeq: z.number().int(), auditHead: Text }),
);

/** A version still waiting for its upload, as the pending-uploads index projects it. */
export const PendingUploadItem = /* @__PURE__ */ schema(() =>
  z.object({ name: Text, version: z.number().int(), createdAt: Timestamp }),
);

/** One file of a multi-file artifact, stored at `<artifact key><path>`. */
export const StoredFile = /* @__PURE__ */ schema(() =>
  z.object({
    path: Text,
    sha256: Text,
    sizeBytes: z.number(),
    versionId: Text.optional(),
    uploadId: Text.optional(),
  }),
);
export type StoredFile = z.infer<typeof StoredFile>;

/**
 * One object at `key`, or (with `files`) a set of objects under the prefix `key` (ending in `/`),
 * whose `sha256` is the tree digest and `sizeBytes` the total.
 */
export const StoredArtifact = /* @__PURE__ */ schema(() =>
  z.object({
    sha256: Text,
    sizeBytes: z.number(),
    fileName: Text.optional(),
    bucket: Text,
    key: Text,
    versionId: Text.optional(),
    uploadId: Text.optional(),
    files: z.array(StoredFile).optional(),
    /** Registered by reference: the source URI exactly as given (copied, never read again). */
    source: Text.optional(),
  }),
);
export type StoredArtifact = z.infer<typeof StoredArtifact>;

export const StoredLineage = /* @__PURE__ */ schema(() =>
  z.object({
    datasets: z
      .array(
        z.object({ uri: Text, sha256: Text.optional(), versionId: Text.optional(), role: Text.optional() }),
      )
      .optional(),
    code: z.object({ repository: Text, commit: Text }).optional(),
    image: z.object({ uri: Text, digest: Text }).optional(),
    trainingRun: z.object({ id: Text, uri: Text.optional() }).optional(),
  }),
);

/** A version's baseline: where its profile is, and what it profiles. */
export const BaselineSummary = /* @__PURE__ */ schema(() =>
  z.object({
    uri: Text,
    dataset: z.object({ uri: Text, format: Text }),
    rows: z.number(),
    features: z.array(z.object({ name: Text, kind: Text })),
    prediction: Text.optional(),
    target: Text.optional(),
    createdAt: Timestamp,
    createdBy: Text,
  }),
);
export type BaselineSummary = z.infer<typeof BaselineSummary>;

export const VersionItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('version'),
    name: Text,
    version: z.number().int(),
    status: VersionStatus,
    statusReason: Text.optional(),
    artifact: StoredArtifact,
    framework: Text.optional(),
    /** Absent when the registration named none (the manifest then says so). */
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    metrics: z.record(z.string(), z.number()),
    lineage: StoredLineage,
    description: Text.optional(),
    tags: StringMap,
    /** The baseline profile drift is measured against (`PUT .../baseline`). */
    baseline: BaselineSummary.optional(),
    /** Where the version serves now: `<environment>/<target>` -> its deployment (kept by deployments). */
    servingOn: z.record(z.string(), z.object({ deploymentId: Text, since: Timestamp })).optional(),
    /** Operations under way that will make this version serve (kept by deployments). */
    deployingIds: z.set(z.string()).optional(),
    /** The latest approval request per environment, kept by the approval workflow. */
    approvalsByEnvironment: z
      .record(
        z.string(),
        z.object({ id: Text, status: Text, requestedAt: Timestamp, decidedAt: Timestamp.optional() }),
      )
      .optional(),
    revision: z.number().int(),
    createdAt: Timestamp,
    createdBy: Text,
    updatedAt: Timestamp,
    updatedBy: Text,
    /** Deleted through MLflow: archived (or failed), kept for the audit trail, gone from MLflow reads. */
    deletedAt: Timestamp.optional(),
  }),
);
export type VersionItem = z.infer<typeof VersionItem>;

export const AliasItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('alias'),
    name: Text,
    alias: Text,
    version: z.number().int(),
    createdAt: Timestamp,
    createdBy: Text,
  }),
);
export type AliasItem = z.infer<typeof AliasItem>;

export const CardItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('card'),
    name: Text,
    card: z.record(z.string(), z.unknown()),
    revision: z.number().int(),
    updatedAt: Timestamp,
    updatedBy: Text,
  }),
);
export type CardItem = z.infer<typeof CardItem>;

// ---- approvals ------------------------------------------------------------------------------

export const DecisionEntry = /* @__PURE__ */ schema(() =>
  z.object({
    /** Who decided (the principal), and as which member of the group. */
    by: Text,
    member: Text,
    decision: Decision,
    comment: Text.optional(),
    at: Timestamp,
    group: Text,
    via: z.enum(['api', 'link']),
  }),
);
export type DecisionEntry = z.infer<typeof DecisionEntry>;

export const ApprovalItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('approval'),
    id: Text,
    model: Text,
    version: z.number().int(),
    environment: Text,
    status: ApprovalStatus,
    reason: Text.optional(),
    requestedBy: Text,
    requestedAt: Timestamp,
    expiresAt: Timestamp,
    expiresAtEpoch: z.number(),
    registrant: Text,
    groups: z.array(GroupState),
    approvers: z.array(Text),
    decisions: z.array(DecisionEntry),
    deployOnApproval: z.record(z.string(), z.unknown()).optional(),
    decidedAt: Timestamp.optional(),
    outcomeReason: Text.optional(),
    recordedAt: Timestamp.optional(),
    deploymentId: Text.optional(),
    deploymentError: Text.optional(),
    revision: z.number().int(),
  }),
);
export type ApprovalItem = z.infer<typeof ApprovalItem>;

export const LinkItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('link'),
    requestId: Text,
    member: Text,
    expiresAt: Timestamp,
    expiresAtEpoch: z.number(),
    usedAt: Timestamp.optional(),
    ttl: z.number(),
  }),
);
export type LinkItem = z.infer<typeof LinkItem>;

// ---- deployments ----------------------------------------------------------------------------

export const Operation = /* @__PURE__ */ schema(() => z.enum(['deploy', 'rollback', 'decommission']));
export type Operation = z.infer<typeof Operation>;

export const HistoryEntry = /* @__PURE__ */ schema(() =>
  z.object({ at: Timestamp, step: Text, detail: z.record(z.string(), z.unknown()).optional() }),
);
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** What a deployment made on its target, kept for rollback and decommission. */
export const DeploymentResources = /* @__PURE__ */ schema(() =>
  z.object({
    sagemakerModelName: Text.optional(),
    endpointConfigName: Text.optional(),
    lambdaVersion: Text.optional(),
    previousLambdaVersion: Text.optional(),
    transformJobName: Text.optional(),
  }),
);
export type DeploymentResources = z.infer<typeof DeploymentResources>;

/** A version a running operation is about to make serve: `model` and `version`. */
export const VersionRef = /* @__PURE__ */ schema(() => z.object({ model: Text, version: z.number().int() }));
export type VersionRef = z.infer<typeof VersionRef>;

export const ServingRef = /* @__PURE__ */ schema(() =>
  z.object({
    deploymentId: Text,
    model: Text,
    version: z.number().int(),
    since: Timestamp,
    resources: DeploymentResources,
  }),
);
export type ServingRef = z.infer<typeof ServingRef>;

export const DeploymentItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('deployment'),
    id: Text,
    model: Text,
    version: z.number().int(),
    environment: Text,
    target: Target,
    targetId: Text,
    strategy: z.record(z.string(), z.unknown()),
    alarms: z.array(Text),
    status: DeploymentStatus,
    operation: Operation,
    reason: Text.optional(),
    history: z.array(HistoryEntry),
    resources: DeploymentResources,
    previous: ServingRef.optional(),
    /** A rollback: the version it restores (marked as being deployed while the rollback runs). */
    rollbackTo: VersionRef.optional(),
    approvalId: Text.optional(),
    createdAt: Timestamp,
    createdBy: Text,
    updatedAt: Timestamp,
  }),
);
export type DeploymentItem = z.infer<typeof DeploymentItem>;

export const TargetItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('target'),
    environment: Text,
    targetId: Text,
    busyWith: Text.optional(),
    current: ServingRef.optional(),
    previous: ServingRef.optional(),
  }),
);
export type TargetItem = z.infer<typeof TargetItem>;

export const ServedItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('served'),
    environment: Text,
    targetId: Text,
    model: Text,
    version: z.number().int(),
    deploymentId: Text,
    from: Timestamp,
    to: Timestamp.optional(),
  }),
);
export type ServedItem = z.infer<typeof ServedItem>;

// ---- monitoring -----------------------------------------------------------------------------

export const MonitorItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('monitor'),
    deploymentId: Text,
    model: Text,
    version: z.number().int(),
    environment: Text,
    targetId: Text,
    capture: z.object({ uri: Text, format: z.enum(['sagemaker-capture', 'jsonl', 'csv']) }),
    schedule: Text,
    thresholds: z.record(z.string(), z.unknown()).optional(),
    alarmThreshold: z.number(),
    alarmName: Text,
    groundTruth: z
      .object({
        uri: Text,
        task: z.enum(['binary', 'multiclass', 'regression']),
        positiveLabel: z.union([z.string(), z.number()]).optional(),
      })
      .optional(),
    nextRunAt: Timestamp,
    updatedAt: Timestamp,
    updatedBy: Text,
  }),
);
export type MonitorItem = z.infer<typeof MonitorItem>;

export const DriftRunFeature = /* @__PURE__ */ schema(() =>
  z.object({
    name: Text,
    kind: Text,
    psi: z.number().nullable(),
    jsDistance: z.number().nullable(),
    jsDistanceBase2: z.number().nullable(),
    drifted: z.boolean(),
  }),
);
export type DriftRunFeature = z.infer<typeof DriftRunFeature>;

export const DriftRunItem = /* @__PURE__ */ schema(() =>
  z.object({
    entity: z.literal('drift-run'),
    id: Text,
    deploymentId: Text,
    model: Text,
    environment: Text,
    window: z.object({ from: Timestamp, to: Timestamp }),
    rows: z.number(),
    driftedShare: z.number(),
    status: Text,
    health: Text.optional(),
    empty: z.boolean(),
    reason: Text.optional(),
    drifted: z.array(Text),
    /**
     * Each feature's headline figures, so drift over time reads from the list of runs (the whole
     * report stays in S3). Absent on runs made before it was kept.
     */
    features: z.array(DriftRunFeature).optional(),
    reportUri: Text,
    /** The report as a page (`.html` beside the JSON). Absent on runs made before pages existed. */
    reportPageUri: Text.optional(),
    trigger: z.enum(['schedule', 'request']),
    at: Timestamp,
  }),
);
export type DriftRunItem = z.infer<typeof DriftRunItem>;

// ---- idempotency ----------------------------------------------------------------------------

export const StoredResponse = /* @__PURE__ */ schema(() =>
  z.object({
    statusCode: z.number().int(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
);
export type StoredResponse = z.infer<typeof StoredResponse>;

/** A request's Idempotency-Key: the first request's fingerprint, its state and its answer. */
export const IdempotencyRecord = /* @__PURE__ */ schema(() =>
  z.object({
    fingerprint: Text,
    /**
     * IN_PROGRESS: claimed, nothing written yet. COMMITTED: the request's change is written (in the
     * same transaction as this state) but its answer was not recorded: it never runs again.
     * COMPLETE: the answer is recorded and replayed.
     */
    state: z.enum(['IN_PROGRESS', 'COMMITTED', 'COMPLETE']),
    response: StoredResponse.optional(),
    lockExpiresAt: z.number(),
    claimId: Text.optional(),
  }),
);
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

// ---- environments, audit, lineage -----------------------------------------------------------

/** A stored environment policy (it overrides the seeded default of the same name). */
export const EnvironmentItem = /* @__PURE__ */ schema(() =>
  EnvironmentPolicy.extend({
    name: Text,
    revision: z.number().int(),
    updatedAt: Timestamp,
    updatedBy: Text,
  }),
);
export type EnvironmentItem = z.infer<typeof EnvironmentItem>;

/** One event of a model's (or the system's) audit chain, its hash over the rest. */
export const AuditEventItem = /* @__PURE__ */ schema(() =>
  z.object({
    model: Text,
    seq: z.number().int(),
    at: Timestamp,
    actor: Text,
    action: Text,
    target: Text,
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    prevHash: Text,
    hash: Text,
  }),
);

/** A lineage edge (stored twice: under its source and under its target). */
export const EdgeItem = /* @__PURE__ */ schema(() =>
  z.object({
    from: NodeRef,
    to: NodeRef,
    relation: Text,
    attributes: z.record(z.string(), z.unknown()).optional(),
    createdAt: Timestamp,
    createdBy: Text,
  }),
);
export type EdgeItem = z.infer<typeof EdgeItem>;
