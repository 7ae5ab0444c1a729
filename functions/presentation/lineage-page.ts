import { escapeHtml } from '#domain/html';
import { type Graph, type NodeRef, nodeKey, parseModelVersionNode } from '#domain/lineage';
import { lineageLegend, lineageSvg } from './lineage-svg.ts';
import { page } from './page.ts';

/**
 * The lineage of a node as a page of its own: the picture, its key, and the same graph as lists
 * (for screen readers, and for copying ids). Self-contained: saved to a file it still reads.
 */
export interface LineagePageOptions {
  start: NodeRef;
  direction: string;
  depth: number;
  /** Where a model version's own lineage page is, e.g. `/v1/lineage?node=…&format=html`. */
  versionHref: (node: NodeRef) => string;
}

export const lineagePage = (graph: Graph, options: LineagePageOptions): string => {
  const e = escapeHtml;
  const href = (node: NodeRef) => (parseModelVersionNode(node) ? options.versionHref(node) : undefined);
  const label = (node: NodeRef) => `${node.kind} ${node.id}`;
  const svg = lineageSvg(graph, { start: options.start, href, title: `Lineage of ${label(options.start)}` });
  const byKind = new Map<string, Graph['nodes']>();
  for (const node of graph.nodes) byKind.set(node.kind, [...(byKind.get(node.kind) ?? []), node]);
  const nodeItem = (node: Graph['nodes'][number]) => {
    const link = href(node);
    const name = link ? `<a href="${e(link)}">${e(node.id)}</a>` : e(node.id);
    const serving = Array.isArray(node.serving)
      ? ` (serving: ${node.serving.map((s) => e(String(s))).join(', ')})`
      : '';
    const status = typeof node.status === 'string' ? ` <span class="note">${e(node.status)}</span>` : '';
    return `<li data-node="${e(nodeKey(node))}">${name}${status}${serving}</li>`;
  };
  return page(
    `Lineage of ${label(options.start)}`,
    `<h1>Lineage of <code id="start">${e(nodeKey(options.start))}</code></h1>
<p class="note">${e(options.direction)}, up to ${options.depth} level${options.depth === 1 ? '' : 's'}: ${graph.nodes.length} node${graph.nodes.length === 1 ? '' : 's'}, ${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'}.</p>
<figure id="lineage">${svg}</figure>
${lineageLegend(graph)}
<h2>Nodes by kind</h2>
<div id="nodes">${[...byKind]
      .map(
        ([kind, nodes]) =>
          `<h3>${e(kind)}</h3><ul data-kind="${e(kind)}">${nodes.map(nodeItem).join('')}</ul>`,
      )
      .join('')}</div>
<h2>Edges</h2>
${
  graph.edges.length
    ? `<table id="edges"><thead><tr><th scope="col">from</th><th scope="col">relation</th><th scope="col">to</th></tr></thead><tbody>${graph.edges
        .map(
          (edge) =>
            `<tr><td>${e(nodeKey(edge.from))}</td><td>${e(edge.relation)}</td><td>${e(nodeKey(edge.to))}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="note">No edges: nothing is recorded as connected to this node.</p>'
}`,
  );
};
