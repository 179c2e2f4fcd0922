import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileChange, Tool, ToolContext } from '../../src/agent/tools/tool';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import type { JobInfo } from '../../src/jobs/jobScheduler';
import { JobClusters } from '../../src/jobs/jobClusters';
import { jobTools } from '../../src/jobs/jobTools';
import { HeldKernelJobs } from '../../src/jobs/kernel/kernelJobHost';
import { probeServer } from '../../src/kernels/jupyterEndpoint';
import { jupyterPython } from '../support/jupyterHarness';
import { pathWithout } from '../support/pathWithout';
import { ensureSlurmCluster, waitFor } from '../support/slurm/slurmCluster';

// The agent's job tools and `ml-engineer jobs` / `submit` against the real test cluster.

describe('jobs: agent tools and the CLI on a real Slurm', function () {
  this.timeout(120_000);
  let dir: string;
  let clusters: JobClusters;
  let tools: Map<string, Tool>;
  let context: ToolContext;
  let held: HeldKernelJobs;
  let python: string;
  const changes: FileChange[] = [];
  const changed: string[] = [];
  const submitted: string[] = [];
  const ids: string[] = [];
  const signal = new AbortController().signal;

  before(async function () {
    const cluster = await ensureSlurmCluster();
    if (!cluster.ok) {
      console.log(`    skipped: ${cluster.reason}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'ml-slurm-tools-'));
    python = await jupyterPython();
    clusters = new JobClusters([{ id: 'local' }]);
    held = new HeldKernelJobs(() => clusters, () => ({ python }), dir);
    tools = new Map(jobTools({ clusters: () => clusters, changed: (c) => changed.push(c), submitted: (c, id) => submitted.push(`${c}/${id}`), kernelJobs: held }).map((t) => [t.name, t]));
    const files = new WorkspaceFiles([{ name: 'ws', path: dir }]);
    context = {
      files,
      applyChange: async (change) => {
        changes.push(change);
        await files.writeTextAtomic(change.absolutePath, change.after);
      },
    };
  });
  after(async () => {
    await held?.close();
    for (const id of ids) await clusters?.scheduler().act('cancel', id).catch(() => undefined);
    clusters?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = async (name: string, input: unknown): Promise<string> => {
    const tool = tools.get(name)!;
    const parsed = tool.input.parse(input);
    return (await tool.run(parsed, context, signal)).content;
  };

  it('cluster_info names the partitions and the free GPUs', async () => {
    const text = await call('cluster_info', {});
    assert.match(text, /- debug \(default\): UP, 1 node, \d+\/8 CPUs idle, \d\/2 GPUs free, no time limit/);
    assert.match(text, /- short: UP, .*max time 30:00, default 10:00/);
  });

  it('submit_job: the approval shows the whole script it writes; the job runs; job_status and job_logs follow it', async () => {
    writeFileSync(join(dir, 'train.py'), 'import time\nfor i in range(4):\n    print(f"epoch {i}")\n    time.sleep(1)\n');
    const tool = tools.get('submit_job')!;
    const input = tool.input.parse({ file: 'train.py', gpus: 1, time: '5', partition: 'debug' });
    const preview = await tool.preview!(input, context);
    assert.equal(preview.path, 'train.sbatch');
    assert.equal(preview.before, null);
    assert.match(preview.after, /#SBATCH --gres=gpu:1\n#SBATCH --time=5\n/);
    assert.match(preview.after, /\npython3 train.py\n$/);
    const scope = await tool.approvalScope!(input, context);
    assert.notEqual(scope, await tool.approvalScope!(tool.input.parse({ file: 'train.py', gpus: 2, time: '5', partition: 'debug' }), context), 'another GPU count is asked again');
    const result = await tool.run(input, context, signal);
    const id = /Submitted job (\d+)/.exec(result.content)?.[1];
    assert.ok(id, result.content);
    ids.push(id);
    assert.equal(readFileSync(join(dir, 'train.sbatch'), 'utf8'), preview.after, 'what was shown is what was written and run');
    assert.deepEqual(changed, [''], 'the view is told at once');
    assert.deepEqual(submitted, [`/${id}`], 'the window watches the job it submitted');
    assert.match(await call('job_status', {}), new RegExp(`^${id} train: `, 'm'));
    let logs = '';
    await waitFor('two epochs in job_logs', async () => {
      const text = await call('job_logs', { job_id: id });
      logs += text.slice(text.indexOf('\n') + 1).replace('(nothing new since the last read)', '').replace('(empty)', '');
      return logs.includes('epoch 1') ? true : undefined;
    }, 30_000, 500);
    await waitFor('finished', async () => (/COMPLETED, exit code 0/.test(await call('job_status', { job_id: id })) ? true : undefined), 30_000, 500);
    const rest = await call('job_logs', { job_id: id });
    const all = logs + rest.slice(rest.indexOf('\n') + 1);
    assert.equal(all.replace(/\(nothing new since the last read\)/g, ''), 'epoch 0\nepoch 1\nepoch 2\nepoch 3\n', 'each read gives only what is new');
    const budget = await call('job_logs', { job_id: id, from_start: true, max_bytes: 200 });
    assert.match(budget, /bytes 0-32 of 32/);
  });

  it('job_status of a running GPU job tells its GPUs as sampled on its node (none here: no GPU tool there)', async () => {
    const id = await clusters.scheduler().submit({ script: '#!/bin/bash\n#SBATCH --job-name=gpu-status\n#SBATCH --gres=gpu:1\n#SBATCH --output=/dev/null\nsleep 60\n', cwd: dir });
    ids.push(id);
    await waitFor('running', async () => ((await clusters.scheduler().job(id))?.phase === 'running' ? true : undefined), 30_000);
    // srun passes its environment to the step: a PATH without nvidia-smi, whatever this machine has.
    const saved = process.env.PATH;
    process.env.PATH = pathWithout(['nvidia-smi']);
    let text: string;
    try {
      text = await call('job_status', { job_id: id });
    } finally {
      process.env.PATH = saved;
    }
    assert.match(text, /^GPUs: 1$/m);
    assert.match(text, /\n\nNo GPU tool on \S+: nvidia-smi is not on the job's PATH there\.$/);
    await clusters.scheduler().act('cancel', id);
  });

  it('submit_job with a script holding #SBATCH lines submits it unchanged; scheduler errors come back verbatim', async () => {
    writeFileSync(join(dir, 'own.sh'), '#!/bin/bash\n#SBATCH --job-name=own\n#SBATCH --partition=nope\necho hi\n');
    const tool = tools.get('submit_job')!;
    const input = tool.input.parse({ file: 'own.sh', gpus: 4 });
    const preview = await tool.preview!(input, context);
    assert.equal(preview.path, 'own.sh');
    assert.equal(preview.after, readFileSync(join(dir, 'own.sh'), 'utf8'));
    await assert.rejects(tool.run(input, context, signal), /Invalid partition name specified[\s\S]*partitions sinfo lists/);
    await assert.rejects(tool.preview!(tool.input.parse({ file: '../outside.py' }), context), /outside the workspace/);
  });

  it('cancel_job asks first (execute) and cancels', async () => {
    assert.equal(tools.get('cancel_job')!.risk, 'execute');
    const id = await clusters.scheduler().submit({ script: '#!/bin/bash\nsleep 300\n', cwd: dir });
    ids.push(id);
    assert.match(await call('cancel_job', { job_id: id }), /Cancelled/);
    const job = await waitFor<JobInfo>('cancelled', async () => {
      const j = await clusters.scheduler().job(id);
      return j?.phase === 'finished' ? j : undefined;
    }, 20_000);
    assert.equal(job.state, 'CANCELLED');
  });

  it('ml-engineer submit and ml-engineer jobs --json', async () => {
    writeFileSync(join(dir, 'run.sh'), 'echo from-cli\n');
    let out = '';
    let err = '';
    const cli = (argv: string[]): Promise<number> => {
      out = '';
      err = '';
      return runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: dir }, { version: 'test', subcommands: SUBCOMMANDS, signal });
    };
    assert.equal(await cli(['submit', 'run.sh', '--time', '2', '--json']), 0, err);
    const submitted = JSON.parse(out) as { jobId: string; scriptPath: string };
    ids.push(submitted.jobId);
    assert.equal(submitted.scriptPath, join(dir, 'run.sbatch'));
    assert.equal(await cli(['jobs', '--json']), 0, err);
    assert.ok((JSON.parse(out) as JobInfo[]).some((j) => j.id === submitted.jobId));
    assert.equal(await cli(['submit', 'run.sh', '--partition', 'nope']), 1);
    assert.match(err, /^ml-engineer submit: sbatch failed: sbatch: error: invalid partition specified: nope/);
    assert.equal(await cli(['submit', 'run.sh', '--time', '2h']), 1);
    assert.match(err, /not a Slurm time/);
  });

  it('start_kernel_job (approved first) starts a connected kernel job; kernel_jobs lists it; stop_kernel_job ends it, and only kernel jobs', async () => {
    const start = tools.get('start_kernel_job')!;
    assert.equal(start.risk, 'execute');
    assert.equal(start.confirmation!(start.input.parse({ gpus: 1, time: '10' })), `Start a Jupyter kernel job on Slurm with 1 GPU(s) for 10, running ${python}`);
    await assert.rejects(call('start_kernel_job', { time: '2h' }), /not a Slurm time/);
    const started = await call('start_kernel_job', { gpus: 1, time: '10' });
    const jobId = /Kernel job (\d+) runs on/.exec(started)?.[1];
    assert.ok(jobId, started);
    ids.push(jobId);
    assert.ok(!started.includes('token'), 'the model is not given the token');
    const [kept] = held.held();
    assert.equal(kept?.jobId, jobId);
    assert.ok(existsSync(join(dir, `jupyter-kernel-${jobId}.out`)), 'the job started in the folder, not the process\'s cwd');

    const other = await clusters.scheduler().submit({ script: '#!/bin/bash\n#SBATCH --output=/dev/null\nsleep 300\n', cwd: dir });
    ids.push(other);
    const listed = await call('kernel_jobs', {});
    assert.match(listed, new RegExp(`${jobId}\\b.*jupyter-kernel`));
    assert.ok(!listed.includes(other), 'only kernel jobs');
    assert.match(listed, new RegExp(`Connected here: ${jobId} \\(server http://`));

    assert.equal(tools.get('stop_kernel_job')!.risk, 'execute');
    await assert.rejects(call('stop_kernel_job', { job_id: other }), /is not a kernel job: cancel_job cancels it/);
    assert.match(await call('stop_kernel_job', { job_id: jobId }), /Stopped kernel job/);
    assert.deepEqual(held.held(), []);
    const ended = await waitFor<JobInfo>('the kernel job to end', async () => {
      const j = await clusters.scheduler().job(jobId);
      return j?.phase === 'finished' ? j : undefined;
    }, 20_000);
    assert.equal(ended.state, 'COMPLETED', 'the server\'s shutdown ended it');
    await clusters.scheduler().act('cancel', other);
  });

  it('ml-engineer jobs --start-kernel prints the server and holds it until Ctrl-C; --kernels lists it; --stop-kernel refuses other jobs', async () => {
    const run = (argv: string[], signal: AbortSignal): { code: Promise<number>; out: () => string; err: () => string } => {
      let out = '';
      let err = '';
      const code = runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: dir }, { version: 'test', subcommands: SUBCOMMANDS, signal });
      return { code, out: () => out, err: () => err };
    };
    const ctrlC = new AbortController();
    const fg = run(['jobs', '--start-kernel', '--gpus', '1', '--time', '10', '--python', python, '--json'], ctrlC.signal);
    let exited: number | undefined;
    void fg.code.then((c) => (exited = c));
    const line = await waitFor('the server\'s line', () => {
      if (exited !== undefined) assert.fail(`exited ${exited}: ${fg.err()}`);
      return Promise.resolve(fg.out().includes('\n') ? fg.out() : undefined);
    }, 60_000);
    const server = JSON.parse(line) as { jobId: string; node: string; url: string; token: string };
    ids.push(server.jobId);
    assert.equal((await probeServer({ baseUrl: server.url, token: server.token })).ok, true);

    const list = run(['jobs', '--kernels', '--json'], signal);
    assert.equal(await list.code, 0, list.err());
    assert.deepEqual((JSON.parse(list.out()) as JobInfo[]).filter((j) => j.phase !== 'finished').map((j) => j.id), [server.jobId]);
    const notKernel = await clusters.scheduler().submit({ script: '#!/bin/bash\n#SBATCH --output=/dev/null\nsleep 300\n', cwd: dir });
    ids.push(notKernel);
    const refused = run(['jobs', '--stop-kernel', notKernel], signal);
    assert.equal(await refused.code, 1);
    assert.match(refused.err(), /is not a kernel job/);
    const badPython = run(['jobs', '--start-kernel', '--python', 'rm -rf /'], signal);
    assert.equal(await badPython.code, 1);
    assert.match(badPython.err(), /is not a Python/);

    ctrlC.abort();
    assert.equal(await fg.code, 0, fg.err());
    const ended = await clusters.scheduler().job(server.jobId);
    assert.equal(ended?.state, 'COMPLETED', 'Ctrl-C shut the server down, which ended the job');
    await clusters.scheduler().act('cancel', notKernel);
  });
});
