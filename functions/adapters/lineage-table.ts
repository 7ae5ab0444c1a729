import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { doc } from '#commons/clients';
import { EdgeExistsError } from '#domain/errors';
import { EdgeItem } from '#domain/items';
import {
  type Direction,
  type Edge,
  type Graph,
  type NodeRef,
  nodeKey,
  parseModelVersionNode,
} from '#domain/lineage';
import { refusedWith, type TransactItem } from './audit-chain.ts';
import { itemsOf, keys } from './keys.ts';
import { queryAll, table } from './table.ts';

/**
 * Lineage edges. Each edge is two items, one under its source (`OUT#...`) and one under its
 * target (`IN#...`), so a walk in either direction is one Query per node; a walk fetches each
 * level's nodes in parallel, so the requests in sequence grow with the depth, not the graph.
 */

/** The two items of each edge, for a transaction; `onlyNew` refuses an edge that exists. */
export const edgeWrites = (edges: Edge[], at: string, actor: string, onlyNew: boolean): TransactItem[] =>
  edges.flatMap((edge) => {
    const from = nodeKey(edge.from);
    const to = nodeKey(edge.to);
    const item: EdgeItem & { entity: 'edge' } = {
      entity: 'edge',
      from: edge.from,
      to: edge.to,
      relation: edge.relation,
      ...(edge.attributes && Object.keys(edge.attributes).length ? { attributes: edge.attributes } : {}),
      createdAt: at,
      createdBy: actor,
    };
    const out: TransactItem = {
      Put: { TableName: table(), Item: { ...keys.edgeOut(from, edge.relation, to), ...item } },
    };
    return [
      onlyNew
        ? refusedWith(
            { Put: { ...out.Put!, ConditionExpression: 'attribute_not_exists(pk)' } },
            () => new EdgeExistsError(),
          )
        : out,
      { Put: { TableName: table(), Item: { ...keys.edgeIn(from, edge.relation, to), ...item } } },
    ];
  });

const queryEdges = (node: NodeRef, side: 'OUT' | 'IN'): Promise<EdgeItem[]> =>
  queryAll(
    {
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :side)',
      ExpressionAttributeValues: { ':pk': keys.node(nodeKey(node)), ':side': `${side}#` },
    },
    itemsOf(EdgeItem),
  );

/** Details of the model-version nodes (status, dates), one parallel round of BatchGets. */
const describeVersions = async (nodes: NodeRef[]): Promise<Map<string, Record<string, unknown>>> => {
  const versions = nodes.flatMap((node) => {
    const parsed = parseModelVersionNode(node);
    return parsed ? [parsed] : [];
  });
  const details = new Map<string, Record<string, unknown>>();
  const chunks: (typeof versions)[] = [];
  for (let i = 0; i < versions.length; i += 100) chunks.push(versions.slice(i, i + 100));
  await Promise.all(
    chunks.map(async (chunk) => {
      let request: Record<string, { Keys: Record<string, unknown>[] }> = {
        [table()]: { Keys: chunk.map((v) => keys.version(v.name, v.version)) },
      };
      for (let round = 0; round < 5 && Object.keys(request).length; round++) {
        const out = await doc().send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[table()] ?? [])
          details.set(`model-version:${item.name}:${item.version}`, {
            status: item.status,
            createdAt: item.createdAt,
            createdBy: item.createdBy,
            // Where the version serves now (`<environment>/<target>`), so pictures can mark it.
            ...(item.servingOn && Object.keys(item.servingOn).length
              ? { serving: Object.keys(item.servingOn) }
              : {}),
          });
        request = (out.UnprocessedKeys ?? {}) as typeof request;
      }
    }),
  );
  return details;
};

/**
 * Walk from `start` up to `depth` levels. Upstream follows edges backwards, downstream forwards;
 * `both` is the union of the two walks (it does not turn around, so siblings are not pulled in).
 */
export const walkLineage = async (start: NodeRef, direction: Direction, depth: number): Promise<Graph> => {
  const nodes = new Map<string, NodeRef>([[nodeKey(start), start]]);
  const edges = new Map<string, Edge>();
  const sides: ('OUT' | 'IN')[] =
    direction === 'downstream' ? ['OUT'] : direction === 'upstream' ? ['IN'] : ['OUT', 'IN'];
  let frontier = sides.map((side) => ({ node: start, side }));
  const walked = new Set(frontier.map((f) => `${f.side}|${nodeKey(f.node)}`));

  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const found = await Promise.all(
      frontier.map(async ({ node, side }) => ({ side, items: await queryEdges(node, side) })),
    );
    const next: typeof frontier = [];
    for (const { side, items } of found) {
      for (const item of items) {
        const key = `${nodeKey(item.from)}>${item.relation}>${nodeKey(item.to)}`;
        if (!edges.has(key))
          edges.set(key, {
            from: item.from,
            to: item.to,
            relation: item.relation,
            ...(item.attributes ? { attributes: item.attributes } : {}),
          });
        const reached = side === 'OUT' ? item.to : item.from;
        nodes.set(nodeKey(reached), reached);
        // A node walked before on this side (a cycle, the second arm of a diamond) is not walked again.
        const mark = `${side}|${nodeKey(reached)}`;
        if (!walked.has(mark)) {
          walked.add(mark);
          next.push({ node: reached, side });
        }
      }
    }
    frontier = next;
  }

  const details = await describeVersions([...nodes.values()]);
  return {
    nodes: [...nodes.values()].map((n) => ({ kind: n.kind, id: n.id, ...details.get(nodeKey(n)) })),
    edges: [...edges.values()],
  };
};
