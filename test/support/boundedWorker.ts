import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Runs test cases on hostile input in a worker thread with a capped heap and a watchdog per case,
// so a reader that loops forever or balloons fails its test (naming the case) instead of hanging
// or killing the suite: a synchronous loop cannot be interrupted from inside its own thread. One
// worker runs exported functions of test modules, one call after another, and is kept for the
// next call until a case kills it (then the next call starts a fresh one). `runBounded` runs a
// whole property test in it; `isolatedFiles` reads one file per call (test/support/readerWorker.ts).

export interface CaseBudget {
  /** Time one case may take before the worker is stopped. */
  readonly perCaseMs: number;
  /** The worker's V8 heap (old generation); exceeding it ends the worker with ERR_WORKER_OUT_OF_MEMORY. */
  readonly maxHeapMb: number;
  /** Array buffers (file data, decoded values) live at the start of a case, at most (default 512 MB): the heap limit does not count them. */
  readonly maxArrayBuffersMb?: number;
}

/** What a case function receives: call `tick(label)` as each case starts. */
export type Tick = (label: string) => void;

/** How a call ended: its value, or what stopped it, with the case it was in. */
export type BoundedOutcome<T> =
  | { readonly outcome: 'done'; readonly value: T; readonly cases: number }
  | { readonly outcome: 'threw' | 'crash'; readonly label: string; readonly message: string; readonly ms: number }
  | { readonly outcome: 'timeout'; readonly label: string; readonly limitMs: number; readonly ms: number }
  | { readonly outcome: 'out-of-memory'; readonly label: string; readonly ms: number };

// Each tick checks that the cases before left no array buffers behind. With `whole`, the call is
// one case itself, started once its module is loaded (a file read); else its first case starts at
// its first tick (a property test may set up first).
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
require(workerData.tsx).register();
const limit = workerData.maxArrayBuffersMb * 1024 * 1024;
parentPort.on('message', ({ module, name, args, whole }) => {
  let started = 0;
  const tick = (label) => {
    const buffers = process.memoryUsage().arrayBuffers;
    if (buffers > limit) throw new Error('before case ' + label + ': ' + Math.round(buffers / 1048576) + ' MB of array buffers still live after the cases before');
    started++;
    parentPort.postMessage({ tick: label });
  };
  Promise.resolve()
    .then(() => {
      const fn = require(module)[name];
      if (whole) {
        tick(name);
        started = 0;
      }
      return fn(args, tick);
    })
    .then((value) => parentPort.postMessage({ done: started, value }), (e) => parentPort.postMessage({ error: (e && e.stack) || String(e) }));
});
`;

/** Loading tsx and the readers in a fresh thread takes a while on a busy machine: a call's first case gets at least this. */
const LOAD_MS = 30_000;

export class BoundedWorker {
  private worker: Worker | undefined;

  constructor(private readonly budget: CaseBudget) {}

  /**
   * `exported(args, tick)` from `module` (an absolute path) in the worker; never rejects. `whole`:
   * the call is one case (bounded from when its module has loaded), else its ticks start its cases.
   */
  run<T>(module: string, exported: string, args: unknown, options: { whole?: boolean } = {}): Promise<BoundedOutcome<T>> {
    const worker = (this.worker ??= this.start());
    const started = performance.now();
    const ms = (): number => performance.now() - started;
    return new Promise((resolve) => {
      let label = `${exported} (loading)`;
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: BoundedOutcome<T>, dead: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (dead) {
          this.worker = undefined;
          void worker.terminate();
        }
        resolve(outcome);
      };
      const arm = (limitMs: number): void => {
        clearTimeout(timer);
        timer = setTimeout(() => settle({ outcome: 'timeout', label, limitMs, ms: ms() }, true), limitMs);
      };
      const onMessage = (message: { tick?: string; done?: number; value?: T; error?: string }): void => {
        if (message.tick !== undefined) {
          label = message.tick;
          arm(this.budget.perCaseMs);
        } else if (message.error !== undefined) settle({ outcome: 'threw', label, message: message.error, ms: ms() }, false);
        else settle({ outcome: 'done', value: message.value as T, cases: message.done ?? 0 }, false);
      };
      const onError = (error: Error & { code?: string }): void =>
        settle(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { outcome: 'out-of-memory', label, ms: ms() } : { outcome: 'crash', label, message: error.message, ms: ms() }, true);
      const onExit = (code: number): void => settle({ outcome: 'crash', label, message: `the worker exited with ${code}`, ms: ms() }, true);
      arm(Math.max(this.budget.perCaseMs, LOAD_MS));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ module, name: exported, args, whole: options.whole ?? false });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { tsx: require.resolve('tsx/cjs/api'), maxArrayBuffersMb: this.budget.maxArrayBuffersMb ?? 512 },
      resourceLimits: { maxOldGenerationSizeMb: this.budget.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      // What readers print is not the test's output; read and dropped so it never piles up.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    return worker;
  }
}

/**
 * Runs `exported(args, tick)` from `module` (an absolute path) in a fresh bounded worker; resolves
 * with the number of cases run, rejects naming the case that threw, hung or ran out of heap.
 */
export async function runBounded(module: string, exported: string, args: unknown, budget: CaseBudget): Promise<number> {
  const worker = new BoundedWorker(budget);
  try {
    const outcome = await worker.run<unknown>(module, exported, args);
    switch (outcome.outcome) {
      case 'done':
        return outcome.cases;
      case 'threw': {
        // fast-check prints the whole counterexample: a mutated 90 KB file is not worth reading in full
        const text = outcome.message.length > 3000 ? `${outcome.message.slice(0, 2000)} … ${outcome.message.slice(-800)}` : outcome.message;
        throw new Error(`case ${outcome.label}: ${text}`);
      }
      case 'timeout':
        throw new Error(`case ${outcome.label} ran past ${outcome.limitMs} ms: the reader hangs or is far too slow`);
      case 'out-of-memory':
        throw new Error(`case ${outcome.label} needed more than ${budget.maxHeapMb} MB of heap`);
      case 'crash':
        throw new Error(`the worker crashed during case ${outcome.label}: ${outcome.message}`);
    }
  } finally {
    await worker.close();
  }
}

export type ReaderKind = 'model' | 'tfevents' | 'wandb';

/** One file read in the bounded worker (test/support/readerWorker.ts). */
export interface IsolatedRead {
  readonly outcome: 'result' | 'error' | 'timeout' | 'out-of-memory' | 'crash';
  readonly ms: number;
  /** The error's class name and message, for 'error' (and what killed it, for 'crash'). */
  readonly errorName?: string;
  readonly message?: string;
  /** A JSON summary of the result, for 'result'. */
  readonly summary?: string;
}

const READER = join(__dirname, 'readerWorker.ts');

/** Reads files with the real readers in a bounded worker, one file a call: a read that hangs or balloons is an outcome, not a stuck suite. */
export class IsolatedReader {
  private readonly worker: BoundedWorker;

  constructor(limits: { ms: number; heapMb: number } = { ms: 10_000, heapMb: 384 }) {
    this.worker = new BoundedWorker({ perCaseMs: limits.ms, maxHeapMb: limits.heapMb });
  }

  async read(kind: ReaderKind, path: string): Promise<IsolatedRead> {
    const outcome = await this.worker.run<IsolatedRead>(READER, 'readFileCase', { kind, path }, { whole: true });
    switch (outcome.outcome) {
      case 'done':
        return outcome.value;
      case 'timeout':
      case 'out-of-memory':
        return { outcome: outcome.outcome, ms: outcome.ms };
      case 'threw':
      case 'crash':
        return { outcome: 'crash', ms: outcome.ms, message: outcome.message };
    }
  }

  close(): Promise<void> {
    return this.worker.close();
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
