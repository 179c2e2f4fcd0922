import * as assert from 'node:assert/strict';
import { jobLogRoots } from '../../src/jobs/jobRuns';

// Which folders a job's tracking logs add to the Experiments view: the log folders, never the home
// folder a job run from ~ has as its WorkDir (recursive watchers on all of ~ exhaust inotify).
describe('jobs: the log folders a job adds', () => {
  const home = '/home/ana';

  it('adds the log folders under a WorkDir of ~, never ~ itself', () => {
    const roots = jobLogRoots(home, [
      { kind: 'tensorboard', path: '/home/ana/proj/runs' },
      { kind: 'mlflow-sqlite', path: '/home/ana/mlflow.db' },
      { kind: 'tensorboard', path: home },
      { kind: 'lightning', path: '/home/ana/proj/lightning_logs' },
    ], home);
    assert.deepEqual(roots, ['/home/ana/proj/runs', '/home/ana/proj/lightning_logs']);
  });

  it('never adds an ancestor of ~ or /, nor a folder outside the WorkDir', () => {
    assert.deepEqual(jobLogRoots('/', [{ kind: 'tensorboard', path: '/' }, { kind: 'wandb', path: '/home' }, { kind: 'mlflow', path: '/scratch/x/mlruns' }], home), ['/scratch/x/mlruns']);
    assert.deepEqual(jobLogRoots('/scratch/job', [{ kind: 'mlflow', path: '/scratch/other/mlruns' }], home), []);
  });

  it("adds an MLflow database's folder, and a folder once even when another found one is inside it", () => {
    const roots = jobLogRoots('/scratch/job', [
      { kind: 'mlflow-sqlite', path: '/scratch/job/exp/mlflow.db' },
      { kind: 'tensorboard', path: '/scratch/job/exp/tb' },
      { kind: 'wandb', path: '/scratch/job/wandb' },
      { kind: 'wandb', path: '/scratch/job/wandb' },
    ], home);
    assert.deepEqual(roots, ['/scratch/job/exp', '/scratch/job/wandb']);
  });
});
