import { escapeHtml } from '#domain/html';
import { nodeKey } from '#domain/lineage';
import type { ChainEvidence, DeploymentEvidence, DriftRunEvidence, EvidenceFacts } from '#services/evidence';
import { lineageLegend, lineageSvg } from './lineage-svg.ts';
import { page } from './page.ts';
import { presentArtifact } from './representations.ts';
import { timeTag } from './time.ts';

/**
 * The evidence pack as one self-contained page an auditor can file: styles and pictures inline,
 * nothing fetched, no link it needs to follow. Every section has an id (`card`, `manifest`,
 * `lineage`, `approvals`, `deployments`, `drift`, `audit`) so a reader (or a test) finds it.
 */
const e = escapeHtml;

const text = (value: unknown): string => {
  if (value === undefined || value === null) return '<span class="note">none</span>';
  if (typeof value === 'string') return e(value);
  if (typeof value === 'number' || typeof value === 'boolean') return e(String(value));
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return e(value.join(', '));
  return `<code>${e(JSON.stringify(value))}</code>`;
};

const dl = (rows: [string, string | undefined][]): string =>
  `<dl>${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`)
    .join('')}</dl>`;

const table = (id: string, head: string[], rows: string[][], empty: string): string =>
  rows.length
    ? `<table id="${e(id)}"><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : `<p class="note">${e(empty)}</p>`;

const code = (value: string | undefined) => (value === undefined ? undefined : `<code>${e(value)}</code>`);
const fixed = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined ? '' : e(v.toFixed(digits));
const time = (iso: string | undefined) => (iso ? timeTag(iso) : undefined);

const cardSection = (f: EvidenceFacts) => {
  const entries = Object.entries(f.card.card);
  return `<section id="card" aria-labelledby="card-h"><h2 id="card-h">Model card</h2>
${
  f.card.revision === 0
    ? '<p class="callout warn">No card has been written for this model yet; shown is what the model record says.</p>'
    : `<p class="note">Revision ${f.card.revision}${f.card.updatedBy ? `, by ${e(f.card.updatedBy)}` : ''}${f.card.updatedAt ? `, ${timeTag(f.card.updatedAt)}` : ''}.</p>`
}
${dl(entries.map(([k, v]) => [k, text(v)]))}</section>`;
};

const manifestSection = (f: EvidenceFacts) => {
  const v = f.version;
  const artifact = presentArtifact(v.artifact);
  const lineage = v.lineage ?? {};
  return `<section id="manifest" aria-labelledby="manifest-h"><h2 id="manifest-h">Version and manifest</h2>
${dl([
  ['status', `${e(v.status)}${v.statusReason ? ` (${e(v.statusReason)})` : ''}`],
  ['registered', `${timeTag(v.createdAt)} by ${e(v.createdBy)}`],
  ['description', v.description === undefined ? undefined : e(v.description)],
  ['framework', v.framework === undefined ? undefined : text(v.framework)],
  ['artifact sha256', code(artifact.sha256)],
  ['artifact size', `${e(String(artifact.sizeBytes))} bytes`],
  ['artifact location', code(artifact.uri)],
  ['object version', code(artifact.versionId)],
  [
    'code',
    lineage.code ? `${code(lineage.code.repository)} at commit ${code(lineage.code.commit)}` : undefined,
  ],
  ['image', lineage.image ? `${code(lineage.image.uri)} digest ${code(lineage.image.digest)}` : undefined],
  [
    'training run',
    lineage.trainingRun
      ? `${code(lineage.trainingRun.id)}${lineage.trainingRun.uri ? ` ${code(lineage.trainingRun.uri)}` : ''}`
      : undefined,
  ],
  [
    'reproducible',
    f.reproducible
      ? '<span class="badge good">yes</span>'
      : `<span class="badge bad">no</span> missing: ${f.missing.map((m) => `${code(m.path)} (${e(m.message)})`).join(', ')}`,
  ],
])}
${
  artifact.files
    ? `<h3>Files</h3>${table(
        'manifest-files',
        ['path', 'sha256', 'bytes'],
        artifact.files.map((file) => [e(file.path), code(file.sha256)!, e(String(file.sizeBytes))]),
        'no files',
      )}`
    : ''
}
<h3>Datasets</h3>
${table(
  'manifest-datasets',
  ['uri', 'role', 'sha256', 'object version'],
  (lineage.datasets ?? []).map((d) => [
    code(d.uri)!,
    text(d.role),
    d.sha256 ? code(d.sha256)! : text(undefined),
    d.versionId ? code(d.versionId)! : text(undefined),
  ]),
  'No datasets were recorded at registration.',
)}
<h3>Parameters</h3>
${table(
  'manifest-params',
  ['name', 'value'],
  Object.entries(v.params ?? {}).map(([k, val]) => [e(k), text(val)]),
  'No parameters were recorded.',
)}
<h3>Metrics</h3>
${table(
  'manifest-metrics',
  ['name', 'value'],
  Object.entries(v.metrics ?? {}).map(([k, val]) => [e(k), text(val)]),
  'No metrics were recorded.',
)}</section>`;
};

const lineageSection = (f: EvidenceFacts) => {
  const { graph, start } = f.lineage;
  return `<section id="lineage" aria-labelledby="lineage-h"><h2 id="lineage-h">Lineage</h2>
<p class="note">Both ways from <code>${e(nodeKey(start))}</code>: ${graph.nodes.length} node${graph.nodes.length === 1 ? '' : 's'}, ${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'}.</p>
<figure>${lineageSvg(graph, { start, title: `Lineage of ${nodeKey(start)}`, idPrefix: 'evidence-lineage' })}</figure>
${lineageLegend(graph)}
${table(
  'lineage-edges',
  ['from', 'relation', 'to'],
  graph.edges.map((edge) => [code(nodeKey(edge.from))!, e(edge.relation), code(nodeKey(edge.to))!]),
  'No edges: nothing is recorded as connected to this version.',
)}</section>`;
};

const attemptRows = (attempts: ChainEvidence, target: string) =>
  attempts.events
    .filter((a) => a.target === target)
    .map((a) => {
      const after = (a.after ?? {}) as { operation?: string; reason?: string };
      return [
        timeTag(a.at),
        e(a.actor),
        e(after.operation ?? a.action),
        e(after.reason ?? ''),
        e(String(a.seq)),
      ];
    });

const approvalsSection = (f: EvidenceFacts) =>
  `<section id="approvals" aria-labelledby="approvals-h"><h2 id="approvals-h">Approvals</h2>
${
  f.approvals.length === 0
    ? '<p class="note">No approval was ever requested for this version.</p>'
    : f.approvals
        .map(
          (
            a,
          ) => `<article class="approval" data-approval="${e(a.id)}"><h3>${e(a.environment)}: <span class="badge ${a.status === 'APPROVED' ? 'good' : 'bad'}">${e(a.status)}</span></h3>
${dl([
  ['request', code(a.id)],
  ['requested', `${timeTag(a.requestedAt)} by ${e(a.requestedBy)}`],
  ['reason', a.reason === undefined ? undefined : e(a.reason)],
  ['registrant', e(a.registrant)],
  ['expires', timeTag(a.expiresAt)],
  ['decided', time(a.decidedAt)],
  ['outcome', a.outcomeReason === undefined ? undefined : e(a.outcomeReason)],
  ['deployment started', a.deploymentId === undefined ? undefined : code(a.deploymentId)],
])}
<h4>Quorum</h4>
${table(
  `quorum-${a.id}`,
  ['group', 'needed', 'approvals', 'complete', 'members'],
  a.groups.map((g) => [
    e(g.name),
    e(String(g.minApprovals)),
    e(String(g.approvals)),
    g.done ? 'yes' : 'no',
    e(g.members.join(', ')),
  ]),
  'No groups.',
)}
<h4>Decisions</h4>
${table(
  `decisions-${a.id}`,
  ['by', 'group', 'decision', 'comment', 'at', 'via'],
  a.decisions.map((d) => [
    e(d.by),
    e(d.group),
    e(d.decision),
    d.comment ? e(d.comment) : '',
    timeTag(d.at),
    e(d.via),
  ]),
  'No decisions were recorded.',
)}
<h4>Refused attempts</h4>
${table(
  `attempts-${a.id}`,
  ['at', 'who', 'operation', 'why refused', 'attempt seq'],
  attemptRows(f.attempts, `approval:${a.id}`),
  'No refused attempt was recorded on this request.',
)}</article>`,
        )
        .join('\n')
}</section>`;

const targetName = (d: DeploymentEvidence['deployment']) => {
  const t = d.target as Record<string, unknown>;
  return `${String(t.kind)} ${String(t.endpointName ?? t.functionName ?? t.jobPrefix ?? d.targetId)}`;
};

const deploymentsSection = (f: EvidenceFacts) =>
  `<section id="deployments" aria-labelledby="deployments-h"><h2 id="deployments-h">Deployments and served-by periods</h2>
${
  f.deployments.length === 0
    ? '<p class="note">This version was never deployed.</p>'
    : f.deployments
        .map(({ deployment: d, served }) => {
          const rolledBack = d.history.some((h) => h.step === 'rolled-back');
          return `<article class="deployment" data-deployment="${e(d.id)}"><h3>${e(d.environment)} / ${e(targetName(d))}: <span class="badge ${d.status === 'SUCCEEDED' ? 'good' : 'bad'}">${e(d.status)}</span>${rolledBack ? ' <span class="badge bad">rolled back</span>' : ''}</h3>
${dl([
  ['deployment', code(d.id)],
  ['requested', `${timeTag(d.createdAt)} by ${e(d.createdBy)}`],
  ['target', text(d.target)],
  ['strategy', text(d.strategy)],
  [
    'replaced',
    d.previous
      ? `version ${e(String(d.previous.version))} (deployment ${code(d.previous.deploymentId)})`
      : undefined,
  ],
  ['approval', d.approvalId === undefined ? undefined : code(d.approvalId)],
  ['last operation', `${e(d.operation)}${d.reason ? `: ${e(d.reason)}` : ''}`],
])}
<h4>Served by this version</h4>
${table(
  `served-${d.id}`,
  ['from', 'until'],
  served.map((s) => [timeTag(s.from), s.to ? timeTag(s.to) : '<strong>serving now</strong>']),
  'This version never served on the target (the deployment did not complete).',
)}
<h4>History</h4>
${table(
  `history-${d.id}`,
  ['at', 'step', 'detail'],
  d.history.map((h) => [
    timeTag(h.at),
    h.step === 'rolled-back' ? `<strong>${e(h.step)}</strong>` : e(h.step),
    h.detail ? text(h.detail) : '',
  ]),
  'No steps.',
)}</article>`;
        })
        .join('\n')
}</section>`;

const runArticle = (r: DriftRunEvidence, latest: boolean) => {
  const run = r.run;
  const features = [
    ...r.features,
    ...(r.prediction ? [{ ...r.prediction, name: `${r.prediction.name} (prediction)` }] : []),
  ];
  const p = r.performance;
  return `<article class="drift-run" data-run="${e(run.id)}"><h4>Run ${code(run.id)} ${timeTag(run.at)}: <span class="badge ${run.status === 'OK' || run.driftedShare === 0 ? 'good' : 'bad'}">${e(run.status)}</span></h4>
${dl([
  ['window', `${timeTag(run.window.from)} to ${timeTag(run.window.to)}`],
  ['rows', e(String(run.rows))],
  [
    'drifted share',
    `${e((run.driftedShare * 100).toFixed(1))}%${run.drifted.length ? ` (${e(run.drifted.join(', '))})` : ''}`,
  ],
  ['health', run.health === undefined ? undefined : e(run.health)],
  ['trigger', e(run.trigger)],
  ['note', run.reason === undefined ? undefined : e(run.reason)],
  ['report', code(run.reportUri)],
])}
${r.unreadable ? `<p class="callout warn">The report's figures could not be read: ${e(r.unreadable)}</p>` : ''}
${
  latest || features.some((x) => x.drifted)
    ? table(
        `features-${run.id}`,
        ['feature', 'kind', 'PSI', 'JS', 'KS p', 'chi² p', 'missing', 'drifted'],
        features.map((x) => [
          e(x.name),
          e(x.kind),
          fixed(x.psi),
          fixed(x.jsDistance),
          fixed(x.ksPValue),
          fixed(x.chiSquarePValue),
          fixed(x.missingShare, 3),
          x.drifted ? `<strong>yes</strong> (${e(x.driftedBy.join(', '))})` : 'no',
        ]),
        'No feature figures.',
      )
    : ''
}
${
  p
    ? `<h5>Performance (${e(p.task)}, ${e(String(p.rows))} labelled rows)</h5>${dl([
        ['accuracy', p.accuracy === undefined ? undefined : fixed(p.accuracy)],
        ['F1', p.f1 === undefined ? undefined : fixed(p.f1)],
        ['AUC', p.auc === undefined ? undefined : fixed(p.auc)],
        ['RMSE', p.rmse === undefined ? undefined : fixed(p.rmse)],
        ['MAE', p.mae === undefined ? undefined : fixed(p.mae)],
        [
          'unmatched',
          `${e(String(p.unmatchedPredictions))} predictions, ${e(String(p.unmatchedLabels))} labels`,
        ],
        ['note', p.reason === undefined ? undefined : e(p.reason)],
      ])}`
    : ''
}</article>`;
};

const driftSection = (f: EvidenceFacts) => {
  const withRuns = f.deployments.filter((d) => d.driftRuns.length);
  return `<section id="drift" aria-labelledby="drift-h"><h2 id="drift-h">Drift and performance</h2>
${
  withRuns.length === 0
    ? '<p class="note">No drift run was recorded for any deployment of this version.</p>'
    : withRuns
        .map(
          ({ deployment: d, driftRuns }) =>
            `<h3>${e(d.environment)} / ${e(targetName(d))} (${code(d.id)})</h3>
${table(
  `drift-runs-${d.id}`,
  ['at', 'rows', 'drifted share', 'status', 'drifted features'],
  driftRuns.map(({ run }) => [
    timeTag(run.at),
    e(String(run.rows)),
    `${e((run.driftedShare * 100).toFixed(1))}%`,
    e(run.status),
    e(run.drifted.join(', ')),
  ]),
  'No runs.',
)}
${driftRuns.map((r, i) => runArticle(r, i === 0)).join('\n')}`,
        )
        .join('\n')
}</section>`;
};

const verificationCallout = (name: string, chain: ChainEvidence) => {
  const v = chain.verification;
  return `<div class="callout ${v.valid ? 'good' : 'bad'}" data-chain="${e(name)}" data-valid="${v.valid}"${chain.head ? ` data-head-seq="${chain.head.seq}" data-head-hash="${e(chain.head.hash)}"` : ''}>
<p><strong>${e(name)}</strong>: ${
    v.valid
      ? `<span class="badge good">intact</span> ${v.events} event${v.events === 1 ? '' : 's'} recomputed from the first.`
      : `<span class="badge bad">broken</span> at event ${e(String(v.brokenAt))} of ${v.events}${v.reason ? `: ${e(v.reason)}` : ''}.`
  }</p>
${
  chain.head
    ? dl([
        ['head event', e(String(chain.head.seq))],
        ['head hash', code(chain.head.hash)],
        ['head written', timeTag(chain.head.at)],
      ])
    : '<p class="note">The chain is empty.</p>'
}
</div>`;
};

const auditSection = (f: EvidenceFacts) =>
  `<section id="audit" aria-labelledby="audit-h"><h2 id="audit-h">Audit trail</h2>
${verificationCallout(f.model.name, f.audit)}
${verificationCallout(`_attempts:${f.model.name}`, f.attempts)}
<p class="note">To check this pack later: <code>GET /v1/audit/verify?model=${e(f.model.name)}</code> must say <code>valid: true</code>, and
event ${e(String(f.audit.head?.seq ?? 0))} of <code>GET /v1/audit?model=${e(f.model.name)}</code> must still carry the head hash above
(while nothing new was recorded, verify's <code>headHash</code> equals it). Each event's hash is SHA-256 over its canonical JSON, previous hash included.</p>
<h3>Events of this version</h3>
${table(
  'audit-events',
  ['seq', 'at', 'actor', 'action', 'target', 'hash'],
  f.audit.events.map((ev) => [
    e(String(ev.seq)),
    timeTag(ev.at),
    e(ev.actor),
    e(ev.action),
    code(ev.target)!,
    code(ev.hash)!,
  ]),
  'No events concern this version.',
)}
<h3>Refused attempts on this version</h3>
${table(
  'audit-attempts',
  ['seq', 'at', 'actor', 'target', 'why refused', 'hash'],
  f.attempts.events.map((ev) => [
    e(String(ev.seq)),
    timeTag(ev.at),
    e(ev.actor),
    code(ev.target)!,
    e(String((ev.after as { reason?: unknown } | undefined)?.reason ?? '')),
    code(ev.hash)!,
  ]),
  'No refused attempt on this version was recorded.',
)}</section>`;

/** Printed (or saved as PDF by a browser): no navigation, sections and rows kept whole where they fit. */
const PRINT_STYLE =
  '@media print{body{max-width:none;margin:0}nav{display:none}h2,h3,h4{break-after:avoid}' +
  'tr,dl,figure,.callout{break-inside:avoid}a{color:inherit;text-decoration:none}}';

export const evidencePackPage = (f: EvidenceFacts): string => {
  const title = `Evidence pack: ${f.model.name} version ${f.version.version}`;
  const sections: [string, string][] = [
    ['card', 'Model card'],
    ['manifest', 'Version and manifest'],
    ['lineage', 'Lineage'],
    ['approvals', 'Approvals'],
    ['deployments', 'Deployments and served-by periods'],
    ['drift', 'Drift and performance'],
    ['audit', 'Audit trail'],
  ];
  return page(
    title,
    `<style>${PRINT_STYLE}</style>
<h1>${e(title)}</h1>
${dl([
  ['model', e(f.model.name)],
  ['version', e(String(f.version.version))],
  ['risk tier', f.model.riskTier === undefined ? undefined : e(f.model.riskTier)],
  ['owners', e((f.model.owners?.length ? f.model.owners : [f.model.owner]).join(', '))],
  [
    'aliases on this version',
    e(
      Object.entries(f.aliases)
        .filter(([, v]) => v === f.version.version)
        .map(([a]) => a)
        .join(', '),
    ) || undefined,
  ],
  ['generated', `${timeTag(f.generatedAt)} for ${e(f.generatedBy)}`],
])}
<nav aria-label="Sections"><ol>${sections.map(([id, name]) => `<li><a href="#${id}">${e(name)}</a></li>`).join('')}</ol></nav>
${cardSection(f)}
${manifestSection(f)}
${lineageSection(f)}
${approvalsSection(f)}
${deploymentsSection(f)}
${driftSection(f)}
${auditSection(f)}`,
    { standalone: true },
  );
};
