import { DecisionForm, LinkPath } from '#domain/approval';
import { defineRoutes } from '../route.ts';
import { Html } from '../schemas.ts';

const html = (description: string) => ({ description, content: { 'text/html': Html } });

/**
 * Public: an approver's personal link. GET and HEAD show the page and change nothing; POST
 * decides. The pages parse their own input: a malformed secret reads as an unknown link.
 */
export const approvalLinksRoutes = defineRoutes('approval-links', [
  {
    method: 'GET',
    path: '/v1/approval-links/{secret}',
    operationId: 'viewApprovalLink',
    description:
      "The page an approver's emailed link opens: model, version, environment, requester, reason and the two buttons. Changes nothing, so mail scanners that follow links decide nothing. 404 for an unknown or used link, 410 when expired.",
    auth: 'none',
    role: 'public',
    page: true,
    secretParam: 'secret',
    parsesOwnInput: true,
    summary: "An approver's page (changes nothing)",
    params: LinkPath,
    responses: {
      200: html('the decision page'),
      404: html('unknown or used link'),
      409: html('decided already'),
      410: html('expired'),
    },
  },
  {
    method: 'HEAD',
    path: '/v1/approval-links/{secret}',
    operationId: 'headApprovalLink',
    description: 'The same as GET, headers only (what mail scanners probe). Changes nothing.',
    auth: 'none',
    role: 'public',
    page: true,
    secretParam: 'secret',
    parsesOwnInput: true,
    summary: "An approver's page, headers only (what mail scanners probe; changes nothing)",
    params: LinkPath,
    responses: {
      200: { description: 'the page would be shown' },
      404: { description: 'unknown or used link' },
      409: { description: 'decided already' },
      410: { description: 'expired' },
    },
  },
  {
    method: 'POST',
    path: '/v1/approval-links/{secret}',
    operationId: 'decideByLink',
    description:
      'The decision posted from the page (a form with its CSRF token); the same rules as `POST /v1/approvals/{id}/decisions`. The link then stops working.',
    auth: 'none',
    role: 'public',
    page: true,
    secretParam: 'secret',
    parsesOwnInput: true,
    summary: 'The decision posted from the page (form with the CSRF token)',
    params: LinkPath,
    form: DecisionForm,
    responses: {
      200: html('the result page'),
      403: html('bad form, registrant, non-member or second decision'),
      404: html('unknown or used link'),
      409: html('decided already'),
      410: html('expired'),
    },
  },
]);
