import { completedTrials, paramImportances } from './studyAnalysis';
import { IMPORTANCE_REFRESH_MS, type StudyFileSnapshot, type StudyImportances, type StudyRecord } from './studyModel';

// Importances are fitted where the study is read, in the studies worker (a forest of 64-256
// trees takes 0.1-1 s), and travel with the snapshot to the view, the tools and the CLI. On a
// live study a refit on each completed trial would keep the worker busy: it is held back to
// one per IMPORTANCE_REFRESH_MS unless the completed trials grew by IMPORTANCE_GROWTH, and the
// last importances go out meanwhile, marked stale with the count they were fitted on.

export const IMPORTANCE_GROWTH = 0.25;

export class ImportanceMemo {
  private readonly last = new Map<string, StudyImportances & { at: number }>();

  constructor(
    private readonly refreshMs = IMPORTANCE_REFRESH_MS,
    private readonly now: () => number = Date.now,
  ) {}

  of(study: StudyRecord): StudyImportances {
    const trials = completedTrials(study).length;
    const prev = this.last.get(study.key);
    const at = this.now();
    if (prev && (prev.trials === trials || (at - prev.at < this.refreshMs && trials < prev.trials * (1 + IMPORTANCE_GROWTH)))) {
      return { values: prev.values, trials: prev.trials, stale: prev.trials !== trials };
    }
    const fitted = { values: paramImportances(study), trials, stale: false };
    if (this.last.size > 64) this.last.clear();
    this.last.set(study.key, { ...fitted, at });
    return fitted;
  }

  /** The snapshot with each study's importances attached (new objects: a journal replay keeps its own). */
  attach(snapshot: StudyFileSnapshot): StudyFileSnapshot {
    return { ...snapshot, studies: snapshot.studies.map((s) => ({ ...s, importances: this.of(s) })) };
  }
}
