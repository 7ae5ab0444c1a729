import { commitMutation, readChainHead, retryOnConflict } from '#adapters/audit-chain';
import { SYSTEM_CHAIN } from '#adapters/keys';
import { edgeWrites, walkLineage } from '#adapters/lineage-table';
import { getModelAndVersion } from '#adapters/registry-table';
import { lineageRoutes } from '#api/routes/lineage';
import { NotFoundError } from '#commons/errors';
import { httpHandler, json, operationsFor, PAGE_HEADERS } from '#commons/http';
import { requireOwner } from '#commons/identity';
import { nodeKey, parseModelVersionNode, toMermaid } from '#domain/lineage';
import { lineagePage } from '#presentation/lineage-page';

/**
 * The lineage graph: record an edge by hand, walk the graph as JSON, as a Mermaid flowchart, or as
 * a page with the picture (`Accept: text/html` or `format=html`).
 */

export const operations = operationsFor(lineageRoutes, {
  createEdge: async (request) => {
    const edge = request.input.body;
    for (const [side, node] of [
      ['from', edge.from],
      ['to', edge.to],
    ] as const)
      if (node.kind === 'model-version' && !parseModelVersionNode(node))
        throw new NotFoundError(`body.${side}: a model-version id is <model>:<version>`);
    // An edge that touches a model version belongs to that model's audit chain; others to the system's.
    const owned = parseModelVersionNode(edge.to) ?? parseModelVersionNode(edge.from);
    const at = new Date().toISOString();
    const actor = request.principal.id;
    await retryOnConflict(async () => {
      let head = owned ? undefined : await readChainHead(SYSTEM_CHAIN);
      if (owned) {
        const found = await getModelAndVersion(owned.name, owned.version);
        if (!found.model) throw new NotFoundError(`model ${owned.name} does not exist`);
        if (!found.version)
          throw new NotFoundError(`version ${owned.version} of ${owned.name} does not exist`);
        requireOwner(request.principal, found.model);
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
    return json(201, { ...edge, createdAt: at, createdBy: actor });
  },

  getLineage: async (request) => {
    const query = request.input.query;
    const version = parseModelVersionNode(query.node);
    if (query.node.kind === 'model-version' && !version)
      throw new NotFoundError('a model-version id is <model>:<version>');
    // The start's existence is checked alongside the first level of the walk, not before it:
    // the requests in sequence stay one per level, plus the final details.
    const [found, graph] = await Promise.all([
      version ? getModelAndVersion(version.name, version.version) : undefined,
      walkLineage(query.node, query.direction, query.depth),
    ]);
    if (version && !found?.version)
      throw new NotFoundError(`version ${version.version} of ${version.name} does not exist`);
    const accept = request.headers.accept ?? '';
    const format =
      query.format ??
      (accept.includes('text/vnd.mermaid') ? 'mermaid' : accept.includes('text/html') ? 'html' : 'json');
    if (format === 'html')
      return {
        statusCode: 200,
        headers: PAGE_HEADERS,
        body: lineagePage(graph, {
          start: query.node,
          direction: query.direction,
          depth: query.depth,
          versionHref: (node) =>
            `?${new URLSearchParams({ node: nodeKey(node), direction: query.direction, depth: String(query.depth), format: 'html' })}`,
        }),
      };
    if (format === 'mermaid')
      return {
        statusCode: 200,
        body: toMermaid(graph, query.node),
        headers: { 'content-type': 'text/vnd.mermaid; charset=utf-8' },
      };
    return json(200, { root: query.node, direction: query.direction, depth: query.depth, ...graph });
  },
});

export const handler = httpHandler(lineageRoutes, operations);
