import * as z from 'zod';
import { Cursor, doc, EnvironmentName, Label, Limit } from './names.ts';
import { schema } from './schema.ts';

/**
 * Deployments: a model version put into service on a target (a SageMaker real-time endpoint, a
 * SageMaker batch transform, or a Lambda alias), the way traffic moves to it, and the records of
 * what served where and when.
 */
export const DeploymentStatus = /* @__PURE__ */ schema(() =>
  z.enum(['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'DECOMMISSIONED']),
);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

/** SageMaker names: 1-63 of [a-zA-Z0-9-], starting with a letter or digit. */
const SageMakerName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'a SageMaker name is 1-63 letters, digits and hyphens'),
);
const S3Uri = /* @__PURE__ */ schema(() =>
  z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'an s3:// URI'),
);
const AlarmName = /* @__PURE__ */ schema(() => z.string().min(1).max(255));

export const SageMakerTarget = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: z
        .literal('sagemaker')
        .meta(doc('A SageMaker real-time endpoint (blue/green updates, alarm auto-rollback).')),
      endpointName: SageMakerName.meta(
        doc('The endpoint; it must start with the resource prefix (steward-).', 'steward-churn'),
      ),
      instanceType: z
        .string()
        .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'a SageMaker instance type like ml.m5.large')
        .meta(doc('The instance type.', 'ml.m5.large')),
      instanceCount: z.number().int().min(1).max(100).default(1).meta(doc('How many instances.', 1)),
      dataCapture: z
        .strictObject({
          destinationS3Uri: S3Uri.meta(
            doc('Where SageMaker writes captured requests and responses.', 's3://ml-capture/churn/'),
          ),
          samplingPercent: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(100)
            .meta(doc('The share of requests captured.', 100)),
        })
        .optional()
        .meta(doc('Capture inference data, for drift monitoring.')),
    })
    .meta({
      ...doc('A SageMaker endpoint target. The version needs lineage.image (the serving container).'),
      title: 'sagemaker',
    }),
);

export const LambdaTarget = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: z.literal('lambda').meta(doc('A Lambda function alias (weighted canary or linear shifts).')),
      functionName: z
        .string()
        .min(1)
        .max(140)
        .regex(
          /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9-_]+$/,
          'a Lambda function name or ARN',
        )
        .meta(
          doc(
            'The function (name or ARN); it must be one the stack may change (lambdaTargets). The artifact must be a .zip (fileName ending in .zip): it is published as the function code.',
            'churn-scorer',
          ),
        ),
      alias: z
        .string()
        .regex(/^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/, 'a Lambda alias name')
        .max(128)
        .meta(doc('The alias that callers invoke; it is moved to the new version.', 'live')),
    })
    .meta({ ...doc('A Lambda alias target.'), title: 'lambda' }),
);

export const BatchTarget = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: z.literal('sagemaker-batch').meta(doc('A SageMaker batch transform job.')),
      jobPrefix: SageMakerName.optional().meta(
        doc('The transform job name prefix.', 'steward-churn-nightly'),
      ),
      inputUri: S3Uri.meta(doc('The input data (s3://).', 's3://ml-data/churn/to-score/')),
      outputUri: S3Uri.meta(doc('Where the predictions go (s3://).', 's3://ml-data/churn/scored/')),
      contentType: z
        .string()
        .min(1)
        .max(256)
        .default('text/csv')
        .meta(doc('The input content type.', 'text/csv')),
      instanceType: z
        .string()
        .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'a SageMaker instance type like ml.m5.large')
        .meta(doc('The instance type.', 'ml.m5.xlarge')),
      instanceCount: z.number().int().min(1).max(100).default(1).meta(doc('How many instances.', 1)),
    })
    .meta({ ...doc('A SageMaker batch transform target.'), title: 'sagemaker-batch' }),
);

export const Target = /* @__PURE__ */ schema(() =>
  z.discriminatedUnion('kind', [SageMakerTarget, LambdaTarget, BatchTarget]),
);
export type Target = z.infer<typeof Target>;

export const Strategy = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      kind: z
        .enum(['all-at-once', 'canary', 'linear'])
        .default('all-at-once')
        .meta(
          doc(
            'all-at-once, canary (percent first, then the rest) or linear (percent more at each step).',
            'canary',
          ),
        ),
      percent: z
        .number()
        .int()
        .min(1)
        .max(99)
        .optional()
        .meta(doc('Canary: the share the new version gets first; linear: the step.', 10)),
      bakeMinutes: z
        .number()
        .min(0)
        .max(24 * 60)
        .default(5)
        .meta(doc('How long each step is watched for alarms before going on.', 5)),
      alarms: z
        .array(AlarmName)
        .max(10)
        .optional()
        .meta(doc('CloudWatch alarms that roll the deployment back; by default <target>-rollback.')),
    })
    .refine((s) => s.kind === 'all-at-once' || s.percent !== undefined, {
      message: 'canary and linear need a percent',
      path: ['percent'],
    })
    .meta(doc('How traffic moves to the new version. Default: all at once.')),
);
export type Strategy = z.infer<typeof Strategy>;

/**
 * What SageMaker's blue/green deployments accept (SageMaker API Reference: TrafficRoutingConfig's
 * WaitIntervalInSeconds 0-3600, BlueGreenUpdatePolicy's MaximumExecutionTimeoutInSeconds 600-28800;
 * CapacitySize: a canary of at most 50 % of the variant's instances, a linear step of 10-50 %).
 */
export const SAGEMAKER_LIMITS = {
  maxWaitSeconds: 3600,
  maxExecutionSeconds: 28_800,
  maxCanaryPercent: 50,
  linearPercent: { min: 10, max: 50 },
} as const;

/** The total SageMaker is asked to allow for a blue/green update (blueGreenPolicy). */
const executionSeconds = (strategy: Strategy): number =>
  Math.max(600, Math.round(strategy.bakeMinutes * 60) * (trafficSteps(strategy).length + 2) + 600);

export const DeploymentBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      environment: EnvironmentName,
      target: Target.meta(doc('Where it goes: kind sagemaker, lambda or sagemaker-batch.')),
      strategy: Strategy.optional(),
      reason: Label(500).optional().meta(doc('Why, kept in the audit trail.')),
    })
    // Refused at the door what SageMaker would refuse once the workflow had started.
    .superRefine((body, ctx) => {
      if (body.target.kind !== 'sagemaker' || !body.strategy) return;
      const strategy = body.strategy;
      const limits = SAGEMAKER_LIMITS;
      if (strategy.bakeMinutes * 60 > limits.maxWaitSeconds)
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'bakeMinutes'],
          message: `SageMaker waits at most ${limits.maxWaitSeconds / 60} minutes per step (WaitIntervalInSeconds <= ${limits.maxWaitSeconds})`,
        });
      if (strategy.kind === 'canary' && (strategy.percent ?? 0) > limits.maxCanaryPercent)
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'percent'],
          message: `a SageMaker canary is at most ${limits.maxCanaryPercent} % of the instances`,
        });
      if (
        strategy.kind === 'linear' &&
        ((strategy.percent ?? 0) < limits.linearPercent.min ||
          (strategy.percent ?? 0) > limits.linearPercent.max)
      )
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'percent'],
          message: `a SageMaker linear step is ${limits.linearPercent.min}-${limits.linearPercent.max} % of the instances`,
        });
      const total = executionSeconds(strategy);
      if (total > limits.maxExecutionSeconds)
        ctx.addIssue({
          code: 'custom',
          path: ['strategy', 'bakeMinutes'],
          message:
            `the steps and bakes take ${total} s, over SageMaker's ${limits.maxExecutionSeconds} s ` +
            '(MaximumExecutionTimeoutInSeconds): fewer steps or a shorter bake',
        });
    })
    .meta({
      id: 'Deployment',
      description:
        'A deployment request. Needs the deployer role, a READY version, a free target and, where the environment demands it, an APPROVED approval.',
    }),
);
export type DeploymentBody = z.infer<typeof DeploymentBody>;

export const RollbackBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      reason: z.string().min(1).max(1000).meta(doc('Why, kept in the audit trail.', 'p99 latency doubled')),
    })
    .meta({
      id: 'Rollback',
      description: 'A rollback: the target goes back to what served before this deployment.',
    }),
);

export const DeploymentPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    id: z
      .string()
      .regex(/^dep-[0-9a-f]{24}$/, 'a deployment id')
      .meta(doc('The deployment id.', 'dep-0123456789abcdef01234567')),
  }),
);

export const ListDeploymentsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    environment: EnvironmentName.optional(),
    limit: Limit,
    cursor: Cursor.optional(),
  }),
);

export const ServedQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    target: z
      .string()
      .regex(/^(sagemaker|lambda|sagemaker-batch):.+$/, 'target is <kind>:<name>')
      .meta(
        doc(
          'The target as <kind>:<name>: sagemaker:<endpoint> or lambda:<function>:<alias>.',
          'lambda:churn-scorer:live',
        ),
      ),
    at: z.iso
      .datetime()
      .optional()
      .meta(doc('A moment: only the record that covers it.', '2026-11-30T12:00:00Z')),
  }),
);

/** The stable name of a target, as records and locks know it. */
export const targetName = (target: Target): string => {
  if (target.kind === 'sagemaker') return target.endpointName;
  if (target.kind === 'lambda') return `${target.functionName}:${target.alias}`;
  return target.jobPrefix ?? 'batch';
};

export const targetId = (target: Target): string => `${target.kind}:${targetName(target)}`;

/**
 * The traffic weights a Lambda alias moves through before all of it goes to the new version:
 * canary is one step at `percent`; linear climbs by `percent` until the next step would be 100.
 */
export const trafficSteps = (strategy: Strategy): number[] => {
  if (strategy.kind === 'all-at-once' || strategy.percent === undefined) return [];
  if (strategy.kind === 'canary') return [strategy.percent / 100];
  const steps: number[] = [];
  for (let p = strategy.percent; p < 100; p += strategy.percent) steps.push(Math.round(p) / 100);
  return steps;
};

/** SageMaker's blue/green policy for the same strategy (its own bake, its own alarm rollback). */
export const blueGreenPolicy = (strategy: Strategy, alarms: string[]) => {
  const wait = Math.round(strategy.bakeMinutes * 60);
  const routing =
    strategy.kind === 'canary'
      ? {
          Type: 'CANARY',
          WaitIntervalInSeconds: wait,
          CanarySize: { Type: 'CAPACITY_PERCENT', Value: strategy.percent },
        }
      : strategy.kind === 'linear'
        ? {
            Type: 'LINEAR',
            WaitIntervalInSeconds: wait,
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: strategy.percent },
          }
        : { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: wait };
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: routing,
      TerminationWaitInSeconds: wait,
      MaximumExecutionTimeoutInSeconds: executionSeconds(strategy),
    },
    ...(alarms.length
      ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } }
      : {}),
  };
};

/**
 * A name SageMaker accepts for something this deployment makes, starting with the stack's
 * prefix (the deploy role may act only on such names) and ending with the deployment's own id.
 */
export const resourceName = (prefix: string, model: string, version: number, id: string): string => {
  const suffix = `-v${version}-${id.slice(-8)}`;
  const room = 63 - prefix.length - 1 - suffix.length;
  const middle =
    model
      .replace(/[^a-zA-Z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, Math.max(1, room)) || 'model';
  return `${prefix}-${middle}${suffix}`.replace(/-{2,}/g, '-');
};

/** History steps that end an operation badly; their detail says why. */
const FAILED_STEPS = new Set([
  'failed',
  'failed-to-start',
  'rolled-back',
  'rollback-failed',
  'decommission-failed',
]);

/**
 * Why the last operation of a deployment did not succeed, in one line, from the history step that
 * ended it: the reason given, else the workflow's error cause, else the error's name. Undefined
 * when the last operation ended well or has not ended.
 */
export const failureReason = (
  history: readonly { step: string; detail?: Record<string, unknown> }[],
): string | undefined => {
  const last = history.at(-1);
  if (!last || !FAILED_STEPS.has(last.step)) return undefined;
  const d = last.detail ?? {};
  const text = [d.reason, d.cause, d.error].find((v) => typeof v === 'string' && v.length > 0) as
    | string
    | undefined;
  if (text) return `${last.step}: ${text}`;
  // No cause recorded: at least say which step it failed in.
  const during = history.at(-2)?.step;
  return during ? `${last.step}: during ${during}` : last.step;
};
