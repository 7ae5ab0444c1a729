/**
 * Promises of work in flight (requests being answered, function invocations, scheduled runs), so
 * that close can wait for them to settle before it stops what they talk to. Their results and
 * errors stay with whoever started them.
 */
export class InFlight {
  readonly #running = new Set<Promise<unknown>>();

  get size(): number {
    return this.#running.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled: Promise<unknown> = work.then(
      () => this.#running.delete(settled),
      () => this.#running.delete(settled),
    );
    this.#running.add(settled);
    return work;
  }

  /** Resolves once all that runs now, and what it starts meanwhile, has settled, or after `limitMs`. */
  async settled(limitMs?: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit =
      limitMs === undefined ? undefined : new Promise<void>((done) => (timer = setTimeout(done, limitMs)));
    const drained = (async () => {
      while (this.#running.size > 0) await Promise.all([...this.#running]);
    })();
    await (limit ? Promise.race([drained, limit]) : drained);
    clearTimeout(timer);
  }
}
