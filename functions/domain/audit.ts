import { createHash } from 'node:crypto';

/**
 * The audit chain. Each event's hash is SHA-256 over the canonical JSON encoding of the event
 * (every field but the hash, including the previous event's hash), so changing, removing or
 * reordering any event breaks every hash after it.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEventBody {
  model: string;
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  prevHash: string;
}

export interface AuditEvent extends AuditEventBody {
  hash: string;
}

/** JSON with object keys sorted at every depth and no insignificant white space (RFC 8785 style). */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('non-finite number in audit event');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

export const hashEvent = (body: AuditEventBody): string =>
  createHash('sha256').update(canonicalJson(body)).digest('hex');

export const chainEvent = (body: AuditEventBody): AuditEvent => ({ ...body, hash: hashEvent(body) });

/** Recompute a chain in order; the first event whose link or hash does not hold is named. */
export const verifyChain = (
  events: Iterable<AuditEvent>,
  previous: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): { valid: boolean; events: number; brokenAt?: number; reason?: string } => {
  let count = 0;
  let prev = previous;
  for (const event of events) {
    count++;
    const { hash, ...body } = event;
    if (event.seq !== prev.seq + 1)
      return { valid: false, events: count, brokenAt: event.seq, reason: 'sequence gap' };
    if (event.prevHash !== prev.hash)
      return { valid: false, events: count, brokenAt: event.seq, reason: 'previous hash does not match' };
    if (hashEvent(body) !== hash)
      return { valid: false, events: count, brokenAt: event.seq, reason: 'hash does not match' };
    prev = { seq: event.seq, hash };
  }
  return { valid: true, events: count };
};
