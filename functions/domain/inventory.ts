import * as z from 'zod';
import { schema } from './schema.ts';

/**
 * The model inventory as CSV (RFC 4180): fields with a comma, a quote or a line break are quoted,
 * quotes doubled, lines end in CRLF. A leading =, +, - or @ would make a spreadsheet run the cell
 * as a formula, so such a cell is prefixed with a single quote (OWASP's CSV injection advice).
 */
export const INVENTORY_COLUMNS = [
  'name',
  'owner',
  'purpose',
  'riskTier',
  'versions',
  'deployed',
  'lastApproval',
  'lastDriftStatus',
  'health',
  'validityEnd',
  'updatedAt',
] as const;

export type InventoryRow = Record<(typeof INVENTORY_COLUMNS)[number], string | number | undefined>;

export const csvField = (value: string | number | undefined): string => {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const toCsv = (rows: InventoryRow[]): string =>
  [
    INVENTORY_COLUMNS.join(','),
    ...rows.map((row) => INVENTORY_COLUMNS.map((c) => csvField(row[c])).join(',')),
  ]
    .map((line) => `${line}\r\n`)
    .join('');

export const InventoryQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    format: z.enum(['json', 'csv']).optional().meta({
      description: 'json or csv. Without it, `Accept: text/csv` gives CSV and anything else JSON.',
      example: 'csv',
    }),
  }),
);
