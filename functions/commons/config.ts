import type * as z from 'zod';
import type { EnvironmentDefaults } from '#domain/environment';
import { ENV, EnvSchema } from './facts.ts';

/**
 * Configuration, read and validated once per process from the environment. A missing or
 * malformed variable fails at cold start, not on the first request.
 *
 * The CDK app sets these on each function; local mode sets them before it imports a handler.
 */
export type { RoleName, RoleRule } from './facts.ts';

/** The environment as the functions use it: one schema, parsed once, reshaped by its transform. */
const ConfigSchema = EnvSchema.transform((e) =>
  Object.freeze({
    mode: e.STEWARD_MODE,
    tableName: e.TABLE_NAME,
    artifactsBucket: e.ARTIFACTS_BUCKET,
    auditArchiveBucket: e.AUDIT_ARCHIVE_BUCKET,
    roles: e.STEWARD_ROLES,
    environments: e.STEWARD_ENVIRONMENTS ?? ({} as EnvironmentDefaults),
    cursorSecretArn: e.CURSOR_SECRET_ARN,
    cursorKey: e.STEWARD_CURSOR_KEY,
    multipartThresholdBytes: e.MULTIPART_THRESHOLD_BYTES,
    multipartPartBytes: e.MULTIPART_PART_BYTES,
    presignTtlSeconds: e.PRESIGN_TTL_SECONDS,
    pendingUploadTtlHours: e.PENDING_UPLOAD_TTL_HOURS,
    s3Checksums: e.S3_CHECKSUMS === 'true',
    approvalStateMachineArn: e.APPROVAL_STATE_MACHINE_ARN,
    registrationStateMachineArn: e.REGISTRATION_STATE_MACHINE_ARN,
    sourceBuckets: e.SOURCE_BUCKETS ?? [],
    copyMultipartThresholdBytes: e.COPY_MULTIPART_THRESHOLD_BYTES,
    driftDistributedBytes: e.DRIFT_DISTRIBUTED_BYTES,
    driftChildBytes: e.DRIFT_CHILD_BYTES,
    driftWorkers: e.DRIFT_WORKERS,
    driftPartBytes: e.DRIFT_PART_BYTES,
    driftWorkerYoungMb: e.DRIFT_WORKER_YOUNG_MB,
    driftAlarmTopicArn: e.DRIFT_ALARM_TOPIC_ARN,
    driftStateMachineArn: e.DRIFT_STATE_MACHINE_ARN,
    deploymentStateMachineArn: e.DEPLOYMENT_STATE_MACHINE_ARN,
    resourcePrefix: e.RESOURCE_PREFIX,
    sagemakerExecutionRoleArn: e.SAGEMAKER_EXECUTION_ROLE_ARN,
    deployRoleArn: e.DEPLOY_ROLE_ARN,
    lambdaTargets: e.LAMBDA_TARGETS ?? [],
    lambdaTargetTag: e.LAMBDA_TARGET_TAG,
    deployPollSeconds: e.DEPLOY_POLL_SECONDS,
    deployPollBudgetSeconds: e.DEPLOY_POLL_BUDGET_SECONDS,
    tokenKeyId: e.TOKEN_KEY_ID,
    localTokenKey: e.STEWARD_TOKEN_KEY,
    mailFrom: e.MAIL_FROM,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    consoleOrigin: e.CONSOLE_ORIGIN,
    region: e.AWS_REGION,
  }),
);

export type Config = z.output<typeof ConfigSchema>;

export const parseConfig = (env: NodeJS.ProcessEnv): Config => {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
};

let current: Config | undefined;

/** The process's configuration, parsed on first use (module load of a handler). */
export const config = (): Config => {
  current ??= parseConfig(process.env);
  return current;
};

/** For tests and local mode: replace the configuration (and so the clients built from it). */
export const resetConfig = (): void => {
  current = undefined;
};

/** Which artifacts bucket; fails loudly in a function that was not granted one. */
export const artifactsBucket = (): string => {
  const bucket = config().artifactsBucket;
  if (!bucket) throw new Error(`${ENV.ARTIFACTS_BUCKET} is not configured for this function`);
  return bucket;
};
