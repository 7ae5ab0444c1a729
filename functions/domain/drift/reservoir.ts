import { Xoshiro128 } from './random.ts';

/** At most this many values of a feature are kept for KS and Wasserstein, on each side. */
export const SAMPLE_CAP = 10_000;

/**
 * A uniform sample of at most `capacity` values from a stream of unknown length: Vitter's
 * algorithm R. The i-th value (0-based) is kept outright while i < capacity; afterwards
 * j = floor(u * (i + 1)) with u = `nextDouble()` of a seeded xoshiro128**, and the value replaces
 * slot j when j < capacity. Memory is bounded by the capacity; the sample depends only on the
 * seed and the order of the values.
 */
export class Reservoir {
  readonly capacity: number;
  private readonly buffer: Float64Array;
  private readonly random: Xoshiro128;
  private count = 0;

  constructor(seed: number, capacity: number = SAMPLE_CAP) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.buffer = new Float64Array(capacity);
    this.random = new Xoshiro128(seed);
  }

  /** How many values were offered. */
  get seen(): number {
    return this.count;
  }

  /** How many values are held (min(seen, capacity)). */
  get size(): number {
    return Math.min(this.count, this.capacity);
  }

  add(value: number): void {
    const i = this.count++;
    if (i < this.capacity) {
      this.buffer[i] = value;
      return;
    }
    const j = Math.floor(this.random.nextDouble() * (i + 1));
    if (j < this.capacity) this.buffer[j] = value;
  }

  /** The held values in slot order (a copy). */
  values(): Float64Array {
    return this.buffer.slice(0, this.size);
  }

  /** The held values sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.values().sort();
  }
}
