import {
  listAuditByActor,
  listAuditByDay,
  listAuditByModel,
  type StoredAuditEvent,
} from '#adapters/audit-table';
import { auditRoutes } from '#api/routes/audit';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ValidationError } from '#commons/errors';
import { httpHandler, json, operationsFor } from '#commons/http';
import { verifyAuditChain } from '#services/audit-verify';

/** The audit trail: list events by model, actor and time, and verify a model's hash chain. */
/** A listing by time alone with no `from` starts this many days back. */
const DEFAULT_WINDOW_DAYS = 30;

const day = (iso: string) => iso.slice(0, 10);
const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

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
    const q = request.input.query;
    const scope = `audit|${q.model ?? ''}|${q.actor ?? ''}|${q.from ?? ''}|${q.to ?? ''}`;
    const cursor = (await decodeCursor(q.cursor, scope)) as
      | { key?: Record<string, unknown>; day?: string }
      | undefined;

    if (q.model || q.actor) {
      const query = { ...q, ...(cursor?.key ? { startKey: cursor.key } : {}) };
      const page = q.model
        ? await listAuditByModel({ ...query, model: q.model })
        : await listAuditByActor({ ...query, actor: q.actor! });
      const nextCursor = await encodeCursor(page.lastKey ? { key: page.lastKey } : undefined, scope);
      return json(200, { items: page.items.map(present), ...(nextCursor ? { nextCursor } : {}) });
    }

    // By time alone: day partitions oldest first, from `from` (default 30 days back) to `to` (now).
    const lastDay = day(q.to ?? new Date().toISOString());
    const firstDay = day(q.from ?? new Date(Date.now() - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString());
    let current = cursor?.day ?? firstDay;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(current)) throw new ValidationError('the cursor is not valid');
    let startKey = cursor?.key;
    const items: StoredAuditEvent[] = [];
    let next: { day: string; key?: Record<string, unknown> } | undefined;
    while (current <= lastDay) {
      const page = await listAuditByDay(current, {
        ...q,
        limit: q.limit - items.length,
        ...(startKey ? { startKey } : {}),
      });
      items.push(...page.items);
      if (page.lastKey) {
        next = { day: current, key: page.lastKey };
        break;
      }
      current = nextDay(current);
      startKey = undefined;
      if (items.length >= q.limit && current <= lastDay) {
        next = { day: current };
        break;
      }
    }
    const nextCursor = await encodeCursor(next, scope);
    return json(200, { items: items.map(present), ...(nextCursor ? { nextCursor } : {}) });
  },

  verifyAudit: async (request) => json(200, await verifyAuditChain(request.input.query.model)),
});

export const handler = httpHandler(auditRoutes, operations);
