import * as z from 'zod';
import { doc, INVISIBLE, Label } from './names.ts';
import { schema } from './schema.ts';

/**
 * The lineage graph: typed nodes and directed, labelled edges. Edges point the way things flow
 * (a dataset trains a model version, a model version is deployed as a deployment), so "upstream"
 * follows edges backwards and "downstream" forwards.
 */
export const NodeKind = /* @__PURE__ */ schema(() =>
  z
    .enum([
      'dataset',
      'feature-set',
      'code',
      'image',
      'training-run',
      'model-version',
      'deployment',
      'endpoint',
    ])
    .meta(
      doc(
        'The kind of node: dataset, feature-set, code, image, training-run, model-version, deployment or endpoint.',
        'model-version',
      ),
    ),
);
export type NodeKind = z.infer<typeof NodeKind>;

export const NodeRef = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: NodeKind,
      id: z
        .string()
        .min(1)
        .max(1024)
        .refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters')
        .refine((v) => !INVISIBLE.test(v), 'must not contain invisible or bidi control characters')
        .refine((v) => v === v.normalize('NFC'), 'must be in Unicode normalization form C (NFC)')
        .meta(
          doc(
            'The node id within its kind. A model version is `<model>:<version>` (so the node is `model-version:churn-scorer:3`); a dataset is its URI; code is `<repository>@<commit>`; an image is its digest; a deployment its id.',
            'churn-scorer:3',
          ),
        ),
    })
    .meta(doc('A node of the lineage graph: its kind and id.')),
);
export type NodeRef = z.infer<typeof NodeRef>;

export const Relation = /* @__PURE__ */ schema(() =>
  Label(64)
    .pipe(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a relation is lower-case words joined by -'))
    .meta(
      doc(
        'What the edge means, in lower-case words joined by -: trained-on, built-from, deployed-as, serves-on ...',
        'trained-on',
      ),
    ),
);

export const CreateEdgeBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      from: NodeRef.meta(doc('Where the edge starts (upstream): e.g. the dataset.')),
      to: NodeRef.meta(
        doc('Where it ends (downstream): e.g. the model version. A model-version end needs its owner.'),
      ),
      relation: Relation,
    })
    .refine((e) => !(e.from.kind === e.to.kind && e.from.id === e.to.id), {
      message: 'an edge joins two different nodes',
      path: ['to'],
    })
    .meta({
      id: 'CreateEdge',
      description: 'An edge added by hand (registration and deployments add theirs on their own).',
    }),
);

export const Direction = /* @__PURE__ */ schema(() =>
  z
    .enum(['upstream', 'downstream', 'both'])
    .meta(doc('upstream: what the node came from; downstream: what came from it; both.', 'both')),
);
export type Direction = z.infer<typeof Direction>;

export const MAX_DEPTH = 10;

export const LineageQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    node: z
      .string()
      .regex(/^[a-z-]+:.+$/, 'node is <kind>:<id>')
      .meta(
        doc(
          'The start node as `<kind>:<id>`, e.g. `model-version:<model>:<version>` or `dataset:s3://bucket/key`.',
          'model-version:churn-scorer:3',
        ),
      )
      .transform((v, ctx) => {
        const at = v.indexOf(':');
        const parsed = NodeRef.safeParse({ kind: v.slice(0, at), id: v.slice(at + 1) });
        if (!parsed.success) {
          for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
          return z.NEVER;
        }
        return parsed.data;
      }),
    direction: Direction.default('both'),
    depth: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_DEPTH)
      .default(5)
      .meta(doc('How many edges to follow, 1 to 10.', 5)),
    format: z
      .enum(['json', 'mermaid', 'html'])
      .optional()
      .meta(
        doc(
          'json, mermaid (a flowchart) or html (a page with the picture). Without it the Accept header decides: text/vnd.mermaid, text/html, else JSON.',
          'mermaid',
        ),
      ),
  }),
);

export const nodeKey = (node: NodeRef): string => `${node.kind}:${node.id}`;

export const modelVersionNode = (model: string, version: number): NodeRef => ({
  kind: 'model-version',
  id: `${model}:${version}`,
});

/** `<model>:<version>` of a model-version node, or undefined for any other node or a malformed id. */
export const parseModelVersionNode = (node: NodeRef): { name: string; version: number } | undefined => {
  if (node.kind !== 'model-version') return undefined;
  const at = node.id.lastIndexOf(':');
  const version = Number(node.id.slice(at + 1));
  if (at < 1 || !Number.isInteger(version) || version < 1) return undefined;
  return { name: node.id.slice(0, at), version };
};

export interface Edge {
  from: NodeRef;
  to: NodeRef;
  relation: string;
  /** What the edge knows about the link, e.g. a dataset's content identity when it was used. */
  attributes?: Record<string, unknown>;
}

/** The edges a version's registration records: where the version came from. */
export const registrationEdges = (
  model: string,
  version: number,
  lineage: {
    datasets?: { uri: string; sha256?: string; versionId?: string; role?: string }[];
    code?: { repository: string; commit: string };
    image?: { uri: string; digest: string };
    trainingRun?: { id: string; uri?: string };
  },
): Edge[] => {
  const to = modelVersionNode(model, version);
  const edges: Edge[] = [];
  for (const d of lineage.datasets ?? []) {
    const attributes = Object.fromEntries(
      Object.entries({ sha256: d.sha256, versionId: d.versionId, role: d.role }).filter(
        ([, v]) => v !== undefined,
      ),
    );
    edges.push({ from: { kind: 'dataset', id: d.uri }, to, relation: 'trains', attributes });
  }
  if (lineage.code)
    edges.push({
      from: { kind: 'code', id: `${lineage.code.repository}@${lineage.code.commit}` },
      to,
      relation: 'builds',
      attributes: { repository: lineage.code.repository, commit: lineage.code.commit },
    });
  if (lineage.image)
    edges.push({
      from: { kind: 'image', id: `${lineage.image.uri}@${lineage.image.digest}` },
      to,
      relation: 'packages',
      attributes: { uri: lineage.image.uri, digest: lineage.image.digest },
    });
  if (lineage.trainingRun)
    edges.push({
      from: { kind: 'training-run', id: lineage.trainingRun.id },
      to,
      relation: 'produced',
      attributes: lineage.trainingRun.uri ? { uri: lineage.trainingRun.uri } : {},
    });
  // The same dataset listed twice is one edge.
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${nodeKey(e.from)}>${e.relation}>${nodeKey(e.to)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

export interface Graph {
  nodes: (NodeRef & Record<string, unknown>)[];
  edges: Edge[];
}

const mermaidText = (text: string): string =>
  text.replaceAll('"', '#quot;').replaceAll('<', '#lt;').replaceAll('>', '#gt;').replaceAll('|', '#124;');

const SHAPES: Record<NodeKind, [string, string]> = {
  dataset: ['[(', ')]'],
  'feature-set': ['[(', ')]'],
  code: ['[/', '/]'],
  image: ['[[', ']]'],
  'training-run': ['([', '])'],
  'model-version': ['[', ']'],
  deployment: ['{{', '}}'],
  endpoint: ['((', '))'],
};

/** A Mermaid flowchart of the graph, left to right, one shape per node kind. */
export const toMermaid = (graph: Graph, start?: NodeRef): string => {
  const ids = new Map(graph.nodes.map((n, i) => [nodeKey(n), `n${i}`]));
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    const [open, close] = SHAPES[node.kind];
    const status = typeof node.status === 'string' ? `<br/>${mermaidText(node.status)}` : '';
    lines.push(
      `  ${ids.get(nodeKey(node))}${open}"${node.kind}<br/>${mermaidText(node.id)}${status}"${close}`,
    );
  }
  for (const edge of graph.edges) {
    const from = ids.get(nodeKey(edge.from));
    const to = ids.get(nodeKey(edge.to));
    if (from && to) lines.push(`  ${from} -->|${mermaidText(edge.relation)}| ${to}`);
  }
  if (start && ids.has(nodeKey(start))) {
    lines.push('  classDef start stroke-width:3px');
    lines.push(`  class ${ids.get(nodeKey(start))} start`);
  }
  return `${lines.join('\n')}\n`;
};
