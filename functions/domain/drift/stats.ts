/**
 * Distribution statistics, written to reproduce numpy/scipy operation by operation.
 */

/** Shares of an empty bin or category are replaced by this value in PSI (and only in PSI). */
export const PSI_EPSILON = 1e-4;

/** The deciles used as interior bin edges: q = k / 10 for k = 1..9. */
export const DECILES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => k / 10);

/**
 * A quantile of ascending values, as `numpy.quantile(values, q)` with the default 'linear' method:
 * virtual index (n - 1) * q, then numpy's `_lerp` (a + (b - a) * t, or b - (b - a) * (1 - t) when
 * t >= 0.5), the last value when the index reaches n - 1.
 */
export const quantileLinear = (sorted: ArrayLike<number>, q: number): number => {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of no values');
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  if (virtual < 0) return sorted[0]!;
  const previous = Math.floor(virtual);
  const gamma = virtual - previous;
  const a = sorted[previous]!;
  const b = sorted[previous + 1]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
};

/** The 9 interior bin edges: the deciles of the ascending reference values. */
export const decileEdges = (sorted: ArrayLike<number>): number[] =>
  DECILES.map((q) => quantileLinear(sorted, q));

/**
 * The bin of a value: the number of edges <= value (`numpy.searchsorted(edges, x, side='right')`).
 * Bins are closed on the left, the first and last are open-ended: with 9 edges, bins 0..9.
 */
export const binIndex = (edges: ArrayLike<number>, value: number): number => {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** Index of the first element > value in ascending values (`searchsorted(..., side='right')`). */
export const upperBound = (sorted: ArrayLike<number>, value: number, from = 0): number => {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** A compensated (Neumaier) sum: at least as accurate as numpy's pairwise summation. */
export const sum = (values: ArrayLike<number>): number => {
  let total = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const t = total + x;
    compensation += Math.abs(total) >= Math.abs(x) ? total - t + x : x - t + total;
    total = t;
  }
  return total + compensation;
};

/** Counts to shares (count / total); all zero when the total is zero. */
export const shares = (counts: ArrayLike<number>): number[] => {
  const total = sum(counts);
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
};

/**
 * Population stability index of the current counts against the reference counts, over the same
 * bins or categories: sum over i of (c_i - r_i) * ln(c_i / r_i), where r_i and c_i are shares and
 * a share of exactly 0 (on either side) is replaced by `PSI_EPSILON` (no renormalisation).
 * A bin empty on both sides contributes 0.
 */
export const psi = (
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  epsilon = PSI_EPSILON,
): number => {
  const r = shares(referenceCounts);
  const c = shares(currentCounts);
  let total = 0;
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] === 0 ? epsilon : r[i]!;
    const ci = c[i] === 0 ? epsilon : c[i]!;
    total += (ci - ri) * Math.log(ci / ri);
  }
  return total;
};

const relEntr = (x: number, y: number): number => {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
};

/**
 * Jensen-Shannon distance between two count vectors, as
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: normalise both, m = (p + q) / 2,
 * sqrt((sum rel_entr(p, m) + sum rel_entr(q, m)) / ln(base) / 2). No epsilon: empty bins add 0.
 * A rounding residue below zero (identical inputs) is returned as 0 rather than NaN.
 */
export const jensenShannon = (p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number => {
  const sp = sum(p);
  const sq = sum(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const mi = (pi + qi) / 2;
    left += relEntr(pi, mi);
    right += relEntr(qi, mi);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
};

/**
 * The first Wasserstein distance between two empirical distributions given as ascending values,
 * as `scipy.stats.wasserstein_distance(u, v)`: the integral of |U - V| over the merged values.
 */
export const wasserstein = (u: ArrayLike<number>, v: ArrayLike<number>): number => {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError('wasserstein distance of an empty sample');
  let pu = 0;
  let pv = 0;
  const nextMerged = (): number => (pv >= nv || (pu < nu && u[pu]! <= v[pv]!) ? u[pu++]! : v[pv++]!);
  // At each merged value x but the last, the CDFs are the shares of values <= x, and the step to
  // the next merged value is the width of the interval.
  let iu = 0;
  let iv = 0;
  let x = nextMerged();
  let total = 0;
  for (let k = 0; k < nu + nv - 1; k++) {
    const next = nextMerged();
    while (iu < nu && u[iu]! <= x) iu++;
    while (iv < nv && v[iv]! <= x) iv++;
    total += Math.abs(iu / nu - iv / nv) * (next - x);
    x = next;
  }
  return total;
};

/** Mean and population standard deviation (numpy `std`, ddof = 0), two passes. */
export const meanAndStd = (values: ArrayLike<number>): { mean: number; std: number } => {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0 };
  const mean = sum(values) / n;
  const squares = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    squares[i] = d * d;
  }
  return { mean, std: Math.sqrt(sum(squares) / n) };
};
