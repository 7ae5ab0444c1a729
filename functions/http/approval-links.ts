import type { ApprovalItem } from '#adapters/approvals-table';
import { approvalLinksRoutes } from '#api/routes/approval-links';
import { macMatches, macOf } from '#commons/cursor';
import { ForbiddenError } from '#commons/errors';
import { type HttpRequest, type HttpResponse, httpHandler, operationsFor, PAGE_HEADERS } from '#commons/http';
import { DecisionForm, LinkPath } from '#domain/approval';
import { decisionPage, type LinkState, linkStatePage, resultPage } from '#presentation/approval-pages';
import { decideByLink, linkPageFacts, openLink } from '#services/approvals';

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

const STATUS: Record<LinkState['kind'], number> = {
  unknown: 404,
  used: 404,
  expired: 410,
  decided: 409,
  'decided-by-you': 200,
};

const secretOf = (request: HttpRequest) => {
  const parsed = LinkPath.safeParse(request.pathParameters);
  return parsed.success ? parsed.data.secret : undefined;
};

const statePage = (state: LinkState, statusCode = STATUS[state.kind]): HttpResponse => ({
  statusCode,
  headers: PAGE_HEADERS,
  body: linkStatePage(state).html,
});

/**
 * The decision page's facts, its lineage drawn. The drawing's layout (dagre) is imported by the
 * first page that has a lineage to draw, not at cold start: a recorded decision (POST) or a
 * page for a used, expired or unknown link never needs it.
 */
const pageFacts = async (approval: ApprovalItem, member: string) => {
  const { facts, lineage } = await linkPageFacts(approval, member);
  const lineageSvg = lineage ? (await import('#presentation/lineage-svg')).lineageSvg : undefined;
  return {
    ...facts,
    ...(lineage && lineageSvg
      ? {
          lineage: lineageSvg(lineage.graph, {
            start: lineage.start,
            title: `Lineage of ${approval.model} version ${approval.version}`,
          }),
        }
      : {}),
  };
};

export const operations = {
  viewApprovalLink: async (request: HttpRequest): Promise<HttpResponse> => {
    const found = await openLink(secretOf(request));
    if (!found.open) return statePage(found.state);
    const facts = await pageFacts(found.approval, found.link.member);
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
    const found = await openLink(secretOf(request));
    // A decided-by-you link posted again is the API's "second decision by the same person": 403.
    if (!found.open) return statePage(found.state, found.state.kind === 'decided-by-you' ? 403 : undefined);
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
    const outcome = await decideByLink(found, form.data);
    switch (outcome.kind) {
      case 'group-complete':
        return {
          statusCode: 409,
          headers: PAGE_HEADERS,
          body: decisionPage(await pageFacts(approval, link.member), ''),
        };
      case 'closed':
        return statePage(outcome.state, outcome.statusCode);
      case 'decided':
        return { statusCode: 200, headers: PAGE_HEADERS, body: resultPage(outcome.approval, outcome.entry) };
    }
  },
};

// HEAD is GET without the body (the runtime drops it): a mail scanner's probe, answered the same way.
export const handler = httpHandler(
  approvalLinksRoutes,
  operationsFor(approvalLinksRoutes, { ...operations, headApprovalLink: operations.viewApprovalLink }),
);
