import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS } from './facts.ts';

/**
 * One logger and one metrics instance per process. Local mode turns metrics off through
 * POWERTOOLS_METRICS_DISABLED and logs only warnings by default.
 */
export const logger = new Logger({ serviceName: METRICS.service });
export const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
