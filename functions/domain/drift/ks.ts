import { kolmognSf } from './kolmogorov.ts';

/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, as `scipy.stats.ks_2samp(a, b)` with
 * method 'auto' (scipy/stats/_stats_py.py):
 * - D = max |F1 - F2| over the pooled values, with F = searchsorted(sorted, pooled, 'right') / n;
 * - 'auto' is exact when max(n1, n2) <= 10,000 (`MAX_AUTO_N`): h = round(D * lcm(n1, n2)),
 *   D = h / lcm, p by `_compute_prob_outside_square` when n1 == n2, otherwise by
 *   `_compute_outer_prob_inside_method` (Hodges' lattice paths, Viehmann's recursion);
 *   an exact p outside [0, 1] or not finite falls back, as scipy's does, to the asymptotic p;
 * - asymptotic: p = kstwo.sf(D, round(n1 n2 / (n1 + n2))).
 * The p-value is clipped to [0, 1]. Checked against Debian bookworm's scipy 1.10.1 (the golden
 * fixtures). Only the two-sided test is implemented (scipy's `_count_paths_outside_method` serves
 * the one-sided ones).
 */

/** scipy's `MAX_AUTO_N`: 'auto' is exact when max(n1, n2) <= this. */
export const MAX_AUTO_N = 10_000;

export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

const gcd = (a: number, b: number): number => {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
};

/** numpy's round half to even. */
export const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The KS statistic over ascending samples, exactly as scipy forms it (D = max of max and -min). */
export const ksStatistic = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = Number.NEGATIVE_INFINITY;
  let minS = Number.POSITIVE_INFINITY;
  // Visit every distinct pooled value x; after it, i and j count the values <= x.
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minSClipped = Math.min(1, Math.max(0, -minS));
  return Math.max(minSClipped, maxS);
};

/** Pr(D_{n,n} >= h/n): scipy's `_compute_prob_outside_square`. */
export const probOutsideSquare = (n: number, h: number): number => {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
};

/** The share of lattice paths not staying strictly inside |x/m - y/n| < h/lcm: scipy's pythran code. */
export const outerProbInsideMethod = (m0: number, n0: number, g: number, h: number): number => {
  let m = m0;
  let n = n0;
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(lenA, maxj - minj + (lastlen - curlen)));
  }
  return A[maxj - minj - 1]!;
};

/** Two-sided two-sample KS test on ascending samples (both non-empty). */
export const ks2Samp = (a: ArrayLike<number>, b: ArrayLike<number>): KsResult => {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks_2samp needs two non-empty samples');
  let d = ksStatistic(a, b);
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const g = gcd(n1, n2);
    const lcm = Math.floor(n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1)
      return { statistic: d, pValue: prob, method: 'exact' };
  }
  return { statistic: d, pValue: ksAsymptoticP(d, n1, n2), method: 'asymp' };
};

/** scipy's asymptotic two-sided p: kstwo.sf(D, round(n1 n2 / (n1 + n2))), clipped to [0, 1]. */
export const ksAsymptoticP = (d: number, n1: number, n2: number): number => {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmognSf(roundHalfEven(en), d);
  return Math.min(1, Math.max(0, p));
};
