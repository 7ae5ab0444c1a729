/**
 * Sums of doubles held exactly, so that shards summed apart and merged give the same figure, to
 * the last bit, as one pass over every value (floating-point addition is not associative; an
 * exact sum is).
 *
 * `ExactSum` keeps Shewchuk's non-overlapping partials (the algorithm of Python's `math.fsum`):
 * their sum is exactly the sum of the values added. `value()` rounds it correctly (half to even);
 * `canonical()` gives the unique greedy expansion of the exact sum (v1 = round(S), v2 =
 * round(S - v1), ...), so two summaries of the same multiset compare equal whatever the order.
 */

const twoSum = (a: number, b: number): [number, number] => {
  const hi = a + b;
  const bv = hi - a;
  const lo = a - (hi - bv) + (b - bv);
  return [hi, lo];
};

const SPLITTER = 134217729; // 2^27 + 1

/** a * b as hi + lo exactly (Dekker's product with Veltkamp's split); finite inputs well inside the range. */
export const twoProduct = (a: number, b: number): [number, number] => {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const lo = ah * bh - p + ah * bl + al * bh + al * bl;
  return [p, lo];
};

export class ExactSum {
  // The partials, smallest magnitude first, in a typed array (no boxing, no length changes).
  // Room for 32: growing it first in the middle of a drift run deoptimised the record loop.
  private partials = new Float64Array(32);
  private count = 0;

  /** Starts from the exact sum of `values` (an expansion, in any order). */
  constructor(values: readonly number[] = []) {
    for (const x of values) this.add(x);
  }

  add(value: number): void {
    const p = this.partials;
    const n = this.count;
    let x = value;
    let i = 0;
    for (let j = 0; j < n; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const swap = x;
        x = y;
        y = swap;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    if (i === p.length) {
      const grown = new Float64Array(p.length * 2);
      grown.set(p);
      this.partials = grown;
    }
    this.partials[i] = x;
    this.count = i + 1;
  }

  /** The partials (their sum is exactly the sum of the values added). */
  private expansion(): number[] {
    return Array.from(this.partials.subarray(0, this.count));
  }

  merge(other: ExactSum | readonly number[]): void {
    for (const x of Array.isArray(other) ? other : (other as ExactSum).expansion()) this.add(x);
  }

  /** The exact sum correctly rounded to a double (Python's `math.fsum`). */
  value(): number {
    const p = this.partials;
    let n = this.count;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      [hi, lo] = twoSum(x, y);
      if (lo !== 0) break;
    }
    // Half-way case: make the rounding of hi + lo agree with the partials below.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** The greedy expansion of the exact sum: the same for every order of the same values. */
  canonical(): number[] {
    const rest = new ExactSum(this.expansion());
    const out: number[] = [];
    for (let guard = 0; guard < 64; guard++) {
      const v = rest.value();
      if (v === 0) break;
      out.push(v);
      rest.add(-v);
    }
    return out;
  }
}

/** The exact sum of an expansion, correctly rounded. */
export const expansionValue = (partials: readonly number[]): number => new ExactSum(partials).value();

/**
 * Mean and population standard deviation (ddof 0) from the exact sums of x and of x*x (each x*x
 * rounded once, as numpy does): sum((x - mean)^2) = S2 - 2 mean S1 + n mean^2, computed exactly
 * with error-free products and rounded once.
 */
export const momentsOf = (
  count: number,
  sum: readonly number[],
  sumSquares: readonly number[],
): { mean: number; std: number } | undefined => {
  if (count === 0) return undefined;
  const mean = expansionValue(sum) / count;
  const deviations = new ExactSum(sumSquares);
  for (const part of sum) {
    const [hi, lo] = twoProduct(-2 * mean, part);
    deviations.add(hi);
    deviations.add(lo);
  }
  const [sh, sl] = twoProduct(mean, mean);
  for (const part of [sh, sl]) {
    const [hi, lo] = twoProduct(count, part);
    deviations.add(hi);
    deviations.add(lo);
  }
  return { mean, std: Math.sqrt(Math.max(0, deviations.value()) / count) };
};
