import * as z from 'zod';
import { doc } from '../names.ts';
import { schema } from '../schema.ts';

/**
 * When a feature counts as drifted. A feature is drifted when any enabled rule holds:
 * psi >= `psi`; jsDistance (natural log) >= `jsDistance`; ksPValue < `ksPValue` (per test);
 * chiSquarePValue < `chiSquarePValue` (per test); and, only when set, wassersteinNorm >=
 * `wassersteinNorm`, missingShare >= `missingShare`, outOfRangeShare >= `outOfRangeShare`.
 * With `bonferroni`, each p-value is compared with its level divided by the number of p-value
 * tests in the report (features and prediction that have a KS or chi-square p-value).
 */
export const DriftThresholds = /* @__PURE__ */ schema(() =>
  z
    .object({
      psi: z
        .number()
        .positive()
        .default(0.2)
        .meta(
          doc(
            'Population Stability Index at or above which a feature drifts (0.1 is a small shift, 0.2 a large one).',
            0.2,
          ),
        ),
      jsDistance: z
        .number()
        .positive()
        .default(0.1)
        .meta(
          doc('Jensen-Shannon distance (natural log, 0 to 0.83) at or above which a feature drifts.', 0.1),
        ),
      ksPValue: z
        .number()
        .gt(0)
        .lt(1)
        .default(0.05)
        .meta(doc('Numeric features: a Kolmogorov-Smirnov p-value below it means drift.', 0.05)),
      chiSquarePValue: z
        .number()
        .gt(0)
        .lt(1)
        .default(0.05)
        .meta(doc('Categorical features: a chi-square p-value below it means drift.', 0.05)),
      bonferroni: z
        .boolean()
        .default(false)
        .meta(doc('Divide each p-value level by the number of tests in the report (fewer false alarms).')),
      wassersteinNorm: z
        .number()
        .positive()
        .optional()
        .meta(
          doc(
            'If set: the Wasserstein distance divided by the baseline standard deviation, at or above which a feature drifts.',
          ),
        ),
      missingShare: z
        .number()
        .gt(0)
        .max(1)
        .optional()
        .meta(doc('If set: the share of missing values at or above which a feature drifts.', 0.1)),
      outOfRangeShare: z
        .number()
        .gt(0)
        .max(1)
        .optional()
        .meta(
          doc('If set: the share of values outside the baseline range at or above which a feature drifts.'),
        ),
    })
    .strict()
    .meta(
      doc(
        'When a feature counts as drifted: any enabled rule that holds. Defaults apply to what is left out.',
      ),
    ),
);

export type DriftThresholds = z.output<typeof DriftThresholds>;
export type DriftThresholdsInput = z.input<typeof DriftThresholds>;

/** Thresholds with the defaults filled in; throws a ZodError on invalid input. */
export const resolveThresholds = (input: DriftThresholdsInput = {}): DriftThresholds =>
  DriftThresholds.parse(input);

/** The p-value level of one test: the level, or the level / tests under Bonferroni. */
export const testLevel = (level: number, thresholds: DriftThresholds, tests: number): number =>
  thresholds.bonferroni && tests > 1 ? level / tests : level;
