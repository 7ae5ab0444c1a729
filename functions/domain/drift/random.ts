/**
 * Deterministic pseudo-random numbers for the drift samples. Everything here is 32-bit integer
 * arithmetic plus one exact double construction, so the same seed gives the same stream on every
 * platform, and `scripts/drift-golden.py` reproduces it bit for bit:
 *
 * - `fnv1a32(text)`: FNV-1a, 32 bits, over the UTF-8 bytes of `text`;
 * - `splitmix32(state)`: state += 0x9e3779b9; output = murmur3 fmix32 of the state;
 * - `Xoshiro128`: xoshiro128** (Blackman and Vigna), its four state words taken from four
 *   consecutive splitmix32 outputs of the seed (all-zero state replaced by s0 = 1);
 * - `nextDouble()`: (a >>> 5) * 2^26 + (b >>> 6), divided by 2^53, from two consecutive outputs:
 *   a uniform double in [0, 1) with 53 random bits.
 */

/** The seed used for samples when none is configured: drift runs over the same data agree. */
export const DEFAULT_SEED = 0x5eed;

const encoder = new TextEncoder();

/** FNV-1a (32 bits) over the UTF-8 bytes of a string. */
export const fnv1a32 = (text: string): number => {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
};

/** The seed of one sample: a feature's reservoir of the reference or of the current window. */
export const sampleSeed = (seed: number, name: string, role: 'reference' | 'current'): number =>
  (fnv1a32(`${role}:${name}`) ^ seed) >>> 0;

/** A splitmix32 generator: used to expand a 32-bit seed into xoshiro's state. */
export const splitmix32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
};

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** xoshiro128**: a small, fast generator with a 128-bit state. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next output as an unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
