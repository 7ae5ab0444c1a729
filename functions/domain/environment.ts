import * as z from 'zod';
import { doc, EnvironmentName, Label } from './names.ts';
import { schema } from './schema.ts';

/**
 * An environment's policy: who must approve before a version serves there, whether versions must
 * be reproducible, how long an approval request waits, and which AWS account it deploys into.
 */
export const ApproverGroup = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: Label(64).meta(doc('The group name.', 'model-risk')),
      members: z
        .array(Label(256))
        .min(1)
        .max(100)
        .meta(
          doc('Who may approve for the group: principals or email addresses (they get the emailed links).', [
            'risk-officer@example.com',
          ]),
        ),
      minApprovals: z.number().int().min(1).meta(doc('How many of them must approve (the quorum).', 1)),
    })
    .meta(doc('An approver group and its quorum.'))
    .refine((g) => g.minApprovals <= g.members.length, {
      message: 'minApprovals cannot exceed the number of members',
      path: ['minApprovals'],
    }),
);

export const EnvironmentPolicy = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      approval: z
        .strictObject({
          required: z.boolean().meta(doc('Whether a deployment here needs an APPROVED approval.')),
          groups: z
            .array(ApproverGroup)
            .max(10)
            .meta(doc('Every group must reach its quorum; one rejection ends the request.')),
        })
        .meta(doc('Who must approve before a version serves here.'))
        .refine((a) => !a.required || a.groups.length > 0, {
          message: 'an environment that requires approval names at least one approver group',
          path: ['groups'],
        })
        .refine((a) => new Set(a.groups.map((g) => g.name)).size === a.groups.length, {
          message: 'approver group names are unique',
          path: ['groups'],
        }),
      requireReproducibility: z
        .boolean()
        .optional()
        .meta(
          doc(
            'Only versions with code, image, hashed datasets and params may be registered for or approved here.',
          ),
        ),
      // Fractions allowed (0.01 h is 36 s): short-lived requests for drills and tests.
      approvalTtlHours: z
        .number()
        .min(1 / 3600)
        .max(24 * 30)
        .optional()
        .meta(doc('How long an approval request waits before it EXPIRES (hours; fractions allowed).', 72)),
      account: z
        .strictObject({
          id: z
            .string()
            .regex(/^\d{12}$/, 'an AWS account id is 12 digits')
            .meta(doc('The AWS account.', '210987654321')),
          deployRoleArn: z
            .string()
            .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN')
            .meta(doc('The role deployments assume there (docs/deploy-role.md).')),
        })
        .optional()
        .meta(doc('Another AWS account to deploy into.')),
    })
    .meta({
      id: 'EnvironmentPolicy',
      description: "An environment's policy: approvals, reproducibility, expiry, account. Admins only.",
    }),
);
export type EnvironmentPolicy = z.infer<typeof EnvironmentPolicy>;

export const EnvironmentPath = /* @__PURE__ */ schema(() => z.strictObject({ environment: EnvironmentName }));

export const DEFAULT_APPROVAL_TTL_HOURS = 72;

/** Seed policies: the CDK app passes `environments` context; local mode uses these. */
export const EnvironmentDefaults = /* @__PURE__ */ schema(() => z.record(EnvironmentName, EnvironmentPolicy));
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
