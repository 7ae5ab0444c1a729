import { lineageRoutes } from '#api/routes/lineage';
import { httpHandler, json, operationsFor, PAGE_HEADERS } from '#commons/http';
import { nodeKey, toMermaid } from '#domain/lineage';
import { lineageOf, recordEdge } from '#services/lineage';

/**
 * The lineage graph: record an edge by hand, walk the graph as JSON, as a Mermaid flowchart, or as
 * a page with the picture (`Accept: text/html` or `format=html`).
 */
export const operations = operationsFor(lineageRoutes, {
  createEdge: async (request) => json(201, await recordEdge(request.principal, request.input.body)),

  getLineage: async (request) => {
    const query = request.input.query;
    const graph = await lineageOf(query.node, query.direction, query.depth);
    const accept = request.headers.accept ?? '';
    const format =
      query.format ??
      (accept.includes('text/vnd.mermaid') ? 'mermaid' : accept.includes('text/html') ? 'html' : 'json');
    if (format === 'html') {
      // The page's layout (dagre) is imported by the first request for a page, not at cold start:
      // the JSON and Mermaid answers never need it.
      const { lineagePage } = await import('#presentation/lineage-page');
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
    }
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
