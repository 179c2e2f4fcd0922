import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sourceBootstrap } from '../common/worker/workerRunner';
import type { LoadTestResult, LoadTestSpec } from './loadTest';

// Runs a load test in a worker thread (dist/workers/loadTest.js; tests bundle the entry themselves): thousands of sockets' callbacks never queue behind the extension host's own work, and
// the host's work never skews the latencies measured. Cancel asks the worker to stop sending and
// returns what was measured; a worker that does not answer within 2 s of that is terminated.

export function loadTestWorkerScript(extensionPath: string): string {
  return join(extensionPath, 'dist', 'workers', 'loadTest.js');
}

export function loadTestInWorker(script: string, spec: LoadTestSpec, signal?: AbortSignal, onProgress?: (answered: number, elapsedMs: number) => void): Promise<LoadTestResult> {
  return new Promise((resolve, reject) => {
    // A .ts entry (running from source: the agent's tools under tsx) starts through tsx.
    const worker = script.endsWith('.ts') ? new Worker(sourceBootstrap(script), { eval: true }) : new Worker(script);
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel' });
      setTimeout(() => finish(() => reject(new Error('the load test did not stop when cancelled'))), 2000).unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: { type: 'progress'; answered: number; elapsedMs: number } | { type: 'result'; result: LoadTestResult } | { type: 'error'; message: string }) => {
      if (m.type === 'progress') onProgress?.(m.answered, m.elapsedMs);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else finish(() => reject(new Error(m.message)));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the load test's worker stopped (exit code ${code})`))));
    worker.postMessage({ type: 'run', spec });
  });
}
