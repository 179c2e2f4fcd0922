import { describeProblem, type MetricPoint, type RunRecord, type RunSource, type SourceSnapshot } from './runModel';

// Every source the workspace and the settings name, with the last snapshot of each. Loads are
// per source, so a change under one `mlruns/` re-reads that one only; a failing source keeps its
// previous snapshot and reports why.

export interface CatalogEntry {
  readonly source: RunSource;
  snapshot: SourceSnapshot;
  loadedAt: number;
  loading?: Promise<SourceSnapshot>;
}

export class RunCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  setSources(sources: readonly RunSource[]): void {
    const keep = new Set(sources.map((s) => s.id));
    for (const [id, entry] of this.entries) {
      if (!keep.has(id)) {
        entry.source.dispose?.();
        this.entries.delete(id);
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

  dispose(): void {
    for (const entry of this.entries.values()) entry.source.dispose?.();
    this.entries.clear();
  }
}
