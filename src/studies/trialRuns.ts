import type { RunRecord } from '../tracking/runModel';
import type { TrialRecord } from './studyModel';

// A trial that logged to MLflow, TensorBoard or W&B says so in its user attributes (the run id,
// or the run's name, under a key such as "mlflow_run_id", "run_id", "wandb_run", "run_name";
// optuna-integration's MLflowCallback sets the run's name to the trial number). Such a trial
// links to its run in the Experiments view.

const RUN_KEY = /run|mlflow|wandb|tensorboard|tb_log/i;

export class RunIndex {
  private readonly byId = new Map<string, RunRecord>();
  private readonly byName = new Map<string, RunRecord>();

  constructor(runs: readonly RunRecord[]) {
    for (const run of runs) {
      this.byId.set(run.runId, run);
      if (!this.byName.has(run.name)) this.byName.set(run.name, run);
    }
  }

  /** The run a trial logged to, by an id anywhere in its user attributes or a name under a run-like key. */
  runOf(trial: TrialRecord): RunRecord | undefined {
    for (const [key, value] of Object.entries(trial.userAttrs)) {
      if (typeof value !== 'string' || value === '') continue;
      const byId = this.byId.get(value);
      if (byId) return byId;
      if (RUN_KEY.test(key)) {
        const byName = this.byName.get(value);
        if (byName) return byName;
      }
    }
    return undefined;
  }

  /** A run by its id (a model version's run_id). */
  byRunId(id: string): RunRecord | undefined {
    return this.byId.get(id);
  }
}
