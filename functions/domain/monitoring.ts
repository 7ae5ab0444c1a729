import * as z from 'zod';
import { DriftThresholds } from './drift/thresholds.ts';
import { Label } from './names.ts';

/**
 * Monitoring: a version's baseline profile (from a reference dataset), a deployment's monitor
 * (where its inference data is captured, how often drift is computed, the thresholds), and the
 * drift runs it produces.
 */
const Uri = z.string().min(1).max(2048);
const Column = Label(128);

export const BaselineBody = z
  .strictObject({
    dataset: z.strictObject({ uri: Uri, format: z.enum(['csv', 'jsonl']) }),
    /** The feature columns; a plain name is inferred, `{name, kind}` declares the kind. */
    features: z
      .array(z.union([Column, z.strictObject({ name: Column, kind: z.enum(['numeric', 'categorical']) })]))
      .min(1)
      .max(500)
      .optional(),
    /** The label column: never profiled as a feature. */
    target: Column.optional(),
    /** The prediction column: profiled like a feature, reported apart. */
    prediction: Column.optional(),
  })
  .meta({ id: 'Baseline' });
export type BaselineBody = z.infer<typeof BaselineBody>;

/** `rate(<n> minute[s]|hour[s]|day[s])`, as EventBridge writes it. */
export const Schedule = z
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
  .default('rate(1 day)');

export const scheduleSeconds = (schedule: string): number => {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!match) return Number.NaN;
  const unit = { minute: 60, hour: 3600, day: 86_400 }[match[2] as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * unit;
};

export const MonitoringBody = z
  .strictObject({
    capture: z.strictObject({ uri: Uri, format: z.enum(['sagemaker-capture', 'jsonl', 'csv']) }),
    schedule: Schedule,
    thresholds: DriftThresholds.optional(),
    /** The alarm on the drifted share fires at or above this share of drifted features. */
    alarmThreshold: z.number().gt(0).max(1).default(0.3),
    /** Labels that arrive later (SageMaker ground-truth JSONL), joined by inference id. */
    groundTruth: z
      .strictObject({
        uri: Uri,
        task: z.enum(['binary', 'multiclass', 'regression']),
        positiveLabel: z.union([z.string(), z.number()]).optional(),
      })
      .optional(),
  })
  .meta({ id: 'Monitoring' });
export type MonitoringBody = z.infer<typeof MonitoringBody>;

export const DriftRunBody = z
  .strictObject({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
  .refine((b) => !b.from || !b.to || b.from < b.to, { message: 'from is before to', path: ['from'] })
  .meta({ id: 'DriftRun' });

export const ListRunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2048).optional(),
});

/** A drift run of a deployment: its id, or `latest` for the newest run. */
export const DriftRunPath = z.strictObject({
  id: z.string().regex(/^dep-[0-9a-f]{24}$/, 'a deployment id'),
  run: z.union([z.literal('latest'), z.string().regex(/^run-[0-9a-f]{16}$/, 'a drift run id, or latest')]),
});

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
