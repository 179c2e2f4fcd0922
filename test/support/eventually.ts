// A value read once right after an action can still be the one from before it: a webview draws on
// its next animation frame, the host answers by message, and logs, request logs and other files are
// written by other processes in their own time (VS Code flushes a log channel every 100 ms, a served
// app's log thread every 0.2 s). On a loaded machine such a read fails (CI did, on a key press). A
// test waits for the state it expects instead, and says what it saw when it never came.

export interface EventuallyOptions<T> {
  readonly timeoutMs?: number;
  readonly everyMs?: number;
  /** How the last value seen reads in the timeout's message (JSON, cut to 2000 characters, unless said). */
  readonly show?: (value: T) => string;
}

/** Reads until `done` holds for what `read` returns, and returns that; on timeout throws naming `what` and the last value (or error) seen. */
export async function eventually<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options: EventuallyOptions<T> = {}): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 200, show = (value: T) => String(JSON.stringify(value)).slice(0, 2000) } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let seen: string;
    try {
      const value = await read();
      if (done(value)) return value;
      seen = show(value);
    } catch (error) {
      seen = `an error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until a text another process writes (a log) matches `pattern`; returns the text. The timeout's message shows its end. */
export function eventuallyMatches(what: string, read: () => string | Promise<string>, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return eventually(`${what} (${pattern})`, read, (text) => pattern.test(text), { timeoutMs, show: (text) => JSON.stringify(text.slice(-1500)) });
}
