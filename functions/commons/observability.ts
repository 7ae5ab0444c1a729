import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, metrics and tracer per process. Local mode turns metrics and tracing off through
 * POWERTOOLS_METRICS_DISABLED and POWERTOOLS_TRACE_ENABLED, and logs only warnings by default.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'steward' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Steward',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'steward',
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'steward' });
