import { ApprovalPath, ApprovalRequestOut, DecisionBody, RequestApprovalBody } from '#domain/approval';
import { VersionPath } from '#domain/version';
import { defineRoutes } from '../route.ts';

export const approvalsRoutes = defineRoutes('approvals', [
  {
    method: 'POST',
    path: '/v1/models/{model}/versions/{version}/approvals',
    operationId: 'requestApproval',
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
    path: '/v1/approvals/{id}',
    operationId: 'getApproval',
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
    auth: 'iam',
    role: 'approver',
    summary: 'Approve or reject (an approver of the request, not its registrant)',
    params: ApprovalPath,
    body: DecisionBody,
    responses: { 200: { description: 'the request', schema: ApprovalRequestOut } },
    problems: [400, 403, 404, 409, 410],
  },
]);
