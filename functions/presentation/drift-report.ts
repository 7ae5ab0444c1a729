import type {
  BaselineProfile,
  CategoricalProfile,
  FeatureProfile,
  NumericProfile,
} from '#domain/drift/profile';
import type { DriftReportBody, FeatureDrift } from '#domain/drift/report';
import type { DriftThresholds } from '#domain/drift/thresholds';
import { testLevel } from '#domain/drift/thresholds';
import type {
  CategoricalWindowSummary,
  FeatureWindowSummary,
  NumericWindowSummary,
  WindowSummary,
} from '#domain/drift/window';
import { escapeHtml } from '#domain/html';
import { categoryBarsSvg, categoryBins, histogramSvg, numericBins } from './histogram-svg.ts';
import { page } from './page.ts';
import { timeTag } from './time.ts';

/**
 * A drift run as a page a data scientist looks at: per feature the baseline and window overlaid
 * (histogram on the baseline's bins, or bars per category), then the figures beside the
 * thresholds they were judged by. Drifted features come first. Self-contained (inline SVG and
 * styles, its CSP in a meta element), so it reads straight from S3 or saved to disk.
 */
export interface DriftReportFacts {
  runId: string;
  deploymentId: string;
  model: string;
  version?: number;
  environment: string;
  at: string;
  window: { from: string; to: string };
  status: string;
  health?: string;
  report: DriftReportBody & { performance?: object };
  baseline: BaselineProfile;
  summary: WindowSummary;
}

const e = escapeHtml;
const fmt = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined
    ? '–'
    : Math.abs(x) < 1e-4 && x !== 0
      ? x.toExponential(2)
      : String(Number(x.toFixed(digits)));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface FigureRow {
  key: string;
  label: string;
  value: number | null | undefined;
  rule?: string;
  over: boolean;
}

/** The figures of a feature, each with the threshold that judged it (where one did). */
const figureRows = (f: FeatureDrift, t: DriftThresholds, tests: number): FigureRow[] => {
  const by = new Set(f.driftedBy);
  const rows: FigureRow[] = [
    { key: 'psi', label: 'PSI', value: f.psi, rule: `drifted at ≥ ${t.psi}`, over: by.has('psi') },
    {
      key: 'jsDistance',
      label: 'Jensen-Shannon distance (ln)',
      value: f.jsDistance,
      rule: `drifted at ≥ ${t.jsDistance}`,
      over: by.has('jsDistance'),
    },
  ];
  if (f.ksPValue !== undefined || f.ksStatistic !== undefined) {
    rows.push({ key: 'ksStatistic', label: 'KS statistic', value: f.ksStatistic, over: false });
    rows.push({
      key: 'ksPValue',
      label: 'KS p-value',
      value: f.ksPValue,
      rule: `drifted below ${fmt(testLevel(t.ksPValue, t, tests), 6)}`,
      over: by.has('ksPValue'),
    });
  }
  if (f.wassersteinNorm !== undefined)
    rows.push({
      key: 'wassersteinNorm',
      label: 'Wasserstein / baseline std',
      value: f.wassersteinNorm,
      ...(t.wassersteinNorm !== undefined ? { rule: `drifted at ≥ ${t.wassersteinNorm}` } : {}),
      over: by.has('wassersteinNorm'),
    });
  if (f.chiSquarePValue !== undefined || f.chiSquare !== undefined) {
    rows.push({
      key: 'chiSquare',
      label: `chi-square${f.chiSquareDof !== undefined ? ` (${f.chiSquareDof} dof)` : ''}`,
      value: f.chiSquare,
      over: false,
    });
    rows.push({
      key: 'chiSquarePValue',
      label: 'chi-square p-value',
      value: f.chiSquarePValue,
      rule: `drifted below ${fmt(testLevel(t.chiSquarePValue, t, tests), 6)}`,
      over: by.has('chiSquarePValue'),
    });
  }
  rows.push({
    key: 'missingShare',
    label: 'missing share',
    value: f.missingShare,
    ...(t.missingShare !== undefined ? { rule: `drifted at ≥ ${t.missingShare}` } : {}),
    over: by.has('missingShare'),
  });
  if (f.outOfRangeShare !== undefined)
    rows.push({
      key: 'outOfRangeShare',
      label: 'share outside the baseline range',
      value: f.outOfRangeShare,
      ...(t.outOfRangeShare !== undefined ? { rule: `drifted at ≥ ${t.outOfRangeShare}` } : {}),
      over: by.has('outOfRangeShare'),
    });
  return rows;
};

const picture = (
  profile: FeatureProfile | undefined,
  window: FeatureWindowSummary | undefined,
  id: string,
  name: string,
): string => {
  if (!profile || !window) return '<p class="note">No distribution to draw.</p>';
  if (profile.kind === 'numeric') {
    const p = profile as NumericProfile;
    const w = window as NumericWindowSummary;
    if (p.edges.length === 0 || w.count === 0) return '<p class="note">No values to draw on one side.</p>';
    return histogramSvg(numericBins(p.edges, p.binCounts, w.binCounts), {
      title: `${name}: baseline and window share per baseline bin`,
      idPrefix: id,
    });
  }
  const p = profile as CategoricalProfile;
  const w = window as CategoricalWindowSummary;
  return categoryBarsSvg(
    categoryBins(
      p.categories,
      w.categories.filter((c) => c.count > 0),
      15,
      { reference: p.other, current: w.other },
    ),
    { title: `${name}: baseline and window share per category`, idPrefix: id },
  );
};

const featureSection = (
  f: FeatureDrift,
  facts: DriftReportFacts,
  profile: FeatureProfile | undefined,
  window: FeatureWindowSummary | undefined,
  index: number,
  role: 'feature' | 'prediction',
): string => {
  const t = facts.report.thresholds;
  const id = `f${index}`;
  const rows = figureRows(f, t, facts.report.tests);
  return `<section class="feature" id="${id}" data-feature="${e(f.name)}" data-drifted="${f.drifted}" aria-labelledby="${id}-h">
<h3 id="${id}-h">${role === 'prediction' ? 'Prediction ' : ''}<code>${e(f.name)}</code> <span class="note">${e(f.kind)}</span> ${
    f.drifted
      ? `<span class="badge bad">drifted</span> <span class="note">by ${f.driftedBy.map(e).join(', ')}</span>`
      : '<span class="badge good">no drift</span>'
  }</h3>
${f.reason ? `<p class="note">${e(f.reason)}</p>` : ''}
<figure>${picture(profile, window, id, f.name)}</figure>
<table class="figures"><thead><tr><th scope="col">figure</th><th scope="col">value</th><th scope="col">threshold</th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr data-figure="${r.key}"${r.over ? ' class="over"' : ''}><th scope="row">${e(r.label)}</th><td class="num">${fmt(r.value)}</td><td>${r.rule ? e(r.rule) : '<span class="note">reported only</span>'}${r.over ? ' <strong class="down">exceeded</strong>' : ''}</td></tr>`,
    )
    .join('')}</tbody></table>
${
  f.unseenCategories?.length
    ? `<p>Categories the baseline never had: ${f.unseenCategories
        .slice(0, 20)
        .map((c) => `<code>${e(c)}</code>`)
        .join(', ')}${f.unseenShare !== undefined ? ` (${pct(f.unseenShare)} of the window)` : ''}</p>`
    : ''
}
${f.ksRegime && f.ksRegime !== 'exact' ? `<p class="note">KS was computed on ${f.ksRegime === 'sketch' ? `quantile sketches (statistic within ±${fmt(f.ksStatisticBound)})` : 'a sample'}.</p>` : ''}
</section>`;
};

export const driftReportPage = (facts: DriftReportFacts): string => {
  const r = facts.report;
  const profiles = new Map(facts.baseline.features.map((p) => [p.name, p]));
  const windows = new Map(facts.summary.features.map((w) => [w.name, w]));
  // Drifted first, then the largest PSI: what a reader should look at first comes first.
  const ordered = [...r.features].sort(
    (a, b) =>
      Number(b.drifted) - Number(a.drifted) || (b.psi ?? -1) - (a.psi ?? -1) || (a.name < b.name ? -1 : 1),
  );
  const t = r.thresholds;
  const perf = r.performance;
  return page(
    `Drift of ${facts.model} in ${facts.environment}`,
    `<h1>Drift of <span id="model">${e(facts.model)}</span>${facts.version !== undefined ? ` version <span id="version">${facts.version}</span>` : ''} in <span id="environment">${e(facts.environment)}</span></h1>
<div class="callout ${r.featuresDrifted > 0 ? 'warn' : 'good'}" id="summary"><p><strong id="status">${e(facts.status)}</strong>: <span id="drifted-count">${r.featuresDrifted}</span> of ${r.featuresEvaluated} features drifted (${pct(r.driftedShare)}) over <span id="rows">${r.rows}</span> rows.${
      r.reason ? ` ${e(r.reason)}` : ''
    }${facts.health ? ` Target health: ${e(facts.health)}.` : ''}</p></div>
<dl>
<dt>Window</dt><dd>${timeTag(facts.window.from)} to ${timeTag(facts.window.to)}</dd>
<dt>Run</dt><dd><code>${e(facts.runId)}</code>, ${timeTag(facts.at)}</dd>
<dt>Deployment</dt><dd><code>${e(facts.deploymentId)}</code></dd>
<dt>Baseline</dt><dd>${facts.baseline.rows} rows</dd>
<dt>Thresholds</dt><dd id="thresholds">PSI ≥ ${t.psi}; JS distance ≥ ${t.jsDistance}; KS p &lt; ${t.ksPValue}; chi-square p &lt; ${t.chiSquarePValue}${t.bonferroni ? ` (Bonferroni over ${r.tests} tests)` : ''}${
      t.wassersteinNorm !== undefined ? `; Wasserstein/std ≥ ${t.wassersteinNorm}` : ''
    }${t.missingShare !== undefined ? `; missing ≥ ${t.missingShare}` : ''}${t.outOfRangeShare !== undefined ? `; out of range ≥ ${t.outOfRangeShare}` : ''}</dd>
</dl>
<p class="note">Grey: the baseline. Orange, dashed: this window. Numeric features are drawn on the baseline's ten decile bins, so the baseline is about 10% in each.</p>
<h2>Features${r.featuresDrifted ? ', drifted first' : ''}</h2>
<div id="features">${ordered.map((f, i) => featureSection(f, facts, profiles.get(f.name), windows.get(f.name), i, 'feature')).join('\n')}</div>
${
  r.prediction
    ? `<h2>Prediction</h2>${featureSection(r.prediction, facts, facts.baseline.prediction, facts.summary.prediction, ordered.length, 'prediction')}`
    : ''
}
${
  perf
    ? `<h2>Performance against ground truth</h2><table id="performance"><tbody>${Object.entries(perf)
        .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
        .map(
          ([k, v]) =>
            `<tr><th scope="row">${e(k)}</th><td class="num">${typeof v === 'number' ? fmt(v) : e(String(v))}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : ''
}`,
    { standalone: true },
  );
};
