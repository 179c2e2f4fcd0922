// One piece of work several requests wait on (opening a file, counting its rows): each waits under
// its own signal, and cancelling one ends only that one's wait. The work itself is aborted only
// when every request waiting on it has been cancelled, so one grid request scrolled past never
// fails another that needs the same step.

export class SharedTask<T> {
  private readonly controller = new AbortController();
  private waiters = 0;
  private settled = false;
  readonly promise: Promise<T>;

  constructor(work: (signal: AbortSignal) => Promise<T>) {
    this.promise = work(this.controller.signal);
    this.promise.then(
      () => (this.settled = true),
      () => (this.settled = true),
    );
  }

  /** Whether the work was abandoned (every waiter cancelled): callers start a fresh one. */
  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * Keeps the work going for a waiter that does not wait on the result (a batch's other columns):
   * no listener on any signal. The function given back lets go; the work is aborted when that
   * leaves nobody waiting before it settled.
   */
  hold(): () => void {
    this.waiters++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.waiters--;
      if (this.waiters === 0 && !this.settled) this.controller.abort();
    };
  }

  /** The work's result, for a caller under `signal`. */
  async join(signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    this.waiters++;
    let onAbort: () => void = () => undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
        signal.addEventListener('abort', onAbort, { once: true });
        this.promise.then(resolve, reject);
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.waiters--;
      if (this.waiters === 0 && signal.aborted && !this.settled) this.controller.abort();
    }
  }
}
