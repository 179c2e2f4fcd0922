// Entry of dist/workers/loadTest.js: a load test off the extension host's thread (loadTestInWorker.ts
// starts it). Messages in: {type: 'run', spec} then optionally {type: 'cancel'}; out: progress, then
// one result or error.
import { parentPort } from 'node:worker_threads';
import { runLoadTest, type LoadTestSpec } from '../loadTest';

const controller = new AbortController();
parentPort?.on('message', (message: { type: 'run'; spec: LoadTestSpec } | { type: 'cancel' }) => {
  if (message.type === 'cancel') return controller.abort();
  runLoadTest(message.spec, controller.signal, (answered, elapsedMs) => parentPort?.postMessage({ type: 'progress', answered, elapsedMs })).then(
    (result) => parentPort?.postMessage({ type: 'result', result }),
    (error: unknown) => parentPort?.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
