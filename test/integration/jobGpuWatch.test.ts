import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { JobClusters, parseClusters } from '../../src/jobs/jobClusters';
import { JobGpuWatch, type JobGpuGroup } from '../../src/jobs/jobGpuWatch';
import type { JobScheduler } from '../../src/jobs/jobScheduler';
import { SlurmScheduler } from '../../src/jobs/slurm/slurmScheduler';
import { LocalRunner } from '../../src/jobs/transport/localRunner';
import { closeSshRunners, sshRunnerFactory } from '../../src/jobs/sshRunnerFactory';
import { readWatchedJobs, WATCHED_JOBS_KEY, watchedJobOf, type WatchStore } from '../../src/jobs/watchedJobs';
import { pathWithout } from '../support/pathWithout';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';

// The watched jobs' GPU groups (the GPUs view's "job 1234 on node-7"): grouping, refresh, the
// end of a job and the restore after a reload, on the real single-node Slurm through the real
// LocalRunner. Its node has no nvidia-smi (the "no tool" line, real: a step PATH without one, on a
// GPU machine too); the GPUs themselves come
// from a recorded H100 capture of ../shared/corpora, printed by the nvidia-smi stand-in that
// srun starts inside the job's allocation, and read by the same parse.

const STAND_IN = join(__dirname, '..', 'fixtures', 'bin', 'nvidia-smi-on-path');
const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'nvidia-smi', 'extracted', 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01', 'load__query-gpu.csv');

/** workspaceState as VS Code keeps it: a key-value store that outlives the window. */
function memento(): WatchStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { data, get: <T>(key: string) => data.get(key) as T | undefined, update: (key, value) => {
      data.set(key, value);
      return Promise.resolve();
    } };
}

describe('watched jobs\' GPUs, a group per job (real Slurm)', function () {
  this.timeout(120_000);
  const slurm = new SlurmScheduler(new LocalRunner(), { format: 'json' });
  const submitted: string[] = [];
  /** Every watch a test made, disposed after it whether it passed or not (a polling one would go on). */
  const watches: JobGpuWatch[] = [];
  let running: string;

  const submit = async (lines: string, body = 'sleep 300'): Promise<string> => {
    const id = await slurm.submit({ script: `#!/bin/bash\n#SBATCH --job-name=mle-watch\n#SBATCH --output=/dev/null\n${lines}\n${body}\n` });
    submitted.push(id);
    return id;
  };
  const watchOf = (store: WatchStore, runner = new LocalRunner(), scheduler: (c: string) => JobScheduler = () => slurm, intervalMs?: number, changed?: (g: readonly JobGpuGroup[], membership: boolean) => void): JobGpuWatch =>
    kept(new JobGpuWatch({ store, scheduler, runner: () => runner, ...(intervalMs ? { intervalMs } : {}), ...(changed ? { changed } : {}) }));
  const kept = (watch: JobGpuWatch): JobGpuWatch => {
    watches.push(watch);
    return watch;
  };

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    running = await submit('#SBATCH --gres=gpu:1');
    await waitFor('the job to run', async () => ((await slurm.job(running))?.phase === 'running' ? true : undefined), 60_000);
  });
  afterEach(() => {
    for (const watch of watches.splice(0)) watch.dispose();
  });
  after(async () => {
    for (const id of submitted) await slurm.act('cancel', id).catch(() => undefined);
  });

  it('a running job on a node without nvidia-smi: its group says so in one line, and it is kept in the store', async () => {
    const store = memento();
    const changes: boolean[] = [];
    // srun passes its environment to the step: a PATH without nvidia-smi, whatever this machine has.
    const noTool = new LocalRunner({ ...process.env, PATH: pathWithout(['nvidia-smi']) });
    const watch = watchOf(store, noTool, undefined, undefined, (_g, membership) => changes.push(membership));
    await watch.watch({ cluster: 'local', id: running });
    const node = (await slurm.job(running))!.nodes;
    assert.deepEqual(watch.groups, [
      { cluster: 'local', id: running, name: 'mle-watch', label: `job ${running} on ${node}`, samples: [], line: { kind: 'no-tool', text: `No GPU tool on ${node}: nvidia-smi is not on the job's PATH there.` } },
    ]);
    // A job came: the Jobs view's "· watched" mark changes too.
    assert.deepEqual(changes, [true]);
    assert.deepEqual(readWatchedJobs(store), [{ cluster: 'local', id: running }]);
    // Watched twice is watched once; a refresh that changes nothing tells no one.
    await watch.watch({ cluster: 'local', id: running });
    assert.equal(readWatchedJobs(store).length, 1);
    assert.equal(changes.length, 1);
    assert.ok(watch.isWatched('local', running));
  });

  it('samples the job\'s GPUs in its allocation: a recorded H100 capture through the same parse', async () => {
    const store = memento();
    // srun passes its environment to the step: the stand-in answers as nvidia-smi on the node.
    const runner = new LocalRunner({ ...process.env, PATH: `${STAND_IN}${delimiter}${process.env.PATH ?? ''}`, REPLAY_CAPTURE: relative(join(STAND_IN, '..', '..', 'nvidia-smi'), CORPUS) });
    const watch = watchOf(store, runner);
    await watch.watch({ cluster: 'local', id: running });
    const [group] = watch.groups;
    assert.ok(group);
    assert.equal(group.line, undefined);
    const rows = readFileSync(CORPUS, 'utf8').trim().split('\n').length - 1;
    assert.equal(group.samples.length, rows);
    assert.equal(group.samples[0]!.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(group.samples[0]!.memoryTotalMiB, 81559);
    assert.equal(typeof group.samples[0]!.utilizationGpu, 'number');
  });

  it('a pending job\'s group says why it waits; a job the scheduler no longer knows is dropped', async () => {
    const held = await submit('#SBATCH --gres=gpu:1\n#SBATCH --hold');
    const store = memento();
    await store.update(WATCHED_JOBS_KEY, [{ cluster: 'local', id: held }, { cluster: 'local', id: '999999' }, 'not a job']);
    const watch = watchOf(store);
    await watch.refresh();
    assert.deepEqual(
      watch.groups.map((g) => [g.label, g.line?.kind, g.line?.text]),
      [[`job ${held} (pending)`, 'pending', 'Pending (JobHeldUser): its GPUs show once it runs.']],
    );
    assert.deepEqual(readWatchedJobs(store), [{ cluster: 'local', id: held }]);
  });

  it('a cluster out of reach keeps its job watched, with the reason as its line; one taken out of the setting drops it', async () => {
    const store = memento();
    await store.update(WATCHED_JOBS_KEY, [{ cluster: 'gone-login.invalid', id: '12' }, { cluster: 'removed-login', id: '13' }]);
    // The setting still names gone-login.invalid (its SSH host does not resolve), no longer removed-login.
    const clusters = new JobClusters(parseClusters(['local', 'gone-login.invalid']), sshRunnerFactory());
    const watch = kept(new JobGpuWatch({ store, scheduler: (c) => clusters.scheduler(c), runner: (c) => clusters.runner(c), known: (c) => clusters.refs.some((r) => r.id === c) }));
    try {
      await watch.refresh();
      assert.deepEqual(watch.groups.map((g) => [g.id, g.line?.kind]), [['12', 'error']]);
      assert.match(watch.groups[0]!.line?.text ?? '', /gone-login\.invalid/);
      assert.deepEqual(readWatchedJobs(store), [{ cluster: 'gone-login.invalid', id: '12' }]);
    } finally {
      clusters.dispose();
      await closeSshRunners();
    }
  });

  it('Stop Watching a running job: its group goes at once, and so does its entry', async () => {
    const store = memento();
    const changes: boolean[] = [];
    const watch = watchOf(store, undefined, undefined, undefined, (_g, membership) => changes.push(membership));
    await watch.watch({ cluster: 'local', id: running });
    assert.equal(watch.groups.length, 1);
    // The command gets the GPUs view's group row (gpu/vscode/jobGpuNodes.ts) or the Jobs view's row
    // (jobs/vscode/jobsTree.ts); anything else is no job.
    assert.equal(watchedJobOf({ kind: 'jobLine', group: watch.groups[0] }), undefined);
    assert.equal(watchedJobOf({ kind: 'gpu', cluster: 'local', jobId: running }), undefined);
    assert.deepEqual(watchedJobOf({ kind: 'job', cluster: 'local', job: await slurm.job(running) }), { cluster: 'local', id: running });
    await watch.unwatch(watchedJobOf({ kind: 'job', group: watch.groups[0] })!);
    assert.deepEqual(watch.groups, []);
    assert.deepEqual(readWatchedJobs(store), []);
    assert.deepEqual(changes, [true, true]);
    // The job runs on, unwatched: a refresh does not bring it back.
    await watch.refresh();
    assert.deepEqual(watch.groups, []);
  });

  it('after a reload: a new watch over the same store reads the job again; polled while wanted, it ends with the job', async () => {
    const id = await submit('', 'sleep 300');
    await waitFor('the job to run', async () => ((await slurm.job(id))?.phase === 'running' ? true : undefined), 60_000);
    const store = memento();
    await watchOf(store).watch({ cluster: 'local', id });
    // The window reloads: nothing is kept but the store.
    let looks = 0;
    const counted = (): JobScheduler => {
      looks++;
      return slurm;
    };
    const watch = watchOf(store, undefined, counted, 300);
    assert.equal(watch.groups.length, 0);
    await watch.refresh();
    assert.deepEqual(watch.groups.map((g) => [g.id, g.line?.text]), [[id, `Job ${id} asked for no GPU.`]]);

    // Not wanted (the GPUs view hidden): no polling.
    const before = looks;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(looks, before);
    // Wanted: polled on its interval, and the job's end (scancel) removes its group and its entry.
    watch.setWanted(true);
    await waitFor('a poll', () => (looks >= before + 2 ? true : undefined), 10_000, 50);
    await slurm.act('cancel', id);
    await waitFor('the group to go', () => (watch.groups.length === 0 ? true : undefined), 30_000, 100);
    assert.deepEqual(readWatchedJobs(store), []);
    watch.dispose();
    const stopped = looks;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(looks, stopped, 'disposed: no more polls');
  });

  it('a poll that failed (the store not written) does not stop the one asked during it', async () => {
    const store = memento();
    store.data.set(WATCHED_JOBS_KEY, [{ cluster: 'local', id: '999999' }, { cluster: 'local', id: running }]);
    const write = store.update.bind(store);
    let failures = 1;
    store.update = (key, value) => (failures-- > 0 ? Promise.reject(new Error('disk full')) : write(key, value));
    const watch = watchOf(store);
    const first = watch.refresh();
    const second = watch.refresh();
    await assert.rejects(first, /disk full/);
    await second;
    assert.deepEqual(readWatchedJobs(store), [{ cluster: 'local', id: running }]);
    assert.deepEqual(watch.groups.map((g) => g.id), [running]);
  });

  it('polls slower while the window has no focus, and at once when it comes back', async () => {
    const store = memento();
    store.data.set(WATCHED_JOBS_KEY, [{ cluster: 'local', id: running }]);
    let looks = 0;
    const watch = watchOf(store, undefined, () => {
      looks++;
      return slurm;
    }, 300);
    watch.setWanted(true, true);
    await waitFor('the first look', () => (looks >= 1 ? true : undefined), 10_000, 20);
    // In the background the 300 ms interval is 1.8 s: none in the next second.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(looks, 1);
    watch.setWanted(true, false);
    await waitFor('a look at once, then every 300 ms', () => (looks >= 4 ? true : undefined), 10_000, 20);
  });

  it('a Jobs view poll that lists a watched job finished ends its group at once', async () => {
    const id = await submit('', 'sleep 300');
    await waitFor('the job to run', async () => ((await slurm.job(id))?.phase === 'running' ? true : undefined), 60_000);
    const store = memento();
    const watch = watchOf(store);
    await watch.watch({ cluster: 'local', id });
    assert.equal(watch.groups.length, 1);
    await slurm.act('cancel', id);
    const ended = await waitFor('the job to end', async () => {
      const job = await slurm.job(id);
      return job?.phase === 'finished' ? job : undefined;
    }, 30_000);
    watch.polled('local', [ended]);
    await waitFor('the group to go', () => (watch.groups.length === 0 ? true : undefined), 10_000, 50);
    assert.deepEqual(readWatchedJobs(store), []);
    // With the GPUs view hidden (never polled: no group), the Jobs view's poll still ends the watch.
    const hidden = memento();
    await hidden.update(WATCHED_JOBS_KEY, [{ cluster: 'local', id }]);
    const unpolled = watchOf(hidden);
    unpolled.polled('local', [ended]);
    await waitFor('the entry to go', () => (readWatchedJobs(hidden).length === 0 ? true : undefined), 10_000, 50);
  });
});
