import { UserError } from '../../common/errors';
import { ReaderStopped, seconds } from '../../common/worker/readerStopped';
import { latencyAB, type LatencySamples } from './abLatency';
import { compareClassifiers, compareRegressors, type ABOptions, type ABResult, type Label } from './abStats';

// The A/B statistics run in the models worker (dist/workers/models.js), never on the extension
// host's thread: a 200k-row paired bootstrap with ROC AUC costs tens of seconds of CPU. The call
// has a time limit, and a cancel terminates the worker at once (the loop never yields to hear it).

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

/** A 200k-row A/B with 2000 resamples takes about a minute of CPU on a slow machine; far beyond that is stuck. */
export const AB_STATS_TIME_MS = 180_000;

/** abStatistics in the reader's worker. Cancelled: an AbortError; over the time limit: a UserError saying so. */
/** Where the statistics run: ModelReader (its models worker). A type of its own: modelReader.ts imports this file's types. */
export interface ABStatsRunner {
  abStats(input: ABStatsInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<ABResult>;
}

export async function abStatisticsOffThread(reader: ABStatsRunner, input: ABStatsInput, dataset: string, options: { signal?: AbortSignal; timeMs?: number } = {}): Promise<ABResult> {
  const timeMs = options.timeMs ?? AB_STATS_TIME_MS;
  try {
    return await reader.abStats(input, `the A/B statistics on ${dataset}`, timeMs, options.signal);
  } catch (error) {
    if (!(error instanceof ReaderStopped)) throw error;
    if (error.reason === 'cancelled') throw Object.assign(new Error('the A/B comparison was cancelled'), { name: 'AbortError' });
    if (error.reason === 'time') throw new UserError(`The A/B statistics on ${dataset} took longer than ${seconds(timeMs)} and were stopped: compare on fewer rows.`);
    throw new UserError(`The A/B statistics on ${dataset} stopped: ${error.why}.`);
  }
}
