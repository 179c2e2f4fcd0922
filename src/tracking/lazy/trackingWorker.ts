// Entry of dist/workers/tracking.js: the tracking readers in a worker thread, holding the sources'
// state between reads; started by src/tracking/workerSources.ts (docs/architecture.md).
import { refuseFiles, watchFileOpens } from '../../common/worker/fileOpens';
import { serveWorker } from '../../common/worker/serveWorker';
import { discoverSources, makeSource, sourcesForPath } from '../discovery';
import type { RunSource } from '../runModel';
import type { SourceDescriptor, TrackingWorkerApi } from '../workerSources';

watchFileOpens();

const sources = new Map<string, { source: RunSource; loaded: boolean }>();

function describe(source: RunSource): SourceDescriptor {
  return { kind: source.kind, path: source.root, id: source.id, label: source.label };
}

/** The worker's own source for `d`, made on first use (a fresh worker after a restart has none). */
function ensure(d: SourceDescriptor, refused: readonly [string, string][]): { source: RunSource; loaded: boolean } {
  refuseFiles(new Map(refused));
  let entry = sources.get(d.id);
  if (!entry) {
    entry = { source: makeSource({ kind: d.kind, path: d.path }), loaded: false };
    sources.set(d.id, entry);
  }
  return entry;
}

serveWorker<TrackingWorkerApi>({
  discover: async ({ root, options }) => {
    const found = await discoverSources(root, options);
    return { sources: found.found.map((f) => describe(makeSource(f))), ...(found.truncated ? { truncated: found.truncated } : {}) };
  },
  sourcesForPath: async ({ path, options }) => (await sourcesForPath(path, options)).map(describe),
  load: async ({ source, refused, partial }, { signal, emit }) => {
    const entry = ensure(source, refused);
    const snapshot = await entry.source.load(signal, partial ? emit : undefined);
    entry.loaded = true;
    return snapshot;
  },
  history: async ({ source, refused, run, key }, { signal }) => {
    const entry = ensure(source, refused);
    // TensorBoard's curves are in what its load read: a source new to this worker reads first.
    if (!entry.loaded) {
      await entry.source.load(signal);
      entry.loaded = true;
    }
    return entry.source.history(run, key, signal);
  },
  drop: ({ id }) => {
    sources.get(id)?.source.dispose?.();
    sources.delete(id);
    return undefined;
  },
});
