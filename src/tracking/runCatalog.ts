import { describeProblem, summarize, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type SourceSnapshot } from './runModel';

// Every source the workspace and the settings name, with the last snapshot of each. Loads are
// per source, so a change under one `mlruns/` re-reads that one only; a failing source keeps its
// previous snapshot and reports why.

export interface CatalogEntry {
  readonly source: RunSource;
  snapshot: SourceSnapshot;
  loadedAt: number;
  loading?: Promise<SourceSnapshot>;
}

/** History reads at once while completing summaries (each source's reads queue in its own worker anyway). */
const SUMMARY_READS = 4;

export class RunCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  /** Summaries with min, max and count, read from history for runs whose listing had only the last value; by run key and metric. */
  private readonly fullSummaries = new Map<string, Map<string, MetricSummary>>();

  setSources(sources: readonly RunSource[]): void {
    const keep = new Set(sources.map((s) => s.id));
    for (const [id, entry] of this.entries) {
      if (!keep.has(id)) {
        entry.source.dispose?.();
        this.entries.delete(id);
        for (const key of this.fullSummaries.keys()) if (key.startsWith(`${id}#`)) this.fullSummaries.delete(key);
      }
    }
    for (const source of sources) {
      if (!this.entries.has(source.id)) this.entries.set(source.id, { source, snapshot: { experiments: [], problems: [] }, loadedAt: 0 });
    }
  }

  sources(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): CatalogEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * Loads one source; concurrent calls share one read. Never rejects. `onPartial` hears of a quick
   * first listing (sources that have one, on their first load only: later loads keep the full view).
   */
  load(id: string, signal?: AbortSignal, onPartial?: () => void): Promise<SourceSnapshot> {
    const entry = this.entries.get(id);
    if (!entry) return Promise.resolve({ experiments: [], problems: [`unknown source ${id}`] });
    if (entry.loading) return entry.loading;
    const first = entry.loadedAt === 0;
    const partial = first && onPartial
      ? (snapshot: SourceSnapshot): void => {
          entry.snapshot = snapshot;
          onPartial();
        }
      : undefined;
    const loading = entry.source
      .load(signal, partial)
      .then(
        (snapshot) => snapshot,
        (error: unknown) => ({ experiments: entry.snapshot.experiments, problems: [`${entry.source.label}: ${describeProblem(error)}`] }),
      )
      .then((snapshot) => {
        entry.snapshot = snapshot;
        entry.loadedAt = Date.now();
        entry.loading = undefined;
        return snapshot;
      });
    entry.loading = loading;
    return loading;
  }

  async loadAll(signal?: AbortSignal, onPartial?: () => void): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.load(id, signal, onPartial)));
  }

  runs(): RunRecord[] {
    return this.sources().flatMap((e) => e.snapshot.experiments.flatMap((x) => x.runs));
  }

  findRun(key: string): RunRecord | undefined {
    return this.runs().find((r) => r.key === key);
  }

  /** Finds a run by key, id or name (the agent gives what it saw). */
  resolveRun(ref: string): RunRecord | undefined {
    const runs = this.runs();
    return runs.find((r) => r.key === ref) ?? runs.find((r) => r.runId === ref) ?? runs.find((r) => r.name === ref) ?? runs.find((r) => r.runId.startsWith(ref) && ref.length >= 6);
  }

  async history(run: RunRecord, metric: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    const entry = this.entries.get(run.sourceId);
    if (!entry) throw new Error(`the source of run ${run.name} is gone`);
    return entry.source.history(run, metric, signal);
  }

  /**
   * The run's summary of `key` with min and max where known: the listing's, or one read from its
   * history by `completeSummaries` while the run's last value is still the listed one.
   */
  metricSummary(run: RunRecord, key: string): MetricSummary | undefined {
    const listed = run.metrics.find((m) => m.key === key);
    if (!listed || listed.min !== undefined || listed.count !== undefined) return listed;
    const full = this.fullSummaries.get(run.key)?.get(key);
    return full && full.lastStep === listed.lastStep && Object.is(full.last, listed.last) ? full : listed;
  }

  private needsHistory(run: RunRecord, key: string): boolean {
    const known = this.metricSummary(run, key);
    return known !== undefined && known.min === undefined && known.count === undefined;
  }

  /**
   * Reads the history of the named metrics of each run whose listing lacks their min and max (an
   * MLflow run's listing reads the tail of its files only), at most `limit` reads; returns how
   * many were left unread. A history that cannot be read leaves the listed summary.
   */
  async completeSummaries(runs: readonly RunRecord[], keys: readonly string[] | undefined, signal?: AbortSignal, limit = 2000): Promise<number> {
    const wanted = runs.flatMap((run) => run.metrics.filter((m) => (keys === undefined || keys.includes(m.key)) && this.needsHistory(run, m.key)).map((m) => ({ run, key: m.key })));
    const todo = wanted.slice(0, limit);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && !signal?.aborted) {
        const { run, key } = todo[next++]!;
        const points = await this.history(run, key, signal).catch(() => []);
        const summary = summarize(key, points);
        if (!summary) continue;
        let byKey = this.fullSummaries.get(run.key);
        if (!byKey) this.fullSummaries.set(run.key, (byKey = new Map<string, MetricSummary>()));
        byKey.set(key, summary);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SUMMARY_READS, todo.length) }, worker));
    return wanted.length - todo.length;
  }

  dispose(): void {
    this.fullSummaries.clear();
    for (const entry of this.entries.values()) entry.source.dispose?.();
    this.entries.clear();
  }
}
