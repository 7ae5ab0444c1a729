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
