import type { StoredAuditEvent } from '#adapters/audit-table';
import { auditRoutes } from '#api/routes/audit';
import { httpHandler, json, operationsFor } from '#commons/http';
import { listAuditEvents } from '#services/audit-trail';
import { verifyAuditChain } from '#services/audit-verify';

/** The audit trail: list events by model, actor and time, and verify a model's hash chain. */
const present = (e: StoredAuditEvent) => ({
  model: e.model,
  seq: e.seq,
  at: e.at,
  actor: e.actor,
  action: e.action,
  target: e.target,
  ...(e.before === undefined ? {} : { before: e.before }),
  ...(e.after === undefined ? {} : { after: e.after }),
  hash: e.hash,
  prevHash: e.prevHash,
});

export const operations = operationsFor(auditRoutes, {
  listAudit: async (request) => {
    const { items, nextCursor } = await listAuditEvents(request.input.query);
    return json(200, { items: items.map(present), ...(nextCursor ? { nextCursor } : {}) });
  },

  verifyAudit: async (request) => json(200, await verifyAuditChain(request.input.query.model)),
});

export const handler = httpHandler(auditRoutes, operations);
