import type { RunRecord } from '../runModel';
import type { ModelVersionRecord, RegisteredModelRecord } from './registryModel';

// "Chart a Metric Across Model Versions": one line per version, oldest first, each named by its
// version and aliases ("v3 @champion"). Versions that came from the same run each get their own
// line (the same curve under two names), so no version hides behind another's run name.

export interface VersionChart {
  readonly title: string;
  /** Run keys, one per charted version, in version order (a run repeats where versions share it). */
  readonly keys: readonly string[];
  /** The line's name for each entry of `keys`. */
  readonly labels: readonly string[];
  /** Metrics any charted version's run logged, sorted. */
  readonly metrics: readonly string[];
  /** Versions whose run is not in the Experiments view (or that name none). */
  readonly missing: readonly string[];
}

export function versionLabel(v: ModelVersionRecord): string {
  const stage = v.aliases.length === 0 && v.stage && v.stage !== 'None' ? ` [${v.stage}]` : '';
  return `v${v.version}${v.aliases.map((a) => ` @${a}`).join('')}${stage}`;
}

/** The versions' runs among `runs` (by run id, as the version's Run line in the tree finds it). */
export function versionChart(model: RegisteredModelRecord, runs: readonly RunRecord[]): VersionChart {
  const keys: string[] = [];
  const labels: string[] = [];
  const missing: string[] = [];
  const charted: RunRecord[] = [];
  for (const v of [...model.versions].sort((a, b) => a.version - b.version)) {
    const run = v.runId ? runs.find((r) => r.runId === v.runId) : undefined;
    if (!run) {
      missing.push(versionLabel(v));
      continue;
    }
    keys.push(run.key);
    labels.push(versionLabel(v));
    charted.push(run);
  }
  const metrics = [...new Set(charted.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
  return { title: `${model.name}: ${keys.length} version${keys.length === 1 ? '' : 's'}`, keys, labels, metrics, missing };
}
