import { logger } from '#commons/observability';
import { expirePendingUploads } from '#services/upload-expiry';

/**
 * The pending-upload expiry sweep (a schedule on AWS, a timer in local mode): see
 * functions/services/upload-expiry.ts.
 */
export const sweep = async () => {
  const outcome = await expirePendingUploads();
  if (outcome.expired.length)
    logger.info('pending uploads expired', { count: outcome.expired.length, cutoff: outcome.cutoff });
  return outcome;
};
