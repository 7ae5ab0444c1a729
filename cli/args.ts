import type { StewardClient } from '#client/client';
import { UsageError } from '#client/errors';

/** Small parsers for command-line values, each failing as a usage error that names the flag. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `k=v` pairs (repeatable flags) as a record; numbers when `numeric`. */
export const pairs = (flag: string, values: string[] | undefined, numeric = false) => {
  if (!values?.length) return undefined;
  const out: Record<string, string | number> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} takes key=value, not "${v}"`);
    const raw = v.slice(at + 1);
    if (numeric) {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`${flag} ${v}: the value is not a number`);
      out[v.slice(0, at)] = n;
    } else out[v.slice(0, at)] = raw;
  }
  return out;
};

export const integer =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UsageError(`${flag} takes a whole number, not "${value}"`);
    return n;
  };

export const seconds =
  (flag: string) =>
  (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
    if (!m) throw new UsageError(`${flag} takes a duration like 90s, 10m or 1h, not "${value}"`);
    const n = Number(m[1]);
    const unit = m[2] ?? 's';
    return unit === 'ms' ? n / 1000 : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
  };

/** A JSON value given inline or as `@file`. */
export const jsonArg = async (flag: string, value: string | undefined): Promise<unknown> => {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith('@')) {
    const { readFile } = await import('node:fs/promises');
    text = await readFile(value.slice(1), 'utf8').catch(() => {
      throw new UsageError(`${flag}: cannot read ${value.slice(1)}`);
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${flag} is not valid JSON`);
  }
};

/** A version given as a number or as an alias name (`champion`). */
export const resolveVersion = async (client: StewardClient, model: string, ref: string): Promise<number> => {
  if (/^\d+$/.test(ref)) return Number(ref);
  if (ref === 'latest') return (await client.getModel(model)).latestVersion;
  return (await client.getAlias(model, ref)).version;
};
