import { spawn, type ChildProcess } from 'node:child_process';

// Runs a study with the real Optuna (Debian python3-optuna) in a separate process, as a user's
// tuning script would, for the live-update tests and the studies bench.

export const OPTUNA_PYTHON = process.env.ML_ENGINEER_TEST_PYTHON ?? '/usr/bin/python3';

/**
 * A study of `trials` trials in `storage` ("sqlite:///path" or "journal:path"), each sleeping
 * `sleepS` seconds between its reports, so a reader sees it running.
 */
export function startOptunaStudy(storage: string, options: { trials: number; sleepS: number; name?: string }): ChildProcess {
  const script = `
import sys, time, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
storage, trials, sleep, name = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if storage.startswith('journal:'):
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(storage[len('journal:'):]))
study = optuna.create_study(study_name=name, storage=storage, direction='minimize', sampler=optuna.samplers.RandomSampler(seed=0), load_if_exists=True)
def objective(t):
    x = t.suggest_float('x', -5, 5)
    for step in range(2):
        t.report(x * x + 1 - step, step)
        time.sleep(sleep / 2)
    return x * x
study.optimize(objective, n_trials=trials)
print('done', flush=True)
`;
  return spawn(OPTUNA_PYTHON, ['-c', script, storage, String(options.trials), String(options.sleepS), options.name ?? 'live'], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A study of `trials` completed trials written at once (optimize with a trivial objective), for the bench. */
export function optunaBulkScript(): string {
  return `
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
from sqlalchemy import event
path, n = sys.argv[1], int(sys.argv[2])
storage = optuna.storages.RDBStorage('sqlite:///' + path)
# Optuna writes every row; without an fsync per trial (10,000 commits took ~12 minutes here).
@event.listens_for(storage.engine, 'connect')
def _no_sync(connection, _record):
    connection.execute('PRAGMA synchronous=OFF')
storage.engine.dispose()
study = optuna.create_study(study_name='big', storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
dists = {'lr': optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True), 'layers': optuna.distributions.IntDistribution(1, 8), 'opt': optuna.distributions.CategoricalDistribution(['adam', 'sgd'])}
import random
random.seed(0)
batch = []
for i in range(n):
    p = {'lr': 10 ** random.uniform(-5, -1), 'layers': random.randint(1, 8), 'opt': random.choice(['adam', 'sgd'])}
    batch.append(optuna.trial.create_trial(params=p, distributions=dists, value=random.random(), intermediate_values={0: 1.0, 1: 0.5}))
study.add_trials(batch)
`;
}
