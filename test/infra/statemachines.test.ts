import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const folder = new URL('../../statemachines/', import.meta.url);
const files = readdirSync(folder).filter((name) => name.endsWith('.asl.json'));

/** As deployed: every `${Name}` replaced, here by a Lambda function ARN of that name. */
const substituted = (text: string): unknown =>
  JSON.parse(
    text.replace(
      /\$\{([A-Za-z0-9_]+)\}/g,
      (_whole, name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    ),
  );

const verdict = (definition: unknown) =>
  aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });

describe('state machine definitions (statemachines/*.asl.json)', () => {
  it('include the approval, deployment and drift workflows', () => {
    expect(files).toContain('approval.asl.json');
    expect(files).toContain('deployment.asl.json');
    expect(files).toContain('drift.asl.json');
  });

  it.each(files)('%s passes asl-validator, paths and ARNs checked, and is JSONPath only', (file) => {
    const text = readFileSync(new URL(file, folder), 'utf8');
    const definition = substituted(text) as Record<string, unknown>;

    const { isValid, errorsText } = verdict(definition);

    expect(errorsText('; '), file).toBe('');
    expect(isValid).toBe(true);
    expect(definition['QueryLanguage'] ?? 'JSONPath').toBe('JSONPath');
    // Every `${` opened a `${Name}` placeholder, so substitution leaves none behind.
    expect(JSON.stringify(definition)).not.toContain('${');
  });

  it('asl-validator refuses a definition whose StartAt names no state', () => {
    const definition = substituted(readFileSync(new URL('approval.asl.json', folder), 'utf8')) as Record<
      string,
      unknown
    >;

    const { isValid } = verdict({ ...definition, StartAt: 'NoSuchState' });

    expect(isValid).toBe(false);
  });
});
