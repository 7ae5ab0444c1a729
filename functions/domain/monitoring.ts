import * as z from 'zod';
import { DriftThresholds } from './drift/thresholds.ts';
import { Cursor, doc, Label, Limit } from './names.ts';
import { schema } from './schema.ts';

/**
 * Monitoring: a version's baseline profile (from a reference dataset), a deployment's monitor
 * (where its inference data is captured, how often drift is computed, the thresholds), and the
 * drift runs it produces.
 */
const Uri = /* @__PURE__ */ schema(() => z.string().min(1).max(2048));
const Column = /* @__PURE__ */ schema(() =>
  Label(128).meta(doc('A column name in the dataset.', 'tenure_months')),
);

export const BaselineBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      dataset: z
        .strictObject({
          uri: Uri.meta(
            doc(
              'The reference data: an s3:// object or prefix (file:///absolute/path in local mode only).',
              's3://ml-data/churn/2026-11/validation.csv',
            ),
          ),
          format: z
            .enum(['csv', 'jsonl'])
            .meta(doc('csv (with a header row) or jsonl (one object a line).', 'csv')),
        })
        .meta(doc('The reference dataset the version is profiled on (typically its validation set).')),
      /** The feature columns; a plain name is inferred, `{name, kind}` declares the kind. */
      features: z
        .array(
          z.union([
            Column,
            z
              .strictObject({
                name: Column,
                kind: z
                  .enum(['numeric', 'categorical'])
                  .meta(
                    doc(
                      'numeric (binned, KS-tested) or categorical (counted, chi-square-tested).',
                      'categorical',
                    ),
                  ),
              })
              .meta(doc('A column with its kind declared.')),
          ]),
        )
        .min(1)
        .max(500)
        .optional()
        .meta(
          doc(
            'The feature columns (at most 500). A plain name has its kind inferred; {name, kind} declares it. Default: every column but target and prediction.',
            ['tenure_months', { name: 'plan', kind: 'categorical' }],
          ),
        ),
      /** The label column: never profiled as a feature. */
      target: Column.optional().meta(doc('The label column: never profiled as a feature.', 'churned')),
      /** The prediction column: profiled like a feature, reported apart. */
      prediction: Column.optional().meta(
        doc('The prediction column: profiled like a feature, reported apart.', 'score'),
      ),
    })
    .meta({
      id: 'Baseline',
      description:
        "What a version's drift is measured against: the profile (bins, categories, quantiles) of a reference dataset.",
    }),
);
export type BaselineBody = z.infer<typeof BaselineBody>;

/** `rate(<n> minute[s]|hour[s]|day[s])`, as EventBridge writes it. */
export const Schedule = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(
      /^rate\((\d{1,4}) (minute|minutes|hour|hours|day|days)\)$/,
      'a schedule is rate(<n> minutes|hours|days)',
    )
    // A schedule that does not parse is named once, by the pattern above.
    .refine(
      (s) => Number.isNaN(scheduleSeconds(s)) || scheduleSeconds(s) >= 300,
      'the shortest schedule is 5 minutes',
    )
    .default('rate(1 day)')
    .meta(
      doc('How often drift is computed: rate(<n> minutes|hours|days), at least 5 minutes.', 'rate(1 day)'),
    ),
);

export const scheduleSeconds = (schedule: string): number => {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!match) return Number.NaN;
  const unit = { minute: 60, hour: 3600, day: 86_400 }[match[2] as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * unit;
};

export const MonitoringBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      capture: z
        .strictObject({
          uri: Uri.meta(
            doc(
              'Where the inference data lands: an s3:// prefix (file:///absolute/path in local mode only).',
              's3://ml-capture/churn/',
            ),
          ),
          format: z
            .enum(['sagemaker-capture', 'jsonl', 'csv'])
            .meta(
              doc('sagemaker-capture (SageMaker data capture JSONL), jsonl or csv.', 'sagemaker-capture'),
            ),
        })
        .meta(doc('The inference data compared with the baseline.')),
      schedule: Schedule,
      thresholds: DriftThresholds.optional(),
      /** The alarm on the drifted share fires at or above this share of drifted features. */
      alarmThreshold: z
        .number()
        .gt(0)
        .max(1)
        .default(0.3)
        .meta(
          doc(
            "The drifted share (drifted features / features) at or above which the deployment's drift alarm fires.",
            0.3,
          ),
        ),
      /** Labels that arrive later (SageMaker ground-truth JSONL), joined by inference id. */
      groundTruth: z
        .strictObject({
          uri: Uri.meta(
            doc('Where the labels land (SageMaker ground-truth JSONL), joined to captures by inference id.'),
          ),
          task: z
            .enum(['binary', 'multiclass', 'regression'])
            .meta(doc('What the model predicts.', 'binary')),
          positiveLabel: z
            .union([z.string(), z.number()])
            .optional()
            .meta(doc('Binary tasks: the label that counts as positive.', 1)),
        })
        .optional()
        .meta(doc('Labels that arrive later, for performance figures (accuracy, AUC, RMSE) beside drift.')),
    })
    .meta({
      id: 'Monitoring',
      description:
        "A deployment's monitor: where its inference data is captured, how often drift is computed, when a feature counts as drifted, and when the alarm fires.",
    }),
);
export type MonitoringBody = z.infer<typeof MonitoringBody>;

export const DriftRunBody = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      from: z.iso
        .datetime()
        .optional()
        .meta(doc('The window start (default: one schedule period before `to`).', '2026-11-30T00:00:00Z')),
      to: z.iso.datetime().optional().meta(doc('The window end (default: now).', '2026-12-01T00:00:00Z')),
    })
    .refine((b) => !b.from || !b.to || b.from < b.to, { message: 'from is before to', path: ['from'] })
    .meta({ id: 'DriftRun', description: 'The window of captured data to compare with the baseline.' }),
);

export const ListRunsQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: Limit,
    cursor: Cursor.optional(),
  }),
);

/** A drift run of a deployment: its id, or `latest` for the newest run. */
export const DriftRunPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    id: z
      .string()
      .regex(/^dep-[0-9a-f]{24}$/, 'a deployment id')
      .meta(doc('The deployment id.', 'dep-0123456789abcdef01234567')),
    run: z
      .union([z.literal('latest'), z.string().regex(/^run-[0-9a-f]{16}$/, 'a drift run id, or latest')])
      .meta(doc('A drift run id, or `latest` for the newest run.', 'latest')),
  }),
);

/** The window a run covers: the given bounds, else the schedule period that ends now. */
export const runWindow = (schedule: string, now: Date, from?: string, to?: string) => {
  const end = to ? new Date(to) : now;
  const start = from ? new Date(from) : new Date(end.getTime() - scheduleSeconds(schedule) * 1000);
  return { from: start.toISOString(), to: end.toISOString() };
};

export const driftStatus = (report: { empty: boolean; driftedShare: number }, alarmThreshold: number) =>
  report.empty
    ? 'NO_DATA'
    : report.driftedShare >= alarmThreshold
      ? 'DRIFTED'
      : report.driftedShare > 0
        ? 'WARNING'
        : 'OK';

/** Health from the target's own metrics over the window: errors and traffic. */
export const healthStatus = (figures: { invocations?: number; errors?: number }) => {
  if (figures.invocations === undefined) return 'UNKNOWN';
  if (figures.invocations === 0) return 'IDLE';
  const rate = (figures.errors ?? 0) / figures.invocations;
  return rate >= 0.05 ? 'DEGRADED' : 'HEALTHY';
};
