/**
 * How raw cell values (from JSON Lines, CSV or SageMaker capture) are read.
 *
 * - missing: `null`, `undefined`, `NaN`, and strings that are empty after trimming;
 * - numeric: a finite JavaScript number, or a string holding a decimal number
 *   (`[+-]digits[.digits][e[+-]digits]`, surrounding white space ignored); for a numeric feature
 *   any other present value (text, booleans, +/-Infinity) is counted as missing;
 * - category key: strings as they are, numbers by `String(n)`, booleans as `true`/`false`,
 *   anything else by its JSON text.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export const isMissing = (value: unknown): boolean =>
  value === null ||
  value === undefined ||
  (typeof value === 'number' && Number.isNaN(value)) ||
  (typeof value === 'string' && value.trim() === '');

/** The value as a finite number, or undefined when it is missing or does not read as one. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `text` (no surrounding white space) read as DECIMAL, by hand: the drift job reads every cell
 * through here, and this costs a fraction of trim + RegExp + Number. NaN when it is not DECIMAL.
 * Up to 15 significant digits and a decimal exponent within 22, the value is the integer of its
 * digits times or divided by an exact power of ten: one correctly rounded operation on exact
 * operands, so exactly Number(text) (Clinger's fast path); otherwise Number(text) itself.
 */
const parseDecimal = (text: string): number => {
  const n = text.length;
  let i = 0;
  // Every read is within the text (-1 past its end): a read past the end deoptimised the loops.
  let c = n > 0 ? text.charCodeAt(0) : -1;
  const negative = c === 45;
  if (c === 43 || c === 45) c = ++i < n ? text.charCodeAt(i) : -1; // + -
  let digits = 0;
  let significant = 0;
  let mantissa = 0;
  let scale = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    if (significant > 0 || c !== 48) significant++;
    mantissa = mantissa * 10 + (c - 48);
    c = ++i < n ? text.charCodeAt(i) : -1;
  }
  if (c === 46) {
    // .
    c = ++i < n ? text.charCodeAt(i) : -1;
    while (c >= 48 && c <= 57) {
      digits++;
      if (significant > 0 || c !== 48) significant++;
      mantissa = mantissa * 10 + (c - 48);
      scale--;
      c = ++i < n ? text.charCodeAt(i) : -1;
    }
  }
  if (digits === 0) return Number.NaN;
  if (c === 101 || c === 69) {
    // e E
    c = ++i < n ? text.charCodeAt(i) : -1;
    const minus = c === 45;
    if (c === 43 || c === 45) c = ++i < n ? text.charCodeAt(i) : -1;
    let exponentDigits = 0;
    let exponent = 0;
    while (c >= 48 && c <= 57) {
      exponentDigits++;
      if (exponent < 1e6) exponent = exponent * 10 + (c - 48);
      c = ++i < n ? text.charCodeAt(i) : -1;
    }
    if (exponentDigits === 0) return Number.NaN;
    scale += minus ? -exponent : exponent;
  }
  if (i !== n) return Number.NaN;
  if (significant > 15 || scale < -22 || scale > 22) return Number(text);
  const value = scale < 0 ? mantissa / POWERS_OF_TEN[-scale]! : mantissa * POWERS_OF_TEN[scale]!;
  return negative ? -value : value;
};

/** Code units that may be white space to trim (all of JavaScript's are space or above 127, or tab to CR). */
const mayBeSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c > 127;

export const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const last = value.length - 1;
    if (last >= 0 && !mayBeSpace(value.charCodeAt(0)) && !mayBeSpace(value.charCodeAt(last))) {
      const n = parseDecimal(value);
      return Number.isFinite(n) ? n : undefined;
    }
    const text = value.trim();
    if (!DECIMAL.test(text)) return undefined;
    const n = Number(text);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
};

/** The value's category key; call only for values that are not missing. */
export const categoryKey = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? String(value);
};
