import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics instance per process. Local mode turns metrics off through
 * POWERTOOLS_METRICS_DISABLED and logs only warnings by default.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'steward' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Steward',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'steward',
});
