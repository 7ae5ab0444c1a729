import { WaitTimeoutError } from './errors.ts';

/**
 * Poll until `check` returns a value, calling `onEach` with every reading so a caller can show
 * progress. Runs out loudly: a `WaitTimeoutError` naming what was awaited and the last reading.
 */
export const waitFor = async <R, T>(options: {
  what: string;
  read: () => Promise<R>;
  done: (reading: R) => T | undefined;
  onEach?: (reading: R) => void;
  timeoutMs: number;
  intervalMs?: number;
  describe?: (reading: R) => string;
}): Promise<T> => {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 1000;
  for (;;) {
    const reading = await options.read();
    options.onEach?.(reading);
    const result = options.done(reading);
    if (result !== undefined) return result;
    if (Date.now() + interval > deadline)
      throw new WaitTimeoutError(
        `gave up waiting for ${options.what} after ${Math.round(options.timeoutMs / 1000)} s` +
          (options.describe ? ` (last seen: ${options.describe(reading)})` : ''),
      );
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
};
