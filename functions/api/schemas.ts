import * as z from 'zod';
import { ModelCard } from '#domain/card';
import { Strategy, Target } from '#domain/deployment';
import { EnvironmentPolicy } from '#domain/environment';
import { NodeKind, NodeRef, Relation } from '#domain/lineage';
import { MonitoringBody } from '#domain/monitoring';
import { schema } from '#domain/schema';

/** Answers that have no schema of their own in the domain: stated once here, for the route entries. */
const d = (description: string, example?: unknown) =>
  example === undefined ? { description } : { description, example };

export const Problem = /* @__PURE__ */ schema(() =>
  z
    .object({
      type: z
        .string()
        .meta(d('A URI naming the kind of problem.', 'https://steward.dev/problems/validation')),
      title: z.string().meta(d('The kind of problem in a few words.', 'Bad Request')),
      status: z.number().int().meta(d('The HTTP status, repeated.', 400)),
      detail: z.string().meta(d('What went wrong this time, in a sentence meant for people.')),
      errors: z
        .array(
          z.object({
            path: z
              .string()
              .meta(
                d(
                  'Where: body.<field>, query.<name>, path.<name> or headers.<name>.',
                  'body.artifact.sha256',
                ),
              ),
            message: z.string().meta(d('What is wrong with it.', 'a SHA-256 is 64 lowercase hex characters')),
          }),
        )
        .optional()
        .meta(d('400: every invalid field, each with its own message.')),
      instance: z.string().optional().meta(d('The request path the problem is about.')),
    })
    .meta({
      id: 'Problem',
      description:
        'An RFC 9457 problem: every error answer of the API (never a stack trace). A 503 comes with Retry-After.',
    }),
);

export const Alias = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(d('The model.', 'churn-scorer')),
      alias: z.string().meta(d('The alias.', 'champion')),
      version: z.number().int().meta(d('The version it points at.', 3)),
      createdAt: z.string().meta(d('When it was last pointed.')),
      createdBy: z.string().meta(d('Who pointed it.')),
    })
    .meta({ id: 'Alias', description: 'An alias and the version it points at.' }),
);

/** An edge as recorded: the body that was posted, with who recorded it and when. */
export const EdgeOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      from: NodeRef,
      to: NodeRef,
      relation: Relation,
      createdAt: z.string().meta(d('When it was recorded (ISO 8601 UTC).')),
      createdBy: z.string().meta(d('Who recorded it.')),
    })
    .meta({ id: 'LineageEdge', description: 'A lineage edge recorded by hand.' }),
);

/** The card as it is read: the fields that were put, with the model and the card's revision. */
export const CardOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      model: z.string().meta(d('The model.', 'churn-scorer')),
      ...ModelCard.shape,
      revision: z
        .number()
        .int()
        .meta(d("The card's revision (0 before the first PUT); the ETag carries it.", 2)),
      updatedAt: z.string().optional().meta(d('When the card last changed; absent before the first PUT.')),
      updatedBy: z.string().optional().meta(d('Who changed it last.')),
    })
    .meta({
      id: 'ModelCardRecord',
      description: "A model's card as stored: its fields, the model it belongs to and its revision.",
    }),
);

/** An environment as the API shows it: its policy with the defaults filled in, and where it comes from. */
export const EnvironmentOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(d('The environment.', 'prod')),
      ...EnvironmentPolicy.shape,
      requireReproducibility: z
        .boolean()
        .meta(d('Only reproducible versions may be registered for or approved here.')),
      approvalTtlHours: z
        .number()
        .meta(d('How long an approval request waits before it expires (hours).', 72)),
      source: z
        .enum(['stored', 'default'])
        .meta(d('stored: set through the API; default: seeded from configuration and never changed.')),
      revision: z.number().int().meta(d('The revision (0 for a default); the ETag carries it.', 1)),
      updatedAt: z.string().optional().meta(d('When an admin last set it; absent for a default.')),
      updatedBy: z.string().optional().meta(d('Who set it last.')),
    })
    .meta({
      id: 'Environment',
      description: 'An environment and the policy approvals and deployments follow.',
    }),
);

const NodeOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      kind: NodeKind,
      id: z.string().meta(d('The node id within its kind (`<model>:<version>` for a model version).')),
    })
    .passthrough()
    .meta(d('A node, with what is known about it (a model version carries its status).')),
);
export const Graph = /* @__PURE__ */ schema(() =>
  z
    .object({
      root: z
        .object({ kind: NodeKind, id: z.string().meta(d('The node id within its kind.', 'churn-scorer:3')) })
        .meta(d('The start node, as asked.', { kind: 'model-version', id: 'churn-scorer:3' })),
      direction: z.enum(['upstream', 'downstream', 'both']).meta(d('Which way the walk went.', 'both')),
      depth: z.number().int().meta(d('How many edges deep the walk went at most.', 5)),
      nodes: z.array(NodeOut).meta(d('The nodes reached, the start node first.')),
      edges: z
        .array(
          z.object({
            from: NodeOut,
            to: NodeOut,
            relation: z.string().meta(d('What the edge means.', 'trained-on')),
            attributes: z
              .record(z.string(), z.unknown())
              .optional()
              .meta(
                d(
                  "What a registration's edge knows about the link: a dataset's sha256, versionId and role, the code's repository and commit, the image's uri and digest, the training run's uri.",
                  {
                    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
                    role: 'train',
                  },
                ),
              ),
          }),
        )
        .meta(d('The edges between them, pointing the way things flow.')),
    })
    .meta({ id: 'LineageGraph', description: 'A walk of the lineage graph from one node.' }),
);

export const AuditEventOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      model: z.string().meta(d('The chain: a model, `_system`, or an `_attempts` chain.', 'churn-scorer')),
      seq: z.number().int().meta(d('Its position in the chain, from 1, without gaps.', 7)),
      at: z.string().meta(d('When (ISO 8601 UTC).')),
      actor: z.string().meta(d('Who: an IAM ARN, a local principal, or steward:<component> for the system.')),
      action: z.string().meta(d('What happened, as <resource>.<verb>.', 'version.registered')),
      target: z.string().meta(d('What it happened to, as <kind>:<id>.', 'version:churn-scorer:3')),
      before: z.unknown().optional().meta(d('The state before the change, where there was one.')),
      after: z.unknown().optional().meta(d('The state after the change.')),
      hash: z
        .string()
        .meta(d('SHA-256 over this event and prevHash: change any event and every later hash breaks.')),
      prevHash: z.string().meta(d("The previous event's hash (64 zeros for the first).")),
    })
    .meta({
      id: 'AuditEvent',
      description:
        'One committed change (or refused attempt), hash-chained per model: written in the same transaction as the change.',
    }),
);

/** A stretch of time one version served on a target: the served-by history's record. */
export const ServedRecord = /* @__PURE__ */ schema(() =>
  z
    .object({
      environment: z.string().meta(d('The environment.', 'prod')),
      targetId: z.string().meta(d('The target as <kind>:<name>.', 'lambda:churn-scorer:live')),
      model: z.string().meta(d('The model.', 'churn-scorer')),
      version: z.number().int().meta(d('The version that served.', 3)),
      deploymentId: z.string().meta(d('The deployment that made it serve.')),
      from: z.iso.datetime().meta(d('When it began serving (ISO 8601 UTC).')),
      to: z.iso.datetime().optional().meta(d('When it stopped serving; absent while it still serves.')),
    })
    .meta({ id: 'ServedRecord', description: 'A stretch of time one version served on a target.' }),
);

export const DeploymentOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string().meta(d('The deployment id.', 'dep-0123456789abcdef01234567')),
      model: z.string().meta(d('The model.', 'churn-scorer')),
      version: z.number().int().meta(d('The version deployed.', 3)),
      environment: z.string().meta(d('The environment.', 'prod')),
      target: Target.meta(d('Where it goes, as requested, with the defaults filled in.')),
      strategy: Strategy.optional().meta(d('How traffic moves, with the defaults filled in.')),
      alarms: z.array(z.string()).optional().meta(d('The CloudWatch alarms watched during the bakes.')),
      status: z
        .string()
        .meta(
          d(
            'PENDING, IN_PROGRESS, SUCCEEDED, FAILED, ROLLED_BACK (by request or by an alarm), DECOMMISSIONED; or ROLLBACK_FAILED / DECOMMISSION_FAILED.',
            'SUCCEEDED',
          ),
        ),
      statusReason: z
        .string()
        .optional()
        .meta(
          d(
            'Why the last operation did not succeed, in one line: the step and the cause.',
            'failed: during creating-endpoint',
          ),
        ),
      operation: z
        .string()
        .optional()
        .meta(d('The operation under way or last done: deploy, rollback or decommission.')),
      reason: z.string().optional().meta(d('The reason given with the request.')),
      history: z
        .array(
          z.object({
            at: z.iso.datetime().meta(d('When the step was recorded.')),
            step: z.string().meta(d('The step, in kebab-case.', 'shifting-traffic')),
            detail: z
              .record(z.string(), z.unknown())
              .optional()
              .meta(d("What the step recorded: traffic weights, an alarm's name, an error.")),
          }),
        )
        .meta(d('Every step, oldest first (step names are kebab-case, e.g. shifting-traffic, rolled-back).')),
      previousVersion: z
        .number()
        .int()
        .optional()
        .meta(d('The version that served on the target before (what a rollback returns to).')),
      approvalId: z.string().optional().meta(d('The approval request it was started by, or relied on.')),
      resources: z
        .object({
          sagemakerModelName: z.string().optional().meta(d('The SageMaker model it created.')),
          endpointConfigName: z.string().optional().meta(d('The endpoint config it created.')),
          lambdaVersion: z.string().optional().meta(d('The Lambda version it published.', '7')),
          previousLambdaVersion: z
            .string()
            .optional()
            .meta(d('The Lambda version the alias pointed at before.', '6')),
          transformJobName: z.string().optional().meta(d('The batch transform job it started.')),
        })
        .optional()
        .meta(d('What it made on the target (SageMaker model and endpoint config, Lambda version).')),
      createdAt: z.string().optional().meta(d('When it was requested.')),
      createdBy: z.string().optional().meta(d('Who requested it.')),
      updatedAt: z.string().optional().meta(d('When it last changed.')),
    })
    .meta({
      id: 'DeploymentRecord',
      description: 'A deployment of one version to one target, and everything that happened to it.',
    }),
);

export const Manifest = /* @__PURE__ */ schema(() =>
  z
    .object({
      reproducible: z.boolean().meta(d('Whether everything needed to rebuild the version is recorded.')),
      missing: z
        .array(
          z.object({
            path: z.string().meta(d('What is missing.', 'lineage.image')),
            message: z.string().meta(d('Why it matters.')),
          }),
        )
        .meta(d('What is missing, empty when reproducible.')),
    })
    .passthrough()
    .meta({
      id: 'Manifest',
      description:
        'What it takes to rebuild a version: code commit, image digest, datasets with their content hashes, params, framework, artifact sha256.',
    }),
);

/** What every feature of a baseline profile says, whatever its kind. */
const profileBase = () => ({
  name: z.string().meta(d('The column.', 'tenure_months')),
  rows: z
    .number()
    .int()
    .meta(d('Rows of the reference dataset offered for it, missing values included.', 5000)),
  missing: z.number().int().meta(d('Rows where it was missing (absent, null or empty).', 12)),
  missingShare: z.number().meta(d('missing / rows.', 0.0024)),
  count: z.number().int().meta(d('Values present: rows - missing.', 4988)),
});

const NumericProfileOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      ...profileBase(),
      kind: z.literal('numeric').meta(d('Binned and KS-tested.')),
      edges: z
        .array(z.number())
        .meta(d('The 9 interior bin edges, the deciles of the reference; empty when it had no values.')),
      binCounts: z
        .array(z.number().int())
        .meta(d('Values per bin (10 bins, open at both ends): bin i holds edges[i-1] <= x < edges[i].')),
      min: z.number().nullable().meta(d('The smallest reference value (null without values).')),
      max: z.number().nullable().meta(d('The largest reference value (null without values).')),
      mean: z.number().nullable().meta(d('The mean of the reference values (null without values).')),
      std: z
        .number()
        .nullable()
        .meta(d('Their population standard deviation, ddof 0 (null without values).')),
      ksValues: z
        .discriminatedUnion('kind', [
          z
            .object({
              kind: z.literal('exact').meta(d('Every value is kept: KS on the full data.')),
              count: z.number().int().meta(d('How many values are kept.', 4988)),
            })
            .meta(d('Every reference value, kept for KS.')),
          z
            .object({
              kind: z.literal('sketch').meta(d('More values than ksExactMax: a quantile sketch.')),
              count: z.number().int().meta(d('How many values the sketch summarises.', 2000000)),
              rankErrorBound: z
                .number()
                .meta(d("The sketch's rank error bound, as a share of count.", 0.00006)),
            })
            .meta(d('A quantile sketch of the reference values, kept for KS.')),
        ])
        .meta(d('What is kept of the values for KS and Wasserstein (the values stay in S3).')),
    })
    .meta({ title: 'numeric feature', description: 'A numeric feature of the reference.' }),
);

const CategoricalProfileOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      ...profileBase(),
      kind: z.literal('categorical').meta(d('Counted and chi-square-tested.')),
      categories: z
        .array(
          z.object({
            value: z.string().meta(d('The category.', 'monthly')),
            count: z.number().int().meta(d('How many reference rows had it.', 3120)),
          }),
        )
        .meta(d('The categories and their counts, sorted by value (at most 10,000).')),
      other: z.number().int().meta(d('Values of categories past the first 10,000, counted together.', 0)),
    })
    .meta({ title: 'categorical feature', description: 'A categorical feature of the reference.' }),
);

const FeatureProfileOut = /* @__PURE__ */ schema(() =>
  z
    .discriminatedUnion('kind', [NumericProfileOut, CategoricalProfileOut])
    .meta({ id: 'FeatureProfile', description: "One column's profile in a baseline." }),
);

/** `PUT .../baseline`: the profile as presentProfile shows it (the KS values stay in S3). */
export const BaselineProfileOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      uri: z
        .string()
        .meta(
          d('Where the whole profile is kept (S3).', 's3://steward-artifacts/baselines/churn-scorer/3.json'),
        ),
      rows: z.number().int().meta(d('Rows of the reference dataset.', 5000)),
      ksExactMax: z
        .number()
        .int()
        .optional()
        .meta(d('KS is exact while both sides have at most this many values; absent: 100,000.')),
      features: z.array(FeatureProfileOut).meta(d('Each feature column, in the order of the dataset.')),
      prediction: FeatureProfileOut.optional().meta(d('The prediction column, profiled apart, when named.')),
    })
    .meta({
      id: 'BaselineProfile',
      description:
        "A version's baseline: per feature, bins or categories and what drift runs compare the captured data with.",
    }),
);

/** `PUT` and `GET .../monitoring`: the monitor as stored, without its entity. */
export const MonitorOut = /* @__PURE__ */ schema(() =>
  z
    .object({
      deploymentId: z.string().meta(d('The deployment monitored.')),
      model: z.string().meta(d('The model deployed.', 'churn-scorer')),
      version: z.number().int().meta(d('The version deployed, whose baseline drift is measured against.', 3)),
      environment: z.string().meta(d('Where it is deployed.', 'prod')),
      targetId: z.string().meta(d('The serving target (endpoint, transform or Lambda function).')),
      ...MonitoringBody.shape,
      alarmName: z.string().meta(d("The deployment's CloudWatch drift alarm.")),
      nextRunAt: z.string().meta(d('When the schedule next computes drift (ISO 8601 UTC).')),
      updatedAt: z.string().meta(d('When the monitor was last put.')),
      updatedBy: z.string().meta(d('Who put it.')),
    })
    .meta({
      id: 'Monitor',
      description:
        "A deployment's monitor: its capture, schedule, thresholds and alarm, and when drift is next computed.",
    }),
);

export const AnyObject = /* @__PURE__ */ schema(() => z.record(z.string(), z.unknown()));
export const Html = /* @__PURE__ */ schema(() => z.string());

export const listOf = (item: z.ZodType, id: string) =>
  z
    .object({
      items: z.array(item).meta(d('This page of items.')),
      nextCursor: z
        .string()
        .optional()
        .meta(d('Pass it as `cursor` for the next page; absent on the last page.')),
    })
    .meta({ id, description: 'A page of a list.' });

const n = (description: string, example?: number) => z.number().optional().meta(d(description, example));
const FeatureDrift = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(d('The column.', 'tenure_months')),
      kind: z.enum(['numeric', 'categorical']).meta(d('numeric or categorical.')),
      rows: z.number().int().meta(d('Rows of the window that had this column.')),
      psi: z
        .number()
        .nullable()
        .meta(
          d(
            'Population Stability Index between the baseline and the window (over 10 baseline bins, or the categories): 0 is the same, 0.1 a small shift, 0.2 or more a large one. Null when it cannot be computed (reason says why).',
            0.27,
          ),
        ),
      jsDistance: z
        .number()
        .nullable()
        .meta(d('Jensen-Shannon distance (natural log): 0 identical, at most ln 2 ≈ 0.83.', 0.12)),
      jsDistanceBase2: z.number().nullable().meta(d('The same distance in base 2 (0 to 1).')),
      ksStatistic: n(
        'Numeric: the two-sample Kolmogorov-Smirnov statistic, the largest gap between the two cumulative distributions (0 to 1).',
        0.18,
      ),
      ksPValue: n(
        'Numeric: its p-value; small means the two samples are unlikely to share a distribution.',
        0.001,
      ),
      wassersteinNorm: n(
        'Numeric: the Wasserstein (earth mover) distance divided by the baseline standard deviation.',
      ),
      chiSquare: n('Categorical: the chi-square statistic over the categories.'),
      chiSquarePValue: n('Categorical: its p-value.'),
      missingShare: z.number().meta(d('The share of the window rows where the value is missing.', 0)),
      outOfRangeShare: n('Numeric: the share of values outside the baseline [min, max].'),
      unseenCategories: z
        .array(z.string())
        .optional()
        .meta(d('Categorical: categories the baseline never saw.')),
      drifted: z.boolean().meta(d('Whether any enabled threshold rule holds for this feature.')),
      driftedBy: z.array(z.string()).meta(d('The rules that held, e.g. psi, ksPValue.', ['psi', 'ksPValue'])),
      reason: z.string().optional().meta(d('Why a figure is missing (e.g. no values in the window).')),
    })
    .passthrough()
    .meta(d("One feature's figures in the window against the baseline.")),
);

export const DriftReport = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string().optional().meta(d('The run id.', 'run-0123456789abcdef')),
      deploymentId: z.string().optional().meta(d('The deployment monitored.')),
      window: z
        .object({
          from: z.string().meta(d('Start of the window (ISO 8601).')),
          to: z.string().meta(d('End of the window.')),
        })
        .optional()
        .meta(d('The captured data compared with the baseline.')),
      rows: z.number().int().meta(d('Rows read in the window.', 12000)),
      features: z.array(FeatureDrift).meta(d('Each feature, drifted or not.')),
      prediction: FeatureDrift.optional().meta(
        d("The model's output column, measured like a feature and reported apart."),
      ),
      driftedShare: z
        .number()
        .meta(
          d(
            'Drifted features / features with figures (the prediction not counted); the alarm compares it with alarmThreshold.',
            0.25,
          ),
        ),
      featuresEvaluated: z.number().int().optional().meta(d('Features with figures.')),
      featuresDrifted: z.number().int().optional().meta(d('Of those, drifted.')),
      tests: z
        .number()
        .int()
        .optional()
        .meta(d('The number of p-value tests (the Bonferroni divisor when enabled).')),
      thresholds: z
        .record(z.string(), z.unknown())
        .optional()
        .meta(d('The thresholds applied, defaults filled in.')),
      status: z
        .string()
        .optional()
        .meta(d('OK, WARNING (some drift), DRIFTED (at or over alarmThreshold) or NO_DATA.', 'WARNING')),
      empty: z.boolean().optional().meta(d('True when the window held no rows.')),
    })
    .passthrough()
    .meta({
      id: 'DriftReport',
      description:
        "A drift run: the window's distribution of each feature compared with the version's baseline.",
    }),
);

/**
 * A drift run as the list of runs shows it: the run's outcome and each feature's headline
 * figures, so drift over time reads from one list. The whole report (every figure, the
 * histograms) stays in S3: `getDriftReport` links to it.
 */
export const DriftRunSummary = /* @__PURE__ */ schema(() =>
  z
    .object({
      id: z.string().meta(d('The run id.', 'run-0123456789abcdef')),
      deploymentId: z.string().meta(d('The deployment monitored.')),
      model: z.string().meta(d('The model deployed.', 'churn-scorer')),
      environment: z.string().meta(d('Where it is deployed.', 'prod')),
      window: z
        .object({
          from: z.string().meta(d('Start of the window (ISO 8601).')),
          to: z.string().meta(d('End of the window.')),
        })
        .meta(d('The captured data compared with the baseline.')),
      rows: z.number().int().meta(d('Rows read in the window.', 12000)),
      driftedShare: z.number().meta(d('Drifted features / features with figures.', 0.25)),
      status: z.string().meta(d('OK, WARNING, DRIFTED or NO_DATA.', 'WARNING')),
      health: z
        .string()
        .optional()
        .meta(
          d(
            "The target's health over the window, from its own metrics: HEALTHY, DEGRADED (5% errors or more), IDLE or UNKNOWN.",
            'HEALTHY',
          ),
        ),
      empty: z.boolean().meta(d('True when the window held no rows.')),
      reason: z.string().optional().meta(d('Why the run found no figures, when it found none.')),
      drifted: z.array(z.string()).meta(d('The drifted features.', ['tenure_months'])),
      features: z
        .array(
          z.object({
            name: z.string().meta(d('The column.', 'tenure_months')),
            kind: z.string().meta(d('numeric or categorical.')),
            psi: z
              .number()
              .nullable()
              .meta(d('Population Stability Index; null when it cannot be computed.')),
            jsDistance: z.number().nullable().meta(d('Jensen-Shannon distance (natural log).')),
            jsDistanceBase2: z.number().nullable().meta(d('The same distance in base 2 (0 to 1).')),
            drifted: z.boolean().meta(d('Whether any enabled threshold rule holds for it.')),
          }),
        )
        .optional()
        .meta(d("Each feature's headline figures (absent on runs made before they were kept).")),
      reportUri: z.string().meta(d('Where the whole report (JSON) is stored.')),
      reportPageUri: z.string().optional().meta(d('Where the report page (HTML) is stored.')),
      trigger: z.enum(['schedule', 'request']).meta(d('What started the run.')),
      at: z.string().meta(d('When the run finished.')),
    })
    .meta({ id: 'DriftRunSummary', description: "A drift run in the list of a deployment's runs." }),
);

/** One row of the model inventory, as JSON (the CSV has the same columns, flattened). */
export const InventoryRow = /* @__PURE__ */ schema(() =>
  z
    .object({
      name: z.string().meta(d('The model.', 'churn-scorer')),
      owner: z.string().meta(d('Who answers for it.')),
      purpose: z.string().optional().meta(d('What it is used for.')),
      riskTier: z.enum(['low', 'medium', 'high']).optional().meta(d('Its risk tier.', 'medium')),
      versions: z.number().int().meta(d('How many versions it has registered.', 3)),
      deployed: z
        .record(
          z.string(),
          z
            .object({
              version: z.number().int().meta(d('The version serving there.', 3)),
              since: z.string().meta(d('Since when (ISO 8601 UTC).')),
            })
            .loose(),
        )
        .meta(d('What serves where: the version per environment, and since when.')),
      lastApproval: z
        .object({
          id: z.string().meta(d('The approval request.')),
          environment: z.string().meta(d('For which environment.', 'prod')),
          version: z.number().int().meta(d('For which version.', 3)),
          status: z.string().meta(d('PENDING, APPROVED, REJECTED, EXPIRED or FAILED.', 'APPROVED')),
          at: z.string().meta(d('When it last changed.')),
        })
        .loose()
        .optional()
        .meta(d('The latest approval request and how it ended.')),
      lastDriftStatus: z.string().optional().meta(d('The latest drift run status.', 'OK')),
      lastDrift: z
        .object({
          status: z.string().meta(d('OK, WARNING, DRIFTED or NO_DATA.', 'OK')),
          at: z.string().meta(d('When the run finished.')),
          driftedShare: z.number().optional().meta(d('Drifted features / features with figures.', 0)),
        })
        .loose()
        .optional()
        .meta(d('The latest drift run: status, when, drifted share.')),
      health: z
        .string()
        .optional()
        .meta(d("The serving target's health at the latest drift run: HEALTHY, DEGRADED, IDLE or UNKNOWN.")),
      validityEnd: z.string().optional().meta(d("The day the card's validation stops holding.")),
      updatedAt: z.string().meta(d('When the model last changed.')),
    })
    .meta({ id: 'InventoryRow', description: 'One row of the model inventory.' }),
);
