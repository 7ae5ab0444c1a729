import { escapeHtml } from '#domain/html';

/**
 * Baseline against window, as pictures: a histogram of two overlaid distributions on the same
 * bins (numeric features, on the baseline's decile bins), and paired bars per category. Pure and
 * self-contained SVG; shares, not counts, so two samples of different sizes compare.
 */
export interface HistogramBin {
  label: string;
  /** share of the reference's values in this bin (0..1) */
  reference: number;
  /** share of the window's values in this bin (0..1) */
  current: number;
  /** a category the reference never had */
  unseen?: boolean;
}

export interface HistogramOptions {
  /** The accessible name of the picture. */
  title: string;
  /** Prefix of the ids inside the SVG, unique per picture on one page. */
  idPrefix: string;
  referenceLabel?: string;
  currentLabel?: string;
}

const share = (count: number, total: number) => (total > 0 ? count / total : 0);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) =>
  Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toPrecision(3) : String(Number(x.toFixed(3)));

/** The baseline's bins (open-ended first and last) with both sides' shares. */
export const numericBins = (edges: number[], reference: number[], current: number[]): HistogramBin[] => {
  const refTotal = reference.reduce((a, b) => a + b, 0);
  const curTotal = current.reduce((a, b) => a + b, 0);
  return reference.map((count, i) => ({
    label:
      i === 0
        ? `< ${num(edges[0] ?? 0)}`
        : i === reference.length - 1
          ? `≥ ${num(edges[i - 1] ?? 0)}`
          : `${num(edges[i - 1] ?? 0)} – ${num(edges[i] ?? 0)}`,
    reference: share(count, refTotal),
    current: share(current[i] ?? 0, curTotal),
  }));
};

/**
 * Both sides' categories, the largest first; past `limit`, the rest are one `other` bar. Unseen
 * categories (in the window only) are marked.
 */
export const categoryBins = (
  reference: { value: string; count: number }[],
  current: { value: string; count: number }[],
  limit = 15,
  otherCounts: { reference: number; current: number } = { reference: 0, current: 0 },
): HistogramBin[] => {
  const refTotal = reference.reduce((a, c) => a + c.count, 0) + otherCounts.reference;
  const curTotal = current.reduce((a, c) => a + c.count, 0) + otherCounts.current;
  const refMap = new Map(reference.map((c) => [c.value, c.count]));
  const curMap = new Map(current.map((c) => [c.value, c.count]));
  const values = [...new Set([...refMap.keys(), ...curMap.keys()])];
  const bins = values.map((value) => ({
    label: value,
    reference: share(refMap.get(value) ?? 0, refTotal),
    current: share(curMap.get(value) ?? 0, curTotal),
    ...(refMap.has(value) ? {} : { unseen: true }),
  }));
  bins.sort(
    (a, b) =>
      Math.max(b.reference, b.current) - Math.max(a.reference, a.current) || (a.label < b.label ? -1 : 1),
  );
  const shown = bins.slice(0, limit);
  const rest = bins.slice(limit);
  const other = {
    reference: rest.reduce((a, b) => a + b.reference, 0) + share(otherCounts.reference, refTotal),
    current: rest.reduce((a, b) => a + b.current, 0) + share(otherCounts.current, curTotal),
  };
  if (other.reference > 0 || other.current > 0)
    shown.push({ label: rest.length ? `other (${rest.length} more)` : 'other', ...other });
  return shown;
};

const REF = { fill: '#8c959f', opacity: 0.55 };
const CUR = { stroke: '#bc4c00', fill: '#fb8f44', opacity: 0.45 };

const legend = (x: number, y: number, options: HistogramOptions) =>
  `<g font-size="11" fill="#1f2328"><rect x="${x}" y="${y - 9}" width="12" height="10" fill="${REF.fill}" fill-opacity="${REF.opacity}"/><text x="${x + 16}" y="${y}">${escapeHtml(options.referenceLabel ?? 'baseline')}</text>
<rect x="${x + 90}" y="${y - 9}" width="12" height="10" fill="${CUR.fill}" fill-opacity="${CUR.opacity}" stroke="${CUR.stroke}" stroke-dasharray="3 2"/><text x="${x + 106}" y="${y}">${escapeHtml(options.currentLabel ?? 'window')}</text></g>`;

/** Vertical bars, the two sides overlaid on each bin: the reference grey, the window orange and dashed. */
export const histogramSvg = (bins: HistogramBin[], options: HistogramOptions): string => {
  const width = 560;
  const height = 220;
  const left = 44;
  const bottom = 56;
  const top = 22;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const max = Math.max(0.0001, ...bins.flatMap((b) => [b.reference, b.current]));
  const slot = plotW / Math.max(1, bins.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max].map(
    (t) =>
      `<g><line x1="${left}" x2="${width - 8}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#d1d9e0"/><text x="${left - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#424a53">${pct(t)}</text></g>`,
  );
  const bars = bins.map((b, i) => {
    const x = left + i * slot;
    const w = slot * 0.8;
    const ref = `<rect class="ref" x="${(x + slot * 0.1).toFixed(1)}" y="${y(b.reference).toFixed(1)}" width="${w.toFixed(1)}" height="${(top + plotH - y(b.reference)).toFixed(1)}" fill="${REF.fill}" fill-opacity="${REF.opacity}"/>`;
    const cur = `<rect class="cur" x="${(x + slot * 0.2).toFixed(1)}" y="${y(b.current).toFixed(1)}" width="${(w * 0.75).toFixed(1)}" height="${(top + plotH - y(b.current)).toFixed(1)}" fill="${CUR.fill}" fill-opacity="${CUR.opacity}" stroke="${CUR.stroke}" stroke-dasharray="3 2"/>`;
    const label = `<text x="${(x + slot / 2).toFixed(1)}" y="${top + plotH + 12}" font-size="9" fill="#424a53" text-anchor="end" transform="rotate(-30 ${(x + slot / 2).toFixed(1)} ${top + plotH + 12})">${escapeHtml(b.label)}</text>`;
    return `<g class="bin" data-label="${escapeHtml(b.label)}" data-reference="${b.reference}" data-current="${b.current}"><title>${escapeHtml(`${b.label}: ${options.referenceLabel ?? 'baseline'} ${pct(b.reference)}, ${options.currentLabel ?? 'window'} ${pct(b.current)}`)}</title>${ref}${cur}${label}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${options.idPrefix}-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui,sans-serif" class="histogram">
<title id="${options.idPrefix}-title">${escapeHtml(options.title)}</title>
${ticks.join('')}
${bars.join('\n')}
${legend(left, 12, options)}
</svg>`;
};

/** Horizontal paired bars, one row per category; unseen categories say so. */
export const categoryBarsSvg = (bins: HistogramBin[], options: HistogramOptions): string => {
  const labelW = 150;
  const barW = 330;
  const row = 26;
  const top = 22;
  const width = labelW + barW + 110;
  const height = top + bins.length * row + 6;
  const max = Math.max(0.0001, ...bins.flatMap((b) => [b.reference, b.current]));
  const w = (v: number) => (v / max) * barW;
  const rows = bins.map((b, i) => {
    const y = top + i * row;
    const name = b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label;
    return `<g class="bin" data-label="${escapeHtml(b.label)}" data-reference="${b.reference}" data-current="${b.current}"${b.unseen ? ' data-unseen="true"' : ''}><title>${escapeHtml(`${b.label}${b.unseen ? ' (unseen in the baseline)' : ''}: ${options.referenceLabel ?? 'baseline'} ${pct(b.reference)}, ${options.currentLabel ?? 'window'} ${pct(b.current)}`)}</title>
<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" font-size="11" fill="#1f2328">${escapeHtml(name)}${b.unseen ? ' (new)' : ''}</text>
<rect class="ref" x="${labelW}" y="${y + 2}" width="${w(b.reference).toFixed(1)}" height="10" fill="${REF.fill}" fill-opacity="${REF.opacity + 0.2}"/>
<rect class="cur" x="${labelW}" y="${y + 12}" width="${w(b.current).toFixed(1)}" height="10" fill="${CUR.fill}" fill-opacity="${CUR.opacity + 0.2}" stroke="${CUR.stroke}" stroke-dasharray="3 2"/>
<text x="${labelW + Math.max(w(b.reference), w(b.current)) + 4}" y="${y + 15}" font-size="10" fill="#424a53">${pct(b.reference)} → ${pct(b.current)}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${options.idPrefix}-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui,sans-serif" class="category-bars">
<title id="${options.idPrefix}-title">${escapeHtml(options.title)}</title>
${legend(labelW, 12, options)}
${rows.join('\n')}
</svg>`;
};
