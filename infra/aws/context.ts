import type { IConstruct } from 'constructs';
import { z } from 'zod';
// The one import from functions/ besides entry files: the schema the functions validate
// STEWARD_ENVIRONMENTS with at cold start, so that synth refuses what a cold start would.
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
 *   environments, approvals).
 * - `corsAllowedOrigins`: origins allowed to use presigned artifact URLs from a browser. The URL's
 *   signature is the authorization, so `*` only lets a page use a URL it already holds; narrow it
 *   to your portal's origin when there is one.
 * - `apiThrottling`: `{rateLimit, burstLimit}` for the API stage (requests per second, burst).
 * - `approvalLinkThrottling`: `{rateLimit, burstLimit}` for the public approval-link methods
 *   (`/v1/approval-links/{secret}`), tighter than the rest: a person opens a link a few times,
 *   while anything faster is someone guessing secrets or a scanner.
 * - `mailFrom`: the sender of approval emails. It must be an SES identity verified in the
 *   deploying account and region (the address itself, or its domain), and the account must be out
 *   of the SES sandbox to mail approvers who are not verified themselves. The shipped
 *   `steward@example.com` is a placeholder: replace it before the first deploy. The notify function
 *   may send from this address only (`ses:SendEmail` on its identity, `ses:FromAddress` bound).
 * - `auditRetentionYears`, `auditRetentionMode`: the S3 Object Lock default retention of the audit
 *   archive (1-100 years; `COMPLIANCE`: nobody, the root user included, can delete or shorten it;
 *   `GOVERNANCE`: principals with `s3:BypassGovernanceRetention` can). Raising it later applies to
 *   new objects; under COMPLIANCE an archived object's retention can never be shortened.
 */
const RoleName = z.enum(['admin', 'publisher', 'approver', 'deployer', 'auditor']);

/** Lambda refuses a function whose environment variables exceed 4 KB in all; leave room for the rest. */
const SETTINGS_IN_ENVIRONMENT_MAX_BYTES = 3072;

const StewardContext = z
  .object({
    stewardRoles: z.array(z.object({ pattern: z.string().min(1), roles: z.array(RoleName) })),
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
  })
  .refine(
    (c) =>
      Buffer.byteLength(JSON.stringify(c.stewardRoles) + JSON.stringify(c.stewardEnvironments)) <=
      SETTINGS_IN_ENVIRONMENT_MAX_BYTES,
    {
      message:
        `stewardRoles and stewardEnvironments together exceed ${SETTINGS_IN_ENVIRONMENT_MAX_BYTES} bytes ` +
        'as JSON; they travel in Lambda environment variables, which are limited to 4 KB per function',
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
};

const contextKeys = Object.keys(contextDefaults) as (keyof StewardContext)[];

/** `-c key=value` on the command line arrives as a string; `cdk.json` values arrive parsed. */
const fromContext = (scope: IConstruct, key: keyof StewardContext): unknown => {
  const value: unknown = scope.node.tryGetContext(key);
  if (typeof value !== 'string') return value ?? contextDefaults[key];
  try {
    return JSON.parse(value);
  } catch {
    // `-c auditRetentionMode=GOVERNANCE`, `-c mailFrom=a@b.c`: a bare word is the string itself.
    if (typeof contextDefaults[key] === 'string') return value;
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
