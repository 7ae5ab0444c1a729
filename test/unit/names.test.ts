import { describe, expect, it } from 'vitest';
import { AliasName, Label, ModelName } from '#domain/names';

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

describe('labels that become part of a key (issue 11, defect 4)', () => {
  const label = Label(255);
  it.each(['model.bin', 'weights.v2.tar.gz', 'caf\u00e9.bin', '.hidden', 'a..b'])('accepts %j', (name) => {
    expect(label.safeParse(name).success).toBe(true);
  });

  it.each([
    ['.', 'dot segment'],
    ['..', 'dot segment'],
    ['a/b', 'path separators'],
    ['a\\b', 'path separators'],
    ['a\u0000b', 'control characters'],
    ['exe\u202Enib.bin', 'bidi'],
    ['zero\u200Bwidth', 'invisible'],
    ['cafe\u0301.bin', 'NFC'],
  ])('rejects %j (%s)', (name, message) => {
    const parsed = label.safeParse(name);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message).join(' ')).toContain(message);
  });
});
