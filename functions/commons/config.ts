import * as z from 'zod';
import { type EnvironmentDefaults as Defaults, EnvironmentDefaults } from '#domain/environment';

/**
 * Configuration, read and validated once per process from the environment. A missing or
 * malformed variable fails at cold start, not on the first request.
 *
 * The CDK app sets these on each function; local mode sets them before it imports a handler.
 */
const RoleName = z.enum(['admin', 'publisher', 'approver', 'deployer', 'auditor']);
export type RoleName = z.infer<typeof RoleName>;

export const RoleRule = z.object({
  /** A principal (IAM ARN, role session name or local name); `*` matches any run of characters. */
  pattern: z.string().min(1),
  roles: z.array(RoleName),
});
export type RoleRule = z.infer<typeof RoleRule>;

const jsonArray = <T extends z.ZodType>(item: T) =>
  z.string().transform((text, ctx) => {
    try {
      return z.array(item).parse(JSON.parse(text));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid JSON list: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const EnvSchema = z.object({
  STEWARD_MODE: z.enum(['aws', 'local']).default('aws'),
  TABLE_NAME: z.string().min(1),
  ARTIFACTS_BUCKET: z.string().min(1).optional(),
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
  /** `true` where the store keeps SHA-256 checksums (S3); local s3rver keeps none. */
  S3_CHECKSUMS: z.enum(['true', 'false']).default('true'),
  /** The approval workflow, and the key that seals its task tokens (KMS key on AWS). */
  APPROVAL_STATE_MACHINE_ARN: z.string().min(1).optional(),
  TOKEN_KEY_ID: z.string().min(1).optional(),
  /** Local mode: the 32-byte token sealing key, hex (kept under STEWARD_DATA_DIR). */
  STEWARD_TOKEN_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The deployment workflow and what it deploys with. */
  DEPLOYMENT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** SageMaker resources Steward makes (and may act on) start with this prefix. */
  RESOURCE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/)
    .default('steward'),
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
  /** The SNS topic drift alarms notify; the drift workflow. */
  DRIFT_ALARM_TOPIC_ARN: z.string().min(1).optional(),
  DRIFT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  CLOUDWATCH_ENDPOINT: z.url().optional(),
  /** The sender of approval emails (an SES identity on AWS). */
  MAIL_FROM: z.string().min(3).default('steward@example.com'),
  /** Where approval links point; by default the API's own URL as the request reached it. */
  PUBLIC_BASE_URL: z.url().optional(),
  /** Local mode only: endpoint overrides for the emulators. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  S3_ENDPOINT: z.url().optional(),
  SFN_ENDPOINT: z.url().optional(),
  SES_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
});

export type Config = Readonly<{
  mode: 'aws' | 'local';
  tableName: string;
  artifactsBucket: string | undefined;
  roles: RoleRule[] | undefined;
  environments: Defaults;
  cursorSecretArn: string | undefined;
  cursorKey: string | undefined;
  multipartThresholdBytes: number;
  multipartPartBytes: number;
  presignTtlSeconds: number;
  s3Checksums: boolean;
  approvalStateMachineArn: string | undefined;
  driftAlarmTopicArn: string | undefined;
  driftStateMachineArn: string | undefined;
  cloudwatchEndpoint: string | undefined;
  deploymentStateMachineArn: string | undefined;
  resourcePrefix: string;
  sagemakerExecutionRoleArn: string | undefined;
  deployRoleArn: string | undefined;
  lambdaTargets: string[];
  lambdaTargetTag: string | undefined;
  deployPollSeconds: number;
  tokenKeyId: string | undefined;
  localTokenKey: string | undefined;
  mailFrom: string;
  publicBaseUrl: string | undefined;
  dynamodbEndpoint: string | undefined;
  s3Endpoint: string | undefined;
  sfnEndpoint: string | undefined;
  sesEndpoint: string | undefined;
  region: string;
}>;

export const parseConfig = (env: NodeJS.ProcessEnv): Config => {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    mode: e.STEWARD_MODE,
    tableName: e.TABLE_NAME,
    artifactsBucket: e.ARTIFACTS_BUCKET,
    roles: e.STEWARD_ROLES,
    environments: e.STEWARD_ENVIRONMENTS ?? {},
    cursorSecretArn: e.CURSOR_SECRET_ARN,
    cursorKey: e.STEWARD_CURSOR_KEY,
    multipartThresholdBytes: e.MULTIPART_THRESHOLD_BYTES,
    multipartPartBytes: e.MULTIPART_PART_BYTES,
    presignTtlSeconds: e.PRESIGN_TTL_SECONDS,
    s3Checksums: e.S3_CHECKSUMS === 'true',
    approvalStateMachineArn: e.APPROVAL_STATE_MACHINE_ARN,
    driftAlarmTopicArn: e.DRIFT_ALARM_TOPIC_ARN,
    driftStateMachineArn: e.DRIFT_STATE_MACHINE_ARN,
    cloudwatchEndpoint: e.CLOUDWATCH_ENDPOINT,
    deploymentStateMachineArn: e.DEPLOYMENT_STATE_MACHINE_ARN,
    resourcePrefix: e.RESOURCE_PREFIX,
    sagemakerExecutionRoleArn: e.SAGEMAKER_EXECUTION_ROLE_ARN,
    deployRoleArn: e.DEPLOY_ROLE_ARN,
    lambdaTargets: e.LAMBDA_TARGETS ?? [],
    lambdaTargetTag: e.LAMBDA_TARGET_TAG,
    deployPollSeconds: e.DEPLOY_POLL_SECONDS,
    tokenKeyId: e.TOKEN_KEY_ID,
    localTokenKey: e.STEWARD_TOKEN_KEY,
    mailFrom: e.MAIL_FROM,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    s3Endpoint: e.S3_ENDPOINT,
    sfnEndpoint: e.SFN_ENDPOINT,
    sesEndpoint: e.SES_ENDPOINT,
    region: e.AWS_REGION,
  };
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
  if (!bucket) throw new Error('ARTIFACTS_BUCKET is not configured for this function');
  return bucket;
};
