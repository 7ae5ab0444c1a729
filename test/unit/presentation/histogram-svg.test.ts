import { describe, expect, it } from 'vitest';
import { categoryBarsSvg, categoryBins, histogramSvg, numericBins } from '#presentation/histogram-svg';

describe('histogram SVG', () => {
  it('puts both sides on the baseline bins as shares, open-ended at both ends', () => {
    const bins = numericBins([1, 2], [10, 20, 10], [0, 5, 15]);

    expect(bins.map((b) => b.label)).toEqual(['< 1', '1 – 2', '≥ 2']);
    expect(bins.map((b) => b.reference)).toEqual([0.25, 0.5, 0.25]);
    expect(bins.map((b) => b.current)).toEqual([0, 0.25, 0.75]);
  });

  it('draws one overlaid pair per bin, scaled to the largest share', () => {
    const svg = histogramSvg(numericBins([1, 2], [10, 20, 10], [0, 5, 15]), {
      title: 'x <y>',
      idPrefix: 'h',
    });

    expect(svg.match(/class="bin"/g)).toHaveLength(3);
    expect(svg.match(/class="ref"/g)).toHaveLength(3);
    expect(svg.match(/class="cur"/g)).toHaveLength(3);
    expect(svg).toContain('<title id="h-title">x &lt;y&gt;</title>');
    // The tallest bar (the window's 75%) fills the plot: its top is the plot's top (y = 22).
    expect(svg).toMatch(/data-label="≥ 2"[\s\S]*?class="cur" x="[\d.]+" y="22.0"/);
  });

  it('orders categories by size, marks unseen ones and folds the tail into other', () => {
    const bins = categoryBins(
      [
        { value: 'basic', count: 60 },
        { value: 'pro', count: 30 },
        { value: 'gold', count: 10 },
      ],
      [
        { value: 'basic', count: 50 },
        { value: 'enterprise', count: 40 },
        { value: 'gold', count: 10 },
      ],
      2,
    );

    expect(bins.map((b) => b.label)).toEqual(['basic', 'enterprise', 'other (2 more)']);
    expect(bins[1]).toMatchObject({ unseen: true, reference: 0, current: 0.4 });
    expect(bins[2]!.reference).toBeCloseTo(0.4, 12);
    const svg = categoryBarsSvg(bins, { title: 'plan', idPrefix: 'c' });
    expect(svg).toContain('data-label="enterprise" data-reference="0" data-current="0.4" data-unseen="true"');
    expect(svg).toContain('enterprise (new)');
  });
});
