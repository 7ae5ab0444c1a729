import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { input } from '#commons/http';
import { VerifyQuery } from '#domain/audit-query';

const problems = (schema: z.ZodType, value: unknown): unknown => {
  try {
    input(schema, value, 'query');
  } catch (error) {
    return (error as { errors?: unknown }).errors;
  }
  throw new Error('the input was accepted');
};

describe('input: a 400 names the field and says what it needs', () => {
  it('says an absent field is required, for a plain field and for a union alike', () => {
    expect(problems(z.strictObject({ name: z.string() }), {})).toEqual([
      { path: 'query.name', message: 'required: a string' },
    ]);
    // GET /v1/audit/verify without ?model= used to answer zod's bare "Invalid input".
    expect(problems(VerifyQuery, {})).toEqual([{ path: 'query.model', message: 'required' }]);
  });

  it('says what each branch of a union wanted when none took the value', () => {
    const [problem] = problems(VerifyQuery, { model: 'not a name!' }) as { path: string; message: string }[];
    expect(problem!.path).toBe('query.model');
    expect(problem!.message).toContain('a model name is 1-128 characters');
    expect(problem!.message).toContain('expected "_system"');
    expect(problem!.message).toContain('an attempts chain is _attempts or _attempts:<model>');
    expect(problem!.message).not.toMatch(/^Invalid input/);
  });
});
