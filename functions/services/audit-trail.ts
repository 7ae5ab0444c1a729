import type * as z from 'zod';
import {
  listAuditByActor,
  listAuditByDay,
  listAuditByModel,
  type StoredAuditEvent,
} from '#adapters/audit-table';
import { decodeCursor, encodeCursor } from '#commons/cursor';
import { ValidationError } from '#commons/errors';
import type { ListAuditQuery } from '#domain/audit-query';

/**
 * Reading the audit trail: its events by model, by actor, or by time across every chain. (Apart
 * from services/audit.ts, so the stream handler's bundle carries no cursor or listing code.)
 */

/** A listing by time alone with no `from` starts this many days back. */
const DEFAULT_WINDOW_DAYS = 30;

const day = (iso: string) => iso.slice(0, 10);
const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Audit events, a page at a time: by model or by actor (in their index's order), or by time
 * alone, reading day partitions oldest first from `from` (default 30 days back) to `to` (now).
 */
export const listAuditEvents = async (
  q: z.output<typeof ListAuditQuery>,
): Promise<{ items: StoredAuditEvent[]; nextCursor: string | undefined }> => {
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
    return { items: page.items, nextCursor };
  }

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
  return { items, nextCursor: await encodeCursor(next, scope) };
};
