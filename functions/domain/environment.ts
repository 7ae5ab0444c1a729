import * as z from 'zod';
import { EnvironmentName, Label } from './names.ts';

/**
 * An environment's policy: who must approve before a version serves there, whether versions must
 * be reproducible, how long an approval request waits, and which AWS account it deploys into.
 */
export const ApproverGroup = z
  .strictObject({
    name: Label(64),
    members: z.array(Label(256)).min(1).max(100),
    minApprovals: z.number().int().min(1),
  })
  .refine((g) => g.minApprovals <= g.members.length, {
    message: 'minApprovals cannot exceed the number of members',
    path: ['minApprovals'],
  });

export const EnvironmentPolicy = z
  .strictObject({
    approval: z
      .strictObject({ required: z.boolean(), groups: z.array(ApproverGroup).max(10) })
      .refine((a) => !a.required || a.groups.length > 0, {
        message: 'an environment that requires approval names at least one approver group',
        path: ['groups'],
      })
      .refine((a) => new Set(a.groups.map((g) => g.name)).size === a.groups.length, {
        message: 'approver group names are unique',
        path: ['groups'],
      }),
    requireReproducibility: z.boolean().optional(),
    // Fractions allowed (0.01 h is 36 s): short-lived requests for drills and tests.
    approvalTtlHours: z
      .number()
      .min(1 / 3600)
      .max(24 * 30)
      .optional(),
    account: z
      .strictObject({
        id: z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits'),
        deployRoleArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN'),
      })
      .optional(),
  })
  .meta({ id: 'EnvironmentPolicy' });
export type EnvironmentPolicy = z.infer<typeof EnvironmentPolicy>;

export const EnvironmentPath = z.strictObject({ environment: EnvironmentName });

export const DEFAULT_APPROVAL_TTL_HOURS = 72;

/** Seed policies: the CDK app passes `environments` context; local mode uses these. */
export const EnvironmentDefaults = z.record(EnvironmentName, EnvironmentPolicy);
export type EnvironmentDefaults = z.infer<typeof EnvironmentDefaults>;

export const LOCAL_DEFAULT_ENVIRONMENTS: EnvironmentDefaults = {
  dev: { approval: { required: false, groups: [] } },
  staging: {
    approval: {
      required: true,
      groups: [{ name: 'tech-leads', members: ['lead@example.com'], minApprovals: 1 }],
    },
  },
  prod: {
    approval: {
      required: true,
      groups: [
        {
          name: 'model-risk',
          members: ['risk-officer@example.com', 'validator@example.com'],
          minApprovals: 1,
        },
        { name: 'tech-leads', members: ['lead@example.com'], minApprovals: 1 },
      ],
    },
    requireReproducibility: true,
    approvalTtlHours: DEFAULT_APPROVAL_TTL_HOURS,
  },
};
