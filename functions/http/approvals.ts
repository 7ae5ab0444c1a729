import { approvalsRoutes } from '#api/routes/approvals';
import { httpHandler, json, operationsFor } from '#commons/http';
import { presentApproval } from '#presentation/representations';
import { decide, listInbox, readApproval, requestApproval } from '#services/approvals';

/**
 * Approval requests: ask for a version to be approved for an environment, list the approvers'
 * inbox, read a request, decide through the API (approvers who prefer it to the emailed link).
 */
export const operations = operationsFor(approvalsRoutes, {
  requestApproval: async (request) => {
    const item = await requestApproval({
      model: request.input.path.model,
      version: request.input.path.version,
      body: request.input.body,
      actor: request.principal.id,
      linkBaseUrl: request.baseUrl,
    });
    return json(202, presentApproval(item), { location: `/v1/approvals/${item.id}` });
  },

  listApprovals: async (request) => {
    const { items, nextCursor } = await listInbox(request.principal, request.input.query);
    return json(200, {
      items: items.map(({ mayDecide, ...a }) => ({
        ...presentApproval(a),
        mayDecide,
        ...('why' in a ? { why: a.why } : {}),
      })),
      ...(nextCursor ? { nextCursor } : {}),
    });
  },

  getApproval: async (request) => json(200, presentApproval(await readApproval(request.input.path.id))),

  decideApproval: async (request) => {
    const { decision, comment } = request.input.body;
    const decided = await decide({
      requestId: request.input.path.id,
      who: { id: request.principal.id, sessionName: request.principal.sessionName },
      decision,
      ...(comment ? { comment } : {}),
      via: 'api',
    });
    return json(200, presentApproval(decided));
  },
});

export const handler = httpHandler(approvalsRoutes, operations);
