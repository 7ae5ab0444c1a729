/**
 * Polls `read` until it gives a value (anything but `undefined`), and fails loudly, naming `what`,
 * when it never does. The one polling helper of the tests: a bounded number of tries, never a
 * time asserted, and never a silent fall-through on timeout.
 */
export const eventually = async <T>(
  what: string,
  read: () => Promise<T | undefined> | T | undefined,
  { tries = 800, intervalMs = 25 }: { tries?: number; intervalMs?: number } = {},
): Promise<T> => {
  for (let i = 0; i < tries; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new Error(`timed out waiting for ${what} (${tries} tries, ${intervalMs} ms apart)`);
};
