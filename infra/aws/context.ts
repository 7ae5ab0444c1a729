import type { IConstruct } from 'constructs';
import { z } from 'zod';

/**
 * The deploy-time settings the platform team sets in `cdk.json` (or with `-c key=value`), read and
 * validated once when the stack is built so that a typo fails `cdk synth`, not the first request.
 *
 * - `stewardRoles`: ordered list of `{pattern, roles}`. The first rule whose pattern matches the
 *   caller's principal (the IAM ARN API Gateway puts in `requestContext.identity.userArn`, e.g.
 *   `arn:aws:sts::123456789012:assumed-role/StewardAdmin/alice`) gives its roles; `*` matches any
 *   run of characters. Roles: admin, publisher, approver, deployer, auditor. Handed to every
 *   function as `STEWARD_ROLES`.
 * - `corsAllowedOrigins`: origins allowed to use presigned artifact URLs from a browser. The URL's
 *   signature is the authorization, so `*` only lets a page use a URL it already holds; narrow it
 *   to your portal's origin when there is one.
 * - `apiThrottling`: `{rateLimit, burstLimit}` for the API stage (requests per second, burst).
 */
const RoleName = z.enum(['admin', 'publisher', 'approver', 'deployer', 'auditor']);

const StewardContext = z.object({
  stewardRoles: z.array(z.object({ pattern: z.string().min(1), roles: z.array(RoleName) })),
  corsAllowedOrigins: z.array(z.string().min(1)).min(1),
  apiThrottling: z.object({
    rateLimit: z.number().positive(),
    burstLimit: z.number().int().positive(),
  }),
});
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
  corsAllowedOrigins: ['*'],
  apiThrottling: { rateLimit: 50, burstLimit: 100 },
};

/** `-c key=value` on the command line arrives as a string; `cdk.json` values arrive parsed. */
const fromContext = (scope: IConstruct, key: keyof StewardContext): unknown => {
  const value: unknown = scope.node.tryGetContext(key);
  if (typeof value !== 'string') return value ?? contextDefaults[key];
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`context "${key}" is not valid JSON: ${value}`);
  }
};

export const readStewardContext = (scope: IConstruct): StewardContext => {
  const parsed = StewardContext.safeParse({
    stewardRoles: fromContext(scope, 'stewardRoles'),
    corsAllowedOrigins: fromContext(scope, 'corsAllowedOrigins'),
    apiThrottling: fromContext(scope, 'apiThrottling'),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid cdk.json context: ${problems}`);
  }
  return parsed.data;
};
