import type * as z from 'zod';
import { commitMutation, readChainHead, retryOnConflict } from '#adapters/audit-chain';
import { SYSTEM_CHAIN } from '#adapters/keys';
import { edgeWrites, walkLineage } from '#adapters/lineage-table';
import { getModelAndVersion } from '#adapters/registry-table';
import { NotFoundError } from '#commons/errors';
import { type Principal, requireOwner } from '#commons/identity';
import {
  type CreateEdgeBody,
  type Direction,
  type Graph,
  type NodeRef,
  nodeKey,
  parseModelVersionNode,
} from '#domain/lineage';

type Edge = z.output<typeof CreateEdgeBody>;

/**
 * The lineage graph's use cases: record an edge by hand (audited in the chain of the model version
 * it touches, or the system's), and walk the graph from a node. How the graph is shown (JSON,
 * Mermaid, a page) is the handler's and presentation's business.
 */

/**
 * Record an edge. An edge that touches a model version needs the model's owner, and the version
 * must exist; a malformed model-version id is as unknown as a missing one (404, naming the side).
 */
export const recordEdge = async (
  principal: Principal,
  edge: Edge,
): Promise<Edge & { createdAt: string; createdBy: string }> => {
  for (const [side, node] of [
    ['from', edge.from],
    ['to', edge.to],
  ] as const)
    if (node.kind === 'model-version' && !parseModelVersionNode(node))
      throw new NotFoundError(`body.${side}: a model-version id is <model>:<version>`);
  // An edge that touches a model version belongs to that model's audit chain; others to the system's.
  const owned = parseModelVersionNode(edge.to) ?? parseModelVersionNode(edge.from);
  const at = new Date().toISOString();
  const actor = principal.id;
  await retryOnConflict(async () => {
    let head = owned ? undefined : await readChainHead(SYSTEM_CHAIN);
    if (owned) {
      const found = await getModelAndVersion(owned.name, owned.version);
      if (!found.model) throw new NotFoundError(`model ${owned.name} does not exist`);
      if (!found.version) throw new NotFoundError(`version ${owned.version} of ${owned.name} does not exist`);
      requireOwner(principal, found.model);
      head = found.model;
    }
    const name = owned?.name ?? SYSTEM_CHAIN;
    await commitMutation({
      head,
      name,
      actor,
      action: 'lineage.edge.created',
      target: `edge:${nodeKey(edge.from)}>${edge.relation}>${nodeKey(edge.to)}`,
      after: edge,
      at,
      ...(head ? {} : { createModel: { entity: 'chain', name } }),
      writes: edgeWrites([edge], at, actor, true),
    });
  });
  return { ...edge, createdAt: at, createdBy: actor };
};

/**
 * The graph around a node, `depth` levels in `direction`. A model version that does not exist is
 * a 404; its existence is checked alongside the first level of the walk, not before it, so the
 * requests in sequence stay one per level, plus the final details.
 */
export const lineageOf = async (node: NodeRef, direction: Direction, depth: number): Promise<Graph> => {
  const version = parseModelVersionNode(node);
  if (node.kind === 'model-version' && !version)
    throw new NotFoundError('a model-version id is <model>:<version>');
  const [found, graph] = await Promise.all([
    version ? getModelAndVersion(version.name, version.version) : undefined,
    walkLineage(node, direction, depth),
  ]);
  if (version && !found?.version)
    throw new NotFoundError(`version ${version.version} of ${version.name} does not exist`);
  return graph;
};
