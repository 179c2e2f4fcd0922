import { readFileSync } from 'node:fs';
import { inspectModel } from '../../src/models/inspectModel';
import { readTfEvents } from '../../src/tracking/tfevents';
import { readWandbFile } from '../../src/tracking/wandbDatastore';
import type { IsolatedRead, ReaderKind } from './boundedWorker';

// The readers on one file, run inside the bounded worker (test/support/boundedWorker.ts:
// IsolatedReader), so a reader that loops or eats memory fails its test instead of freezing the suite.

function read(kind: ReaderKind, path: string): string {
  if (kind === 'model') {
    const info = inspectModel(path);
    const size = JSON.stringify(info).length;
    return JSON.stringify({ ...info, tensors: info.tensors.slice(0, 5), tensorsListed: info.tensors.length, size });
  }
  if (kind === 'tfevents') {
    // Both paths: the general decoder alone, and the WebAssembly scalar loop handing it the rest.
    const data = readFileSync(path);
    const events = readTfEvents(data);
    const columns = readTfEvents(data, 0, new Map(), new Map());
    return JSON.stringify({ records: events.records, scalars: events.scalars.length, problems: events.problems, columnProblems: columns.problems });
  }
  const run = readWandbFile(readFileSync(path));
  return JSON.stringify({ history: run.history.length, config: run.config.length, summary: run.summary.length, run: run.run, problems: run.problems });
}

/** The reader's summary, or its error's class name and message: a reader's error is an outcome of the read. */
export function readFileCase({ kind, path }: { kind: ReaderKind; path: string }): IsolatedRead {
  const t = performance.now();
  try {
    const summary = read(kind, path);
    return { outcome: 'result', ms: performance.now() - t, summary };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { outcome: 'error', ms: performance.now() - t, errorName: e.name, message: e.message };
  }
}
