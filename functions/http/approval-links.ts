import { createHash } from 'node:crypto';
import { type ApprovalItem, getApproval, getLink, type LinkItem } from '#adapters/approvals-table';
import { getVersion, type VersionItem } from '#adapters/registry-table';
import { macMatches, macOf } from '#commons/cursor';
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '#commons/errors';
import { escapeHtml, type HttpRequest, httpHandler, PAGE_HEADERS, page } from '#commons/http';
import { DecisionForm, LinkPath } from '#domain/approval';
import { decide, isExpired } from './approval-decisions.ts';

/**
 * An approver's personal link. Mail scanners open every link before a person does, so GET (and
 * HEAD) only show the page and change nothing; the decision is a POST of the page's form, with a
 * CSRF token bound to the link. An unknown, tampered or used link is a 404 page, an expired one
 * 410. The secret is never stored: links are found by its SHA-256.
 */
const CSRF = 'approval-link-csrf';

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

const findLink = async (
  request: HttpRequest,
): Promise<{ link: LinkItem; hash: string; approval: ApprovalItem }> => {
  const parsed = LinkPath.safeParse(request.pathParameters);
  // A malformed secret is as unknown as a wrong one: the page says nothing more.
  if (!parsed.success) throw new NotFoundError('this link is not valid, or it was used already');
  const hash = hashOf(parsed.data.secret);
  const link = await getLink(hash);
  if (!link || link.usedAt) throw new NotFoundError('this link is not valid, or it was used already');
  const approval = await getApproval(link.requestId);
  if (!approval) throw new NotFoundError('this link is not valid, or it was used already');
  if (isExpired(approval)) throw new GoneError(`this approval request expired at ${approval.expiresAt}`);
  if (approval.status !== 'PENDING')
    throw new ConflictError(`this approval request was ${approval.status.toLowerCase()} already`);
  return { link, hash, approval };
};

const metricsTable = (version: VersionItem | undefined) => {
  const metrics = Object.entries(version?.metrics ?? {});
  if (metrics.length === 0) return '<p class="note">No metrics were registered with this version.</p>';
  return `<table><tr><th>metric</th><th>value</th></tr>${metrics
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v))}</td></tr>`)
    .join('')}</table>`;
};

const decisionPage = (
  approval: ApprovalItem,
  version: VersionItem | undefined,
  link: LinkItem,
  csrf: string,
  baseUrl: string,
) => {
  const lineage = `${baseUrl}/v1/lineage?node=${encodeURIComponent(`model-version:${approval.model}:${approval.version}`)}&direction=upstream`;
  const groups = approval.groups
    .map((g) => `${escapeHtml(g.name)}: ${g.approvals} of ${g.minApprovals}${g.done ? ' (met)' : ''}`)
    .join('<br>');
  return page(
    `Approve ${approval.model} v${approval.version}`,
    `<h1>Approve <span id="model">${escapeHtml(approval.model)}</span> version <span id="version">${approval.version}</span> for ${escapeHtml(approval.environment)}?</h1>
<dl>
<dt>Model</dt><dd>${escapeHtml(approval.model)}</dd>
<dt>Version</dt><dd>${approval.version}${version ? ` (${escapeHtml(version.status)}, sha256 ${escapeHtml(version.artifact.sha256.slice(0, 16))}…)` : ''}</dd>
<dt>Environment</dt><dd>${escapeHtml(approval.environment)}</dd>
<dt>Requested by</dt><dd>${escapeHtml(approval.requestedBy)} at ${escapeHtml(approval.requestedAt)}</dd>
<dt>Reason</dt><dd>${approval.reason ? escapeHtml(approval.reason) : '<span class="note">none given</span>'}</dd>
<dt>Registered by</dt><dd>${escapeHtml(approval.registrant)}</dd>
<dt>Quorums</dt><dd>${groups}</dd>
<dt>Expires</dt><dd>${escapeHtml(approval.expiresAt)}</dd>
<dt>Lineage</dt><dd><a href="${escapeHtml(lineage)}" rel="noreferrer">where this version came from</a> (signed API request)</dd>
</dl>
<h2>Metrics</h2>
${metricsTable(version)}
<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<p><label for="comment">Comment (optional)</label><br><textarea id="comment" name="comment" maxlength="2000"></textarea></p>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="reject" type="submit" name="decision" value="reject">Reject</button>
</div>
</form>
<p class="note">You are deciding as ${escapeHtml(link.member)}. This link works once.</p>`,
  );
};

export const operations = {
  viewApprovalLink: async (request: HttpRequest) => {
    const { link, hash, approval } = await findLink(request);
    const version = await getVersion(approval.model, approval.version);
    const csrf = await macOf(CSRF, hash);
    return {
      statusCode: 200,
      headers: PAGE_HEADERS,
      body: decisionPage(approval, version, link, csrf, request.baseUrl),
    };
  },

  decideByLink: async (request: HttpRequest) => {
    // A form posted from another site is refused even with a valid token. `null` is what a
    // browser sends from a page with `Referrer-Policy: no-referrer` (ours), so it is accepted;
    // a client that sends no Origin at all still needs the CSRF token.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null' && origin !== request.ownOrigin)
      throw new ForbiddenError('this form can only be sent from the page of the link itself');
    const { link, hash, approval } = await findLink(request);
    const form = DecisionForm.safeParse(request.body ?? {});
    const csrf = (request.body as { csrf?: unknown } | undefined)?.csrf;
    if (typeof csrf !== 'string' || !(await macMatches(CSRF, hash, csrf)))
      throw new ForbiddenError(
        'the form is missing its security token or it does not match this link; open the link again',
      );
    if (!form.success)
      throw new ForbiddenError('the form was not filled in as the page sends it; open the link again');
    const decided = await decide({
      requestId: approval.id,
      who: { id: link.member, sessionName: undefined },
      decision: form.data.decision,
      ...(form.data.comment ? { comment: form.data.comment } : {}),
      via: 'link',
      link: { hash, member: link.member },
    });
    const verb = form.data.decision === 'approve' ? 'approved' : 'rejected';
    return {
      statusCode: 200,
      headers: PAGE_HEADERS,
      body: page(
        `You ${verb}`,
        `<h1 id="result">You ${verb} ${escapeHtml(approval.model)} version ${approval.version} for ${escapeHtml(approval.environment)}.</h1>
<p>The request is now <strong id="status">${escapeHtml(decided.status)}</strong>.</p>
<p class="note">Your decision is in the audit trail. This link no longer works.</p>`,
      ),
    };
  },
};

// HEAD is GET without the body (the runtime drops it): a mail scanner's probe, answered the same way.
export const handler = httpHandler({ ...operations, headApprovalLink: operations.viewApprovalLink });
