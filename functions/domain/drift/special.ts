/**
 * Special functions for the p-values: log-gamma, the regularised upper incomplete gamma function
 * and the chi-square survival function. Relative accuracy about 1e-13 or better over the range a
 * drift report needs (degrees of freedom up to millions, any statistic).
 */

const LOG_SQRT_2PI = 0.9189385332046728;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

// Lanczos approximation, g = 7, n = 9 (relative error about 1e-15 for a > 0).
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/** Stirling's correction: lgamma(a) - ((a - 1/2) ln a - a + ln sqrt(2 pi)), for a >= 10. */
const stirlingCorrection = (a: number): number => {
  const r = 1 / a;
  const r2 = r * r;
  return (
    r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360))))))
  );
};

/** ln Gamma(a) for a > 0. */
export const logGamma = (a: number): number => {
  if (!(a > 0)) return Number.NaN;
  if (a >= 10) return (a - 0.5) * Math.log(a) - a + LOG_SQRT_2PI + stirlingCorrection(a);
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  const x = a - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (x + i);
  const t = x + 7.5;
  return LOG_SQRT_2PI + (x + 0.5) * Math.log(t) - t + Math.log(s);
};

/** log(1 + t) - t without cancellation for small t. */
export const log1pmx = (t: number): number => {
  if (Math.abs(t) > 0.5) return Math.log1p(t) - t;
  // -t^2/2 + t^3/3 - t^4/4 + ...
  let power = t * t;
  let total = 0;
  for (let k = 2; k < 200; k++) {
    const term = power / k;
    total += k % 2 === 0 ? -term : term;
    if (Math.abs(term) <= Math.abs(total) * EPS * 0.5) break;
    power *= t;
  }
  return total;
};

/** ln(x^a e^-x / Gamma(a)), accurate for large a through Stirling's form. */
const logGammaPrefactor = (a: number, x: number): number => {
  if (a < 10) return a * Math.log(x) - x - logGamma(a);
  return a * log1pmx((x - a) / a) + 0.5 * Math.log(a) - LOG_SQRT_2PI - stirlingCorrection(a);
};

/** P(a, x) by its power series (converges well for x < a + 1). */
const lowerSeries = (a: number, x: number): number => {
  let ap = a;
  let term = 1 / a;
  let total = term;
  const limit = 1000 + 20 * Math.ceil(Math.sqrt(a));
  for (let i = 0; i < limit; i++) {
    ap += 1;
    term *= x / ap;
    total += term;
    if (Math.abs(term) < Math.abs(total) * EPS) break;
  }
  return total * Math.exp(logGammaPrefactor(a, x));
};

/** Q(a, x) by its continued fraction, modified Lentz (converges well for x >= a + 1). */
const upperFraction = (a: number, x: number): number => {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  const limit = 1000 + 20 * Math.ceil(Math.sqrt(a));
  for (let i = 1; i < limit; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(logGammaPrefactor(a, x)) * h;
};

/** The regularised upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a). */
export const gammaQ = (a: number, x: number): number => {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < a + 1) return 1 - lowerSeries(a, x);
  return upperFraction(a, x);
};

/** The chi-square survival function with k degrees of freedom: Q(k / 2, x / 2) (scipy `chi2.sf`). */
export const chi2Sf = (x: number, k: number): number => {
  if (!(k > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return Math.min(1, Math.max(0, gammaQ(k / 2, x / 2)));
};
