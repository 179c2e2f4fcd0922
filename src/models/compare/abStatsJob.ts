import { basename } from 'node:path';
import { UserError } from '../../common/errors';
import { ReaderStopped, seconds } from '../../common/worker/readerStopped';
import { latencyAB, type LatencySamples } from './abLatency';
import type { ABOptions, ABResult, Label } from './abStats';
import { compareClassifiers } from './abStatsClassifiers';
import { compareRegressors } from './abStatsRegressors';
import type { CompareTwoInput, OnnxArmsInput, OnnxPredicted } from './onnxArms';
import type { ModelComparison } from './twoModels';

// The A/B's heavy parts run in the models worker (dist/workers/models.js), never on the extension
// host's thread: a 200k-row paired bootstrap with ROC AUC costs tens of seconds of CPU, a big ONNX
// model over 200k rows minutes (onnxArms.ts). Each call has a time limit, and a cancel terminates
// the worker at once (the loops never yield to hear it).

export type ABStatsInput = (
  | { readonly task: 'classification'; readonly truth: readonly Label[]; readonly a: readonly Label[]; readonly b: readonly Label[] }
  | { readonly task: 'regression'; readonly truth: readonly number[]; readonly a: readonly number[]; readonly b: readonly number[] }
) & { readonly options: ABOptions; readonly latency?: LatencySamples };

/** The worker's side: the metrics, their intervals, the verdict, and each arm's latency. */
export function abStatistics(input: ABStatsInput): ABResult {
  const result = input.task === 'classification' ? compareClassifiers(input.truth, input.a, input.b, input.options) : compareRegressors(input.truth, input.a, input.b, input.options);
  const latency = input.latency && latencyAB(input.latency, input.options.names ?? ['A', 'B']);
  return latency ? { ...result, latency } : result;
}

/** A 200k-row A/B with 2000 resamples takes about a minute of CPU on a slow machine; far beyond that is stuck. The ONNX arms get as long. */
export const AB_STATS_TIME_MS = 180_000;

/** Where the A/B's heavy parts run: ModelReader (its models worker). A type of its own: modelReader.ts imports this file's types. */
export interface ABStatsRunner {
  abStats(input: ABStatsInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<ABResult>;
  abOnnx(input: OnnxArmsInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<OnnxPredicted[]>;
  compareTwo(input: CompareTwoInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<ModelComparison>;
}

/** A worker call of the A/B. Cancelled: an AbortError; over the time limit: a UserError saying so. */
async function offThread<T>(work: string, call: (timeMs: number) => Promise<T>, timeMs: number, advice = 'compare on fewer rows'): Promise<T> {
  try {
    return await call(timeMs);
  } catch (error) {
    if (!(error instanceof ReaderStopped)) throw error;
    if (error.reason === 'cancelled') throw Object.assign(new Error('the A/B comparison was cancelled'), { name: 'AbortError' });
    if (error.reason === 'time') throw new UserError(`${work} took longer than ${seconds(timeMs)} and were stopped: ${advice}.`);
    throw new UserError(`${work} stopped: ${error.why}.`);
  }
}

/** abStatistics in the reader's worker. */
export function abStatisticsOffThread(reader: ABStatsRunner, input: ABStatsInput, dataset: string, options: { signal?: AbortSignal; timeMs?: number } = {}): Promise<ABResult> {
  const subject = `the A/B statistics on ${dataset}`;
  return offThread(`The A/B statistics on ${dataset}`, (timeMs) => reader.abStats(input, subject, timeMs, options.signal), options.timeMs ?? AB_STATS_TIME_MS);
}

/** The ONNX arms' predictions and latency (onnxArms.ts) in the reader's worker. */
export function onnxArmsOffThread(reader: ABStatsRunner, input: OnnxArmsInput, dataset: string, options: { signal?: AbortSignal; timeMs?: number } = {}): Promise<OnnxPredicted[]> {
  const names = input.arms.map((a) => basename(a.path)).join(' and ');
  return offThread(`The ONNX predictions of ${names} on ${dataset}`, (timeMs) => reader.abOnnx(input, `the ONNX predictions on ${dataset}`, timeMs, options.signal), options.timeMs ?? AB_STATS_TIME_MS);
}

/** Compare Models without data (compareTwoModels) in the reader's worker: outputs, then the benchmark of both. */
export function compareTwoOffThread(reader: ABStatsRunner, input: CompareTwoInput, options: { signal?: AbortSignal; timeMs?: number } = {}): Promise<ModelComparison> {
  const names = `${basename(input.a.path)} and ${basename(input.b.path)}`;
  return offThread(`The ONNX runs of ${names}`, (timeMs) => reader.compareTwo(input, `the ONNX runs of ${names}`, timeMs, options.signal), options.timeMs ?? AB_STATS_TIME_MS, 'benchmark for less time');
}
