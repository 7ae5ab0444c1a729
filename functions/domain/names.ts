import * as z from 'zod';
import { schema } from './schema.ts';

/**
 * Names that end up in keys, S3 object keys, ARNs and URLs. Only plain ASCII is accepted, so a
 * look-alike letter from another script, a control character or a path separator can never make
 * two names that read the same or escape their place. The messages say which rule was broken.
 */
const NON_ASCII = /[^\x20-\x7e]/;
const CONTROL = /\p{Cc}/u;

const explain = (value: string, what: string): string | undefined => {
  if (CONTROL.test(value)) return `${what} must not contain control characters`;
  if (NON_ASCII.test(value)) return `${what} must be plain ASCII (no look-alike or accented letters)`;
  if (value.includes('/') || value.includes('\\')) return `${what} must not contain path separators`;
  return undefined;
};

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ALIAS_NAME = /^[a-z0-9_-]{1,64}$/;
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const ModelName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .superRefine((value, ctx) => {
      const special = explain(value, 'a model name');
      if (special) ctx.addIssue({ code: 'custom', message: special });
      else if (!MODEL_NAME.test(value))
        ctx.addIssue({
          code: 'custom',
          message: 'a model name is 1-128 characters of A-Z a-z 0-9 . _ - and starts with a letter or digit',
        });
    })
    .meta({
      description:
        'The model name: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit. Never changes.',
      example: 'churn-scorer',
    }),
);

export const AliasName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .superRefine((value, ctx) => {
      const special = explain(value, 'an alias');
      if (special) ctx.addIssue({ code: 'custom', message: special });
      else if (!ALIAS_NAME.test(value))
        ctx.addIssue({ code: 'custom', message: 'an alias is 1-64 characters of a-z 0-9 _ -' });
      else if (/^\d+$/.test(value))
        ctx.addIssue({
          code: 'custom',
          message: 'an alias must not be an integer (it would read as a version)',
        });
    })
    .meta({
      description: 'An alias: a movable name for one version (1-64 of a-z 0-9 _ -, never an integer).',
      example: 'champion',
    }),
);

export const EnvironmentName = /* @__PURE__ */ schema(() =>
  z
    .string()
    .superRefine((value, ctx) => {
      const special = explain(value, 'an environment name');
      if (special) ctx.addIssue({ code: 'custom', message: special });
      else if (!ENVIRONMENT_NAME.test(value))
        ctx.addIssue({ code: 'custom', message: 'an environment name is 1-32 characters of a-z 0-9 - ' });
    })
    .meta({
      description:
        'An environment (dev, staging, prod, ...): its policy says who approves and how deployments go.',
      example: 'prod',
    }),
);

/** A version number in a path: a positive integer written without sign or leading zeros. */
export const VersionNumber = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'a version is a positive integer')
    .transform(Number)
    .meta({ description: 'The version number: 1, 2, 3 ... in the order of registration.', example: '3' }),
);

/** Free text shown to people: no control characters except newline and tab. */
export const Text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[^\P{Cc}\n\t]/u.test(v), 'must not contain control characters');

/** Invisible format characters: bidi overrides and isolates, zero-width joiners and spaces. */
export const INVISIBLE = /\p{Cf}/u;

/**
 * A short label (file name, tag key, param name), which may become part of an S3 or table key:
 * printable, no path separators, not a dot segment (`.` or `..`), no invisible format characters
 * (a bidi override makes `exe.bin` read as `nib.exe`), and in Unicode NFC, so two labels that look
 * the same are the same string.
 */
export const Label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters')
    .refine((v) => !v.includes('/') && !v.includes('\\'), 'must not contain path separators')
    .refine((v) => v !== '.' && v !== '..', 'must not be a dot segment (. or ..)')
    .refine((v) => !INVISIBLE.test(v), 'must not contain invisible or bidi control characters')
    .refine((v) => v === v.normalize('NFC'), 'must be in Unicode normalization form C (NFC)');

export const Tags = /* @__PURE__ */ schema(() =>
  z
    .record(Label(128), Text(256))
    .refine((tags) => Object.keys(tags).length <= 50, 'at most 50 tags')
    .meta({
      description: 'Free-form labels, key to value: at most 50, keys up to 128 characters, values up to 256.',
      example: { team: 'growth', domain: 'churn' },
    }),
);

/** OpenAPI prose for a schema: `.meta(doc('what it means', example))`, written once beside it. */
export const doc = (description: string, example?: unknown) =>
  example === undefined ? { description } : { description, example };

/** A list's page size and the cursor of the next page, the same on every list. */
export const Limit = /* @__PURE__ */ schema(() =>
  z.coerce.number().int().min(1).max(100).default(20).meta(doc('How many items to return, 1 to 100.', 20)),
);
export const Cursor = /* @__PURE__ */ schema(() =>
  z
    .string()
    .max(4096)
    .meta(
      doc('The `nextCursor` of the previous page, as it was given (opaque; an altered cursor gets a 400).'),
    ),
);
