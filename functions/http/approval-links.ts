import { createHash } from 'node:crypto';
import { type ApprovalItem, getApproval, getLink, type LinkItem } from '#adapters/approvals-table';
import { listDeployments } from '#adapters/deployments-table';
import { walkLineage } from '#adapters/lineage-table';
import { listDriftRuns } from '#adapters/monitoring-table';
import { getCard, getModel, getVersion } from '#adapters/registry-table';
import { approvalLinksRoutes } from '#api/routes/approval-links';
import { macMatches, macOf } from '#commons/cursor';
import { ForbiddenError, GoneError, HttpError } from '#commons/errors';
import { type HttpRequest, type HttpResponse, httpHandler, operationsFor, PAGE_HEADERS } from '#commons/http';
import { DecisionForm, LinkPath } from '#domain/approval';
import { modelVersionNode } from '#domain/lineage';
import { missingForReproducibility } from '#domain/reproducibility';
import {
  type ApprovalPageFacts,
  decisionPage,
  groupComplete,
  type LinkState,
  linkStatePage,
  resultPage,
} from '#presentation/approval-pages';
import { lineageSvg } from '#presentation/lineage-svg';
import { decide, isExpired } from './approval-decisions.ts';

/**
 * An approver's personal link. Mail scanners open every link before a person does, so GET (and
 * HEAD) only show the page and change nothing; the decision is a POST of the page's form, with a
 * CSRF token bound to the link. The secret is never stored: links are found by its SHA-256.
 *
 * Every state of a link is a page in plain words: unknown (404), used (404, by whom and when),
 * expired (410), decided (409, the outcome), decided already by this approver, or their group
 * already complete (no buttons then). Where the secret is known, the page names the model,
 * version and environment.
 */
const CSRF = 'approval-link-csrf';

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

type Found =
  | { open: true; link: LinkItem; hash: string; approval: ApprovalItem }
  | { open: false; state: LinkState; statusCode: number };

const STATUS: Record<LinkState['kind'], number> = {
  unknown: 404,
  used: 404,
  expired: 410,
  decided: 409,
  'decided-by-you': 200,
};

const closed = (state: LinkState): Found => ({ open: false, state, statusCode: STATUS[state.kind] });

const findLink = async (request: HttpRequest): Promise<Found> => {
  const parsed = LinkPath.safeParse(request.pathParameters);
  // A malformed secret is as unknown as a wrong one: the page says nothing more.
  if (!parsed.success) return closed({ kind: 'unknown' });
  const hash = hashOf(parsed.data.secret);
  const link = await getLink(hash);
  const approval = link ? await getApproval(link.requestId) : undefined;
  if (!link || !approval) return closed({ kind: 'unknown' });
  if (link.usedAt)
    return closed({ kind: 'used', request: approval, member: link.member, usedAt: link.usedAt });
  if (isExpired(approval)) return closed({ kind: 'expired', request: approval });
  if (approval.status !== 'PENDING') return closed({ kind: 'decided', request: approval });
  if (approval.decisions.some((d) => d.member === link.member))
    return closed({ kind: 'decided-by-you', request: approval, member: link.member });
  return { open: true, link, hash, approval };
};

const statePage = (found: Extract<Found, { open: false }>, statusCode = found.statusCode): HttpResponse => ({
  statusCode,
  headers: PAGE_HEADERS,
  body: linkStatePage(found.state).html,
});

/** What serves the request's environment now: the model's newest deployment there that succeeded. */
const servingNow = async (approval: ApprovalItem) => {
  const { items } = await listDeployments(approval.model, { environment: approval.environment, limit: 25 });
  return items.find((d) => d.status === 'SUCCEEDED');
};

/** Everything the decision page shows, read in two parallel rounds. */
const gather = async (approval: ApprovalItem, member: string): Promise<ApprovalPageFacts> => {
  const start = modelVersionNode(approval.model, approval.version);
  const [version, model, card, serving, graph] = await Promise.all([
    getVersion(approval.model, approval.version),
    getModel(approval.model),
    getCard(approval.model),
    servingNow(approval),
    walkLineage(start, 'upstream', 3),
  ]);
  const [servingVersion, runs] = serving
    ? await Promise.all([getVersion(serving.model, serving.version), listDriftRuns(serving.id, 1)])
    : [undefined, undefined];
  const run = runs?.items[0];
  const missing = version ? missingForReproducibility(version) : undefined;
  return {
    request: approval,
    member,
    ...(version ? { version } : {}),
    ...(missing
      ? { reproducibility: { reproducible: missing.length === 0, missing: missing.map((m) => m.message) } }
      : {}),
    ...(model ? { model } : {}),
    ...(card ? { card: card.card } : {}),
    ...(serving
      ? {
          serving: {
            version: serving.version,
            deploymentId: serving.id,
            targetId: serving.targetId,
            since: serving.updatedAt,
            metrics: servingVersion?.metrics ?? {},
          },
        }
      : {}),
    ...(run ? { drift: run } : {}),
    ...(graph.edges.length > 0
      ? {
          lineage: lineageSvg(graph, {
            start,
            title: `Lineage of ${approval.model} version ${approval.version}`,
          }),
        }
      : {}),
  };
};

export const operations = {
  viewApprovalLink: async (request: HttpRequest): Promise<HttpResponse> => {
    const found = await findLink(request);
    if (!found.open) return statePage(found);
    const facts = await gather(found.approval, found.link.member);
    const csrf = await macOf(CSRF, found.hash);
    return { statusCode: 200, headers: PAGE_HEADERS, body: decisionPage(facts, csrf) };
  },

  decideByLink: async (request: HttpRequest): Promise<HttpResponse> => {
    // A form posted from another site is refused even with a valid token. `null` is what a
    // browser sends from a page with `Referrer-Policy: no-referrer` (ours), so it is accepted;
    // a client that sends no Origin at all still needs the CSRF token.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null' && origin !== request.ownOrigin)
      throw new ForbiddenError('this form can only be sent from the page of the link itself');
    const found = await findLink(request);
    // A decided-by-you link posted again is the API's "second decision by the same person": 403.
    if (!found.open) return statePage(found, found.state.kind === 'decided-by-you' ? 403 : found.statusCode);
    const { link, hash, approval } = found;
    const csrf = (request.body as { csrf?: unknown } | undefined)?.csrf;
    const subject = { model: approval.model, target: `approval:${approval.id}`, actor: link.member };
    if (typeof csrf !== 'string' || !(await macMatches(CSRF, hash, csrf)))
      throw new ForbiddenError(
        'the form is missing its security token or it does not match this link; open the link again',
        { subject },
      );
    const form = DecisionForm.safeParse(request.body ?? {});
    if (!form.success)
      throw new ForbiddenError('the form was not filled in as the page sends it; open the link again', {
        subject,
      });
    if (form.data.decision === 'approve' && groupComplete(approval, link.member))
      return {
        statusCode: 409,
        headers: PAGE_HEADERS,
        body: decisionPage(await gather(approval, link.member), ''),
      };
    try {
      const decided = await decide({
        requestId: approval.id,
        who: { id: link.member, sessionName: undefined },
        decision: form.data.decision,
        ...(form.data.comment ? { comment: form.data.comment } : {}),
        via: 'link',
        link: { hash, member: link.member },
      });
      const entry = decided.decisions.findLast((d) => d.member === link.member);
      if (!entry) throw new GoneError('the decision was not recorded; open the link again');
      return { statusCode: 200, headers: PAGE_HEADERS, body: resultPage(decided, entry) };
    } catch (error) {
      // Another decision, the expiry or a second tab got there first: say which, in words.
      if (!(error instanceof HttpError) || error.statusCode >= 500) throw error;
      const now = await findLink(request);
      if (now.open) throw error;
      return statePage(now, error.statusCode);
    }
  },
};

// HEAD is GET without the body (the runtime drops it): a mail scanner's probe, answered the same way.
export const handler = httpHandler(
  approvalLinksRoutes,
  operationsFor(approvalLinksRoutes, { ...operations, headApprovalLink: operations.viewApprovalLink }),
);
