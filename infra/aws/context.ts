import type { IConstruct } from 'constructs';
import { z } from 'zod';
// Imports from functions/ besides entry files: the shared facts (role names, resource prefix,
// the environment variables), and the schema the functions validate STEWARD_ENVIRONMENTS with at
// cold start, so that synth refuses what a cold start would.
import { DEFAULT_RESOURCE_PREFIX, ResourcePrefix, RoleRule } from '../../functions/commons/facts.ts';
import { EnvironmentDefaults } from '../../functions/domain/environment.ts';

/**
 * The deploy-time settings the platform team sets in `cdk.json` (or with `-c key=value`), read and
 * validated once when the stack is built so that a typo fails `cdk synth`, not the first request.
 *
 * - `stewardRoles`: ordered list of `{pattern, roles}`. The first rule whose pattern matches the
 *   caller's principal (the IAM ARN API Gateway puts in `requestContext.identity.userArn`, e.g.
 *   `arn:aws:sts::123456789012:assumed-role/StewardAdmin/alice`) gives its roles; `*` matches any
 *   run of characters. Roles: admin, publisher, approver, deployer, auditor. Handed to every
 *   function as `STEWARD_ROLES`.
 * - `stewardEnvironments`: the seed environment policies, `{ "<environment>": <policy> }`, with the
 *   policy as `EnvironmentPolicy` in `functions/domain/environment.ts` defines it: who must
 *   approve (`approval.groups`: named groups of members, each with `minApprovals`), whether a
 *   version must be reproducible (`requireReproducibility`), how long a request waits
 *   (`approvalTtlHours`) and, optionally, the target `account`. The shipped members
 *   (`risk-officer@example.com`, ...) are placeholders: replace them with your approvers before
 *   the first deploy. A policy stored through `PUT /v1/environments/{environment}` overrides its
 *   seed. Handed as `STEWARD_ENVIRONMENTS` to the functions that resolve policies (versions,
 *   environments, approvals, deployments, the approval record task and the deployment tasks). An
 *   environment with `account: {id, deployRoleArn}` deploys into that account with that role (see
 *   docs/deploy-role.md); the role must be in that account.
 * - `corsAllowedOrigins`: origins allowed to use presigned artifact URLs from a browser. The URL's
 *   signature is the authorization, so `*` only lets a page use a URL it already holds; narrow it
 *   to your portal's origin when there is one.
 * - `apiThrottling`: `{rateLimit, burstLimit}` for the API stage (requests per second, burst).
 * - `approvalLinkThrottling`: `{rateLimit, burstLimit}` for the links API, which serves only the
 *   public approval-link pages (`/v1/approval-links/{secret}`), tighter than the main API: a person
 *   opens a link a few times, while anything faster is someone guessing secrets or a scanner.
 * - `mailFrom`: the sender of approval emails. It must be an SES identity verified in the
 *   deploying account and region (the address itself, or its domain), and the account must be out
 *   of the SES sandbox to mail approvers who are not verified themselves. The shipped
 *   `steward@example.com` is a placeholder: replace it before the first deploy. The notify function
 *   may send from this address only (`ses:SendEmail` on its identity, `ses:FromAddress` bound).
 * - `auditRetentionYears`, `auditRetentionMode`: the S3 Object Lock default retention of the audit
 *   archive (1-100 years; `COMPLIANCE`: nobody, the root user included, can delete or shorten it;
 *   `GOVERNANCE`: principals with `s3:BypassGovernanceRetention` can). Raising it later applies to
 *   new objects; under COMPLIANCE an archived object's retention can never be shortened.
 * - `resourcePrefix`: SageMaker models, endpoint configs, endpoints and transform jobs Steward makes
 *   (and the endpoints it may deploy to) are named `<prefix>-...`; the deploy role may act on no
 *   other SageMaker resource. Lowercase, starts with a letter, at most 20 characters.
 * - `lambdaTargets`: the Lambda functions deployments may change (new code, versions, aliases):
 *   function names or ARNs, `*` matching any run of characters (`fraud-scorer-*`). A name means a
 *   function in this account and region. `[]` (the default): no Lambda function at all.
 * - `lambdaTargetTag`: optional `{key, value}`; functions carrying this tag may be deployed too
 *   (attribute-based: the deploy role's Lambda grant is conditioned on `aws:ResourceTag/<key>`).
 * - `ecrRepositories`: the ECR repositories model images are pulled from (names in this account
 *   and region, or ARNs, e.g. an AWS Deep Learning Containers repository). `[]` (the default): any
 *   repository of this account and region.
 * - `deployPollSeconds`: how often the deployment workflow checks a SageMaker endpoint or a
 *   transform job while it changes (1-600).
 * - `dataBuckets`: the buckets reference datasets, captured inference data kept outside Steward and
 *   ground-truth labels are read from (baselines and drift runs): bucket names, or
 *   `{bucket, keyArn}` when the bucket's objects are encrypted with a customer-managed KMS key
 *   (the functions may then decrypt with it). Read only: GetObject and ListBucket. Steward's own
 *   inference data bucket (SageMaker data capture under `capture/`) needs no mention. `[]` (the
 *   default): no other bucket.
 * - `sourceBuckets`: the buckets versions may be registered from by reference (MLflow's
 *   `model-versions/create` with an `s3://` source): names, or `{bucket, keyArn}` as for
 *   `dataBuckets`. Only the registration copy job reads them (GetObject and ListBucket); `[]` (the
 *   default): registration by reference is refused.
 * - `driftDispatchRate`: how often the drift dispatcher looks for due monitors, an EventBridge
 *   Scheduler `rate(...)` or `cron(...)` expression (default `rate(15 minutes)`). A monitor's own
 *   schedule says how often it runs; this only bounds how late a due run can start.
 * - `pendingUploadTtlHours`: how long a version may stay PENDING_UPLOAD (registered, not yet
 *   uploaded and committed) before the expiry sweep makes it FAILED, with the reason and an audit
 *   event (hours, fractions allowed; default 24).
 * - `pendingUploadSweepRate`: how often that sweep runs, an EventBridge `rate(...)` or `cron(...)`
 *   expression (default `rate(15 minutes)`): a version expires at most this late.
 * - `driftAlarmEmail`: optional; an address subscribed (by email) to the drift alarm topic. It
 *   must confirm the subscription from the email SNS sends.
 * - `approvalLinkConcurrency`: reserved concurrency of the approval-links function (the public
 *   one), so a flood of link requests can neither starve the rest of the account nor be starved
 *   (default 10; the account must keep 100 unreserved).
 * - `approvalLinkWafRateLimit`: requests per 5 minutes from one IP address that the links API's
 *   WAF web ACL lets through before blocking that address (default 100; WAF's minimum is 10).
 * - `apiWafRateLimit`: optional; the same for the main API, which then gets a web ACL too (the
 *   main API needs SigV4 on every route but health, so by default it has none: billed per ACL).
 * - `backupRetentionDays`: how long AWS Backup keeps the table's daily recovery points (1-36500,
 *   default 35), besides its point-in-time recovery.
 * - `backupVaultLock`: `none` (default), `governance` or `compliance`: AWS Backup Vault Lock on the
 *   table's backup vault, holding every recovery point for `backupRetentionDays`. `compliance`
 *   becomes immutable 3 days after deployment: nobody can then remove the lock or shorten it.
 * - `artifactsReplica`, `auditArchiveReplica`: optional `{bucketArn, keyArn}`; S3 replication of the
 *   artifacts bucket (models and baselines) or the audit archive to that bucket (typically in
 *   another region or account; it must exist, be versioned, and for the archive have Object Lock),
 *   re-encrypted with that KMS key.
 * - `console`: `true` deploys the console (infra/aws/console.ts): S3 and CloudFront for its files,
 *   a Cognito user pool (hosted UI, TOTP MFA required) with one group per Steward role, and an
 *   identity pool mapping each group to an IAM role that may invoke what that role can use. Off by
 *   default: the stack is then exactly as without it.
 * - `consoleDomain`: optional `{domainName, certificateArn}`: the console on your own name, with an
 *   ACM certificate in us-east-1 (CloudFront's); point the name at the distribution yourself.
 * - `consoleAuthDomainPrefix`: the hosted UI's domain prefix
 *   (`https://<prefix>.auth.<region>.amazoncognito.com`); default `<resourcePrefix>-<account id>`.
 * - `consoleFederation`: optional; sign-in through the company's IdP: `{kind: "saml", name,
 *   metadataUrl}` or `{kind: "oidc", name, issuerUrl, clientId, clientSecretArn}` (a Secrets
 *   Manager secret; the secret itself never goes in context).
 */
export { ResourcePrefix };

const LAMBDA_NAME = /^[A-Za-z0-9_*-]{1,140}$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_*-]{1,140}$/;
/**
 * A function name or ARN, `*` allowed within the name. A name of wildcards alone would hand every
 * function of the account (Steward's own included) to the deploy role, so it is refused.
 */
export const LambdaTarget = z
  .string()
  .refine((t) => LAMBDA_NAME.test(t) || LAMBDA_ARN.test(t), 'a Lambda function name or function ARN')
  .refine((t) => /[^*]/.test(t.slice(t.lastIndexOf(':') + 1)), 'names more than a wildcard');

export const LambdaTargetTag = z.strictObject({
  key: z.string().regex(/^[\w.:/=+@ -]{1,128}$/, 'a tag key'),
  value: z.string().regex(/^[\w.:/=+@ -]{0,256}$/, 'a tag value'),
});

export const EcrRepository = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/)?[a-z0-9][a-z0-9._/-]{0,255}$/,
    'an ECR repository name or ARN',
  );

const BUCKET_NAME = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
/** A bucket datasets are read from, with the KMS key its objects are encrypted with when it has one. */
export const DataBucket = z.union([
  BUCKET_NAME,
  z.strictObject({
    bucket: BUCKET_NAME,
    keyArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
        'a KMS key ARN (key/..., not an alias)',
      ),
  }),
]);
export type DataBucket = z.infer<typeof DataBucket>;

/** EventBridge Scheduler's recurring forms: `rate(1 minute)`, `rate(15 minutes)` (singular for 1 only), `cron(...)`. */
export const ScheduleRate = z
  .string()
  .regex(
    /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\([^()]+\))$/,
    'rate(<n> <unit>) or cron(<fields>)',
  );

/** A replication destination: an existing versioned bucket and the KMS key replicas are encrypted with. */
export const ReplicaDestination = z.strictObject({
  bucketArn: z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket ARN'),
  keyArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      'a KMS key ARN (key/..., not an alias)',
    ),
});
export type ReplicaDestination = z.infer<typeof ReplicaDestination>;

/** The account of an IAM role ARN (`arn:aws:iam::123456789012:role/x` -> `123456789012`). */
const roleAccount = (arn: string): string | undefined => arn.split(':')[4];

/** Lambda refuses a function whose environment variables exceed 4 KB in all; leave room for the rest. */
const SETTINGS_IN_ENVIRONMENT_MAX_BYTES = 3072;

/** An identity provider the console's user pool federates with (context consoleFederation). */
export const ConsoleFederation = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('saml'),
    name: z.string().regex(/^[\w.-]{3,32}$/, 'a provider name'),
    metadataUrl: z.url({ protocol: /^https$/ }),
  }),
  z.strictObject({
    kind: z.literal('oidc'),
    name: z.string().regex(/^[\w.-]{3,32}$/, 'a provider name'),
    issuerUrl: z.url({ protocol: /^https$/ }),
    clientId: z.string().min(1).max(256),
    /** The Secrets Manager secret (ARN) holding the client secret: never the secret itself. */
    clientSecretArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'a secret ARN'),
  }),
]);
export type ConsoleFederation = z.infer<typeof ConsoleFederation>;

const StewardContext = z
  .object({
    stewardRoles: z.array(RoleRule),
    stewardEnvironments: EnvironmentDefaults,
    corsAllowedOrigins: z.array(z.string().min(1)).min(1),
    apiThrottling: z.object({
      rateLimit: z.number().positive(),
      burstLimit: z.number().int().positive(),
    }),
    approvalLinkThrottling: z.object({
      rateLimit: z.number().positive(),
      burstLimit: z.number().int().positive(),
    }),
    mailFrom: z.email(),
    auditRetentionYears: z.number().int().min(1).max(100),
    auditRetentionMode: z.enum(['COMPLIANCE', 'GOVERNANCE']),
    resourcePrefix: ResourcePrefix,
    lambdaTargets: z.array(LambdaTarget).max(50),
    lambdaTargetTag: LambdaTargetTag.optional(),
    ecrRepositories: z.array(EcrRepository).max(50),
    deployPollSeconds: z.number().int().min(1).max(600),
    dataBuckets: z.array(DataBucket).max(50),
    sourceBuckets: z.array(DataBucket).max(50),
    driftDispatchRate: ScheduleRate,
    driftAlarmEmail: z.email().optional(),
    pendingUploadTtlHours: z
      .number()
      .min(1 / 60)
      .max(24 * 90),
    pendingUploadSweepRate: ScheduleRate,
    approvalLinkConcurrency: z.number().int().min(1).max(1000),
    approvalLinkWafRateLimit: z.number().int().min(10).max(2_000_000_000),
    apiWafRateLimit: z.number().int().min(10).max(2_000_000_000).optional(),
    backupRetentionDays: z.number().int().min(1).max(36_500),
    backupVaultLock: z.enum(['none', 'governance', 'compliance']),
    artifactsReplica: ReplicaDestination.optional(),
    auditArchiveReplica: ReplicaDestination.optional(),
    console: z.boolean(),
    consoleDomain: z
      .strictObject({
        domainName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'a DNS name'),
        certificateArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[A-Za-z0-9-]+$/,
            'an ACM certificate ARN in us-east-1 (CloudFront uses only those)',
          ),
      })
      .optional(),
    consoleAuthDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a Cognito domain prefix')
      .refine((p) => !/aws|amazon|cognito/.test(p), 'Cognito refuses prefixes with aws, amazon or cognito')
      .optional(),
    consoleFederation: ConsoleFederation.optional(),
  })
  .superRefine((c, ctx) => {
    // An environment's deploy role lives in the account the environment names.
    for (const [name, policy] of Object.entries(c.stewardEnvironments)) {
      const account = policy.account;
      if (account && roleAccount(account.deployRoleArn) !== account.id)
        ctx.addIssue({
          code: 'custom',
          message: `the deploy role ${account.deployRoleArn} is not in account ${account.id}`,
          path: ['stewardEnvironments', name, 'account', 'deployRoleArn'],
        });
    }
  })
  .refine(
    (c) =>
      Buffer.byteLength(
        JSON.stringify(c.stewardRoles) +
          JSON.stringify(c.stewardEnvironments) +
          JSON.stringify(c.lambdaTargets),
      ) <= SETTINGS_IN_ENVIRONMENT_MAX_BYTES,
    {
      message:
        `stewardRoles, stewardEnvironments and lambdaTargets together exceed ${SETTINGS_IN_ENVIRONMENT_MAX_BYTES} ` +
        'bytes as JSON; they travel in Lambda environment variables, which are limited to 4 KB per function',
      path: ['stewardEnvironments'],
    },
  );
export type StewardContext = z.infer<typeof StewardContext>;

/** Used when a key is missing from the context (the same values `cdk.json` ships with). */
export const contextDefaults: StewardContext = {
  stewardRoles: [
    { pattern: 'arn:*:sts::*:assumed-role/StewardAdmin/*', roles: ['admin'] },
    { pattern: 'arn:*:sts::*:assumed-role/StewardPublisher/*', roles: ['publisher'] },
    { pattern: 'arn:*:sts::*:assumed-role/StewardApprover/*', roles: ['approver'] },
    { pattern: 'arn:*:sts::*:assumed-role/StewardDeployer/*', roles: ['deployer'] },
    { pattern: 'arn:*:sts::*:assumed-role/StewardAuditor/*', roles: ['auditor'] },
  ],
  stewardEnvironments: {
    dev: { approval: { required: false, groups: [] } },
    staging: {
      approval: {
        required: true,
        groups: [{ name: 'tech-leads', members: ['tech-lead@example.com'], minApprovals: 1 }],
      },
    },
    prod: {
      approval: {
        required: true,
        groups: [
          {
            name: 'model-risk',
            members: ['risk-officer@example.com', 'model-validator@example.com'],
            minApprovals: 1,
          },
          { name: 'tech-leads', members: ['tech-lead@example.com'], minApprovals: 1 },
        ],
      },
      requireReproducibility: true,
      approvalTtlHours: 72,
    },
  },
  corsAllowedOrigins: ['*'],
  apiThrottling: { rateLimit: 50, burstLimit: 100 },
  approvalLinkThrottling: { rateLimit: 5, burstLimit: 10 },
  mailFrom: 'steward@example.com',
  auditRetentionYears: 10,
  auditRetentionMode: 'COMPLIANCE',
  resourcePrefix: DEFAULT_RESOURCE_PREFIX,
  lambdaTargets: [],
  lambdaTargetTag: undefined,
  ecrRepositories: [],
  deployPollSeconds: 30,
  dataBuckets: [],
  sourceBuckets: [],
  driftDispatchRate: 'rate(15 minutes)',
  driftAlarmEmail: undefined,
  pendingUploadTtlHours: 24,
  pendingUploadSweepRate: 'rate(15 minutes)',
  approvalLinkConcurrency: 10,
  approvalLinkWafRateLimit: 100,
  apiWafRateLimit: undefined,
  backupRetentionDays: 35,
  backupVaultLock: 'none',
  artifactsReplica: undefined,
  auditArchiveReplica: undefined,
  console: false,
  consoleDomain: undefined,
  consoleAuthDomainPrefix: undefined,
  consoleFederation: undefined,
};

const contextKeys = Object.keys(contextDefaults) as (keyof StewardContext)[];
/** Settings that are strings but have no default to tell so: a bare `-c key=value` is the string. */
const OPTIONAL_STRING_KEYS: readonly (keyof StewardContext)[] = [
  'driftAlarmEmail',
  'consoleAuthDomainPrefix',
];

/** `-c key=value` on the command line arrives as a string; `cdk.json` values arrive parsed. */
const fromContext = (scope: IConstruct, key: keyof StewardContext): unknown => {
  const value: unknown = scope.node.tryGetContext(key);
  if (typeof value !== 'string') return value ?? contextDefaults[key];
  try {
    return JSON.parse(value);
  } catch {
    // `-c auditRetentionMode=GOVERNANCE`, `-c mailFrom=a@b.c`: a bare word is the string itself.
    if (typeof contextDefaults[key] === 'string' || OPTIONAL_STRING_KEYS.includes(key)) return value;
    throw new Error(`context "${key}" is not valid JSON: ${value}`);
  }
};

export const readStewardContext = (scope: IConstruct): StewardContext => {
  const parsed = StewardContext.safeParse(
    Object.fromEntries(contextKeys.map((k) => [k, fromContext(scope, k)])),
  );
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid cdk.json context: ${problems}`);
  }
  return parsed.data;
};
