import { join } from 'node:path';
import { ReaderStopped } from '../common/worker/readerStopped';
import { WorkerRunner, type RunnerLimits } from '../common/worker/workerRunner';
import { workerScript } from '../common/worker/workerScript';
import type { DiscoveryOptions, FoundSource } from './discovery';
import type { MetricPoint, RunRecord, RunSource, SourceSnapshot } from './runModel';

// The tracking readers run in worker threads (dist/workers/tracking.js), each source in the same
// worker every time, which keeps its state there (TensorBoard files are read on from where the
// last read stopped). The host keeps the catalog of snapshots the tree, the compare view and the
// agent's tools read; each source here is a stand-in that asks its worker. A read that blocks its
// worker past the stall limit, or runs out of heap, stops that worker; the file it had open is
// then refused on the retry, so the run that holds it is shown as unreadable, with the reason,
// and the rest of the source still loads.

/** A source the worker can make again from its kind and path (after a restart). */
export interface SourceDescriptor {
  readonly kind: FoundSource['kind'];
  readonly path: string;
  readonly id: string;
  readonly label: string;
}

/** Files a source's reads refuse: [path, why]. */
type Refused = [string, string][];

export type TrackingWorkerApi = {
  discover: { params: { root: string; options: DiscoveryOptions }; result: { sources: SourceDescriptor[]; truncated?: string } };
  sourcesForPath: { params: { path: string; options: DiscoveryOptions }; result: SourceDescriptor[] };
  load: { params: { source: SourceDescriptor; refused: Refused; partial: boolean }; result: SourceSnapshot; event: SourceSnapshot };
  history: { params: { source: SourceDescriptor; refused: Refused; run: RunRecord; key: string }; result: MetricPoint[] };
  drop: { params: { id: string }; result: undefined };
};

/**
 * A legitimate read of a big store keeps its event loop turning (readers yield between runs and
 * chunks), so the stall limit is what stops a hostile file; the time limit only ends reads that
 * never finish.
 */
export const TRACKING_READER_LIMITS: RunnerLimits = { memoryMb: 512, stallMs: 20_000, timeMs: 600_000 };

/** Files one load may refuse before the whole source is reported unreadable. */
const MAX_REFUSED = 5;

export interface TrackingReadersOptions {
  readonly limits?: RunnerLimits;
  /** The worker script (default: dist/workers/tracking.js beside the running bundle). */
  readonly script?: string;
  /** Workers at most (default 2: a source stuck on a hostile file does not hold up the others). */
  readonly maxWorkers?: number;
}

export class TrackingReaders {
  private readonly runner: WorkerRunner<TrackingWorkerApi>;

  constructor(options: TrackingReadersOptions = {}) {
    this.runner = new WorkerRunner<TrackingWorkerApi>({
      script: options.script ?? workerScript('tracking', () => join(__dirname, 'lazy', 'trackingWorker.ts')),
      limits: options.limits ?? TRACKING_READER_LIMITS,
      maxWorkers: options.maxWorkers ?? 2,
      // Kept while runs are being watched; after this long without a read the worker (and the
      // state it holds) goes, and the next load reads the sources whole again.
      idleMs: 5 * 60_000,
      cancelGraceMs: 1000,
    });
  }

  /** discoverSources(root), in a worker. */
  async discover(root: string, options: DiscoveryOptions = {}): Promise<{ sources: RunSource[]; truncated?: string }> {
    const found = await this.runner.call('discover', { root, options }, { subject: root });
    return { sources: found.sources.map((d) => new WorkerSource(this.runner, d)), ...(found.truncated ? { truncated: found.truncated } : {}) };
  }

  /** sourcesForPath(path), in a worker. */
  async sourcesForPath(path: string, options: DiscoveryOptions = {}): Promise<RunSource[]> {
    const found = await this.runner.call('sourcesForPath', { path, options }, { subject: path });
    return found.map((d) => new WorkerSource(this.runner, d));
  }

  setLimits(limits: RunnerLimits): void {
    this.runner.setLimits(limits);
  }

  dispose(): void {
    this.runner.dispose();
  }
}

class WorkerSource implements RunSource {
  readonly kind: FoundSource['kind'];
  readonly id: string;
  readonly root: string;
  readonly label: string;
  /** Files that stopped a read of this source, refused from then on (until the source is found again). */
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly runner: WorkerRunner<TrackingWorkerApi>,
    private readonly descriptor: SourceDescriptor,
  ) {
    ({ kind: this.kind, id: this.id, path: this.root, label: this.label } = descriptor);
  }

  load(signal?: AbortSignal, onPartial?: (snapshot: SourceSnapshot) => void): Promise<SourceSnapshot> {
    return this.withRefusals(signal, () =>
      this.runner.call('load', { source: this.descriptor, refused: [...this.refused], partial: onPartial !== undefined }, { subject: this.label, affinity: this.id, ...(signal ? { signal } : {}), ...(onPartial ? { onEvent: onPartial } : {}) }),
    );
  }

  history(run: RunRecord, key: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    return this.withRefusals(signal, () =>
      this.runner.call('history', { source: this.descriptor, refused: [...this.refused], run, key }, { subject: `${run.name} (${key})`, affinity: this.id, ...(signal ? { signal } : {}) }),
    );
  }

  dispose(): void {
    this.runner.call('drop', { id: this.id }, { subject: this.label, affinity: this.id, ifRunning: true }).catch(() => undefined);
    this.runner.release(this.id);
  }

  /** Runs `read`; when a file stopped it, refuses that file and reads again (a fresh worker). */
  private async withRefusals<T>(signal: AbortSignal | undefined, read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        const file = error instanceof ReaderStopped && ['stall', 'time', 'memory', 'crash'].includes(error.reason) ? error.during : undefined;
        if (!file || this.refused.has(file) || this.refused.size >= MAX_REFUSED || attempt >= MAX_REFUSED || signal?.aborted) throw error;
        this.refused.set(file, `could not be read: ${error instanceof ReaderStopped ? error.why : ''}`);
      }
    }
  }
}
