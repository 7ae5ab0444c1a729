/**
 * Kolmogorov-Smirnov distributions, ported from scipy: `kolmognSf(n, x)` is
 * `scipy.stats.kstwo.sf(x, n)` (scipy/stats/_ksstats.py, Simard and L'Ecuyer's choice of method:
 * Ruben-Gambino, Durbin-Marsaglia-Tsang-Wang matrix, Pomeranz, Pelz-Good, or twice Smirnov's
 * one-sided distribution), and `smirnovSf(n, x)` is `scipy.special.smirnov(n, x)` (cephes
 * kolmogorov.c; scipy sums in double-double, here the terms are formed from exactly split
 * arguments in log space, which agrees to about 1e-12 relative).
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const MIN_LOG = -708;
const CEPHES_MINLOG = -745.1332191019412;
const DBL_EPSILON = 2.220446049250313e-16;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;

const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clip = (p: number): number => (p < 0 ? 0 : Math.min(p, 1));

/** x * 2^e without intermediate overflow or underflow. */
export const ldexp = (x: number, e: number): number => {
  let value = x;
  let exponent = e;
  while (exponent > 1000) {
    value *= 2 ** 1000;
    exponent -= 1000;
  }
  while (exponent < -1000) {
    value *= 2 ** -1000;
    exponent += 1000;
  }
  return value * 2 ** exponent;
};

const polyval = (coefficients: readonly number[], x: number): number => {
  let p = 0;
  for (const c of coefficients) p = p * x + c;
  return p;
};

/** log(n! / n^n) by Stirling's series. */
const logNFactorialDivNPowN = (n: number): number => {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING_COEFFS, rn / n);
};

const matmul = (a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> => {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return out;
};

/** Pr(D_n <= d) by the Durbin matrix algorithm as Marsaglia, Tsang and Wang compute it. */
const kolmognDMTW = (n: number, d: number): number => {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1]! *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let power = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  while (nn > 0) {
    if (nn % 2) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128;
      hExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  if (exponent !== 0) p = ldexp(p, exponent);
  return clip(p);
};

/** Python's slice semantics a[start:stop] on a typed array. */
const pySlice = (a: Float64Array, start: number, stop: number): Float64Array => {
  const len = a.length;
  const norm = (i: number): number => (i < 0 ? Math.max(0, i + len) : Math.min(i, len));
  const s = norm(start);
  const e = norm(stop);
  return a.slice(s, Math.max(s, e));
};

const convolve = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    for (let j = 0; j < b.length; j++) out[i + j]! += ai * b[j]!;
  }
  return out;
};

const pomeranzJ1J2 = (i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] => {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
};

/** Pr(D_n <= x) by Pomeranz's recursion. */
const kolmognPomeranz = (n: number, x: number): number => {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let exponent = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const conv = convolve(pySlice(V0, k1 - V0s, k1 - V0s + ln2), pySlice(pwrs, 0, ln2));
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      const piece = pySlice(conv, convStart, convStart + convLen);
      const target = Math.min(Math.max(convLen, 0), npwrs);
      if (piece.length === target) V1.set(piece, 0);
      else if (piece.length === 1) V1.fill(piece[0]!, 0, target);
      else throw new Error('Pomeranz recursion: shapes do not match');
      let max = Number.NEGATIVE_INFINITY;
      for (const value of V1) if (value > max) max = value;
      if (max > 0 && max < EM128) {
        for (let j = 0; j < V1.length; j++) V1[j]! *= E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  const index = n - V1s;
  let answer = V1[index < 0 ? index + npwrs : index]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m;
  }
  if (exponent !== 0) answer = ldexp(answer, exponent);
  return clip(answer);
};

/** The Pelz-Good approximation to Pr(D_n <= x). */
const kolmognPelzGood = (n: number, x: number): number => {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qp;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2]! += k2extra * ((PI2 * SQRT_2PI) / (-36 * z3));
  K[3]! += k3extra * ((PI2 * SQRT_2PI) / (216 * z6));
  let total = 0;
  for (let i = 0; i < 4; i++) total += K[i]! / n ** (i / 2);
  return total;
};

/**
 * Pr(D_n >= x) for the two-sided one-sample statistic: `scipy.stats.kstwo.sf(x, n)` (the
 * distribution `ks_2samp` uses asymptotically, with n = round(n1 n2 / (n1 + n2))).
 */
export const kolmognSf = (n: number, x: number): number => {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip(1 - kolmognDMTW(n, x));
    if (nxsquared <= 4) return clip(1 - kolmognPomeranz(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxsquared >= 370) return 0;
  if (nxsquared >= 2.2) return clip(2 * smirnovSf(n, x));
  let cdf: number;
  if (nxsquared >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmognDMTW(n, x);
  else cdf = kolmognPelzGood(n, x);
  return clip(1 - cdf);
};

/** Veltkamp split and Dekker's exact product: a * b = hi + lo exactly. */
const twoProduct = (a: number, b: number): [number, number] => {
  const p = a * b;
  const ca = 134217729 * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = 134217729 * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
};

/** floor(n x) and the fractional part n x - floor(n x), computed from the exact product. */
const modNX = (n: number, x: number): { floor: number; alpha: number } => {
  const [hi, lo] = twoProduct(n, x);
  let floor: number;
  let alpha: number;
  const fh = Math.floor(hi);
  if (fh === hi) {
    const fl = Math.floor(lo);
    floor = fh + fl;
    alpha = lo - fl;
  } else {
    floor = fh;
    alpha = hi - fh + lo;
  }
  if (alpha >= 1) {
    floor += 1;
    alpha = 0;
  }
  if (alpha < 0) alpha = 0;
  return { floor, alpha };
};

/**
 * Smirnov's one-sided distribution: Pr(D_n^+ >= x) (`scipy.special.smirnov(n, x)`), by the
 * Birnbaum-Tingey sum x * sum_v C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), or its upper form
 * where scipy uses it.
 */
export const smirnovSf = (n: number, x: number): number => {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxfl, alpha } = modNX(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return clip(1 - x * (1 + x) ** (n - 1));
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return clip((1 - x) ** n);
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  const nUpperTerms = n - n1mxceil + 1;
  const useUpper = (nUpperTerms <= 1 && x < 0.5) || (n >= 10 && nUpperTerms <= 3 && x <= 0.5 / Math.sqrt(n));
  if (useUpper) {
    // cdf = x * sum over v = n, n-1, ..., n1mxceil of the (alternating) terms.
    let total = 0;
    let binomial = 1;
    for (let j = 0; j < nUpperTerms; j++) {
      const v = n - j;
      const t2 = (n - nxfl - v - alpha) / n; // 1 - x - v/n, negative here
      const t1 = (nxfl + v + alpha) / n; // x + v/n
      total += binomial * t1 ** (v - 1) * t2 ** (n - v);
      binomial = (binomial * (n - j)) / (j + 1);
    }
    return clip(1 - x * total);
  }
  // Lower sum over v = 0..n1mxfl; every term is positive and x * term <= 1.
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  let total = (1 - x) ** n / x;
  let logBinomial = 0;
  for (let j = 1; j < nTerms; j++) {
    logBinomial += Math.log((n - (j - 1)) / j);
    const base2 = (n - nxfl - j - alpha) / n; // 1 - x - j/n
    const base1 = (nxfl + j + alpha) / n; // x + j/n
    const logTerm = logBinomial + (n - j) * Math.log(base2) + (j - 1) * Math.log(base1);
    const term = Math.exp(logTerm);
    if (term > 0 && Number.isFinite(term)) {
      total += term;
      if (4 * (nTerms - j) * term < DBL_EPSILON * total && j !== nTerms - 1) break;
    } else if (j > vmid) break;
  }
  return clip(x * total);
};
