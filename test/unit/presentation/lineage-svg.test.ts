import { describe, expect, it } from 'vitest';
import type { Graph } from '#domain/lineage';
import { lineageLegend, lineageSvg } from '#presentation/lineage-svg';

const graph: Graph = {
  nodes: [
    { kind: 'model-version', id: 'churn:2', status: 'READY', serving: ['prod/steward-churn'] },
    { kind: 'dataset', id: 's3://data/<q4>.parquet' },
    { kind: 'code', id: 'https://git.example.com/churn@abc' },
    { kind: 'deployment', id: 'dep-1' },
  ],
  edges: [
    {
      from: { kind: 'dataset', id: 's3://data/<q4>.parquet' },
      to: { kind: 'model-version', id: 'churn:2' },
      relation: 'trains',
    },
    {
      from: { kind: 'code', id: 'https://git.example.com/churn@abc' },
      to: { kind: 'model-version', id: 'churn:2' },
      relation: 'builds',
    },
    {
      from: { kind: 'model-version', id: 'churn:2' },
      to: { kind: 'deployment', id: 'dep-1' },
      relation: 'deployed-as',
    },
  ],
};

const boxes = (svg: string) => [...svg.matchAll(/data-kind="([^"]+)"/g)].map((m) => m[1]);

describe('lineage SVG', () => {
  it('draws one node per graph node, by kind, and one arrow per edge', () => {
    const svg = lineageSvg(graph, { start: { kind: 'model-version', id: 'churn:2' } });

    expect(svg.startsWith('<svg')).toBe(true);
    expect(boxes(svg).sort()).toEqual(['code', 'dataset', 'deployment', 'model-version']);
    expect(svg.match(/class="edge"/g)).toHaveLength(3);
    expect(svg).toContain('>trains<');
    expect(svg).toMatch(/data-kind="model-version" data-id="churn:2" data-deployed="true" data-start="true"/);
    expect(svg).toMatch(/data-kind="deployment" data-id="dep-1" data-deployed="true"/);
    expect(svg).not.toMatch(/data-kind="dataset"[^>]*data-deployed/);
  });

  it('escapes every id and places nodes left to right in the order things flow', () => {
    const svg = lineageSvg(graph);
    expect(svg).not.toContain('<q4>');
    expect(svg).toContain('&lt;q4&gt;');
    const x = (kind: string) =>
      Number(new RegExp(`data-kind="${kind}"[^]*?<text x="([\\d.]+)"`).exec(svg)![1]);
    expect(x('dataset')).toBeLessThan(x('model-version'));
    expect(x('model-version')).toBeLessThan(x('deployment'));
  });

  it('links the nodes given a link, and the picture is then a group, not an image', () => {
    const svg = lineageSvg(graph, {
      href: (n) =>
        n.kind === 'model-version'
          ? `/v1/lineage?node=${encodeURIComponent(`${n.kind}:${n.id}`)}&format=html`
          : undefined,
    });
    expect(svg).toContain('<a href="/v1/lineage?node=model-version%3Achurn%3A2&amp;format=html"');
    expect(svg.match(/<a /g)).toHaveLength(1);
    expect(svg).toMatch(/^<svg[^>]*role="group"/);
    expect(lineageSvg(graph)).toMatch(/^<svg[^>]*role="img"/);
  });

  it('keys the picture by the kinds it shows', () => {
    const legend = lineageLegend(graph);
    expect(legend).toContain('model version');
    expect(legend).toContain('deployed, or serving now');
  });
});
