import { chi2Sf } from './special.ts';

export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Chi-square test of homogeneity on the 2 x K table [reference counts; current counts], as
 * `scipy.stats.chi2_contingency(table, correction=False)`: expected = row total * column total /
 * grand total, statistic = sum (observed - expected)^2 / expected, dof = K - 1, p = chi2.sf.
 * Columns must have a positive total (a category seen on neither side is not a column, so no
 * expected count is 0 and the statistic is always finite); both rows must have a positive total.
 * With one column (dof 0) the result is scipy's degenerate case: statistic 0, p 1.
 */
export const chi2Homogeneity = (reference: ArrayLike<number>, current: ArrayLike<number>): Chi2Result => {
  const k = reference.length;
  if (current.length !== k) throw new RangeError('the two rows must have the same categories');
  let r0 = 0;
  let r1 = 0;
  for (let j = 0; j < k; j++) {
    r0 += reference[j]!;
    r1 += current[j]!;
  }
  if (!(r0 > 0 && r1 > 0)) throw new RangeError('both rows of the table need a positive total');
  const total = r0 + r1;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  let statistic = 0;
  for (let j = 0; j < k; j++) {
    const column = reference[j]! + current[j]!;
    if (!(column > 0)) throw new RangeError('every category needs a positive total');
    const e0 = (r0 * column) / total;
    const e1 = (r1 * column) / total;
    statistic += (reference[j]! - e0) ** 2 / e0 + (current[j]! - e1) ** 2 / e1;
  }
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
};
