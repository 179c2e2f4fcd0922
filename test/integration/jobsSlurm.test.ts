import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchScript } from '../../src/jobs/batchScript';
import { isSchedulerError, type JobInfo } from '../../src/jobs/jobScheduler';
import { SlurmScheduler } from '../../src/jobs/slurm/slurmScheduler';
import { LocalRunner } from '../../src/jobs/transport/localRunner';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';

// The Slurm backend against a real slurmctld + slurmd on this machine (test/support/slurm/),
// through the JSON commands and the text ones older releases need: submit, pending reasons,
// running, exit code 3, a job killed at its time limit, cancel, hold/release, requeue, an array
// job, following an output file, and the scheduler's own error words.

describe('Slurm jobs on a real single-node cluster', function () {
  this.timeout(180_000);
  const tag = `mlt${randomBytes(3).toString('hex')}`;
  let dir: string;
  let slurm: SlurmScheduler;
  let text: SlurmScheduler;
  let timeLimited: string;
  const submitted: string[] = [];

  const submit = async (name: string, body: string, sbatch: string[] = []): Promise<string> => {
    const script = ['#!/bin/bash', `#SBATCH --job-name=${tag}-${name}`, '#SBATCH --output=%x-%j.out', ...sbatch.map((s) => `#SBATCH ${s}`), body, ''].join('\n');
    const id = await slurm.submit({ script, cwd: dir });
    submitted.push(id);
    return id;
  };
  const jobUntil = (id: string, what: string, ok: (j: JobInfo) => boolean, timeoutMs = 30_000): Promise<JobInfo> =>
    waitFor(`job ${id} ${what}`, async () => {
      const j = await slurm.job(id);
      return j && ok(j) ? j : undefined;
    }, timeoutMs);

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'ml-slurm-'));
    slurm = new SlurmScheduler(new LocalRunner(), { format: 'json' });
    text = new SlurmScheduler(new LocalRunner(), { format: 'text' });
    // The time limit is in whole minutes and checked every 30 s: start it first, look at it last.
    timeLimited = await submit('timelimit', 'echo started; sleep 600', ['--time=1']);
  });

  after(async () => {
    for (const id of submitted) await slurm?.act('cancel', id).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cluster info: partitions, their limits and the GRES GPUs, from JSON and from text alike', async () => {
    const info = await slurm.clusterInfo();
    assert.match(info.version ?? '', /^\d+\.\d+/);
    const debug = info.partitions.find((p) => p.name === 'debug');
    const short = info.partitions.find((p) => p.name === 'short');
    assert.ok(debug && short, JSON.stringify(info.partitions));
    assert.equal(debug.isDefault, true);
    assert.equal(debug.gpusTotal, 2);
    assert.equal(short.maxTimeSeconds, 1800);
    const fromText = await text.clusterInfo();
    assert.deepEqual(fromText.partitions.map((p) => [p.name, p.gpusTotal, p.maxTimeSeconds, p.memoryMbPerNode]), info.partitions.map((p) => [p.name, p.gpusTotal, p.maxTimeSeconds, p.memoryMbPerNode]));
  });

  it('a generated script runs: seen at once, running with its GPU, its output followed while it writes, completed with exit code 0', async () => {
    const script = batchScript({ program: 'steps.sh', jobName: `${tag}-follow`, gpus: 1, time: '5', workDir: dir });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'steps.sh'), 'for i in 1 2 3 4 5; do echo "step $i"; sleep 1; done\n');
    const started = Date.now();
    const id = await slurm.submit({ script, cwd: dir });
    submitted.push(id);
    const listed = await slurm.jobs({ user: await slurm.whoami() });
    assert.ok(listed.some((j) => j.id === id), 'listed right after sbatch returns');
    const running = await jobUntil(id, 'running', (j) => j.phase === 'running');
    assert.equal(running.gpus, 1);
    assert.equal(running.timeLimitSeconds, 300);
    assert.equal(running.stdoutPath, join(dir, `slurm-${id}.out`));
    // Follow the file: each read starts where the last one ended.
    let offset = 0;
    let seen = '';
    const reads: number[] = [];
    await waitFor('the five steps in the output', async () => {
      const chunk = await slurm.readOutput(running.stdoutPath!, offset, 1 << 20);
      if (chunk.text) reads.push(chunk.text.length);
      seen += chunk.text;
      offset = chunk.offset + Buffer.byteLength(chunk.text);
      return seen.includes('step 5') ? seen : undefined;
    }, 30_000, 300);
    assert.equal(seen, 'step 1\nstep 2\nstep 3\nstep 4\nstep 5\n');
    assert.ok(reads.length >= 2, `read in ${reads.length} pieces while it ran`);
    const done = await jobUntil(id, 'completed', (j) => j.phase === 'finished');
    assert.equal(done.state, 'COMPLETED');
    assert.equal(done.exitCode, 0);
    assert.ok(Date.now() - started < 30_000);
    const tail = await slurm.readOutput(running.stdoutPath, undefined, 7);
    assert.equal(tail.text, 'step 5\n', 'the last bytes within the budget');
  });

  it('a job that exits with code 3 is FAILED with exit code 3; its stderr file is known', async () => {
    const id = await submit('fails', 'echo out; echo oops >&2; exit 3', ['--error=%x-%j.err']);
    const job = await jobUntil(id, 'finished', (j) => j.phase === 'finished');
    assert.equal(job.state, 'FAILED');
    assert.equal(job.exitCode, 3);
    assert.equal(job.stderrPath, join(dir, `${tag}-fails-${id}.err`));
    await waitFor('the stderr file', () => (existsSync(job.stderrPath!) ? true : undefined), 5000);
    assert.equal(readFileSync(job.stderrPath, 'utf8'), 'oops\n');
  });

  it('pending with the scheduler\'s reason (Dependency); hold and release; cancel', async () => {
    const first = await submit('first', 'sleep 120');
    const waiting = await submit('waits', 'true', [`--dependency=afterok:${first}`]);
    const pending = await jobUntil(waiting, 'pending on its dependency', (j) => j.reason === 'Dependency');
    assert.equal(pending.phase, 'pending');
    await slurm.act('hold', waiting);
    // JobHeldAdmin when the tests run as root (an operator's hold), JobHeldUser otherwise.
    await jobUntil(waiting, 'held', (j) => /^JobHeld(User|Admin)$/.test(j.reason ?? ''));
    await slurm.act('release', waiting);
    await jobUntil(waiting, 'released', (j) => j.reason === 'Dependency');
    await jobUntil(first, 'running', (j) => j.phase === 'running');
    await slurm.act('cancel', first);
    const cancelled = await jobUntil(first, 'cancelled', (j) => j.phase === 'finished');
    assert.equal(cancelled.state, 'CANCELLED');
    // afterok can never be met now: Slurm says so.
    await jobUntil(waiting, 'never to run', (j) => j.reason === 'DependencyNeverSatisfied' || j.phase === 'finished');
  });

  it('requeue puts a running job back in the queue', async () => {
    const id = await submit('requeue', 'sleep 120');
    await jobUntil(id, 'running', (j) => j.phase === 'running');
    await slurm.act('requeue', id);
    const back = await jobUntil(id, 'back in the queue', (j) => j.phase === 'pending', 20_000);
    assert.ok(['PENDING', 'REQUEUED'].includes(back.state), back.state);
  });

  it('an array job: each task with its own id and output file; JSON and text list the same tasks', async () => {
    const id = await submit('array', 'echo "task $SLURM_ARRAY_TASK_ID"', ['--array=0-2', '--output=%x-%A_%a.out']);
    const tasks = await waitFor('three finished tasks', async () => {
      const all = (await slurm.jobs()).filter((j) => j.arrayJobId === id);
      return all.length === 3 && all.every((j) => j.phase === 'finished') ? all : undefined;
    }, 40_000);
    assert.deepEqual(tasks.map((t) => t.id).sort(), [`${id}_0`, `${id}_1`, `${id}_2`]);
    for (const t of tasks) {
      assert.equal(t.stdoutPath, join(dir, `${tag}-array-${id}_${t.arrayTaskId}.out`));
      await waitFor(`${t.stdoutPath}`, () => (existsSync(t.stdoutPath!) ? true : undefined), 5000);
      assert.equal(readFileSync(t.stdoutPath, 'utf8'), `task ${t.arrayTaskId}\n`);
    }
    // The array row's Cancel: the array's id cancels every task, pending ones too.
    const sleepers = await submit('array-cancel', 'sleep 300', ['--array=0-9%2']);
    await waitFor('two tasks running', async () => ((await slurm.jobs()).filter((j) => j.arrayJobId === sleepers && j.phase === 'running').length === 2 ? true : undefined), 30_000);
    await slurm.act('cancel', sleepers);
    await waitFor('every task cancelled', async () => {
      const all = (await slurm.jobs()).filter((j) => j.arrayJobId === sleepers);
      return all.length > 0 && all.every((j) => j.state === 'CANCELLED') ? true : undefined;
    }, 30_000);
    const viaText = (await text.jobs()).filter((j) => j.arrayJobId === id);
    assert.deepEqual(viaText.map((t) => [t.id, t.state, t.exitCode, t.stdoutPath]).sort(), tasks.map((t) => [t.id, t.state, t.exitCode, t.stdoutPath]).sort());
  });

  it('scheduler errors come back in Slurm\'s own words, with what to change', async () => {
    await assert.rejects(slurm.submit({ script: '#!/bin/bash\n#SBATCH --partition=nope\ntrue\n', cwd: dir }), (error: unknown) => {
      assert.ok(isSchedulerError(error));
      assert.match(error.schedulerMessage, /Invalid partition name specified/);
      assert.match(error.message, /partitions sinfo lists/);
      return true;
    });
    await assert.rejects(slurm.submit({ script: '#!/bin/bash\n#SBATCH --gres=gpu:9\ntrue\n', cwd: dir }), /Requested node configuration is not available/);
    await assert.rejects(slurm.act('cancel', '--signal=KILL'), /not a Slurm job id/);
  });

  it('a job past its time limit is killed: TIMEOUT', async () => {
    const job = await jobUntil(timeLimited, 'killed at its time limit', (j) => j.phase === 'finished', 150_000);
    assert.equal(job.state, 'TIMEOUT');
    assert.equal(job.timeLimitSeconds, 60);
    assert.equal(job.reason, 'TimeLimit');
  });
});
