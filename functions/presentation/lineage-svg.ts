import dagre, { type Edge } from '@dagrejs/dagre';
import { escapeHtml } from '#domain/html';
import { type Graph, type NodeKind, type NodeRef, nodeKey } from '#domain/lineage';

/**
 * The lineage graph as an inline SVG, laid out on the server by dagre (synchronous, no DOM, no
 * worker: it runs as is in a Lambda). Pure: graph in, markup out. Each kind of node has its own
 * shape, colour and written kind, so nothing is told by colour alone; a deployment (and a version
 * that serves somewhere) is marked; nodes may link (`href`), e.g. versions to their own lineage.
 */
export interface LineageSvgOptions {
  /** The node the walk started from: drawn with a heavier outline. */
  start?: NodeRef;
  /** Where a node links to, if anywhere. */
  href?: (node: NodeRef) => string | undefined;
  /** The accessible name of the picture. */
  title?: string;
  /** Prefix of the element ids inside the SVG, unique per picture on one page. */
  idPrefix?: string;
}

interface KindStyle {
  fill: string;
  stroke: string;
  label: string;
}

const KINDS: Record<NodeKind, KindStyle> = {
  dataset: { fill: '#ddf4ff', stroke: '#0969da', label: 'dataset' },
  'feature-set': { fill: '#ddf4ff', stroke: '#0550ae', label: 'feature set' },
  code: { fill: '#fff8c5', stroke: '#9a6700', label: 'code' },
  image: { fill: '#fbefff', stroke: '#8250df', label: 'image' },
  'training-run': { fill: '#ffeff7', stroke: '#bf3989', label: 'training run' },
  'model-version': { fill: '#dafbe1', stroke: '#1a7f37', label: 'model version' },
  deployment: { fill: '#fff1e5', stroke: '#bc4c00', label: 'deployment' },
  endpoint: { fill: '#f6f8fa', stroke: '#57606a', label: 'endpoint' },
};

const CHAR = 7.4;
const MAX_ID_CHARS = 40;
const NODE_HEIGHT = 52;
const PAD = 12;

const shorten = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.ceil(max / 2) - 1)}…${text.slice(-Math.floor(max / 2))}`;

/** What a node says about where it serves, if anything (model versions carry `serving`). */
const servingOf = (node: Graph['nodes'][number]): string[] =>
  Array.isArray(node.serving) ? node.serving.filter((s): s is string => typeof s === 'string') : [];

const isMarked = (node: Graph['nodes'][number]): boolean =>
  node.kind === 'deployment' || servingOf(node).length > 0;

const subtitle = (node: Graph['nodes'][number]): string | undefined => {
  const serving = servingOf(node);
  if (serving.length > 0) return `serving: ${serving.join(', ')}`;
  if (typeof node.status === 'string') return node.status.toLowerCase();
  return undefined;
};

/** The outline of a node of this kind, as SVG, inside its box. */
const shape = (kind: NodeKind, x: number, y: number, w: number, h: number, style: string): string => {
  switch (kind) {
    case 'dataset':
    case 'feature-set': {
      // A cylinder: the usual picture of stored data.
      const ry = 5;
      return `<path d="M${x},${y + ry} a${w / 2},${ry} 0 0,0 ${w},0 a${w / 2},${ry} 0 0,0 ${-w},0 v${h - 2 * ry} a${w / 2},${ry} 0 0,0 ${w},0 v${-(h - 2 * ry)}" ${style}/>`;
    }
    case 'deployment': {
      const c = 10;
      return `<polygon points="${x + c},${y} ${x + w - c},${y} ${x + w},${y + h / 2} ${x + w - c},${y + h} ${x + c},${y + h} ${x},${y + h / 2}" ${style}/>`;
    }
    case 'endpoint':
    case 'training-run':
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${h / 2}" ${style}/>`;
    case 'code':
      return `<polygon points="${x + 8},${y} ${x + w},${y} ${x + w - 8},${y + h} ${x},${y + h}" ${style}/>`;
    default:
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" ${style}/>`;
  }
};

export const lineageSvg = (graph: Graph, options: LineageSvgOptions = {}): string => {
  const layout = new dagre.graphlib.Graph({ multigraph: true });
  layout.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 70, marginx: 8, marginy: 8 });
  layout.setDefaultEdgeLabel(() => ({}));
  const ids = new Map<string, string>();
  graph.nodes.forEach((node, i) => {
    const id = `n${i}`;
    ids.set(nodeKey(node), id);
    const sub = subtitle(node);
    const chars = Math.max(
      shorten(node.id, MAX_ID_CHARS).length,
      KINDS[node.kind].label.length,
      sub ? Math.min(sub.length, MAX_ID_CHARS) : 0,
    );
    layout.setNode(id, { width: Math.max(110, chars * CHAR + 2 * PAD), height: NODE_HEIGHT });
  });
  graph.edges.forEach((edge, i) => {
    const from = ids.get(nodeKey(edge.from));
    const to = ids.get(nodeKey(edge.to));
    if (from && to)
      layout.setEdge(
        from,
        to,
        { label: edge.relation, width: edge.relation.length * CHAR, height: 14 },
        `e${i}`,
      );
  });
  dagre.layout(layout);
  const { width = 0, height = 0 } = layout.graph();
  const title = options.title ?? 'Lineage graph';
  const startKey = options.start ? nodeKey(options.start) : undefined;
  const prefix = options.idPrefix ?? 'lineage';

  const edges = layout.edges().map((e: Edge) => {
    const data = layout.edge(e) as {
      points: { x: number; y: number }[];
      x: number;
      y: number;
      label: string;
    };
    const d = data.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
      .join(' ');
    return `<g class="edge"><path d="${d}" fill="none" stroke="#6e7781" stroke-width="1.4" marker-end="url(#${prefix}-arrow)"/>
<text x="${data.x.toFixed(1)}" y="${(data.y + 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#424a53">${escapeHtml(data.label)}</text></g>`;
  });

  const nodes = graph.nodes.map((node) => {
    const id = ids.get(nodeKey(node))!;
    const box = layout.node(id) as { x: number; y: number; width: number; height: number };
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const kind = KINDS[node.kind];
    const isStart = nodeKey(node) === startKey;
    const marked = isMarked(node);
    const style = `fill="${kind.fill}" stroke="${kind.stroke}" stroke-width="${isStart ? 3 : 1.5}"${marked ? ' stroke-dasharray="6 3"' : ''}`;
    const sub = subtitle(node);
    const lines = [
      `<text x="${box.x}" y="${y + 16}" text-anchor="middle" font-size="10" fill="#424a53" letter-spacing=".04em">${escapeHtml(kind.label.toUpperCase())}${marked ? ' ◆' : ''}</text>`,
      `<text x="${box.x}" y="${y + 32}" text-anchor="middle" font-size="12" fill="#1f2328" font-weight="600">${escapeHtml(shorten(node.id, MAX_ID_CHARS))}</text>`,
      sub
        ? `<text x="${box.x}" y="${y + 46}" text-anchor="middle" font-size="10" fill="#424a53">${escapeHtml(shorten(sub, MAX_ID_CHARS))}</text>`
        : '',
    ].join('');
    const label = `${kind.label} ${node.id}${sub ? `, ${sub}` : ''}${isStart ? ' (this node)' : ''}`;
    const inner = `<title>${escapeHtml(label)}</title>${shape(node.kind, x, y, box.width, box.height, style)}${lines}`;
    const attrs = `class="node" data-kind="${node.kind}" data-id="${escapeHtml(node.id)}"${marked ? ' data-deployed="true"' : ''}${isStart ? ' data-start="true"' : ''}`;
    const link = options.href?.(node);
    return link ? `<a href="${escapeHtml(link)}" ${attrs}>${inner}</a>` : `<g ${attrs}>${inner}</g>`;
  });

  return `<svg xmlns="http://www.w3.org/2000/svg" role="${options.href ? 'group' : 'img'}" aria-labelledby="${prefix}-title" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" font-family="system-ui,sans-serif">
<title id="${prefix}-title">${escapeHtml(title)}</title>
<defs><marker id="${prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6e7781"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
</svg>`;
};

/** The key of the picture: one entry per kind that appears, and the deployed mark. */
export const lineageLegend = (graph: Graph): string => {
  const kinds = [...new Set(graph.nodes.map((n) => n.kind))];
  const items = kinds.map((k) => {
    const s = KINDS[k];
    return `<li><svg width="14" height="14" aria-hidden="true"><rect x="1" y="1" width="12" height="12" fill="${s.fill}" stroke="${s.stroke}"/></svg> ${escapeHtml(s.label)}</li>`;
  });
  if (graph.nodes.some(isMarked)) items.push('<li>◆ and a dashed outline: deployed, or serving now</li>');
  return `<ul class="legend">${items.join('')}</ul>`;
};
