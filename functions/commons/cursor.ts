import { createHmac, timingSafeEqual } from 'node:crypto';
import { ENV } from '#commons/facts';
import { secrets } from './clients.ts';
import { config } from './config.ts';
import { ValidationError } from './errors.ts';

/**
 * Opaque, tamper-evident list cursors: the last evaluated key and the list it belongs to, signed
 * with HMAC-SHA256. A cursor that was altered, or that belongs to another list, is refused.
 */
let keyPromise: Promise<Buffer> | undefined;

const cursorKey = (): Promise<Buffer> => {
  keyPromise ??= (async () => {
    const { cursorKey: local, cursorSecretArn } = config();
    if (local) return Buffer.from(local);
    if (!cursorSecretArn)
      throw new Error(`neither ${ENV.STEWARD_CURSOR_KEY} nor ${ENV.CURSOR_SECRET_ARN} is configured`);
    // Loaded on first use only: local mode and most cold starts never need the Secrets Manager client.
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const secret = await (await secrets()).send(new GetSecretValueCommand({ SecretId: cursorSecretArn }));
    if (!secret.SecretString) throw new Error('the cursor secret is empty');
    return Buffer.from(secret.SecretString);
  })();
  keyPromise.catch(() => {
    keyPromise = undefined;
  });
  return keyPromise;
};

export const resetCursorKey = (): void => {
  keyPromise = undefined;
};

const sign = (key: Buffer, payload: string): Buffer => createHmac('sha256', key).update(payload).digest();

export const encodeCursor = async (lastKey: Record<string, unknown> | undefined, scope: string) => {
  if (!lastKey) return undefined;
  const payload = Buffer.from(JSON.stringify({ k: lastKey, s: scope })).toString('base64url');
  const mac = sign(await cursorKey(), payload).toString('base64url');
  return `${payload}.${mac}`;
};

export const decodeCursor = async (
  cursor: string | undefined,
  scope: string,
): Promise<Record<string, unknown> | undefined> => {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationError('the cursor is not one this service issued for this list', {
      errors: [{ path: 'query.cursor', message: 'invalid or altered cursor' }],
    });
  const [payload, mac, extra] = cursor.split('.');
  if (!payload || !mac || extra !== undefined) throw invalid();
  // Compared as text: base64url decoding ignores the spare bits of the last character and skips
  // characters outside its alphabet, so a decoded comparison would accept altered cursors.
  const expected = Buffer.from(sign(await cursorKey(), payload).toString('base64url'));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  try {
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      k?: unknown;
      s?: unknown;
    };
    if (decoded.s !== scope || typeof decoded.k !== 'object' || decoded.k === null) throw invalid();
    return decoded.k as Record<string, unknown>;
  } catch {
    throw invalid();
  }
};

/**
 * A MAC of `data` for one purpose under the same service key (e.g. the CSRF token of an approval
 * link page), and its timing-safe check.
 */
export const macOf = async (purpose: string, data: string): Promise<string> =>
  sign(await cursorKey(), `${purpose}\n${data}`).toString('base64url');

export const macMatches = async (purpose: string, data: string, given: string): Promise<boolean> => {
  const expected = Buffer.from(await macOf(purpose, data));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};
