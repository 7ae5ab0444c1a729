import * as z from 'zod';
import {
  ApprovalPath,
  ApprovalRequestOut,
  DecisionBody,
  ListApprovalsQuery,
  RequestApprovalBody,
} from '#domain/approval';
import { VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';

export const approvalsRoutes = defineRoutes('approvals', [
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/approvals',
    operationId: 'requestApproval',
    description:
      "Asks the environment's approver groups to approve a READY version for that environment. Each member of each group, except the version's registrant, gets an email with a personal link (`GET /v1/approval-links/{secret}` shows the page). Every group must reach its quorum; one rejection ends the request; it expires after the policy's `approvalTtlHours`. 409 unless the version is READY, when the environment demands a reproducible version and this one is not (the missing parts are listed), or when a group cannot reach its quorum without the registrant. `deployOnApproval` starts a deployment once APPROVED.",
    auth: 'iam',
    role: ['deployer', 'publisher'],
    summary: 'Ask for a version to be approved for an environment',
    params: VersionPath,
    body: RequestApprovalBody,
    headers: { idempotencyKey: true },
    responses: { 202: { description: 'PENDING; approvers are emailed', schema: ApprovalRequestOut } },
    problems: [400, 403, 404, 409],
  },
  {
    method: 'GET',
    path: '/v1/approvals',
    operationId: 'listApprovals',
    description:
      "The approvers' inbox: approval requests still PENDING, across models, oldest first. Each says `mayDecide` for the caller and, when not, `why` (the version's registrant, not an approver of the request, decided already, or no approver role): the decision's own rules, read ahead; the decision still checks them. `mine=true` keeps only the requests the caller may decide now.",
    auth: 'iam',
    role: 'reader',
    summary: "Pending approval requests (the approvers' inbox)",
    query: ListApprovalsQuery,
    responses: {
      200: {
        description: 'a page of pending requests, oldest first',
        schema: z
          .object({
            items: z
              .array(
                ApprovalRequestOut.extend({
                  mayDecide: z
                    .boolean()
                    .meta({ description: 'Whether the caller may decide this request now.' }),
                  why: z
                    .string()
                    .optional()
                    .meta({ description: 'Why the caller may not decide it, when mayDecide is false.' }),
                }),
              )
              .meta({ description: 'Pending requests, oldest first.' }),
            nextCursor: z
              .string()
              .optional()
              .meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
          })
          .meta({ id: 'ApprovalInbox', description: "A page of the approvers' inbox." }),
      },
    },
    problems: [400, 403],
  },
  {
    method: 'GET',
    path: '/v1/approvals/{id}',
    operationId: 'getApproval',
    description:
      "An approval request: its status, each group's quorum and how far it has filled, and every decision.",
    auth: 'iam',
    role: 'reader',
    summary: 'An approval request with its decisions',
    params: ApprovalPath,
    responses: { 200: { description: 'the request', schema: ApprovalRequestOut } },
    problems: [403, 404],
  },
  {
    method: 'POST',
    path: '/v1/approvals/{id}/decisions',
    operationId: 'decideApproval',
    description:
      "Approves or rejects as a member of one of the request's groups. 403 for the version's registrant, a non-member, or a second decision by the same person; 409 once the request is decided; 410 once it expired. One person's approval counts for one group only, so two groups always mean two people.",
    auth: 'iam',
    role: 'approver',
    summary: 'Approve or reject (an approver of the request, not its registrant)',
    params: ApprovalPath,
    body: DecisionBody,
    responses: { 200: { description: 'the request', schema: ApprovalRequestOut } },
    problems: [400, 403, 404, 409, 410],
  },
]);
