import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LightningCsvLogs } from '../../src/tracking/lightningCsv';
import { MlflowFileStore } from '../../src/tracking/mlflowFileStore';
import { RunCatalog } from '../../src/tracking/runCatalog';
import type { RunRecord } from '../../src/tracking/runModel';
import { writeMixedSources } from './trackingFixtures';

// Runs for the filter, compare and runs-table tests: a record built in memory, or a catalog over
// real MLflow and Lightning files (writeMixedSources) made before a suite and removed after it.

export const runRecord = (name: string, over: Partial<RunRecord> = {}): RunRecord => ({
  key: `s#${name}`,
  source: 'mlflow',
  sourceId: 's',
  experiment: 'e',
  runId: name,
  name,
  status: 'finished',
  params: {},
  tags: {},
  metrics: [],
  location: '/x',
  problems: [],
  ...over,
});

export interface MixedCatalog {
  /** The folder holding mlruns/ and lightning_logs/. */
  readonly dir: string;
  readonly catalog: RunCatalog;
  byName(this: void, name: string): RunRecord;
}

/** Registers mocha hooks that write writeMixedSources() into a temporary folder and load it; use the result inside tests. */
export function useMixedCatalog(prefix: string): MixedCatalog {
  let dir = '';
  let catalog: RunCatalog | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const { mlruns, lightning } = writeMixedSources(dir);
    catalog = new RunCatalog();
    catalog.setSources([new MlflowFileStore(mlruns), new LightningCsvLogs(lightning)]);
    await catalog.loadAll();
  });
  after(() => {
    catalog?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get catalog() {
      if (!catalog) throw new Error('the catalog is made in before()');
      return catalog;
    },
    byName: (name) => catalog!.runs().find((r) => r.name === name)!,
  };
}
