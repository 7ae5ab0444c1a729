import { archiveAuditEvent } from '#adapters/audit-archive';

/**
 * The audit trail's use cases beyond the registry's own writes: the archive copy of each
 * committed event (what the stream handler calls).
 */

/** Archive one audit item as read from the table: the event without the table's keys. */
export const archiveCommittedEvent = async (item: Record<string, unknown>) => {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, entity: _e, ...event } = item;
  await archiveAuditEvent({ ...event, model: String(event.model), seq: Number(event.seq) });
  return event;
};
