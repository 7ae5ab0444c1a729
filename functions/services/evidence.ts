import { type ApprovalItem, listApprovalsOfVersion } from '#adapters/approvals-table';
import { readChain, type StoredAuditEvent } from '#adapters/audit-table';
import {
  type DeploymentItem,
  listDeployments,
  type ServedItem,
  servedHistory,
} from '#adapters/deployments-table';
import { getJson } from '#adapters/json-store';
import { walkLineage } from '#adapters/lineage-table';
import { type DriftRunItem, listDriftRuns } from '#adapters/monitoring-table';
import {
  getCard,
  getModelWithAliases,
  getVersion,
  type ModelItem,
  type VersionItem,
} from '#adapters/registry-table';
import { allPages } from '#adapters/table';
import { NotFoundError } from '#commons/errors';
import { attemptsChain } from '#domain/audit-query';
import type { PerformanceFigures } from '#domain/drift/ground-truth';
import type { FeatureDrift } from '#domain/drift/report';
import type { Graph, NodeRef } from '#domain/lineage';
import { teamOf } from '#domain/model';
import { missingForReproducibility } from '#domain/reproducibility';
import { type ChainVerification, verifyAuditChain } from './audit-verify.ts';

/**
 * The evidence pack of one model version: everything an auditor files about it, read at one
 * moment. It reads and changes nothing; the presentation turns it into a page.
 */

/** How far the pack walks lineage, each way from the version. */
export const EVIDENCE_LINEAGE_DEPTH = 5;
/** The newest drift runs shown per deployment (each with its report's figures). */
export const EVIDENCE_DRIFT_RUNS = 20;

export interface DriftRunEvidence {
  run: Omit<DriftRunItem, 'entity'>;
  features: FeatureDrift[];
  prediction?: FeatureDrift;
  performance?: PerformanceFigures;
  /** Why the figures are missing, when the report could not be read. */
  unreadable?: string;
}

export interface DeploymentEvidence {
  deployment: DeploymentItem;
  /** Every stretch this version served on the deployment's target, oldest first. */
  served: ServedItem[];
  driftRuns: DriftRunEvidence[];
}

export interface ChainEvidence {
  verification: ChainVerification;
  /** The chain's last event when the pack was made: what a later check compares against. */
  head?: { seq: number; hash: string; at: string };
  /** The events of this chain that concern the version, in order. */
  events: StoredAuditEvent[];
}

export interface EvidenceFacts {
  generatedAt: string;
  generatedBy: string;
  model: ModelItem;
  aliases: Record<string, number>;
  card: { card: Record<string, unknown>; revision: number; updatedAt?: string; updatedBy?: string };
  version: VersionItem;
  reproducible: boolean;
  missing: { path: string; message: string }[];
  lineage: { start: NodeRef; graph: Graph };
  approvals: ApprovalItem[];
  deployments: DeploymentEvidence[];
  audit: ChainEvidence;
  /** The model's refused attempts (`_attempts:<model>`) that name this version's approvals or deployments. */
  attempts: ChainEvidence;
}

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

/** Every deployment of the model (newest first), a page at a time. */
const allDeployments = (model: string): Promise<DeploymentItem[]> =>
  allPages((startKey) => listDeployments(model, { limit: 100, ...(startKey ? { startKey } : {}) }));

const driftEvidence = async (run: DriftRunItem): Promise<DriftRunEvidence> => {
  const { entity: _entity, ...summary } = run;
  try {
    const report = await getJson<{
      features?: FeatureDrift[];
      prediction?: FeatureDrift;
      performance?: PerformanceFigures;
    }>(run.reportUri);
    return {
      run: summary,
      features: report.features ?? [],
      ...(report.prediction ? { prediction: report.prediction } : {}),
      ...(report.performance ? { performance: report.performance } : {}),
    };
  } catch (error) {
    // The run's summary still stands; the pack says the figures could not be read rather than fail.
    return { run: summary, features: [], unreadable: (error as Error).message };
  }
};

const chainEvidence = async (
  name: string,
  concerns: (event: StoredAuditEvent) => boolean,
): Promise<ChainEvidence> => {
  const events = await collect(readChain(name));
  const verification = await verifyAuditChain(name, events);
  const last = events.at(-1);
  return {
    verification,
    ...(last ? { head: { seq: last.seq, hash: last.hash, at: last.at } } : {}),
    events: events.filter(concerns),
  };
};

const afterVersion = (event: StoredAuditEvent): unknown =>
  (event.after as { version?: unknown } | undefined)?.version;

export const evidencePack = async (
  name: string,
  number: number,
  principal: string,
): Promise<EvidenceFacts> => {
  const [found, version] = await Promise.all([getModelWithAliases(name), getVersion(name, number)]);
  if (!found?.model) throw new NotFoundError(`model ${name} does not exist`);
  if (!version) throw new NotFoundError(`version ${number} of ${name} does not exist`);
  const { model, aliases } = found;
  const start: NodeRef = { kind: 'model-version', id: `${name}:${number}` };

  const [card, graph, approvals, deployments] = await Promise.all([
    getCard(name),
    walkLineage(start, 'both', EVIDENCE_LINEAGE_DEPTH),
    listApprovalsOfVersion(name, number),
    allDeployments(name).then((all) => all.filter((d) => d.version === number)),
  ]);

  const deploymentEvidence = await Promise.all(
    deployments.map(async (deployment): Promise<DeploymentEvidence> => {
      const [history, runs] = await Promise.all([
        servedHistory(deployment.environment, deployment.targetId),
        listDriftRuns(deployment.id, EVIDENCE_DRIFT_RUNS),
      ]);
      return {
        deployment,
        served: history.filter((s) => s.model === name && s.version === number).reverse(),
        driftRuns: await Promise.all(runs.items.map(driftEvidence)),
      };
    }),
  );

  // What this version's trail is: its own events, its approvals', its deployments', the aliases
  // moved to it and the lineage edges that touch it.
  const targets = new Set([
    `version:${name}:${number}`,
    ...approvals.map((a) => `approval:${a.id}`),
    ...deployments.map((d) => `deployment:${d.id}`),
  ]);
  const node = `model-version:${name}:${number}`;
  const concerns = (e: StoredAuditEvent) =>
    targets.has(e.target) ||
    (e.target.startsWith(`alias:${name}:`) && afterVersion(e) === number) ||
    (e.target.startsWith('edge:') && e.target.split('>').some((part) => part.replace(/^edge:/, '') === node));
  const [audit, attempts] = await Promise.all([
    chainEvidence(name, concerns),
    chainEvidence(attemptsChain(name), (e) => targets.has(e.target)),
  ]);

  const missing = missingForReproducibility(version);
  return {
    generatedAt: new Date().toISOString(),
    generatedBy: principal,
    model,
    aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
    card: card
      ? {
          card: card.card,
          revision: card.revision,
          ...(card.updatedAt ? { updatedAt: card.updatedAt } : {}),
          ...(card.updatedBy ? { updatedBy: card.updatedBy } : {}),
        }
      : {
          // A model without a card yet: what the model itself knows, as GET /card answers.
          card: {
            ...(model.purpose ? { purpose: model.purpose } : {}),
            ...(model.riskTier ? { riskTier: model.riskTier } : {}),
            owners: teamOf(model),
          },
          revision: 0,
        },
    version,
    reproducible: missing.length === 0,
    missing,
    lineage: { start, graph },
    approvals: approvals.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt)),
    deployments: deploymentEvidence.sort((a, b) =>
      a.deployment.createdAt.localeCompare(b.deployment.createdAt),
    ),
    audit,
    attempts,
  };
};
