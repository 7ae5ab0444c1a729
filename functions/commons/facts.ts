import * as z from 'zod';
import { EnvironmentDefaults } from '#domain/environment';

/**
 * Facts the functions and the CDK app must agree on: where objects live in S3, which environment
 * variables a function reads, the role names and the resource prefix. IAM is scoped to these
 * names and local mode evaluates no IAM, so they are written once, here, and both sides import
 * them: a rename then changes the policy with the code, or breaks the build.
 *
 * This module imports zod and the domain only, so that `infra/aws` may import it.
 */

// ---- S3 key layout ----------------------------------------------------------------------------

/** Key prefixes, each the scope of an IAM grant. */
export const S3_PREFIX = {
  /** Artifacts bucket: model artifacts, `models/<model>/<uuid>/<file>` (or `.../<uuid>/<path>` per file). */
  models: 'models/',
  /** Artifacts bucket: baseline profiles, `baselines/<model>/<version>.json`. */
  baselines: 'baselines/',
  /**
   * Artifacts bucket: drift reports, `reports/<model>/<deployment>/<time>-<id>.json`, each with its
   * page beside it (`.html`), and `latest.html`, the newest page of the deployment.
   */
  reports: 'reports/',
  /** Artifacts bucket: a Distributed Map drift run's plan, object manifest, partial summaries and Map results, `drift-shards/<model>/<deployment>/<run>/`. */
  driftShards: 'drift-shards/',
  /** Inference data bucket: SageMaker data capture. */
  capture: 'capture/',
  /** Inference data bucket: batch transform input and output. */
  batch: 'batch/',
  /** Audit archive bucket: one object per audit event, `audit/<model>/<seq12>.json`. */
  audit: 'audit/',
} as const;

export const s3Keys = {
  /** A multi-file artifact: one object per file under this prefix. */
  artifactFolder: (model: string, uploadId: string) => `${S3_PREFIX.models}${model}/${uploadId}/`,
  artifact: (model: string, uploadId: string, fileName: string) =>
    `${S3_PREFIX.models}${model}/${uploadId}/${fileName}`,
  baseline: (model: string, version: number) => `${S3_PREFIX.baselines}${model}/${version}.json`,
  driftReport: (model: string, deploymentId: string, at: string, runId: string) =>
    `${S3_PREFIX.reports}${model}/${deploymentId}/${at.replaceAll(':', '')}-${runId}.json`,
  driftReportPage: (model: string, deploymentId: string, at: string, runId: string) =>
    `${S3_PREFIX.reports}${model}/${deploymentId}/${at.replaceAll(':', '')}-${runId}.html`,
  latestDriftReportPage: (model: string, deploymentId: string) =>
    `${S3_PREFIX.reports}${model}/${deploymentId}/latest.html`,
  /** A Distributed Map drift run's folder: its plan, object manifest, partials and Map results. */
  driftShardRun: (model: string, deploymentId: string, at: string, runId: string) =>
    `${S3_PREFIX.driftShards}${model}/${deploymentId}/${at.replaceAll(':', '')}-${runId}/`,
  auditEvent: (model: string, seq: number) =>
    `${S3_PREFIX.audit}${model}/${String(seq).padStart(12, '0')}.json`,
} as const;

// ---- Roles and names --------------------------------------------------------------------------

export const ROLE_NAMES = ['admin', 'publisher', 'approver', 'deployer', 'auditor'] as const;
export const RoleName = z.enum(ROLE_NAMES);
export type RoleName = z.infer<typeof RoleName>;

export const RoleRule = z.object({
  /** A principal (IAM ARN, role session name or local name); `*` matches any run of characters. */
  pattern: z.string().min(1),
  roles: z.array(RoleName),
});
export type RoleRule = z.infer<typeof RoleRule>;

export const DEFAULT_RESOURCE_PREFIX = 'steward';

/**
 * The API functions' timeout in seconds: below API Gateway's 29 s integration limit, so the
 * function's own timeout is the one that fires. The CDK app sets it; local mode simulates it.
 */
export const API_FUNCTION_TIMEOUT_SECONDS = 25;
/** Starts every SageMaker resource and drift alarm name Steward makes; the deploy role may act on no other. */
export const ResourcePrefix = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lowercase, a letter first, at most 20');

export const resourceNames = {
  /** SageMaker models, endpoint configs, endpoints and transform jobs: `<prefix>-...`. */
  any: (prefix: string) => `${prefix}-*`,
  driftAlarm: (prefix: string, deploymentId: string) => `${prefix}-drift-${deploymentId}`,
  driftAlarmPattern: (prefix: string) => `${prefix}-drift-*`,
  /** A target's default rollback alarm, which the deployment workflow makes (any target name). */
  rollbackAlarm: (targetName: string) => `${targetName}-rollback`,
  rollbackAlarmPattern: '*-rollback',
} as const;

// ---- Metrics ----------------------------------------------------------------------------------

/**
 * Steward's metrics (EMF, through Powertools): the namespace, the `service` dimension Powertools
 * adds to each, and the names the dashboard and the drift alarms read.
 */
export const METRICS = {
  namespace: 'Steward',
  service: 'steward',
  names: {
    driftedShare: 'DriftedShare',
    windowRows: 'WindowRows',
    psi: 'PSI',
    ksPValue: 'KSPValue',
    requests: 'Requests',
    faults: 'Faults',
    clientErrors: 'ClientErrors',
  },
} as const;

// ---- Environment variables --------------------------------------------------------------------

const jsonArray = <T extends z.ZodType>(item: T) =>
  z.string().transform((text, ctx) => {
    try {
      return z.array(item).parse(JSON.parse(text));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid JSON list: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

/**
 * Every variable a function reads. The CDK app types the environments it sets with
 * {@link FunctionEnvironment}, so setting a name no function reads (or misspelling one) fails the
 * build; local mode sets the same names.
 */
export const EnvSchema = z.object({
  STEWARD_MODE: z.enum(['aws', 'local']).default('aws'),
  TABLE_NAME: z.string().min(1),
  ARTIFACTS_BUCKET: z.string().min(1).optional(),
  /** The audit exporter's Object Lock bucket. */
  AUDIT_ARCHIVE_BUCKET: z.string().min(1).optional(),
  /** Ordered: the first rule whose pattern matches the principal gives its roles. */
  STEWARD_ROLES: jsonArray(RoleRule).optional(),
  /** Seed environment policies (`{name: policy}`); stored policies override them. */
  STEWARD_ENVIRONMENTS: z
    .string()
    .transform((text, ctx) => {
      try {
        const parsed = EnvironmentDefaults.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
        ctx.addIssue({
          code: 'custom',
          message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        });
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(error as Error).message}` });
      }
      return z.NEVER;
    })
    .optional(),
  /** AWS: the Secrets Manager secret holding the key that signs list cursors. */
  CURSOR_SECRET_ARN: z.string().min(1).optional(),
  /** Local mode: the cursor key itself (kept under STEWARD_DATA_DIR). */
  STEWARD_CURSOR_KEY: z.string().min(32).optional(),
  MULTIPART_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  MULTIPART_PART_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  PRESIGN_TTL_SECONDS: z.coerce.number().int().min(60).max(43_200).default(900),
  /**
   * A version still PENDING_UPLOAD this long after its registration is FAILED by the expiry sweep
   * (hours, fractions allowed; context pendingUploadTtlHours on AWS).
   */
  PENDING_UPLOAD_TTL_HOURS: z.coerce
    .number()
    .min(1 / 3600)
    .max(24 * 90)
    .default(24),
  /** `true` where the object store keeps SHA-256 checksums (S3); `false` where it keeps none. */
  S3_CHECKSUMS: z.enum(['true', 'false']).default('true'),
  /** The approval workflow, and the key that seals its task tokens (KMS key on AWS). */
  APPROVAL_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** The state machine that copies a version registered by reference into Steward's store. */
  REGISTRATION_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** AWS: the buckets a version may be registered from by reference (context sourceBuckets). */
  SOURCE_BUCKETS: jsonArray(z.string().min(3)).optional(),
  /** Objects at least this large are copied part by part (UploadPartCopy); 5 GiB is CopyObject's limit. */
  COPY_MULTIPART_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  TOKEN_KEY_ID: z.string().min(1).optional(),
  /** Local mode: the 32-byte token sealing key, hex (kept under STEWARD_DATA_DIR). */
  STEWARD_TOKEN_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The deployment workflow and what it deploys with. */
  DEPLOYMENT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  RESOURCE_PREFIX: ResourcePrefix.default(DEFAULT_RESOURCE_PREFIX),
  /** The role SageMaker models run as (reads the artifacts it serves). */
  SAGEMAKER_EXECUTION_ROLE_ARN: z.string().min(1).optional(),
  /** The role deployment tasks run with in this account; an environment may name its own. */
  DEPLOY_ROLE_ARN: z.string().min(1).optional(),
  /** Lambda functions deployments may change: names or ARNs, `*` wildcards allowed. */
  LAMBDA_TARGETS: jsonArray(z.string().min(1)).optional(),
  /** Or: functions carrying this tag (`key=value`) are managed; the deploy role's policy enforces it. */
  LAMBDA_TARGET_TAG: z
    .string()
    .regex(/^[^=]+=.*$/)
    .optional(),
  DEPLOY_POLL_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /**
   * How long a deployment's poll loop waits for its target to settle before it gives up: SageMaker's
   * longest blue/green update (MaximumExecutionTimeoutInSeconds, 28,800 s) and an hour. Below the
   * state machine's own TimeoutSeconds (36,000). The fault matrix shortens it, as local mode's
   * waits are scaled, so a loop that runs out its budget ends in seconds.
   */
  DEPLOY_POLL_BUDGET_SECONDS: z.coerce.number().int().min(60).max(32_400).default(32_400),
  /** Drift runs: windows of more capture bytes than this run as a Distributed Map. */
  DRIFT_DISTRIBUTED_BYTES: z.coerce
    .number()
    .positive()
    .default(32 * 2 ** 30),
  /** Drift runs: about how many capture bytes each Distributed Map child summarises. */
  DRIFT_CHILD_BYTES: z.coerce
    .number()
    .positive()
    .default(8 * 2 ** 30),
  /**
   * Drift runs with more than one thread: capture objects larger than this many bytes are read in
   * parts of at most this size (ranged reads), so that the threads share them and end together
   * (a thread left without work takes half of what another has left, down to a part). Each part
   * is a GET on S3: smaller parts end the threads closer together, for more requests.
   */
  DRIFT_PART_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(4 * 2 ** 20),
  /** Drift runs: worker threads; by default one per vCPU the function has. */
  DRIFT_WORKERS: z.coerce.number().int().positive().optional(),
  /**
   * Drift worker threads' young generation, MB; by default (0) V8's, as the calling thread's
   * (16 MB semi-spaces). A smaller one saves memory but costs CPU: at 12 MB a worker scavenged
   * three times as often, and a 2-thread run used 10% more CPU, for 40 MiB less at its peak.
   */
  DRIFT_WORKER_YOUNG_MB: z.coerce.number().int().min(0).default(0),
  /** The SNS topic drift alarms notify; the drift workflow. */
  DRIFT_ALARM_TOPIC_ARN: z.string().min(1).optional(),
  DRIFT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** The sender of approval emails (an SES identity on AWS). */
  MAIL_FROM: z.string().min(3).default('steward@example.com'),
  /** Where approval links point; by default the API's own URL as the request reached it. */
  PUBLIC_BASE_URL: z.url().optional(),
  /**
   * AWS, with the console deployed: the console's origin (its CloudFront URL), the one origin the
   * API answers cross-origin requests from.
   */
  CONSOLE_ORIGIN: z
    .string()
    .regex(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/, 'an https origin: scheme and host, no path')
    .optional(),
  AWS_REGION: z.string().default('us-east-1'),
});

export type EnvVarName = keyof z.input<typeof EnvSchema>;
/** Each variable's name, for messages that name one: a rename in the schema reaches them. */
export const ENV = Object.fromEntries(Object.keys(EnvSchema.shape).map((name) => [name, name])) as {
  readonly [K in EnvVarName]: K;
};
/** What the CDK app (and local mode) may set on a function: names the functions read, as strings. */
export type FunctionEnvironment = { [K in EnvVarName]?: string };

/**
 * The error names Steward's own task functions and callbacks raise, as Step Functions sees them
 * (the `errorType` of a Lambda task, the `error` of SendTaskFailure) and the state machines'
 * Catch clauses match them (infra/asl builds them from these): a rejection and an expiry sent
 * with SendTaskFailure end an approval, a task's input that does not parse fails its state, and
 * each task's own refusals. Written as strings, not class names, because a minified bundle
 * renames classes. test/unit/task.test.ts checks that the state calling each task catches
 * every name the task declares it raises.
 */
export const TASK_ERRORS = {
  rejected: 'Rejected',
  expired: 'Expired',
  invalidInput: 'InvalidTaskInput',
  /** An approval task names a request (or a group, or a model) that does not exist. */
  requestInvalid: 'RequestInvalid',
  /** Approval emails cannot go out: the sender is not set, or is the synth-time placeholder. */
  mailSenderNotConfigured: 'MailSenderNotConfigured',
  /** A deployment task cannot plan or record: the deployment, its version or its role is missing. */
  planError: 'PlanError',
  /** A drift run cannot start: the deployment is not monitored, or its version has no baseline. */
  driftRunRefused: 'DriftRunRefused',
  /** A Distributed Map drift run's partial summaries do not cover its objects exactly once. */
  driftShardsIncomplete: 'DriftShardsIncomplete',
} as const;
