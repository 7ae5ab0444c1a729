/**
 * A readers-writer lock for the local DynamoDB front, granted strictly in arrival order: a run of
 * readers at the head of the queue shares the lock, a writer waits for the readers before it and
 * holds the lock alone. FIFO keeps writers from starving behind a stream of reads.
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly queue: { exclusive: boolean; grant: () => void }[] = [];

  /** Run `work` while no writer holds the lock (other readers may). */
  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.run(false, work);
  }

  /** Run `work` while nobody else holds the lock. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.run(true, work);
  }

  private async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await this.acquire(exclusive);
    try {
      return await work();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers -= 1;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.queue.length === 0 && this.compatible(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.queue.push({ exclusive, grant: resolve });
    });
  }

  private compatible(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writer = true;
    else this.readers += 1;
  }

  private pump(): void {
    for (let head = this.queue[0]; head && this.compatible(head.exclusive); head = this.queue[0]) {
      this.queue.shift();
      this.take(head.exclusive);
      head.grant();
    }
  }
}
