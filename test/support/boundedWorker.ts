import { Worker } from 'node:worker_threads';

// Runs a test's cases in a worker thread with a capped heap and a watchdog per case, so a reader
// that loops forever or balloons fails its test (naming the case) instead of hanging or killing
// the suite: a synchronous loop cannot be interrupted from inside its own thread.

export interface CaseBudget {
  /** Time one case may take before the worker is stopped. */
  readonly perCaseMs: number;
  /** The worker's V8 heap (old generation); exceeding it ends the worker with ERR_WORKER_OUT_OF_MEMORY. */
  readonly maxHeapMb: number;
  /** Array buffers (file data, decoded values) live at the start of a case, at most. */
  readonly maxArrayBuffersMb?: number;
}

/** What a case function receives: call `tick(label)` as each case starts. */
export type Tick = (label: string) => void;

const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
require(workerData.tsx).register();
const limit = workerData.maxArrayBuffersMb * 1024 * 1024;
let started = 0;
const tick = (label) => {
  const buffers = process.memoryUsage().arrayBuffers;
  if (buffers > limit) throw new Error('before case ' + label + ': ' + Math.round(buffers / 1048576) + ' MB of array buffers still live after the cases before');
  started++;
  parentPort.postMessage({ tick: label });
};
Promise.resolve()
  .then(() => require(workerData.module)[workerData.name](workerData.args, tick))
  .then(() => parentPort.postMessage({ done: started }), (e) => parentPort.postMessage({ error: (e && e.stack) || String(e) }));
`;

/** Runs `exported(args, tick)` from `module` (an absolute path) in a bounded worker; resolves with the number of cases run. */
export function runBounded(module: string, exported: string, args: unknown, budget: CaseBudget): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { tsx: require.resolve('tsx/cjs/api'), module, name: exported, args, maxArrayBuffersMb: budget.maxArrayBuffersMb ?? 512 },
      resourceLimits: { maxOldGenerationSizeMb: budget.maxHeapMb, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    let label = '(loading)';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (error?: Error, cases = 0): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (error) reject(error);
      else resolve(cases);
    };
    // Loading the readers under tsx in a fresh thread takes a while on a busy machine: the first case gets more time.
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Error(`case ${label} ran past ${ms} ms: the reader hangs or is far too slow`)), ms);
    };
    arm(Math.max(budget.perCaseMs, 30_000));
    worker.on('message', (message: { tick?: string; done?: number; error?: string }) => {
      if (message.tick !== undefined) {
        label = message.tick;
        arm(budget.perCaseMs);
      } else if (message.error !== undefined) {
        // fast-check prints the whole counterexample: a mutated 90 KB file is not worth reading in full
        const text = message.error.length > 3000 ? `${message.error.slice(0, 2000)} … ${message.error.slice(-800)}` : message.error;
        finish(new Error(`case ${label}: ${text}`));
      }
      else finish(undefined, message.done);
    });
    worker.on('error', (error: Error & { code?: string }) =>
      finish(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new Error(`case ${label} needed more than ${budget.maxHeapMb} MB of heap`) : error),
    );
    worker.on('exit', (code) => finish(new Error(`the worker exited (code ${code}) during case ${label}`)));
  });
}
