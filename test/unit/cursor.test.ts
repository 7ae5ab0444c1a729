import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '#commons/config';
import { decodeCursor, encodeCursor, resetCursorKey } from '#commons/cursor';
import { ValidationError } from '#commons/errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('list cursors', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    process.env.TABLE_NAME = 'steward';
    process.env.STEWARD_CURSOR_KEY = 'k'.repeat(32);
    resetConfig();
    resetCursorKey();
  });
  afterAll(() => {
    process.env = saved;
    resetConfig();
    resetCursorKey();
  });

  it('round-trips a key for its own list and refuses it for another', async () => {
    const cursor = await encodeCursor({ pk: 'M#churn' }, 'models');
    await expect(decodeCursor(cursor, 'models')).resolves.toEqual({ pk: 'M#churn' });
    await expect(decodeCursor(cursor, 'versions')).rejects.toThrow(ValidationError);
  });

  // A 32-byte MAC is 43 base64url characters: the last one carries 2 spare bits, so three other
  // characters decode to the same bytes. Each must still be refused (found by the adversarial suite).
  it('refuses every other last character of the MAC, including those that decode to the same bytes', async () => {
    const cursor = (await encodeCursor({ pk: 'M#churn' }, 'models'))!;
    const last = cursor.at(-1)!;
    const sameBytes = ALPHABET.split('').filter(
      (c) =>
        c !== last &&
        Buffer.from(cursor.slice(cursor.indexOf('.') + 1, -1) + c, 'base64url').equals(
          Buffer.from(cursor.slice(cursor.indexOf('.') + 1), 'base64url'),
        ),
    );
    expect(sameBytes).toHaveLength(3);
    for (const c of ALPHABET.replace(last, ''))
      await expect(decodeCursor(cursor.slice(0, -1) + c, 'models')).rejects.toThrow(ValidationError);
    // Characters outside the alphabet, which a decoder skips, are refused too.
    await expect(decodeCursor(`${cursor}=`, 'models')).rejects.toThrow(ValidationError);
  });
});
