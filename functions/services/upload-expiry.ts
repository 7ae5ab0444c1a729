import { retryOnConflict } from '#adapters/audit-chain';
import { changeVersion, getModelAndVersion, listPendingUploads } from '#adapters/registry-table';
import { config } from '#commons/config';
import { VersionStatusChangedError } from '#domain/errors';

/**
 * Versions registered but never uploaded: once PENDING_UPLOAD for longer than
 * `PENDING_UPLOAD_TTL_HOURS`, a version is moved to FAILED with the reason, and the move is
 * audited like any other (`version.upload-expired`, in the model's chain). Its number stays
 * taken: numbers are never reused, so an audit event, an approval or a lineage node that names
 * `model:n` always means the same version. A commit that races the sweep loses or wins cleanly:
 * both are conditional on PENDING_UPLOAD.
 *
 * Run by a schedule (EventBridge on AWS, a timer in local mode). Versions registered by reference
 * are copied by their own workflow and are never in the sweep's index.
 */
export const EXPIRY_ACTOR = 'steward:upload-expiry';
export const EXPIRY_ACTION = 'version.upload-expired';

export interface ExpiryOutcome {
  cutoff: string;
  expired: { name: string; version: number }[];
  /** Committed (or otherwise moved) between the read and the write: left as they are. */
  skipped: number;
}

export const expirePendingUploads = async (now: Date = new Date()): Promise<ExpiryOutcome> => {
  const hours = config().pendingUploadTtlHours;
  const cutoff = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const outcome: ExpiryOutcome = { cutoff, expired: [], skipped: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await listPendingUploads(cutoff, startKey);
    for (const pending of page.items) {
      if (await expireOne(pending, hours, now))
        outcome.expired.push({ name: pending.name, version: pending.version });
      else outcome.skipped++;
    }
    startKey = page.lastKey;
  } while (startKey);
  return outcome;
};

const expireOne = async (
  pending: { name: string; version: number; createdAt: string },
  hours: number,
  now: Date,
): Promise<boolean> => {
  try {
    return await retryOnConflict(async () => {
      const { model, version } = await getModelAndVersion(pending.name, pending.version);
      if (!model || version?.status !== 'PENDING_UPLOAD') return false;
      const statusReason = `no upload was committed within ${hours} h of the registration (${version.createdAt})`;
      await changeVersion({
        head: model,
        version,
        set: { status: 'FAILED', statusReason },
        fromStatuses: ['PENDING_UPLOAD'],
        action: EXPIRY_ACTION,
        actor: EXPIRY_ACTOR,
        at: now.toISOString(),
        before: { status: version.status },
        after: { status: 'FAILED', statusReason },
      });
      return true;
    });
  } catch (error) {
    // The upload was committed (or the version otherwise moved) after the read: nothing to expire.
    if (error instanceof VersionStatusChangedError) return false;
    throw error;
  }
};
