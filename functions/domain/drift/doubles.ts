/** A growable array of doubles: appends without boxing, read back as a typed view. */
export class DoubleBuffer {
  private data = new Float64Array(1024);
  length = 0;

  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }

  /** The values pushed, as a view (no copy). */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** A sorted copy of the values pushed. */
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}
