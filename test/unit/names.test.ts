import { describe, expect, it } from 'vitest';
import { AliasName, ModelName } from '#domain/names';

describe('model names', () => {
  it.each(['churn', 'Churn-2.v1_x', '0model', 'a'.repeat(128)])('accepts %s', (name) => {
    expect(ModelName.safeParse(name).success).toBe(true);
  });

  it.each([
    ['chаrn', 'look-alike Cyrillic a', 'plain ASCII'],
    ['churn\u0000', 'NUL', 'control characters'],
    ['ch\nurn', 'newline', 'control characters'],
    ['team/churn', 'slash', 'path separators'],
    ['team\\churn', 'backslash', 'path separators'],
    ['.hidden', 'leading dot', 'starts with a letter or digit'],
    ['', 'empty', '1-128'],
    ['a'.repeat(129), 'too long', '1-128'],
    ['caf\u00e9', 'accented letter', 'plain ASCII'],
  ])('rejects %j (%s) saying why', (name, _why, message) => {
    const parsed = ModelName.safeParse(name);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(message);
  });
});

describe('alias names', () => {
  it('accepts lower-case names', () => {
    expect(AliasName.safeParse('champion').success).toBe(true);
    expect(AliasName.safeParse('shadow_2-b').success).toBe(true);
  });

  it.each([
    ['42', 'an integer'],
    ['Champion', 'a-z 0-9'],
    ['a'.repeat(65), 'a-z 0-9'],
    ['chаmpion', 'plain ASCII'],
  ])('rejects %j', (alias, message) => {
    const parsed = AliasName.safeParse(alias);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(message);
  });
});
