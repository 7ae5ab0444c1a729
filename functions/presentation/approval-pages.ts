import { groupComplete as memberGroupsComplete } from '#domain/approval';
import type { ModelCard } from '#domain/card';
import { escapeHtml } from '#domain/html';
import { page } from './page.ts';
import { timeTag } from './time.ts';

/**
 * The pages an approver sees from an emailed link: the decision page (what the version is and what
 * it changes against what serves the environment now), the page after a decision, and one plain
 * page for every state a link can be in. Pure: facts in, HTML out; the handler gathers the facts.
 */
export interface DecisionFacts {
  by: string;
  member: string;
  decision: 'approve' | 'reject';
  comment?: string;
  at: string;
  group: string;
}

export interface RequestFacts {
  model: string;
  version: number;
  environment: string;
  status: string;
  reason?: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  registrant: string;
  groups: { name: string; minApprovals: number; members: string[]; approvals: number; done: boolean }[];
  decisions: DecisionFacts[];
  decidedAt?: string;
  outcomeReason?: string;
  deployOnApproval?: Record<string, unknown>;
  deploymentId?: string;
  deploymentError?: string;
}

export interface VersionFacts {
  status: string;
  description?: string;
  framework?: string;
  params?: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  artifact: { sha256: string; sizeBytes: number };
  createdAt: string;
  createdBy: string;
}

export interface ServingFacts {
  version: number;
  deploymentId: string;
  targetId: string;
  since: string;
  metrics: Record<string, number>;
}

export interface DriftFacts {
  at: string;
  status: string;
  rows: number;
  driftedShare: number;
  drifted: string[];
  window: { from: string; to: string };
  health?: string;
}

export interface ApprovalPageFacts {
  request: RequestFacts;
  /** The approver this link belongs to. */
  member: string;
  version?: VersionFacts;
  reproducibility?: { reproducible: boolean; missing: string[] };
  model?: { owner: string; riskTier?: string; purpose?: string; description?: string };
  card?: ModelCard;
  /** What serves the environment now; undefined when nothing does. */
  serving?: ServingFacts;
  /** The serving deployment's last drift run. */
  drift?: DriftFacts;
  /** The version's lineage as an inline SVG (lineageSvg). */
  lineage?: string;
}

const e = escapeHtml;
const none = (what = 'none given') => `<span class="note">${e(what)}</span>`;
const what = (r: Pick<RequestFacts, 'model' | 'version' | 'environment'>) =>
  `<span id="model">${e(r.model)}</span> version <span id="version">${r.version}</span> for <span id="environment">${e(r.environment)}</span>`;

/** The groups this member belongs to, and whether each of them needs nothing more. */
export const memberGroups = (request: RequestFacts, member: string) =>
  request.groups.filter((g) => g.members.includes(member));

/** A member's own group is complete when every group they belong to has its quorum. */
export const groupComplete = (request: RequestFacts, member: string): boolean =>
  memberGroupsComplete(request.groups, member);

const formatNumber = (n: number): string =>
  Number.isInteger(n) ? String(n) : Math.abs(n) >= 1000 ? n.toFixed(1) : String(Number(n.toPrecision(4)));

const paramValue = (v: string | number | boolean) => e(typeof v === 'number' ? formatNumber(v) : String(v));

const cardSection = (facts: ApprovalPageFacts): string => {
  const card = facts.card ?? {};
  const model = facts.model;
  const people = (list: string[] | undefined) =>
    list?.length ? list.map(e).join(', ') : none('not recorded');
  const done = card.validation?.done ?? [];
  const planned = card.validation?.planned ?? [];
  const riskTier = card.riskTier ?? model?.riskTier;
  const purpose = card.purpose ?? model?.purpose;
  return `<section aria-labelledby="card-h"><h2 id="card-h">The model</h2>
<dl id="card">
<dt>Purpose</dt><dd id="card-purpose">${purpose ? e(purpose) : none('not recorded')}</dd>
<dt>Intended use</dt><dd id="card-intended-use">${card.intendedUse ? e(card.intendedUse) : none('not recorded')}</dd>
<dt>Limitations</dt><dd id="card-limitations">${card.limitations ? e(card.limitations) : none('not recorded')}</dd>
<dt>Risk tier</dt><dd id="card-risk-tier">${riskTier ? `<strong>${e(riskTier)}</strong>` : none('not rated')}</dd>
<dt>Owners</dt><dd id="card-owners">${people(card.owners ?? (model ? [model.owner] : undefined))}</dd>
<dt>Validators</dt><dd id="card-validators">${people(card.validators)}</dd>
<dt>Validation done</dt><dd id="card-validation-done">${
    done.length
      ? `<ul>${done.map((v) => `<li>${e(v.date)} by ${e(v.by)}${v.outcome ? `: ${e(v.outcome)}` : ''}${v.summary ? ` (${e(v.summary)})` : ''}</li>`).join('')}</ul>`
      : none('none recorded')
  }</dd>
<dt>Validation planned</dt><dd id="card-validation-planned">${
    planned.length
      ? `<ul>${planned.map((v) => `<li>${e(v.date)}${v.scope ? `: ${e(v.scope)}` : ''}</li>`).join('')}</ul>`
      : none('none planned')
  }</dd>
${card.validityEnd ? `<dt>Validation holds until</dt><dd id="card-validity-end">${e(card.validityEnd)}</dd>` : ''}
${card.exceptions?.length ? `<dt>Exceptions</dt><dd id="card-exceptions"><ul>${card.exceptions.map((x) => `<li>${e(x.description)}${x.approvedBy ? `, approved by ${e(x.approvedBy)}` : ''}${x.expires ? `, until ${e(x.expires)}` : ''}</li>`).join('')}</ul></dd>` : ''}
</dl></section>`;
};

const versionSection = (facts: ApprovalPageFacts): string => {
  const v = facts.version;
  if (!v)
    return `<section aria-labelledby="version-h"><h2 id="version-h">The version</h2><p>${none('The version record could not be read.')}</p></section>`;
  const params = Object.entries(v.params ?? {});
  const repro = facts.reproducibility;
  return `<section aria-labelledby="version-h"><h2 id="version-h">The version</h2>
<dl>
<dt>Description</dt><dd id="version-description">${v.description ? e(v.description) : none()}</dd>
<dt>Framework</dt><dd id="version-framework">${v.framework ? e(v.framework) : none('not recorded')}</dd>
<dt>Registered</dt><dd>by <span id="registrant">${e(facts.request.registrant)}</span>, ${timeTag(v.createdAt)}</dd>
<dt>Artifact</dt><dd>sha256 <code>${e(v.artifact.sha256)}</code>, ${formatNumber(v.artifact.sizeBytes)} bytes</dd>
<dt>Reproducible</dt><dd id="reproducibility">${
    repro
      ? repro.reproducible
        ? '<strong>yes</strong>: code commit, image digest, datasets with content identity and params are all recorded'
        : `<strong>no</strong>: missing ${repro.missing.map(e).join('; ')}`
      : none('unknown')
  }</dd>
</dl>
<h3>Params</h3>
${
  params.length
    ? `<table id="params"><thead><tr><th scope="col">param</th><th scope="col">value</th></tr></thead><tbody>${params
        .map(([k, val]) => `<tr><td>${e(k)}</td><td>${paramValue(val)}</td></tr>`)
        .join('')}</tbody></table>`
    : `<p id="params">${v.params ? none('The version was trained with no params.') : none('No params were registered.')}</p>`
}
</section>`;
};

/** A metric's difference against the serving version, in words as well as by colour. */
const difference = (mine: number | undefined, theirs: number | undefined): string => {
  if (mine === undefined || theirs === undefined)
    return `<td class="note">${mine === undefined ? 'not measured for this version' : 'new metric'}</td>`;
  const d = mine - theirs;
  if (d === 0) return '<td class="num" data-diff="same">same</td>';
  const pct = theirs !== 0 ? ` (${d > 0 ? '+' : ''}${formatNumber((d / Math.abs(theirs)) * 100)}%)` : '';
  const up = d > 0;
  return `<td class="num changed ${up ? 'up' : 'down'}" data-diff="${up ? 'higher' : 'lower'}">${up ? '▲ higher by' : '▼ lower by'} ${formatNumber(Math.abs(d))}${pct}</td>`;
};

const metricsSection = (facts: ApprovalPageFacts): string => {
  const mine = facts.version?.metrics ?? {};
  const serving = facts.serving;
  const theirs = serving && serving.version !== facts.request.version ? serving.metrics : undefined;
  const names = [...new Set([...Object.keys(mine), ...Object.keys(theirs ?? {})])].sort();
  const heading = `<h2 id="metrics-h">Metrics against what serves ${e(facts.request.environment)} now</h2>`;
  const servingLine = !serving
    ? `<p id="serving">Nothing serves <strong>${e(facts.request.environment)}</strong> now: this would be its first version.</p>`
    : serving.version === facts.request.version
      ? `<p id="serving">Version ${serving.version} already serves ${e(facts.request.environment)} (since ${timeTag(serving.since)}, on ${e(serving.targetId)}).</p>`
      : `<p id="serving">Version <strong id="serving-version">${serving.version}</strong> serves ${e(facts.request.environment)} now, on ${e(serving.targetId)}, since ${timeTag(serving.since)}.</p>`;
  if (names.length === 0)
    return `<section aria-labelledby="metrics-h">${heading}${servingLine}<p>${none('No metrics were registered with this version.')}</p></section>`;
  const rows = names.map((name) => {
    const a = mine[name];
    const b = theirs?.[name];
    return `<tr data-metric="${e(name)}"><th scope="row">${e(name)}</th><td class="num">${a === undefined ? '–' : formatNumber(a)}</td>${
      theirs ? `<td class="num">${b === undefined ? '–' : formatNumber(b)}</td>${difference(a, b)}` : ''
    }</tr>`;
  });
  return `<section aria-labelledby="metrics-h">${heading}${servingLine}
<table id="metrics"><thead><tr><th scope="col">metric</th><th scope="col">version ${facts.request.version} (this request)</th>${
    theirs
      ? `<th scope="col">version ${serving!.version} (serving now)</th><th scope="col">difference</th>`
      : ''
  }</tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
};

const driftSection = (facts: ApprovalPageFacts): string => {
  if (!facts.serving || facts.serving.version === facts.request.version) return '';
  const d = facts.drift;
  const body = !d
    ? `<p id="drift">${none(`Version ${facts.serving.version} has no drift run yet.`)}</p>`
    : `<div id="drift" class="callout ${d.status === 'ok' || d.status === 'OK' ? 'good' : 'warn'}"><p>Last drift run of version ${facts.serving.version}, ${timeTag(d.at)}: <strong id="drift-status">${e(d.status)}</strong>, ${formatNumber(d.driftedShare * 100)}% of features drifted over ${d.rows} rows (window ${timeTag(d.window.from)} to ${timeTag(d.window.to)})${d.health ? `; target health ${e(d.health)}` : ''}.</p>${
        d.drifted.length
          ? `<p>Drifted: ${d.drifted.map((f) => `<code>${e(f)}</code>`).join(', ')}</p>`
          : '<p>No feature drifted.</p>'
      }</div>`;
  return `<section aria-labelledby="drift-h"><h2 id="drift-h">Drift of the serving version</h2>${body}</section>`;
};

const lineageSection = (facts: ApprovalPageFacts): string =>
  `<section aria-labelledby="lineage-h"><h2 id="lineage-h">Where this version came from</h2>${
    facts.lineage
      ? `<figure id="lineage">${facts.lineage}</figure>`
      : `<p id="lineage">${none('No lineage was recorded.')}</p>`
  }</section>`;

/** Who may still decide in a group: members who have not decided, the registrant excluded. */
const stillToDecide = (request: RequestFacts, group: RequestFacts['groups'][number]) => {
  const decided = new Set(request.decisions.flatMap((d) => [d.member, d.by]));
  return group.members.filter((m) => m !== request.registrant && !decided.has(m));
};

export const quorumSection = (request: RequestFacts, member?: string): string => {
  const groups = request.groups.map((g) => {
    const decisions = request.decisions.filter((d) => d.group === g.name);
    const open = g.done ? [] : stillToDecide(request, g);
    return `<li data-group="${e(g.name)}"><strong>${e(g.name)}</strong>: ${g.approvals} of ${g.minApprovals} approval${g.minApprovals === 1 ? '' : 's'}${g.done ? ' <span class="up">(complete)</span>' : ''}${member && g.members.includes(member) ? ' <span class="note">(your group)</span>' : ''}
<ul>${decisions.map((d) => `<li class="decided">${e(d.member)} ${d.decision === 'approve' ? 'approved' : 'rejected'} ${timeTag(d.at)}${d.comment ? `: “${e(d.comment)}”` : ''}</li>`).join('')}${
      open.length ? `<li class="may-decide">may still decide: ${open.map(e).join(', ')}</li>` : ''
    }</ul></li>`;
  });
  return `<section aria-labelledby="quorum-h"><h2 id="quorum-h">Approvals needed</h2><ul id="quorums">${groups.join('')}</ul></section>`;
};

const requestSection = (r: RequestFacts) => `<dl id="request">
<dt>Requested by</dt><dd id="requester">${e(r.requestedBy)}, ${timeTag(r.requestedAt)}</dd>
<dt>Reason</dt><dd id="reason">${r.reason ? e(r.reason) : none()}</dd>
<dt>Expires</dt><dd id="expires">${timeTag(r.expiresAt)}</dd>
</dl>`;

export const decisionPage = (facts: ApprovalPageFacts, csrf: string): string => {
  const r = facts.request;
  const complete = groupComplete(r, facts.member);
  const mine = memberGroups(r, facts.member).map((g) => g.name);
  const action = complete
    ? `<div id="group-complete" class="callout good" role="status"><p><strong>Nothing is needed from you.</strong> Your group${mine.length === 1 ? '' : 's'} ${mine.map((g) => `<strong>${e(g)}</strong>`).join(' and ')} already ${mine.length === 1 ? 'has' : 'have'} the approvals ${mine.length === 1 ? 'it needs' : 'they need'}, so this link offers no decision. The request waits for the other groups.</p></div>`
    : `<section aria-labelledby="decide-h"><h2 id="decide-h">Your decision</h2><form method="post">
<input type="hidden" name="csrf" value="${e(csrf)}">
<p><label for="comment">Comment (optional; kept in the audit trail)</label><br><textarea id="comment" name="comment" maxlength="2000"></textarea></p>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>
<p class="note">You are deciding as <span id="member">${e(facts.member)}</span>${mine.length ? ` for ${mine.map(e).join(' / ')}` : ''}. This link works once; opening it changed nothing.</p></section>`;
  return page(
    `Approve ${r.model} v${r.version} for ${r.environment}`,
    `<h1>Approve ${what(r)}?</h1>
${requestSection(r)}
${metricsSection(facts)}
${driftSection(facts)}
${versionSection(facts)}
${cardSection(facts)}
${lineageSection(facts)}
${quorumSection(r, facts.member)}
${action}`,
  );
};

/** What happens after this decision, in words. */
const nextSteps = (r: RequestFacts): string => {
  if (r.status === 'REJECTED')
    return `<p id="next">The request is closed: one rejection ends it. ${e(r.requestedBy)} can ask again, for this version or a new one.</p>`;
  if (r.status === 'APPROVED') {
    if (r.deploymentId)
      return `<p id="next">Every group has approved. Deployment <code>${e(r.deploymentId)}</code> to ${e(r.environment)} has started.</p>`;
    if (r.deploymentError)
      return `<p id="next">Every group has approved, but the deployment asked for on approval could not start: ${e(r.deploymentError)}</p>`;
    return `<p id="next">Every group has approved. ${r.deployOnApproval ? `A deployment to ${e(r.environment)} starts now.` : `Version ${r.version} may now be deployed to ${e(r.environment)}.`}</p>`;
  }
  if (r.status === 'EXPIRED') return `<p id="next">The request expired before it was decided.</p>`;
  const open = r.groups.filter((g) => !g.done);
  return `<p id="next">The request is still open until ${timeTag(r.expiresAt)}. Still needed: ${open
    .map((g) => {
      const who = stillToDecide(r, g);
      return `<strong>${e(g.name)}</strong>, ${g.minApprovals - g.approvals} more approval${g.minApprovals - g.approvals === 1 ? '' : 's'} (from ${who.length ? who.map(e).join(', ') : 'no one left'})`;
    })
    .join('; ')}.</p>`;
};

export const resultPage = (request: RequestFacts, decision: DecisionFacts): string => {
  const verb = decision.decision === 'approve' ? 'approved' : 'rejected';
  return page(
    `You ${verb} ${request.model} v${request.version}`,
    `<h1 id="result">You ${verb} ${e(request.model)} version ${request.version} for ${e(request.environment)}.</h1>
<dl>
<dt>Your decision</dt><dd id="decision">${verb}, ${timeTag(decision.at)}</dd>
<dt>Your comment</dt><dd id="comment-echo">${decision.comment ? e(decision.comment) : none('no comment')}</dd>
<dt>The request is now</dt><dd><strong id="status">${e(request.status)}</strong></dd>
</dl>
<h2>What happens next</h2>
${nextSteps(request)}
${quorumSection(request, decision.member)}
<p class="note">Your decision is in the audit trail. This link no longer works.</p>`,
  );
};

/** Every state of a link other than "open for a decision", in plain words. */
export type LinkState =
  | { kind: 'unknown' }
  | { kind: 'used'; request: RequestFacts; member: string; usedAt: string }
  | { kind: 'expired'; request: RequestFacts }
  | { kind: 'decided'; request: RequestFacts }
  | { kind: 'decided-by-you'; request: RequestFacts; member: string };

const outcomeWords: Record<string, string> = {
  APPROVED: 'approved',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  PENDING: 'still waiting for other approvers',
};

export const linkStatePage = (state: LinkState): { title: string; html: string } => {
  const render = (title: string, body: string) => ({
    title,
    html: page(title, `<div id="link-state" data-state="${state.kind}">${body}</div>`),
  });
  switch (state.kind) {
    case 'unknown':
      return render(
        'Link not recognised',
        `<h1>We do not recognise this link</h1>
<p>This address does not match any approval link. Check that the whole link was copied from the email; links are long and some mail programs break them across lines.</p>
<p>If you copied it whole, the link may be from another Steward installation, or it was withdrawn. Ask the person who requested the approval to send a new request.</p>`,
      );
    case 'used': {
      const r = state.request;
      const mine = r.decisions.find((d) => d.member === state.member);
      const verb = mine ? (mine.decision === 'approve' ? 'approve' : 'reject') : 'decide on';
      return render(
        'This link was used already',
        `<h1>This link was used already</h1>
<p>It was used by <strong id="used-by">${e(state.member)}</strong> ${timeTag(state.usedAt)} to <strong id="used-decision">${verb}</strong> ${what(r)}.${mine?.comment ? ` The comment was “${e(mine.comment)}”.` : ''}</p>
<p>Each link works once, so nothing more can be done with it. The request is now <strong id="status">${e(outcomeWords[r.status] ?? r.status)}</strong>.</p>
${quorumSection(r, state.member)}`,
      );
    }
    case 'expired':
      return render(
        'This approval request expired',
        `<h1>This approval request expired</h1>
<p>The request to approve ${what(state.request)} expired ${timeTag(state.request.decidedAt ?? state.request.expiresAt)} before it had every approval it needed, so it can no longer be decided.</p>
<p>If the version should still go to ${e(state.request.environment)}, ask ${e(state.request.requestedBy)} to request approval again.</p>`,
      );
    case 'decided': {
      const r = state.request;
      const deciding =
        r.status === 'REJECTED' ? r.decisions.filter((d) => d.decision === 'reject') : r.decisions;
      return render(
        `Already ${outcomeWords[r.status] ?? r.status}`,
        `<h1>This request was ${e(outcomeWords[r.status] ?? r.status)} already</h1>
<p>${what(r)} was <strong id="outcome">${e(outcomeWords[r.status] ?? r.status)}</strong>${r.decidedAt ? ` ${timeTag(r.decidedAt)}` : ''}${
          deciding.length ? ` by ${deciding.map((d) => e(d.member)).join(', ')}` : ''
        }. No decision is needed from you, and this link offers none.</p>
${quorumSection(r)}`,
      );
    }
    case 'decided-by-you': {
      const mine = state.request.decisions.find((d) => d.member === state.member || d.by === state.member);
      return render(
        'You have decided already',
        `<h1>You have decided already</h1>
<p>You ${mine?.decision === 'reject' ? 'rejected' : 'approved'} ${what(state.request)}${mine ? ` ${timeTag(mine.at)}` : ''}. One person decides once, so this link offers no second decision.</p>
${quorumSection(state.request, state.member)}`,
      );
    }
  }
};
