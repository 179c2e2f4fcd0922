import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Readers run on hostile files in a worker thread with a heap limit and a deadline: a fixed
// reader's test sees its result or error; the same test on a reader that loops or blows up its
// memory fails in seconds with 'timeout' or 'out-of-memory' instead of hanging the suite. The
// worker is kept for the next file until one kills it.

export type ReaderKind = 'model' | 'tfevents' | 'wandb';

export interface IsolatedRead {
  readonly outcome: 'result' | 'error' | 'timeout' | 'out-of-memory' | 'crash';
  readonly ms: number;
  /** The error's class name and message, for 'error' (and what killed it, for 'crash'). */
  readonly errorName?: string;
  readonly message?: string;
  /** A JSON summary of the result, for 'result'. */
  readonly summary?: string;
}

export class IsolatedReader {
  private worker: Worker | undefined;

  constructor(private readonly limits: { ms: number; heapMb: number } = { ms: 10_000, heapMb: 384 }) {}

  read(kind: ReaderKind, path: string): Promise<IsolatedRead> {
    const worker = (this.worker ??= this.start());
    const started = performance.now();
    return new Promise((resolve) => {
      const settle = (read: IsolatedRead, dead: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (dead) {
          this.worker = undefined;
          void worker.terminate();
        }
        resolve(read);
      };
      const onMessage = (read: IsolatedRead): void => settle(read, false);
      const onError = (error: Error & { code?: string }): void =>
        settle({ outcome: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crash', ms: performance.now() - started, errorName: error.name, message: error.message }, true);
      const onExit = (code: number): void => settle({ outcome: 'crash', ms: performance.now() - started, message: `the worker exited with ${code}` }, true);
      const timer = setTimeout(() => settle({ outcome: 'timeout', ms: performance.now() - started }, true), this.limits.ms);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ kind, path });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    // tsx's hooks do not follow into workers: the worker registers them before loading the readers.
    const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(join(__dirname, 'readerWorker.ts'))});`;
    return new Worker(boot, { eval: true, resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 }, stdout: true, stderr: true });
  }
}

/**
 * For a mocha `describe`: a temp folder and an IsolatedReader, made before its tests and removed
 * after them; `read` writes a file there and reads it in the worker.
 */
export function isolatedFiles(prefix: string, limits?: { ms: number; heapMb: number }): { read(kind: ReaderKind, name: string, data: Uint8Array): Promise<IsolatedRead>; path(name: string): string; readonly reader: IsolatedReader } {
  let dir = '';
  const reader = new IsolatedReader(limits);
  before(() => (dir = mkdtempSync(join(tmpdir(), prefix))));
  after(async () => {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    reader,
    path: (name) => join(dir, name),
    read: (kind, name, data) => {
      const path = join(dir, name);
      writeFileSync(path, data);
      return reader.read(kind, path);
    },
  };
}
