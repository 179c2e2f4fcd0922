/**
 * One queue per notebook: a notebook's cell runs (and a reattached run after a reload) go one
 * after another, as a kernel runs them; different notebooks do not wait for each other. A run
 * that fails does not stop the ones queued after it (the caller decides what a failure means).
 */
export class ExecutionQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` after everything queued for `key`; resolves or rejects as `work` does. */
  enqueue(key: string, work: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget a queue once it is empty, so closed notebooks leave nothing behind.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Whether anything is queued or running for `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
