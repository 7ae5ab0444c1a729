import { readChainHead } from '#adapters/audit-chain';
import { readChain, type StoredAuditEvent } from '#adapters/audit-table';
import { GENESIS_HASH, verifyChain } from '#domain/audit';

/**
 * A chain's verification, as `GET /v1/audit/verify` answers it and as the evidence pack records
 * it: the chain recomputed from its first event, and its head (the last event's seq and hash) so
 * that what was verified can be checked again later against the live trail.
 */
export interface ChainVerification {
  model: string;
  valid: boolean;
  events: number;
  brokenAt?: number;
  reason?: string;
  /** The last event's hash when the chain is intact (absent for an empty or broken chain). */
  headHash?: string;
}

/** Verify as the events stream in, page by page. */
const verifyStream = async (
  events: AsyncIterable<StoredAuditEvent>,
): Promise<{ valid: boolean; events: number; brokenAt?: number; reason?: string; lastHash?: string }> => {
  let count = 0;
  let previous = { seq: 0, hash: GENESIS_HASH };
  const batch: StoredAuditEvent[] = [];
  const flush = () => {
    const outcome = verifyChain(batch, previous);
    if (!outcome.valid) return { ...outcome, events: count - batch.length + outcome.events };
    const tail = batch.at(-1);
    if (tail) previous = { seq: tail.seq, hash: tail.hash };
    batch.length = 0;
    return undefined;
  };
  for await (const event of events) {
    count++;
    batch.push(event);
    if (batch.length >= 1000) {
      const broken = flush();
      if (broken) return broken;
    }
  }
  return flush() ?? { valid: true, events: count, lastHash: previous.hash };
};

/**
 * Recompute a chain (`events` may be given when the caller has read them already). The head kept
 * on the model item must be the chain's last event: a removed tail shows here.
 */
export const verifyAuditChain = async (
  model: string,
  events?: readonly StoredAuditEvent[],
): Promise<ChainVerification> => {
  const source = events
    ? (async function* () {
        yield* events;
      })()
    : readChain(model);
  const [result, head] = await Promise.all([verifyStream(source), readChainHead(model)]);
  if (
    result.valid &&
    head &&
    (head.auditSeq !== result.events || (result.events > 0 && head.auditHead !== result.lastHash))
  )
    return {
      model,
      valid: false,
      events: result.events,
      brokenAt: result.events + 1,
      reason: `the chain ends at ${result.events} but the model's head is event ${head.auditSeq}`,
    };
  const { lastHash, ...answer } = result;
  return {
    model,
    ...answer,
    ...(result.valid && result.events > 0 && lastHash ? { headHash: lastHash } : {}),
  };
};
