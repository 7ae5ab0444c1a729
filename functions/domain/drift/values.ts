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
export const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
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
