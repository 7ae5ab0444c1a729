import * as z from 'zod';
import { logger } from '#commons/observability';
import { taskHandler } from '#commons/task';
import { expirePendingUploads } from '#services/upload-expiry';

/**
 * The pending-upload expiry sweep (a schedule on AWS, a timer in local mode): see
 * functions/services/upload-expiry.ts. The EventBridge event says only when it fired, which the
 * sweep does not need (it reads the clock): any object is taken.
 */
export const sweep = taskHandler('upload-expiry', z.looseObject({}), async () => {
  const outcome = await expirePendingUploads();
  if (outcome.expired.length)
    logger.info('pending uploads expired', { count: outcome.expired.length, cutoff: outcome.cutoff });
  return outcome;
});
