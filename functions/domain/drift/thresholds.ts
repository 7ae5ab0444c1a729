import * as z from 'zod';

/**
 * When a feature counts as drifted. A feature is drifted when any enabled rule holds:
 * psi >= `psi`; jsDistance (natural log) >= `jsDistance`; ksPValue < `ksPValue` (per test);
 * chiSquarePValue < `chiSquarePValue` (per test); and, only when set, wassersteinNorm >=
 * `wassersteinNorm`, missingShare >= `missingShare`, outOfRangeShare >= `outOfRangeShare`.
 * With `bonferroni`, each p-value is compared with its level divided by the number of p-value
 * tests in the report (features and prediction that have a KS or chi-square p-value).
 */
export const DriftThresholds = z
  .object({
    psi: z.number().positive().default(0.2),
    jsDistance: z.number().positive().default(0.1),
    ksPValue: z.number().gt(0).lt(1).default(0.05),
    chiSquarePValue: z.number().gt(0).lt(1).default(0.05),
    bonferroni: z.boolean().default(false),
    wassersteinNorm: z.number().positive().optional(),
    missingShare: z.number().gt(0).max(1).optional(),
    outOfRangeShare: z.number().gt(0).max(1).optional(),
  })
  .strict();

export type DriftThresholds = z.output<typeof DriftThresholds>;
export type DriftThresholdsInput = z.input<typeof DriftThresholds>;

/** Thresholds with the defaults filled in; throws a ZodError on invalid input. */
export const resolveThresholds = (input: DriftThresholdsInput = {}): DriftThresholds =>
  DriftThresholds.parse(input);

/** The p-value level of one test: the level, or the level / tests under Bonferroni. */
export const testLevel = (level: number, thresholds: DriftThresholds, tests: number): number =>
  thresholds.bonferroni && tests > 1 ? level / tests : level;
